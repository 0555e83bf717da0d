"""OrderRepository and EventRepository on PostgreSQL: records, lines, locks, lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from data.orders.events import EventRecord, EventRepository
from data.orders.models import Order, OrderLine
from data.orders.repository import OrderLineRecord, OrderRecord, OrderRepository
from data.orders.statuses import OrderStatus
from data.records import PageRequest
from tests.factories import OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> OrderRepository:
    return OrderRepository()


def line(product, quantity: int) -> OrderLineRecord:
    price = Decimal(product.price)
    return OrderLineRecord(
        product_id=product.pk,
        sku=product.sku,
        name=product.name,
        unit_price=price,
        quantity=quantity,
        line_total=price * quantity,
    )


def ids(page) -> list[int]:
    return [order.id for order in page.items]


def test_add_stores_the_order_and_its_lines(repo):
    customer = UserFactory()
    mug = ProductFactory(sku="MUG", price=Decimal("9.90"))
    tea = ProductFactory(sku="TEA", price=Decimal("4.25"))
    order = repo.add(
        customer_id=customer.pk, currency="EUR", lines=[line(mug, 2), line(tea, 1)]
    )
    assert isinstance(order, OrderRecord)
    assert (order.status, order.total, order.currency) == (
        "created",
        Decimal("24.05"),
        "EUR",
    )
    assert repo.find(order.id) == order
    stored = Order.objects.get(pk=order.id)
    assert (stored.customer_id, stored.total) == (customer.pk, Decimal("24.05"))
    assert list(
        OrderLine.objects.filter(order_id=order.id)
        .order_by("id")
        .values_list("sku", "unit_price", "quantity", "line_total")
    ) == [
        ("MUG", Decimal("9.90"), 2, Decimal("19.80")),
        ("TEA", Decimal("4.25"), 1, Decimal("4.25")),
    ]


def test_add_inserts_the_order_and_all_lines_in_one_statement(repo):
    customer = UserFactory()
    products = ProductFactory.create_batch(50)
    with CaptureQueriesContext(connection) as queries:
        repo.add(
            customer_id=customer.pk,
            currency="EUR",
            lines=[line(p, 1) for p in products],
        )
    assert len(queries) == 1  # WITH order AS (INSERT ...) INSERT the fifty lines
    assert OrderLine.objects.count() == 50


def test_line_prices_are_copies_that_later_price_changes_do_not_touch(repo):
    mug = ProductFactory(price=Decimal("9.90"))
    order = repo.add(customer_id=UserFactory().pk, currency="EUR", lines=[line(mug, 1)])
    mug.price = Decimal("99.00")
    mug.save()
    found = repo.find(order.id)
    assert found.items[0].unit_price == Decimal("9.90")
    assert found.total == Decimal("9.90")


def test_find_returns_none_for_a_missing_order(repo):
    assert repo.find(404) is None
    assert repo.lock(404) is None


def test_find_loads_lines_in_insertion_order(repo):
    order = OrderFactory(lines=3)
    found = repo.find(order.pk)
    expected = list(
        OrderLine.objects.filter(order=order).order_by("id").values_list("sku")
    )
    assert [(item.sku,) for item in found.items] == expected
    assert found.total == Decimal("30.00")


def test_lock_returns_the_order_and_locks_its_row(repo):
    order = OrderFactory(lines=1)
    with CaptureQueriesContext(connection) as queries:
        locked = repo.lock(order.pk)
    assert locked == repo.find(order.pk)
    assert "FOR UPDATE" in queries[0]["sql"]


def test_update_status_changes_the_row_and_returns_the_changed_record(repo):
    order = repo.find(OrderFactory(lines=1).pk)
    moved = repo.update_status(order, "paid")
    assert moved.status == "paid"
    assert moved.updated_at >= order.updated_at
    assert repo.find(order.id) == moved


def test_records_carry_their_status_as_an_order_status(repo):
    order = repo.find(OrderFactory(status="shipped").pk)
    assert order.status is OrderStatus.SHIPPED
    moved = repo.update_status(order, OrderStatus.DELIVERED)
    assert moved.status is repo.find(order.id).status is OrderStatus.DELIVERED
    page = repo.list_orders(customer_id=None, status=None, page=PageRequest())
    assert [o.status for o in page.items] == [OrderStatus.DELIVERED]
    assert type(page.items[0].status) is OrderStatus


def test_list_shows_newest_first_with_the_total_count(repo):
    customer = UserFactory()
    made = [
        OrderFactory(customer=customer, created_at=T0 + timedelta(minutes=n), lines=1)
        for n in range(3)
    ]
    page = repo.list_orders(customer_id=None, status=None, page=PageRequest(size=2))
    assert ids(page) == [made[2].pk, made[1].pk]
    assert (page.total, page.has_next) == (3, True)
    last = repo.list_orders(
        customer_id=None, status=None, page=PageRequest(number=2, size=2)
    )
    assert ids(last) == [made[0].pk]
    assert last.total == 3


def test_orders_of_one_instant_are_ordered_by_id(repo):
    made = [OrderFactory(created_at=T0) for _ in range(3)]
    page = repo.list_orders(customer_id=None, status=None, page=PageRequest())
    assert ids(page) == [o.pk for o in reversed(made)]


def test_list_filters_by_customer_and_status(repo):
    carol, dave = UserFactory(), UserFactory()
    created = OrderFactory(customer=carol)
    paid = OrderFactory(customer=carol, status="paid")
    OrderFactory(customer=dave, status="paid")
    mine = repo.list_orders(customer_id=carol.pk, status=None, page=PageRequest())
    assert sorted(ids(mine)) == [created.pk, paid.pk]
    mine_paid = repo.list_orders(
        customer_id=carol.pk, status="paid", page=PageRequest()
    )
    assert ids(mine_paid) == [paid.pk]
    assert mine_paid.total == 1
    all_paid = repo.list_orders(customer_id=None, status="paid", page=PageRequest())
    assert all_paid.total == 2


def test_an_empty_list_and_a_page_past_the_end_count_all_rows(repo):
    empty = repo.list_orders(customer_id=None, status=None, page=PageRequest())
    assert (empty.items, empty.total) == ((), 0)
    OrderFactory()
    past = repo.list_orders(
        customer_id=None, status=None, page=PageRequest(number=3, size=1)
    )
    assert (past.items, past.total) == ((), 1)


def test_list_loads_every_orders_lines_in_one_query(repo):
    for _ in range(5):
        OrderFactory(lines=4)
    with CaptureQueriesContext(connection) as queries:
        page = repo.list_orders(customer_id=None, status=None, page=PageRequest())
    assert len(queries) == 2
    assert [len(order.items) for order in page.items] == [4] * 5


def test_events_are_added_and_read_back_oldest_first():
    order = OrderFactory()
    events = EventRepository()
    first = events.add(
        order_id=order.pk,
        type="order.created",
        data={"total": "0.00"},
        actor_id=7,
        source="api",
        request_id="req-1",
    )
    second = events.add(
        order_id=order.pk,
        type="order.cancelled",
        data={"from": "created"},
        actor_id=None,
        source="command",
        request_id="run-1",
    )
    assert isinstance(first, EventRecord)
    assert events.list_for_order(order.pk) == [first, second]
    assert (second.actor_id, second.source, second.request_id) == (
        None,
        "command",
        "run-1",
    )
    assert events.list_for_order(OrderFactory().pk) == []


def test_an_orders_version_is_the_same_from_find_and_from_a_status_change():
    orders = OrderRepository()
    order = orders.find(OrderFactory(status="created").pk)
    assert order is not None
    moved = orders.update_status(order, OrderStatus.CANCELLED)
    assert moved.version != order.version
    assert orders.find(order.id).version == moved.version
