"""Business counters count after commit: a rolled-back use case counts nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from business.actor import Actor
from business.orders import NewLine, OrderService
from business.payments import PaymentService
from data.orders.events import EventRepository
from data.orders.models import Order
from data.payments.models import Payment, Refund
from data.payments.repository import PaymentRepository
from data.unit_of_work import DjangoUnitOfWork
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = Actor.system(request_id="counters")
PLACED = ("orderly_orders_placed_total", {})
REFUNDED = ("orderly_payments_total", {"status": "refunded"})


def value(metric: tuple[str, dict[str, str]]) -> float:
    name, labels = metric
    return REGISTRY.get_sample_value(name, labels) or 0.0


class FailsAfterTheRefund(EventRepository):
    """Events that fail on `payment.refunded`, once the refund row is written."""

    refund_written: bool | None = None

    def add(self, *, order_id: int, type: str, **fields: Any):
        if type == "payment.refunded":
            # The refund was counted against the payment in this very transaction.
            live = PaymentRepository().find_live(order_id)
            self.refund_written = live is not None and live.amount_refunded > 0
            raise RuntimeError("the event store failed after the refund")
        return super().add(order_id=order_id, type=type, **fields)


@pytest.fixture
def buyer(customer) -> Actor:
    return Actor(user_id=customer.id, request_id="counters")


def place(buyer: Actor):
    mug = ProductFactory(sku="MUG-C", price=Decimal("9.90"), stock=5)
    lines = [NewLine(product_id=mug.id, quantity=1)]
    return OrderService().place_order(actor=buyer, lines=lines)


def paid_order(buyer: Actor):
    order = place(buyer)
    payment = PaymentService().pay_order(
        actor=buyer, order_id=order.id, amount=order.total, token="tok_visa"
    )
    return order, payment


def test_a_placed_order_counts_once(buyer):
    before = value(PLACED)

    place(buyer)

    assert value(PLACED) == before + 1


def test_a_committed_cancel_counts_one_refund(buyer):
    order, _ = paid_order(buyer)
    before = value(REFUNDED)

    OrderService().cancel_order(actor=STAFF, order_id=order.id)

    assert value(REFUNDED) == before + 1
    assert Payment.objects.get(order_id=order.id).status == "refunded"


def test_a_cancel_whose_refund_rolls_back_counts_nothing(buyer):
    order, _ = paid_order(buyer)
    events = FailsAfterTheRefund()
    before = value(REFUNDED)

    with pytest.raises(RuntimeError, match="after the refund"):
        OrderService(events=events).cancel_order(actor=STAFF, order_id=order.id)

    assert events.refund_written is True
    assert value(REFUNDED) == before
    # The cancel committed with its refund pending; the refund's settling did not.
    assert Payment.objects.get(order_id=order.id).status == "succeeded"
    assert Refund.objects.get().status == "pending"
    assert Order.objects.get(pk=order.id).status == "cancelled"


def test_a_refund_counts_at_commit_not_before(buyer):
    _, payment = paid_order(buyer)
    before = value(REFUNDED)

    with DjangoUnitOfWork():
        PaymentRepository().add_refunded(payment, payment.amount)
        assert value(REFUNDED) == before

    assert value(REFUNDED) == before + 1


def test_a_refund_in_a_rolled_back_savepoint_counts_nothing(buyer):
    _, payment = paid_order(buyer)
    before = value(REFUNDED)

    with DjangoUnitOfWork(), pytest.raises(RuntimeError), transaction.atomic():
        PaymentRepository().add_refunded(payment, payment.amount)
        raise RuntimeError("the savepoint rolls back")

    assert value(REFUNDED) == before
    assert Payment.objects.get(pk=payment.id).status == "succeeded"
