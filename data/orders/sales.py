"""Sales figures, aggregated by the database: revenue per day, best products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from data.orders.models import Order, OrderLine
from data.orders.statuses import OrderStatus
from data.payments.statuses import PaymentStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySales:
    """What was sold on one UTC day."""

    day: date
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductSales:
    """What one product sold over a period."""

    product_id: int
    sku: str
    name: str
    units: int
    revenue: Decimal


class SalesRepository:
    """Aggregate sales by the time their payment succeeded."""

    def revenue_by_day(
        self, *, since: datetime, until: datetime, statuses: Sequence[OrderStatus]
    ) -> list[DaySales]:
        """Return revenue and order count per UTC day paid in [since, until)."""
        rows = (
            Order.objects.filter(
                status__in=statuses,
                payments__status=PaymentStatus.SUCCEEDED,
                payments__created_at__gte=since,
                payments__created_at__lt=until,
            )
            .annotate(day=TruncDate("payments__created_at", tzinfo=UTC))
            .values("day")
            .annotate(orders=Count("pk"), revenue=Sum("total"))
            .order_by("day")
        )
        return [DaySales(**row) for row in rows]

    def top_products(
        self,
        *,
        since: datetime,
        until: datetime,
        statuses: Sequence[OrderStatus],
        limit: int,
    ) -> list[ProductSales]:
        """Return the products with the most revenue, ties broken by sku."""
        rows = (
            OrderLine.objects.filter(
                order__status__in=statuses,
                order__payments__status=PaymentStatus.SUCCEEDED,
                order__payments__created_at__gte=since,
                order__payments__created_at__lt=until,
            )
            .values("product_id", "product__sku", "product__name")
            .annotate(units=Sum("quantity"), revenue=Sum("line_total"))
            .order_by("-revenue", "product__sku")[:limit]
        )
        return [
            ProductSales(
                product_id=row["product_id"],
                sku=row["product__sku"],
                name=row["product__name"],
                units=row["units"],
                revenue=row["revenue"],
            )
            for row in rows
        ]
