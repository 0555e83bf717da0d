"""PaymentRepository on PostgreSQL: pending payments, settling, refunds, events seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from data.errors import DuplicateError
from data.payments.gateway import SandboxGateway
from data.payments.models import Payment, Refund
from data.payments.provider import Outcome
from data.payments.refunds import RefundRepository
from data.payments.repository import (
    OwnedPayment,
    PaymentRecord,
    PaymentRepository,
    PendingSummary,
)
from data.payments.statuses import PaymentStatus, RefundStatus
from data.records import PageRequest
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> PaymentRepository:
    return PaymentRepository()


def add(repo, order, **fields) -> PaymentRecord:
    values = {"amount": Decimal("10.00"), "currency": "EUR", "payment_method": "tok"}
    return repo.add(order_id=order.pk, **{**values, **fields})


def settled(repo, order, status=PaymentStatus.SUCCEEDED, **fields) -> PaymentRecord:
    return repo.settle(add(repo, order), status, **fields)


def test_add_stores_a_pending_payment_and_returns_its_record(repo):
    order = OrderFactory()
    payment = add(repo, order, payment_method="tok_visa")
    assert (payment.order_id, payment.status, payment.payment_method) == (
        order.pk,
        PaymentStatus.PENDING,
        "tok_visa",
    )
    assert payment.amount_refunded == Decimal("0.00")
    assert repo.find(payment.id) == payment
    assert Payment.objects.get(pk=payment.id).status == "pending"


def test_an_order_has_at_most_one_live_payment(repo):
    order = OrderFactory()
    add(repo, order)
    with pytest.raises(DuplicateError):
        add(repo, order)


def test_failed_payments_do_not_count_against_a_new_one(repo):
    order = OrderFactory()
    settled(repo, order, PaymentStatus.FAILED, failure_reason="Declined.")
    assert add(repo, order).status is PaymentStatus.PENDING


def test_settle_records_the_outcome_and_the_reference(repo):
    payment = add(repo, OrderFactory())
    done = repo.settle(payment, PaymentStatus.SUCCEEDED, gateway_reference="pi_1")
    assert (done.status, done.gateway_reference) == ("succeeded", "pi_1")
    assert repo.find(payment.id) == done


def test_find_with_owner_names_the_orders_customer(repo):
    customer = UserFactory()
    payment = add(repo, OrderFactory(customer=customer))
    assert repo.find_with_owner(payment.id) == OwnedPayment(
        payment=payment, customer_id=customer.pk
    )
    assert repo.find_with_owner(404) is None


def test_find_live_skips_failed_payments(repo):
    order = OrderFactory()
    settled(repo, order, PaymentStatus.FAILED)
    assert repo.find_live(order.pk) is None
    live = settled(repo, order, gateway_reference="good")
    assert repo.find_live(order.pk) == live


def test_refunds_add_up_and_set_the_status(repo):
    payment = settled(repo, OrderFactory())
    part = repo.add_refunded(payment, Decimal("4.00"))
    assert (part.status, part.amount_refunded) == ("partially_refunded", Decimal("4"))
    whole = repo.add_refunded(part, Decimal("6.00"))
    assert (whole.status, whole.amount_refunded) == ("refunded", Decimal("10.00"))
    assert repo.find(payment.id) == whole


def test_the_database_refuses_a_refund_over_the_amount(repo):
    payment = settled(repo, OrderFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        repo.add_refunded(payment, Decimal("10.01"))


def test_a_refund_is_recorded_pending_then_settled(repo):
    payment = settled(repo, OrderFactory())
    refunds = RefundRepository()
    refund = refunds.add(payment_id=payment.id, amount=Decimal("3.00"), reason="broken")
    assert (refund.status, refund.amount, refund.reason) == (
        RefundStatus.PENDING,
        Decimal("3.00"),
        "broken",
    )
    assert refunds.lock(refund.id) == refund
    done = refunds.settle(refund, RefundStatus.SUCCEEDED, gateway_reference="re_1")
    assert refunds.find(refund.id) == done
    assert Refund.objects.get().gateway_reference == "re_1"


def test_find_pending_finds_the_payments_oldest_pending_refund(repo):
    payment = settled(repo, OrderFactory())
    other = settled(repo, OrderFactory())
    refunds = RefundRepository()
    done = refunds.add(payment_id=payment.id, amount=Decimal("1.00"))
    refunds.settle(done, RefundStatus.SUCCEEDED, gateway_reference="re_1")
    pending = refunds.add(payment_id=payment.id, amount=Decimal("2.00"))
    refunds.add(payment_id=payment.id, amount=Decimal("3.00"))
    refunds.add(payment_id=other.id, amount=Decimal("4.00"))
    assert refunds.find_pending(payment.id) == pending
    assert refunds.find_pending(settled(repo, OrderFactory()).id) is None


def test_pending_rows_are_listed_counted_and_dated(repo):
    old = add(repo, OrderFactory())
    Payment.objects.filter(pk=old.id).update(updated_at=T0)
    young = add(repo, OrderFactory())
    refunds = RefundRepository()
    paid = settled(repo, OrderFactory())
    refund = refunds.add(payment_id=paid.id, amount=Decimal("1.00"))
    Refund.objects.filter(pk=refund.id).update(updated_at=T0 + timedelta(hours=1))
    cutoff = T0 + timedelta(days=1)
    assert repo.list_pending(before=cutoff) == [old.id]
    assert repo.list_pending(before=datetime.now(UTC) + timedelta(seconds=1)) == [
        old.id,
        young.id,
    ]
    assert repo.list_pending(before=cutoff, after_id=old.id) == []
    assert refunds.list_pending(before=cutoff) == [refund.id]
    assert repo.pending_summary(before=cutoff) == PendingSummary(stale=2, oldest=T0)
    assert repo.pending_summary(before=T0) == PendingSummary(stale=0, oldest=T0)


def test_an_event_is_seen_once(repo):
    assert repo.first_sight("evt_1", "charge") is True
    assert repo.first_sight("evt_1", "charge") is False
    assert repo.first_sight("evt_2", "refund") is True


def test_records_carry_their_status_as_a_payment_status(repo):
    payment = settled(repo, OrderFactory(), PaymentStatus.FAILED)
    assert payment.status is PaymentStatus.FAILED
    page = repo.list_payments(customer_id=None, page=PageRequest())
    assert [type(p.status) for p in page.items] == [PaymentStatus]


def test_list_shows_newest_first_one_customers_or_all(repo):
    carol, dave = UserFactory(), UserFactory()
    old = add(repo, OrderFactory(customer=carol))
    Payment.objects.filter(pk=old.id).update(created_at=T0)
    new = add(repo, OrderFactory(customer=carol))
    add(repo, OrderFactory(customer=dave))
    mine = repo.list_payments(customer_id=carol.pk, page=PageRequest())
    assert [p.id for p in mine.items] == [new.id, old.id]
    assert mine.total == 2
    everyone = repo.list_payments(customer_id=None, page=PageRequest(size=2))
    assert (len(everyone.items), everyone.total, everyone.has_next) == (2, 3, True)


def test_the_in_process_sandbox_answers_by_token_and_the_same_again():
    gateway = SandboxGateway()
    assert gateway.recognises("tok_visa") and gateway.recognises("tok_chargeDeclined")
    assert not gateway.recognises("tok_unknown")
    assert gateway.retry_after() == 0
    ok = gateway.charge(
        payment_id=7, token="tok_visa", amount=Decimal("1.00"), currency="EUR"
    )
    declined = gateway.charge(
        payment_id=8, token="tok_chargeDeclined", amount=Decimal("1"), currency="EUR"
    )
    assert (ok.outcome, ok.reference, ok.failure_reason) == (
        Outcome.SUCCEEDED,
        "sb_pay_7",
        "",
    )
    assert (declined.outcome, declined.failure_reason) == (
        Outcome.FAILED,
        "Your card was declined.",
    )
    again = gateway.charge(
        payment_id=7, token="tok_visa", amount=Decimal("1.00"), currency="EUR"
    )
    assert again == ok
    refund = gateway.refund(
        refund_id=3, reference="sb_pay_7", amount=Decimal("1.00"), currency="EUR"
    )
    assert (refund.outcome, refund.reference) == (Outcome.SUCCEEDED, "sb_re_3")
