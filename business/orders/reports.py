"""Sales reports: revenue per day and the best-selling products of a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from business import config
from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation
from business.orders.ports import Sales
from data.orders.sales import DaySales, ProductSales, SalesRepository
from data.orders.statuses import OrderStatus

# A sale counts while its order stays sold: cancelled (refunded) orders do not.
SOLD_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
DEFAULT_TOP = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesReport:
    """Sales from `start` to `end` (both included), by the UTC day of payment."""

    start: date
    end: date
    currency: str
    orders: int
    revenue: Decimal
    days: tuple[DaySales, ...]
    top_products: tuple[ProductSales, ...]


class SalesReportService:
    """Summarise what was sold over a period (staff)."""

    def __init__(self, *, sales: Sales | None = None) -> None:
        self._sales: Sales = sales or SalesRepository()

    def sales_report(
        self, *, actor: Actor, start: date, end: date, top: int = DEFAULT_TOP
    ) -> SalesReport:
        """Return revenue per day and the `top` products by revenue, ties by sku."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff may read sales reports.")
        if start > end:
            raise RuleViolation.single("from", "invalid", "Use a date before `to`.")
        if top < 1:
            raise RuleViolation.single("top", "invalid", "Use at least 1.")
        since = datetime.combine(start, time.min, tzinfo=UTC)
        until = (
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
            if end < date.max
            else datetime.max.replace(tzinfo=UTC)
        )
        days = self._sales.revenue_by_day(
            since=since, until=until, statuses=SOLD_STATUSES
        )
        products = self._sales.top_products(
            since=since, until=until, statuses=SOLD_STATUSES, limit=top
        )
        return SalesReport(
            start=start,
            end=end,
            currency=config.currency(),
            orders=sum(day.orders for day in days),
            revenue=sum((day.revenue for day in days), Decimal("0.00")),
            days=tuple(days),
            top_products=tuple(products),
        )
