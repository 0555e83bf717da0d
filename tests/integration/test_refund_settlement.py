"""A refund's success, its restock and `payment.refunded` commit together, or none."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from business.actor import Actor
from business.orders import NewLine, OrderService
from business.payments import PaymentService, RefundLineRequest
from data.catalog.models import Product
from data.orders.events import EventRepository
from data.orders.models import OrderEvent
from data.payments.models import Payment, Refund
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF = Actor.system(request_id="cmd-refund")


class EventsDown(RuntimeError):
    pass


def test_a_failed_settling_leaves_stock_money_and_events_as_they_were(monkeypatch):
    product = ProductFactory(price=Decimal("10.00"), stock=5)
    buyer = Actor(user_id=UserFactory().pk, request_id="req-buy")
    order = OrderService().place_order(
        actor=buyer, lines=[NewLine(product_id=product.pk, quantity=2)]
    )
    payment = PaymentService().pay_order(
        actor=buyer, order_id=order.id, amount=order.total, token="tok_visa"
    )
    add = EventRepository.add

    def refuse_refunded(self, **event):
        if event["type"] == "payment.refunded":
            raise EventsDown("the audit trail refused the event")
        return add(self, **event)

    monkeypatch.setattr(EventRepository, "add", refuse_refunded)
    with pytest.raises(EventsDown):
        PaymentService().refund_payment(
            actor=STAFF,
            payment_id=payment.id,
            lines=[RefundLineRequest(product_id=product.pk, quantity=1)],
            restock=True,
        )
    # The pending refund had committed; its settling rolled back whole.
    refund = Refund.objects.get()
    assert (refund.status, refund.restocked) == ("pending", False)
    assert Product.objects.get(pk=product.pk).stock == 3
    assert Payment.objects.get().amount_refunded == Decimal("0.00")
    assert not OrderEvent.objects.filter(type="payment.refunded").exists()

    monkeypatch.undo()
    found = PaymentService().reconcile(actor=STAFF, older_than=timedelta(0))
    assert (found.refunds, found.settled) == (1, 1)
    refund.refresh_from_db()
    assert (refund.status, refund.restocked) == ("succeeded", True)
    assert Product.objects.get(pk=product.pk).stock == 4
    assert Payment.objects.get().amount_refunded == Decimal("10.00")
    assert OrderEvent.objects.filter(type="payment.refunded").count() == 1
