"""PaymentRepository on PostgreSQL: add, find, list and refund payments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from data.payments.gateway import SandboxGateway
from data.payments.models import Payment
from data.payments.repository import (
    OwnedPayment,
    PaymentRecord,
    PaymentRepository,
    SucceededPayment,
)
from data.payments.statuses import PaymentStatus
from data.records import PageRequest
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> PaymentRepository:
    return PaymentRepository()


def add(repo, order, status="succeeded", **fields) -> PaymentRecord:
    values = {"amount": Decimal("10.00"), "currency": "EUR", "status": status}
    values.update(fields)
    return repo.add(order_id=order.pk, **values)


def test_add_stores_a_payment_and_returns_its_record(repo):
    order = OrderFactory()
    payment = add(
        repo, order, status="failed", failure_reason="Declined.", gateway_reference="r1"
    )
    assert (payment.order_id, payment.status, payment.failure_reason) == (
        order.pk,
        "failed",
        "Declined.",
    )
    stored = Payment.objects.get(pk=payment.id)
    assert (stored.amount, stored.gateway_reference) == (Decimal("10.00"), "r1")


def test_find_with_owner_names_the_orders_customer(repo):
    customer = UserFactory()
    payment = add(repo, OrderFactory(customer=customer))
    assert repo.find_with_owner(payment.id) == OwnedPayment(
        payment=payment, customer_id=customer.pk
    )
    assert repo.find_with_owner(404) is None


def test_find_succeeded_returns_the_payment_and_its_gateway_reference(repo):
    order = OrderFactory()
    add(repo, order, status="failed", gateway_reference="bad")
    paid = add(repo, order, gateway_reference="good")
    assert repo.find_succeeded(order.pk) == SucceededPayment(
        payment=paid, gateway_reference="good"
    )
    assert repo.find_succeeded(OrderFactory().pk) is None


def test_mark_refunded_changes_the_status(repo):
    order = OrderFactory()
    refunded = repo.mark_refunded(add(repo, order))
    assert refunded.status == "refunded"
    assert Payment.objects.get(pk=refunded.id).status == "refunded"
    assert repo.find_succeeded(order.pk) is None


def test_records_carry_their_status_as_a_payment_status(repo):
    payment = add(repo, OrderFactory(), status=PaymentStatus.FAILED)
    assert payment.status is PaymentStatus.FAILED
    page = repo.list_payments(customer_id=None, page=PageRequest())
    assert [type(p.status) for p in page.items] == [PaymentStatus]
    assert repo.mark_refunded(payment).status is PaymentStatus.REFUNDED


def test_list_shows_newest_first_one_customers_or_all(repo):
    carol, dave = UserFactory(), UserFactory()
    old = add(repo, OrderFactory(customer=carol), status="failed")
    Payment.objects.filter(pk=old.id).update(created_at=T0)
    new = add(repo, OrderFactory(customer=carol))
    add(repo, OrderFactory(customer=dave))
    mine = repo.list_payments(customer_id=carol.pk, page=PageRequest())
    assert [p.id for p in mine.items] == [new.id, old.id]
    assert mine.total == 2
    everyone = repo.list_payments(customer_id=None, page=PageRequest(size=2))
    assert (len(everyone.items), everyone.total, everyone.has_next) == (2, 3, True)


def test_sandbox_gateway_answers_by_token():
    gateway = SandboxGateway()
    assert gateway.recognises("tok_visa") and gateway.recognises("tok_chargeDeclined")
    assert not gateway.recognises("tok_unknown")
    ok = gateway.charge(token="tok_visa", amount=Decimal("1.00"), currency="EUR")
    declined = gateway.charge(
        token="tok_chargeDeclined", amount=Decimal("1.00"), currency="EUR"
    )
    assert (ok.succeeded, ok.failure_reason) == (True, "")
    assert (declined.succeeded, declined.failure_reason) == (
        False,
        "Your card was declined.",
    )
    assert ok.reference != declined.reference
    assert len(ok.reference) <= 64
    assert gateway.refund(reference=ok.reference, amount=1, currency="EUR") is None
