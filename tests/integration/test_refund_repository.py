"""RefundRepository on PostgreSQL, and what the database refuses around any service.

The last tests write rows with plain SQL and the ORM, never through a service:
`amount_refunded <= amount` (a CHECK) and refunds adding up to at most the
payment (a trigger that takes the payment's row lock) hold whatever writes them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from data.payments.models import Payment, Refund, RefundLine
from data.payments.refunds import RefundLineRecord, RefundRepository, RefundTally
from data.payments.statuses import RefundStatus
from data.records import PageRequest
from tests.factories import OrderFactory, PaymentFactory, ProductFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> RefundRepository:
    return RefundRepository()


def paid(total: str = "50.00") -> Payment:
    return PaymentFactory(order=OrderFactory(status="paid", total=Decimal(total)))


@pytest.fixture
def payment(db) -> Payment:
    return paid()


def line(product, quantity: int, price: str = "10.00") -> RefundLineRecord:
    return RefundLineRecord(
        product_id=product.pk, quantity=quantity, unit_price=Decimal(price)
    )


def test_add_stores_a_pending_refund_with_its_lines(repo, payment):
    a, b = ProductFactory(), ProductFactory()
    refund = repo.add(
        payment_id=payment.pk,
        amount=Decimal("30.00"),
        reason="returned",
        lines=[line(b, 1), line(a, 2)],
        restock=True,
    )
    assert (refund.status, refund.amount, refund.restock, refund.restocked) == (
        RefundStatus.PENDING,
        Decimal("30.00"),
        True,
        False,
    )
    assert refund.lines == (line(b, 1), line(a, 2))
    found = repo.find(refund.id)
    # Read back in product id order, the same lines.
    assert found is not None and sorted(found.lines, key=str) == sorted(
        refund.lines, key=str
    )
    assert [ln.product_id for ln in found.lines] == sorted([a.pk, b.pk])
    assert found.lines[0].amount == Decimal("20.00")
    assert repo.lock(refund.id) == found
    assert repo.find(10**9) is None and repo.lock(10**9) is None


def test_settle_records_the_outcome_and_the_restock(repo, payment):
    refund = repo.add(payment_id=payment.pk, amount=Decimal("5.00"), restock=True)
    done = repo.settle(
        refund, RefundStatus.SUCCEEDED, gateway_reference="re_1", restocked=True
    )
    assert repo.find(refund.id) == done
    row = Refund.objects.get()
    assert (row.status, row.gateway_reference, row.restocked) == (
        "succeeded",
        "re_1",
        True,
    )


def test_tally_counts_pending_money_and_units_held_and_restocked(repo, payment):
    a, b = ProductFactory(), ProductFactory()
    done = repo.add(
        payment_id=payment.pk, amount=Decimal("10.00"), lines=[line(a, 1)], restock=True
    )
    repo.settle(done, RefundStatus.SUCCEEDED, restocked=True)
    repo.add(payment_id=payment.pk, amount=Decimal("20.00"), lines=[line(a, 2)])
    failed = repo.add(
        payment_id=payment.pk, amount=Decimal("10.00"), lines=[line(b, 1)]
    )
    repo.settle(failed, RefundStatus.FAILED, failure_reason="no")
    repo.add(payment_id=payment.pk, amount=Decimal("3.00"))
    assert repo.tally(payment.pk) == RefundTally(
        pending=Decimal("23.00"), quantities={a.pk: 3}, restocked={a.pk: 1}
    )
    other = PaymentFactory()
    assert repo.tally(other.pk) == RefundTally(
        pending=Decimal("0.00"), quantities={}, restocked={}
    )


def test_list_for_payment_is_newest_first_with_lines(repo, payment):
    a = ProductFactory()
    first = repo.add(payment_id=payment.pk, amount=Decimal("1.00"))
    second = repo.add(
        payment_id=payment.pk, amount=Decimal("10.00"), lines=[line(a, 1)]
    )
    repo.add(payment_id=paid().pk, amount=Decimal("1.00"))
    page = repo.list_for_payment(payment_id=payment.pk, page=PageRequest(size=10))
    assert [r.id for r in page.items] == [second.id, first.id]
    assert page.items[0].lines == (line(a, 1),) and page.total == 2
    one = repo.list_for_payment(payment_id=payment.pk, page=PageRequest(size=1))
    assert (len(one.items), one.total) == (1, 2)


def test_pending_refunds_are_listed_by_age(repo, payment):
    old = repo.add(payment_id=payment.pk, amount=Decimal("1.00"))
    Refund.objects.filter(pk=old.id).update(updated_at=T0)
    repo.add(payment_id=payment.pk, amount=Decimal("1.00"))
    assert repo.list_pending(before=T0 + timedelta(seconds=1)) == [old.id]


# --- the database, written around every service ----------------------------------


def test_amount_refunded_over_the_amount_is_refused_by_the_database(payment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            amount_refunded=F("amount") + Decimal("0.01")
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "UPDATE payments_payment SET amount_refunded = amount * 2 WHERE id = %s",
            [payment.pk],
        )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount"))
    payment.refresh_from_db()
    assert payment.amount_refunded == payment.amount == Decimal("50.00")


def test_refunds_over_the_payment_are_refused_by_the_database(payment):
    Refund.objects.create(payment=payment, amount=Decimal("40.00"), status="pending")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            payment=payment, amount=Decimal("10.01"), status="pending"
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "INSERT INTO payments_refund (payment_id, amount, status, reason, "
            "failure_reason, gateway_reference, restock, restocked, created_at, "
            "updated_at) VALUES (%s, 10.01, 'succeeded', '', '', '', false, false, "
            "now(), now())",
            [payment.pk],
        )
    # A failed refund holds nothing; the rest fits exactly.
    Refund.objects.create(payment=payment, amount=Decimal("10.01"), status="failed")
    last = Refund.objects.create(
        payment=payment, amount=Decimal("10.00"), status="pending"
    )
    # Nor may an update make them add up to more.
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=last.pk).update(amount=Decimal("10.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(status="failed").update(status="succeeded")
    assert Refund.objects.filter(status__in=["pending", "succeeded"]).count() == 2


def test_restocked_needs_restock_and_lines_need_units(payment):
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            payment=payment, amount=Decimal("1.00"), status="succeeded", restocked=True
        )
    refund = Refund.objects.create(payment=payment, amount=Decimal("1.00"))
    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundLine.objects.create(
            refund=refund, product=product, quantity=0, unit_price=Decimal("1.00")
        )
    RefundLine.objects.create(
        refund=refund, product=product, quantity=1, unit_price=Decimal("1.00")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundLine.objects.create(
            refund=refund, product=product, quantity=1, unit_price=Decimal("1.00")
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_around_the_service_never_exceed_the_payment():
    """Ten connections insert 30% refunds at once; the trigger's lock lets 3 in."""
    payment = paid("100.00")
    start = threading.Barrier(10)
    outcomes: list[str] = []

    def insert() -> None:
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                Refund.objects.create(
                    payment_id=payment.pk, amount=Decimal("30.00"), status="pending"
                )
            outcomes.append("stored")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=insert) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 7 + ["stored"] * 3
    assert Refund.objects.filter(payment_id=payment.pk).count() == 3
