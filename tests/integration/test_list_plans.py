"""List queries read an index range, not the whole table (EXPLAIN, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from business.catalog import PRODUCT_ORDERINGS
from data.catalog.models import Product
from data.orders.models import Order
from tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
    ),
]

ROWS = 20_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def many_rows(db):
    """20,000 products (a tenth inactive) and 20,000 orders of 50 customers."""
    Product.objects.bulk_create(
        Product(
            sku=f"PLAN-{n}",
            name=f"Product {n % 997}",
            price=Decimal(n % 500) + Decimal("0.99"),
            stock=n % 7,
            is_active=n % 10 != 0,
            created_at=T0 + timedelta(seconds=n),
        )
        for n in range(ROWS)
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"plan{n}", email=f"plan{n}@example.com")
        for n in range(50)
    )
    statuses = ["created", "paid", "shipped", "delivered", "cancelled"]
    Order.objects.bulk_create(
        Order(
            customer=users[n % 50],
            status=statuses[n % 5],
            total=Decimal("10.00"),
            currency="EUR",
            created_at=T0 + timedelta(seconds=n),
        )
        for n in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
        cursor.execute("ANALYZE orders_order")
    return users


def plans_of(client, url: str, table: str) -> list[tuple[str, str]]:
    """Return (SQL, plan) of every query on `table` that answering `url` ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    sqls = [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]
    assert sqls, f"no query on {table}"
    plans = []
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def deep_cursor(client, url: str) -> str:
    """Return the URL of the third cursor slice of a list."""
    for _ in range(2):
        url = client.get(url).json()["next"]
    return url


def assert_range_scans(plans: list[tuple[str, str]], table: str) -> None:
    """Pages read an index range; a count reads at most COUNT_CAP + 1 rows.

    The capped count may scan (for 10,001 rows the planner rightly prefers the
    heap), but under a Limit: its cost stops growing at the cap, whatever the
    table's size.
    """
    for sql, plan in plans:
        if "COUNT(" in sql.upper():
            assert "LIMIT 10001" in sql.upper() and "Limit" in plan, plan
            continue
        assert f"Seq Scan on {table}" not in plan, plan
        assert "Index" in plan, plan


@pytest.mark.parametrize("ordering", PRODUCT_ORDERINGS)
def test_product_pages_by_cursor_and_number_use_an_index(api, many_rows, ordering):
    first = f"/api/v1/products/?ordering={ordering}&cursor="

    assert_range_scans(
        plans_of(api, deep_cursor(api, first), "catalog_product"), "catalog_product"
    )
    by_number = plans_of(
        api, f"/api/v1/products/?ordering={ordering}", "catalog_product"
    )
    assert any("COUNT(" in sql.upper() for sql, _ in by_number)
    assert_range_scans(by_number, "catalog_product")


@pytest.mark.parametrize(
    "query", ["ordering=price&min_price=100.00&in_stock=true", "search=Product 42"]
)
def test_a_filtered_or_searched_product_page_uses_an_index(api, many_rows, query):
    url = f"/api/v1/products/?{query}&cursor="

    assert_range_scans(
        plans_of(api, deep_cursor(api, url), "catalog_product"), "catalog_product"
    )


def test_a_customers_orders_by_cursor_use_an_index(many_rows):
    client = client_for(many_rows[7])
    url = deep_cursor(client, "/api/v1/orders/?cursor=")

    assert_range_scans(plans_of(client, url, "orders_order"), "orders_order")


@pytest.mark.parametrize("status", [None, "shipped"])
def test_staff_orders_by_cursor_use_an_index(staff, many_rows, status):
    client = client_for(staff)
    first = "/api/v1/orders/?cursor=" + (f"&status={status}" if status else "")

    assert_range_scans(
        plans_of(client, deep_cursor(client, first), "orders_order"), "orders_order"
    )
