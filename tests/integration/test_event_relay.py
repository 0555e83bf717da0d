"""The event relay against real PostgreSQL and RabbitMQ: at least once, in order."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from business.orders.event_messages import EVENT_TYPES
from business.orders.relay import EventRelayService
from data.orders.broker import BrokerError, OutgoingMessage, RabbitPublisher
from data.orders.events import EventRepository
from data.orders.models import OrderEvent, PendingEvent
from data.orders.outbox import OutboxRepository
from presentation.management.relay_loop import Backoff, LoopReport, run_relay
from tests.events_support import (
    CLOSED_AMQP_URL,
    HISTORY_EVENTS,
    Received,
    TestBroker,
    assert_valid,
    make_history,
    open_broker,
)
from tests.factories import OrderFactory


@pytest.fixture
def broker(settings) -> Iterator[TestBroker]:
    yield from open_broker(settings)


def relay(**kwargs) -> EventRelayService:
    return EventRelayService(**kwargs)


def assert_in_order_per_order(messages: list[Received]) -> None:
    by_order: dict[int, list[int]] = defaultdict(list)
    for message in messages:
        by_order[message.body["order_id"]].append(message.body["id"])
    for ids in by_order.values():
        assert ids == sorted(ids)


def all_event_ids() -> list[int]:
    return list(OrderEvent.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.django_db
def test_every_event_arrives_exactly_once_and_matches_its_schema(broker):
    make_history()
    report = relay().publish_pending(batch_size=3)
    messages = broker.drain()
    assert sorted(int(m.message_id) for m in messages) == all_event_ids()
    assert {m.routing_key for m in messages} == set(EVENT_TYPES)
    for message in messages:
        assert_valid(message)
    refunds = [m.body for m in messages if m.routing_key == "payment.refunded"]
    # v2: the return by lines carries them, the cancel's refund by amount none.
    assert {r["schema_version"] for r in refunds} == {2}
    assert sorted(len(r["data"]["lines"]) for r in refunds) == [0, 1]
    assert sorted(r["data"]["restocked"] for r in refunds) == [False, True]
    assert_in_order_per_order(messages)
    assert (report.published_total, report.pending, report.lag_seconds) == (
        HISTORY_EVENTS,
        0,
        0,
    )


@pytest.mark.django_db
def test_a_second_run_publishes_nothing(broker):
    make_history()
    relay().publish_pending(batch_size=100)
    broker.drain()
    report = relay().publish_pending(batch_size=100)
    assert report.published_total == 0
    assert broker.drain() == []


@pytest.mark.django_db
def test_a_message_carries_the_event_as_written(broker):
    order = OrderFactory()
    event = EventRepository().add(
        order_id=order.pk,
        type="order.shipped",
        data={"from": "paid"},
        actor_id=7,
        source="admin",
        request_id="req-9",
    )
    relay().publish_pending(batch_size=10)
    [message] = broker.drain()
    assert message.body == {
        "schema_version": 1,
        "id": event.id,
        "order_id": order.pk,
        "type": "order.shipped",
        "data": {"from": "paid"},
        "actor_id": 7,
        "source": "admin",
        "request_id": "req-9",
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.django_db
def test_a_broker_outage_loses_nothing_and_marks_nothing(broker, settings):
    make_history()
    settings.AMQP_URL = CLOSED_AMQP_URL
    report = relay().publish_pending(batch_size=5)
    assert report.batch.failed and "broker unavailable" in report.batch.error
    assert PendingEvent.objects.count() == HISTORY_EVENTS
    settings.AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    relay().publish_pending(batch_size=5)
    messages = broker.drain()
    assert sorted(int(m.message_id) for m in messages) == all_event_ids()


class FailingAfter:
    """A real publisher that breaks down after `count` confirmed messages."""

    def __init__(self, count: int) -> None:
        self.inner, self.left = RabbitPublisher(), count

    def publish(self, message: OutgoingMessage) -> None:
        if self.left == 0:
            raise BrokerError("broker unavailable: connection lost")
        self.left -= 1
        self.inner.publish(message)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.django_db
def test_an_outage_mid_batch_keeps_the_rest_for_later_in_order(broker):
    make_history()
    report = relay(publisher=FailingAfter(4)).publish_pending(batch_size=100)
    assert (report.batch.published, report.batch.failed) == (4, True)
    assert PendingEvent.objects.count() == HISTORY_EVENTS - 4
    relay().publish_pending(batch_size=100)
    messages = broker.drain()
    assert [int(m.message_id) for m in messages] == all_event_ids()
    assert_in_order_per_order(messages)


class CrashBeforeMark(OutboxRepository):
    """The relay dies after the broker confirmed, before the outbox commit."""

    def mark_published(self, event_ids: list[int]) -> None:
        raise RuntimeError("killed")


class IdempotentConsumer:
    """A consumer that handles each message_id once, however often it arrives."""

    def __init__(self, handle: Callable[[dict], None]) -> None:
        self.handle = handle
        self.seen: set[str] = set()  # A real one keeps this in its own database.

    def on_message(self, message: Received) -> None:
        if message.message_id in self.seen:
            return  # A redelivery: the relay may publish an event twice.
        self.handle(message.body)
        self.seen.add(message.message_id)


@pytest.mark.django_db
def test_a_crash_before_marking_republishes_and_the_consumer_deduplicates(broker):
    make_history()
    with pytest.raises(RuntimeError, match="killed"):
        relay(outbox=CrashBeforeMark()).publish_pending(batch_size=100)
    assert PendingEvent.objects.count() == HISTORY_EVENTS  # rolled back: at least once
    relay().publish_pending(batch_size=100)
    messages = broker.drain()
    assert len(messages) == 2 * HISTORY_EVENTS
    handled: list[int] = []
    consumer = IdempotentConsumer(lambda body: handled.append(body["id"]))
    for message in messages:
        consumer.on_message(message)
    assert handled == all_event_ids()


@pytest.mark.django_db
def test_the_loop_backs_off_while_the_broker_is_down(broker, settings):
    make_history()
    settings.AMQP_URL = CLOSED_AMQP_URL
    waits: list[float] = []
    reports: list[LoopReport] = []
    run_relay(
        relay(),
        batch_size=10,
        poll_interval=0.5,
        should_stop=lambda: len(waits) == 5,
        on_report=reports.append,
        sleep=waits.append,
        backoff=Backoff(initial=1, maximum=4),
    )
    assert waits == [1, 2, 4, 4, 4]
    assert [r.report.failures_total for r in reports] == [1, 2, 3, 4, 5]
    assert reports[-1].report.pending == HISTORY_EVENTS
    assert reports[-1].report.lag_seconds > 0
    assert PendingEvent.objects.count() == HISTORY_EVENTS


def _write_events(orders: int, per_order: int) -> None:
    events = EventRepository()
    made = [OrderFactory() for _ in range(orders)]
    for step in range(per_order):
        for order in made:
            events.add(
                order_id=order.pk,
                type="order.shipped",
                data={"from": "paid"},
                actor_id=None,
                source="command",
                request_id=f"step-{step}",
            )


@pytest.mark.django_db(transaction=True)
def test_relays_in_parallel_publish_each_event_once_in_order(broker):
    _write_events(orders=30, per_order=4)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    totals: list[int] = []

    def run() -> None:
        try:
            start.wait()
            totals.append(relay().publish_pending(batch_size=7).published_total)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(totals) == 120  # no relay counted an event another one sent
    messages = broker.drain()
    assert sorted(int(m.message_id) for m in messages) == all_event_ids()
    assert len(messages) == 120
    assert_in_order_per_order(messages)
    assert PendingEvent.objects.count() == 0
