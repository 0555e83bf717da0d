"""The relay command's loop with an in-memory outbox and broker: waits, backoff."""

from __future__ import annotations

from presentation.management.relay_loop import Backoff, LoopReport, run_relay
from tests.unit.test_event_relay_service import FakePublisher, event, service


def test_the_loop_doubles_its_wait_after_failures_up_to_the_maximum():
    relay, _, publisher = service([event(1)], FakePublisher(1))
    waits: list[float] = []
    reports: list[LoopReport] = []
    run_relay(
        relay,
        batch_size=10,
        poll_interval=0.5,
        should_stop=lambda: len(waits) == 6,
        on_report=reports.append,
        sleep=waits.append,
        backoff=Backoff(initial=1, maximum=8),
    )
    assert waits == [1, 2, 4, 8, 8, 8]
    assert [r.retry_in for r in reports] == waits  # announced before each wait
    assert [r.report.failures_total for r in reports] == [1, 2, 3, 4, 5, 6]
    assert publisher.closed


def test_the_loop_polls_when_idle_and_goes_on_at_once_when_more_is_pending():
    relay, outbox, _ = service([event(i) for i in range(1, 5)])
    waits: list[float] = []
    reports: list[LoopReport] = []
    run_relay(
        relay,
        batch_size=2,
        poll_interval=0.5,
        should_stop=lambda: len(waits) == 2,
        on_report=reports.append,
        sleep=waits.append,
    )
    assert waits == [0.5, 0.5]
    assert [r.report.batch.published for r in reports] == [2, 2, 0, 0]
    assert all(r.retry_in == 0 for r in reports)
    assert outbox.pending == []


def test_the_loop_resets_its_backoff_after_a_success():
    publisher = FakePublisher()
    relay, outbox, _ = service([event(1)], publisher)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        publisher.fail_at = None if len(waits) == 2 else publisher.fail_at

    publisher.fail_at = 1
    run_relay(
        relay,
        batch_size=10,
        poll_interval=0.5,
        should_stop=lambda: len(waits) == 3,
        sleep=sleep,
        backoff=Backoff(initial=1, maximum=8),
    )
    assert waits == [1, 2, 0.5]
    assert outbox.pending == []
