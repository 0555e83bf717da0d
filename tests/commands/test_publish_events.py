"""`manage.py publish_events`: --once, the loop, broker outages, parallel runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from data.orders.models import OrderEvent, PendingEvent
from tests.commands.support import ROOT, call, database_url, manage
from tests.events_support import (
    CLOSED_AMQP_URL,
    HISTORY_EVENTS,
    TestBroker,
    assert_valid,
    make_history,
    open_broker,
)


@pytest.fixture
def broker(settings) -> Iterator[TestBroker]:
    yield from open_broker(settings)


def event_ids() -> list[int]:
    return list(OrderEvent.objects.order_by("id").values_list("id", flat=True))


def start(broker: TestBroker, *args: str, amqp_url: str | None = None):
    """Start `manage.py publish_events ARGS` as a real process on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EVENTS_EXCHANGE": broker.exchange,
    }
    if amqp_url:
        env["AMQP_URL"] = amqp_url
    return subprocess.Popen(
        [sys.executable, "manage.py", "publish_events", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.django_db
def test_once_publishes_every_event_and_reports_the_metrics(broker):
    make_history()
    result = call("publish_events", "--once", "--batch-size", "4")
    assert result.code == 0, result.err
    assert (
        f"events_published_total={HISTORY_EVENTS} publish_failures_total=0"
        in result.out
    )
    assert "outbox_pending=0 outbox_lag_seconds=0.000" in result.out
    messages = broker.drain()
    assert sorted(int(m.message_id) for m in messages) == event_ids()
    for message in messages:
        assert_valid(message)


@pytest.mark.django_db
def test_a_second_run_publishes_nothing(broker):
    make_history()
    call("publish_events", "--once")
    broker.drain()
    result = call("publish_events", "--once")
    assert "events_published_total=0" in result.out
    assert broker.drain() == []


@pytest.mark.django_db
def test_once_with_the_broker_down_exits_non_zero_and_marks_nothing(broker, settings):
    make_history()
    settings.AMQP_URL = CLOSED_AMQP_URL
    result = call("publish_events", "--once")
    assert result.code == 1
    assert "CommandError: broker unavailable" in result.err
    assert f"publish_failures_total=1 outbox_pending={HISTORY_EVENTS}" in result.err
    assert PendingEvent.objects.count() == HISTORY_EVENTS
    assert broker.drain() == []


@pytest.mark.django_db(transaction=True)
def test_once_with_the_broker_down_is_one_line_without_traceback(broker):
    make_history()
    relay = start(broker, "--once", amqp_url=CLOSED_AMQP_URL)
    _, err = relay.communicate(timeout=60)
    assert relay.returncode == 1
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("CommandError: broker unavailable")
    assert PendingEvent.objects.count() == HISTORY_EVENTS


@pytest.mark.django_db(transaction=True)
def test_the_loop_publishes_new_events_and_stops_on_sigterm(broker):
    relay = start(broker, "--poll-interval", "0.1")
    make_history()  # written while the relay polls
    received = []
    wait_for(lambda: received.extend(broker.drain()) or len(received) >= HISTORY_EVENTS)
    relay.send_signal(signal.SIGTERM)
    out, err = relay.communicate(timeout=30)
    assert relay.returncode == 0, err
    assert sorted(int(m.message_id) for m in received) == event_ids()
    assert "relay: stopped" in out
    assert f"events_published_total={HISTORY_EVENTS}" in out.splitlines()[-2]


@pytest.mark.django_db(transaction=True)
def test_the_loop_retries_with_backoff_while_the_broker_is_down(broker):
    make_history()
    relay = start(broker, amqp_url=CLOSED_AMQP_URL)
    seen = []
    # Each failure writes two lines; the process keeps failing, so this ends.
    while not any("retrying in 4s" in line for line in seen):
        seen.append(relay.stderr.readline())
    relay.send_signal(signal.SIGTERM)
    _, err = relay.communicate(timeout=30)
    assert relay.returncode == 0, err
    retries = [line.rsplit(" ", 1)[-1].strip() for line in seen if "retrying" in line]
    assert retries == ["1s", "2s", "4s"]
    assert f"publish_failures_total=2 outbox_pending={HISTORY_EVENTS}" in "".join(seen)
    assert PendingEvent.objects.count() == HISTORY_EVENTS


@pytest.mark.django_db(transaction=True)
def test_two_relay_processes_publish_each_event_once(broker):
    for _ in range(4):
        make_history()
    relays = [start(broker, "--once", "--batch-size", "3") for _ in range(2)]
    for relay in relays:
        _, err = relay.communicate(timeout=60)
        assert relay.returncode == 0, err
    messages = broker.drain()
    assert sorted(int(m.message_id) for m in messages) == event_ids()
    assert len(messages) == 4 * HISTORY_EVENTS


def test_help_explains_the_command(django_db_setup):
    result = manage("publish_events", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for phrase in ["--once", "--batch-size", "--poll-interval", "message_id"]:
        assert phrase in text


@pytest.mark.parametrize(
    "args",
    [["--batch-size", "0"], ["--poll-interval", "soon"], ["--poll-interval", "0"]],
)
def test_a_bad_argument_is_one_line_and_exit_2(django_db_setup, args):
    result = manage("publish_events", *args)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("manage.py publish_events: error: ")
