"""data/sql.py on PostgreSQL: filters, inserts and conversions as the ORM does them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from data import sql
from data.catalog.models import Product
from data.orders.models import Order, OrderLine
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def count(queryset) -> int:
    where, params = sql.where(queryset)
    return sql.scalar(f"SELECT COUNT(*) FROM {sql.table(Product)}{where}", params)


def test_where_compiles_the_orm_filter_or_nothing():
    ProductFactory(price=Decimal("5.00"))
    ProductFactory(price=Decimal("50.00"))
    assert count(Product.objects.all()) == 2
    assert count(Product.objects.filter(price__gte=Decimal("10.00"))) == 1
    assert count(Product.objects.filter(pk__in=[])) == 0


def order_row(customer_id: int) -> dict[str, object]:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return {
        "customer_id": customer_id,
        "status": "created",
        "total": Decimal("1.00"),
        "currency": "EUR",
        "created_at": now,
        "updated_at": now,
    }


def test_insert_with_children_links_every_child_to_the_new_row():
    customer, product = UserFactory(), ProductFactory()
    line = {
        "product_id": product.pk,
        "sku": "S",
        "name": "N",
        "unit_price": Decimal("1.00"),
        "quantity": 1,
        "line_total": Decimal("1.00"),
    }

    order_id = sql.insert_with_children(
        (Order, order_row(customer.pk)),
        (OrderLine, [line]),
        link="order_id",
    )

    order = Order.objects.get(pk=order_id)
    assert order.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert list(OrderLine.objects.values_list("order_id", "sku")) == [(order_id, "S")]


def test_insert_with_no_children_inserts_the_row_alone():
    customer = UserFactory()
    order_id = sql.insert_with_children(
        (Order, order_row(customer.pk)),
        (OrderLine, []),
        link="order_id",
    )
    assert Order.objects.filter(pk=order_id).exists()
    assert not OrderLine.objects.exists()


@pytest.mark.parametrize("names", [("id", "sku"), ("id", "sku", "name", "price")])
def test_fetch_refuses_names_that_are_not_its_columns_one_for_one(names):
    ProductFactory(sku="MUG-1", name="Mug")
    statement = f"SELECT id, sku, name FROM {sql.table(Product)}"
    with pytest.raises(ValueError):
        sql.fetch(Product, names, statement, [])


def test_fetch_gives_each_row_by_name():
    made = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("9.90"))
    statement = f"SELECT price, id, sku FROM {sql.table(Product)}"
    [row] = sql.fetch(Product, ("price", "id", "sku"), statement, [])
    assert row == {"price": Decimal("9.90"), "id": made.pk, "sku": "MUG-1"}
