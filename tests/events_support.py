"""RabbitMQ for the event relay's tests: a private exchange and queue per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jsonschema
import pika
import pytest
from django.conf import settings

from business.actor import Actor
from business.errors import PaymentDeclined
from business.orders import NewLine, OrderService
from business.orders.event_messages import load_schema, schema_version
from business.payments import RefundLineRequest
from business.payments.service import PaymentService
from data.payments.gateway import SandboxGateway
from data.payments.provider import Outcome, ProviderResult
from tests.factories import ProductFactory, UserFactory

# A port nothing listens on: the broker is "down".
CLOSED_AMQP_URL = "amqp://guest:guest@127.0.0.1:1/%2F"


@dataclass(frozen=True)
class Received:
    """One message taken from the test queue."""

    message_id: str
    routing_key: str
    content_type: str
    delivery_mode: int
    body: dict[str, Any]


class TestBroker:
    """A unique durable topic exchange with an exclusive queue bound to every key."""

    __test__ = False  # Not a test class, whatever its name.

    def __init__(self) -> None:
        self.exchange = f"orderly.events.test-{uuid.uuid4().hex}"
        self._connection = pika.BlockingConnection(
            pika.URLParameters(settings.AMQP_URL)
        )
        self._channel = self._connection.channel()
        self._channel.exchange_declare(self.exchange, "topic", durable=True)
        self.queue = self._channel.queue_declare("", exclusive=True).method.queue
        self._channel.queue_bind(self.queue, self.exchange, routing_key="#")

    def drain(self) -> list[Received]:
        """Take every message waiting in the queue, in arrival order."""
        received = []
        while True:
            method, props, body = self._channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return received
            received.append(
                Received(
                    message_id=props.message_id,
                    routing_key=method.routing_key,
                    content_type=props.content_type,
                    delivery_mode=props.delivery_mode,
                    body=json.loads(body),
                )
            )

    def close(self) -> None:
        """Delete the exchange (the exclusive queue goes with the connection)."""
        self._channel.exchange_delete(self.exchange)
        self._connection.close()


def open_broker(settings) -> Iterator[TestBroker]:
    """Point the relay at a fresh exchange with a queue that sees every message."""
    test_broker = TestBroker()
    settings.EVENTS_EXCHANGE = test_broker.exchange
    yield test_broker
    test_broker.close()


def assert_valid(message: Received) -> None:
    """Check a message against its type's latest JSON Schema and the AMQP
    properties (every event the tests write is of its type's latest version)."""
    assert message.body["schema_version"] == schema_version(message.routing_key)
    jsonschema.validate(message.body, load_schema(message.routing_key))
    assert message.message_id == str(message.body["id"])
    assert message.body["type"] == message.routing_key
    assert message.content_type == "application/json"
    assert message.delivery_mode == 2  # persistent


# The events make_history writes: 5 + 3 + 4 + 4.
HISTORY_EVENTS = 16


def make_history() -> None:
    """Write every event type through the real services (four orders)."""
    customer = UserFactory()
    buyer = Actor(user_id=customer.pk, request_id="req-1")
    staff = Actor.system(request_id="cmd-1")
    product = ProductFactory(price=Decimal("4.50"), stock=50)
    orders, payments = OrderService(), PaymentService()
    shipped, declined, refunded = (
        orders.place_order(
            actor=buyer, lines=[NewLine(product_id=product.pk, quantity=n)]
        )
        for n in (1, 2, 3)
    )
    paid = _pay(payments, buyer, shipped)
    orders.ship_order(actor=staff, order_id=shipped.id)
    orders.deliver_order(actor=staff, order_id=shipped.id)
    # A return: the delivered unit refunded by its line, back in stock.
    payments.refund_payment(
        actor=staff,
        payment_id=paid.id,
        lines=[RefundLineRequest(product_id=product.pk, quantity=1)],
        restock=True,
    )
    with pytest.raises(PaymentDeclined):
        _pay(payments, buyer, declined, token="tok_chargeDeclined")
    orders.cancel_order(actor=buyer, order_id=declined.id)
    _pay(payments, buyer, refunded)
    orders.cancel_order(actor=buyer, order_id=refunded.id)
    refused = orders.place_order(
        actor=buyer, lines=[NewLine(product_id=product.pk, quantity=1)]
    )
    _pay(payments, buyer, refused)
    OrderService(gateway=RefusingRefunds()).cancel_order(
        actor=buyer, order_id=refused.id
    )


class RefusingRefunds(SandboxGateway):
    """The in-process sandbox, but the provider refuses every refund."""

    def refund(self, **_: object) -> ProviderResult:
        return ProviderResult(
            outcome=Outcome.FAILED, failure_reason="The provider refused the refund."
        )


def _pay(payments, actor, order, token: str = "tok_visa"):
    return payments.pay_order(
        actor=actor, order_id=order.id, amount=order.total, token=token
    )
