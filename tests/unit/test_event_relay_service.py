"""EventRelayService with an in-memory outbox and broker: no database, no RabbitMQ."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from business.orders.event_messages import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    load_schema,
    schema_path,
    schema_version,
    to_message,
)
from business.orders.relay import EventRelayService, RelayReport
from business.orders.rules import TRANSITIONS
from data.orders.broker import BrokerError, OutgoingMessage
from data.orders.events import EventRecord
from tests.unit.fakes import EPOCH, FakeUnitOfWork


def event(id: int, order_id: int = 1, type: str = "order.shipped") -> EventRecord:
    return EventRecord(
        id=id,
        order_id=order_id,
        type=type,
        data={"from": "paid"},
        actor_id=None,
        source="command",
        request_id="cmd-1",
        created_at=EPOCH + timedelta(seconds=id),
    )


class FakeOutbox:
    """Pending events in a list; claims must happen inside the unit of work."""

    def __init__(self, uow: FakeUnitOfWork, events: list[EventRecord]) -> None:
        self.uow, self.pending = uow, list(events)

    def lock_pending(self, *, limit: int) -> list[EventRecord]:
        assert self.uow.active, "claimed outside a transaction"
        return self.pending[:limit]

    def mark_published(self, event_ids: list[int]) -> None:
        assert self.uow.active
        self.pending = [e for e in self.pending if e.id not in event_ids]

    def count_pending(self) -> int:
        return len(self.pending)

    def oldest_pending_at(self) -> datetime | None:
        return min((e.created_at for e in self.pending), default=None)


class FakePublisher:
    """Confirm messages; fail from the `fail_at`-th publish on (1-based)."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.sent: list[OutgoingMessage] = []
        self.fail_at, self.calls, self.closed = fail_at, 0, False

    def publish(self, message: OutgoingMessage) -> None:
        self.calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise BrokerError("broker unavailable: refused")
        self.sent.append(message)

    def close(self) -> None:
        self.closed = True


def service(events, publisher=None, now=EPOCH + timedelta(minutes=1)):
    uow = FakeUnitOfWork()
    outbox = FakeOutbox(uow, events)
    publisher = publisher or FakePublisher()
    relay = EventRelayService(
        outbox=outbox, publisher=publisher, uow=uow, clock=lambda: now
    )
    return relay, outbox, publisher


def test_a_batch_marks_only_what_the_broker_confirmed():
    relay, outbox, publisher = service([event(1), event(2), event(3)], FakePublisher(3))
    result = relay.publish_batch(batch_size=10)
    assert (result.claimed, result.published) == (3, 2)
    assert "refused" in result.error
    assert [e.id for e in outbox.pending] == [3]
    assert [m.message_id for m in publisher.sent] == ["1", "2"]


def test_a_failure_holds_back_the_rest_of_the_batch():
    relay, outbox, publisher = service([event(1), event(2), event(3)], FakePublisher(1))
    relay.publish_batch(batch_size=10)
    assert publisher.calls == 1
    assert len(outbox.pending) == 3


def test_publish_pending_drains_every_batch_and_closes_the_connection():
    relay, outbox, publisher = service([event(i) for i in range(1, 8)])
    report = relay.publish_pending(batch_size=3)
    assert [m.message_id for m in publisher.sent] == [str(i) for i in range(1, 8)]
    assert (report.published_total, report.pending, report.lag_seconds) == (7, 0, 0)
    assert publisher.closed and outbox.pending == []


def test_publish_pending_stops_at_a_broker_failure_and_returns_it():
    relay, outbox, publisher = service(
        [event(i) for i in range(1, 6)], FakePublisher(2)
    )
    seen: list[RelayReport] = []
    report = relay.publish_pending(batch_size=1, on_report=seen.append)
    assert report.batch.failed and "refused" in report.batch.error
    assert seen[-1] == report and len(seen) == 2  # no batch after the failure
    assert [e.id for e in outbox.pending] == [2, 3, 4, 5]
    assert report.failures_total == 1 and report.pending == 4
    assert report.lag_seconds == 58.0  # now is EPOCH + 60 s, event 2 at + 2 s
    assert publisher.closed


def test_a_message_is_routed_by_type_and_identified_by_the_event_id():
    message = to_message(event(42, order_id=7, type="order.delivered"))
    assert (message.message_id, message.routing_key) == ("42", "order.delivered")
    assert message.body["schema_version"] == SCHEMA_VERSION
    assert message.body["created_at"] == "2026-01-01T00:00:42Z"
    assert message.body["order_id"] == 7
    json.dumps(message.body)  # JSON-ready as it is


def test_every_event_type_the_services_write_has_a_valid_schema():
    written = {"order.created", "payment.failed", "payment.refunded", "refund.failed"}
    assert set(EVENT_TYPES) == written | set(TRANSITIONS.values())
    for event_type in EVENT_TYPES:
        latest = schema_version(event_type)
        assert schema_path(event_type).name == f"{event_type}.v{latest}.json"
        # Every version a consumer may still receive keeps its file.
        for version in range(1, latest + 1):
            schema = load_schema(event_type, version)
            jsonschema.Draft202012Validator.check_schema(schema)
            assert schema["properties"]["schema_version"] == {"const": version}


def refunded(id: int, data: dict) -> EventRecord:
    return EventRecord(
        id=id,
        order_id=3,
        type="payment.refunded",
        data=data,
        actor_id=9,
        source="api",
        request_id="req-r",
        created_at=EPOCH + timedelta(seconds=id),
    )


def test_payment_refunded_is_version_2_with_its_lines():
    assert (SCHEMA_VERSION, schema_version("payment.refunded")) == (1, 2)
    data = {
        "payment_id": 4,
        "refund_id": 5,
        "amount": "9.90",
        "lines": [{"product_id": 7, "quantity": 1, "unit_price": "9.90"}],
        "restocked": True,
    }
    body = to_message(refunded(1, data)).body
    assert body["schema_version"] == 2
    jsonschema.validate(body, load_schema("payment.refunded"))
    with pytest.raises(jsonschema.ValidationError):  # v2 requires the lines
        jsonschema.validate(
            {**body, "data": {**data, "lines": None}}, load_schema("payment.refunded")
        )
    with pytest.raises(jsonschema.ValidationError):  # and says it is v2
        jsonschema.validate(body, load_schema("payment.refunded", 1))


def test_a_payment_refunded_written_before_v2_goes_out_as_v1():
    old = {"payment_id": 4, "refund_id": 5, "amount": "9.90"}
    body = to_message(refunded(2, old)).body
    assert body["schema_version"] == 1
    jsonschema.validate(body, load_schema("payment.refunded", 1))


def test_a_schema_refuses_a_message_that_breaks_the_contract():
    body = to_message(event(1)).body
    jsonschema.validate(body, load_schema("order.shipped"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "data": {}}, load_schema("order.shipped"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "schema_version": 2}, load_schema("order.shipped"))


def test_the_lag_is_the_age_of_the_oldest_pending_event():
    relay, _, _ = service([event(5)], now=datetime(2026, 1, 1, 0, 1, tzinfo=UTC))
    batch = relay.publish_batch(batch_size=0)
    assert relay.report(batch).lag_seconds == 55.0


def test_a_keys_event_carries_its_id_and_still_matches_its_schema():
    keyed = to_message(replace(event(3), api_key_id=12)).body
    plain = to_message(event(3)).body

    assert keyed == {**plain, "api_key_id": 12}
    assert "api_key_id" not in plain
    jsonschema.validate(keyed, load_schema("order.shipped"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**keyed, "api_key_id": "12"}, load_schema("order.shipped"))
