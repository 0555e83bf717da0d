"""SalesReportService with a fake repository: period bounds, totals, rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation
from business.orders.reports import SOLD_STATUSES, SalesReportService
from data.orders.sales import DaySales, ProductSales

STAFF = Actor.system(request_id="cmd-report")


class FakeSales:
    def __init__(self) -> None:
        self.asked: list[dict] = []
        self.days = [
            DaySales(day=date(2024, 5, 1), orders=2, revenue=Decimal("95.00")),
            DaySales(day=date(2024, 5, 2), orders=1, revenue=Decimal("25.50")),
        ]
        self.products = [
            ProductSales(
                product_id=1, sku="A-1", name="A", units=3, revenue=Decimal("75.00")
            )
        ]

    def revenue_by_day(self, **query) -> list[DaySales]:
        self.asked.append(query)
        return self.days

    def top_products(self, **query) -> list[ProductSales]:
        self.asked.append(query)
        return self.products[: query["limit"]]


def report(sales: FakeSales, start=date(2024, 5, 1), end=date(2024, 5, 3), **kw):
    service = SalesReportService(sales=sales)
    return service.sales_report(
        actor=kw.pop("actor", STAFF), start=start, end=end, **kw
    )


def test_the_period_is_whole_utc_days_with_the_last_included():
    sales = FakeSales()
    report(sales, top=5)
    assert sales.asked == [
        {
            "since": datetime(2024, 5, 1, tzinfo=UTC),
            "until": datetime(2024, 5, 4, tzinfo=UTC),
            "statuses": SOLD_STATUSES,
        },
        {
            "since": datetime(2024, 5, 1, tzinfo=UTC),
            "until": datetime(2024, 5, 4, tzinfo=UTC),
            "statuses": SOLD_STATUSES,
            "limit": 5,
        },
    ]
    assert SOLD_STATUSES == ("paid", "shipped", "delivered")


def test_totals_add_up_the_days():
    result = report(FakeSales())
    assert (result.orders, result.revenue) == (3, Decimal("120.50"))
    assert [p.sku for p in result.top_products] == ["A-1"]


def test_a_period_without_sales_totals_zero():
    sales = FakeSales()
    sales.days, sales.products = [], []
    result = report(sales)
    assert (result.orders, result.revenue, result.days) == (0, Decimal("0.00"), ())


def test_the_last_day_of_the_calendar_is_allowed():
    sales = FakeSales()
    report(sales, start=date(9999, 12, 31), end=date.max)
    assert sales.asked[0]["until"].year == 9999


def test_start_after_end_is_refused():
    with pytest.raises(RuleViolation):
        report(FakeSales(), start=date(2024, 5, 3), end=date(2024, 5, 1))


def test_top_below_one_is_refused():
    with pytest.raises(RuleViolation):
        report(FakeSales(), top=0)


def test_only_staff_read_reports():
    with pytest.raises(PermissionDenied):
        report(FakeSales(), actor=Actor(user_id=3))
