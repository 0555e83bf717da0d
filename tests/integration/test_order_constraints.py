"""What PostgreSQL itself refuses: oversold stock, double payments, edited events."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from data.catalog.models import Product
from data.catalog.repository import ProductRepository
from data.errors import DuplicateError, OutOfStock
from data.orders.events import EventRepository
from data.orders.models import OrderEvent, OrderLine
from data.payments.models import Payment
from data.payments.repository import PaymentRepository
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory


class RolledBack(Exception):
    pass


pytestmark = pytest.mark.django_db


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_stock_cannot_go_below_zero(db):
    product = ProductFactory(stock=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=-1)
    assert stock_of(product) == 2


def test_add_stock_reports_an_oversell_as_out_of_stock_and_changes_nothing(db):
    a, b = ProductFactory(stock=5), ProductFactory(stock=1)
    with pytest.raises(OutOfStock), transaction.atomic():
        ProductRepository().add_stock({a.pk: -5, b.pk: -2})
    assert (stock_of(a), stock_of(b)) == (5, 1)


def test_add_stock_changes_several_products_at_once(db):
    a, b = ProductFactory(stock=5), ProductFactory(stock=1)
    ProductRepository().add_stock({a.pk: -5, b.pk: 3})
    assert (stock_of(a), stock_of(b)) == (0, 4)


def test_lock_many_locks_in_id_order_and_returns_the_products_that_exist(db):
    a, b = ProductFactory(), ProductFactory()
    with CaptureQueriesContext(connection) as queries:
        locked = ProductRepository().lock_many([b.pk, a.pk, 10**9])
    [sql] = [query["sql"] for query in queries]
    assert 'ORDER BY "catalog_product"."id" ASC' in sql
    assert sql.endswith("FOR UPDATE")
    assert list(locked) == [a.pk, b.pk]
    assert locked[a.pk].sku == a.sku


def payment(order, status) -> dict:
    return {
        "order_id": order.pk,
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "status": status,
    }


@pytest.mark.parametrize(
    "live", ["pending", "succeeded", "partially_refunded", "refunded"]
)
def test_an_order_has_at_most_one_live_payment(db, live):
    # Whatever the application does: never two charges of one order.
    order = OrderFactory()
    Payment.objects.create(**payment(order, live))
    for other in ("pending", "succeeded"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(**payment(order, other))
    repo = PaymentRepository()
    with pytest.raises(DuplicateError), transaction.atomic():
        repo.add(
            order_id=order.pk,
            amount=Decimal("10.00"),
            currency="EUR",
            payment_method="tok",
        )
    assert Payment.objects.filter(order=order).count() == 1


def test_an_order_may_have_many_failed_payments_beside_its_live_one(db):
    order = OrderFactory()
    for status in ("failed", "failed", "succeeded", "failed"):
        Payment.objects.create(**payment(order, status))
    assert Payment.objects.filter(order=order).count() == 4


def test_the_database_keeps_refunds_within_the_amount(db):
    order = OrderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            **payment(order, "refunded"), amount_refunded=Decimal("10.01")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            **payment(order, "refunded"), amount_refunded=Decimal("-0.01")
        )


@pytest.fixture
def event(db):
    return EventRepository().add(
        order_id=OrderFactory().pk,
        type="order.created",
        data={},
        actor_id=None,
        source="api",
        request_id="r",
    )


def test_order_events_cannot_be_updated(event):
    with (
        pytest.raises(DatabaseError, match="append-only: UPDATE"),
        transaction.atomic(),
    ):
        OrderEvent.objects.filter(pk=event.id).update(type="order.paid")
    assert OrderEvent.objects.get(pk=event.id).type == "order.created"


def test_order_events_cannot_be_deleted(event):
    with (
        pytest.raises(DatabaseError, match="append-only: DELETE"),
        transaction.atomic(),
    ):
        OrderEvent.objects.filter(pk=event.id).delete()
    assert OrderEvent.objects.filter(pk=event.id).exists()


def test_a_line_holds_a_product_once_and_a_quantity_of_one_to_a_thousand(db):
    line = OrderLineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLineFactory(order=line.order, product=line.product)
    for quantity in (0, 1001):
        with pytest.raises(IntegrityError), transaction.atomic():
            OrderLineFactory(order=line.order, quantity=quantity)
    assert OrderLine.objects.count() == 1


def test_reserve_takes_every_quantity_and_returns_the_rows_after(db):
    a, b = ProductFactory(stock=5), ProductFactory(stock=3)
    reservation = ProductRepository().reserve({b.pk: 3, a.pk: 2})
    assert reservation.complete
    assert (reservation.unavailable, reservation.short) == ((), ())
    assert sorted(reservation.taken) == sorted([a.pk, b.pk])
    taken = reservation.taken
    assert (taken[a.pk].stock, taken[b.pk].stock) == (3, 0)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (3, 0)


@pytest.mark.parametrize(
    "problem", ["short", "inactive", "unknown"], ids=["short", "inactive", "unknown"]
)
def test_reserve_takes_nothing_when_any_line_fails(db, problem):
    a = ProductFactory(stock=5)
    b = ProductFactory(
        stock=1 if problem == "short" else 9, is_active=problem != "inactive"
    )
    wanted = {a.pk: 2, b.pk: 2}
    if problem == "unknown":
        wanted[10**9] = 1
    with pytest.raises(RolledBack), transaction.atomic():
        reservation = ProductRepository().reserve(wanted)
        raise RolledBack  # what the service does with an incomplete reservation
    assert not reservation.complete
    assert a.pk not in reservation.unavailable
    if problem == "short":
        [shortfall] = reservation.short
        assert (shortfall.product.id, shortfall.product.stock) == (b.pk, 1)
        assert shortfall.requested == 2
    else:
        assert reservation.short == ()
        missing = 10**9 if problem == "unknown" else b.pk
        assert reservation.unavailable == (missing,)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (5, 1 if problem == "short" else 9)
