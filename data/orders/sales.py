"""Sales figures, aggregated by the database: revenue per day, best products.

Revenue is net of refunds: an order brings in its total less what its payment
has refunded since (succeeded refunds only), on the UTC day it was paid. Per
product, a refund by lines nets its lines from their products, and a refund by
amount is shared among the order's lines in proportion to their totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncDate

from data.orders.models import Order, OrderLine
from data.orders.statuses import OrderStatus
from data.payments.models import RefundLine
from data.payments.statuses import PaymentStatus, RefundStatus

# The payments that took an order's money (refunds since or not).
PAID = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
MONEY = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySales:
    """What was sold on one UTC day, net of its refunds."""

    day: date
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductSales:
    """What one product sold over a period, net of its refunds."""

    product_id: int
    sku: str
    name: str
    units: int
    revenue: Decimal


def _refunded_lines(**where: object) -> Any:
    """Sum `units` and `amount` of the succeeded refund lines matching `where`."""
    # Any: the stubs lose the annotated names (`units`, `amount`) callers read.
    return (
        RefundLine.objects.filter(refund__status=RefundStatus.SUCCEEDED, **where)
        .order_by()
        .values("refund__payment_id")
        .annotate(
            units=Sum("quantity"),
            amount=Sum(F("quantity") * F("unit_price"), output_field=MONEY),
        )
    )


def _net_line_revenue() -> ExpressionWrapper[Any]:
    """A line's total less its refunded lines and its share of refunds by amount."""
    payment = "order__payments"
    of_line = _refunded_lines(
        refund__payment_id=OuterRef(f"{payment}__id"), product_id=OuterRef("product_id")
    )
    of_order = _refunded_lines(refund__payment_id=OuterRef(f"{payment}__id"))
    zero = Value(Decimal("0.00"), output_field=MONEY)
    by_amount = F(f"{payment}__amount_refunded") - Coalesce(
        Subquery(of_order.values("amount"), output_field=MONEY), zero
    )
    share = Coalesce(
        F("line_total") * by_amount / NullIf(F("order__total"), zero), zero
    )
    return ExpressionWrapper(
        F("line_total")
        - Coalesce(Subquery(of_line.values("amount"), output_field=MONEY), zero)
        - share,
        output_field=MONEY,
    )


def _net_units() -> ExpressionWrapper[Any]:
    of_line = _refunded_lines(
        refund__payment_id=OuterRef("order__payments__id"),
        product_id=OuterRef("product_id"),
    )
    return ExpressionWrapper(
        F("quantity")
        - Coalesce(Subquery(of_line.values("units"), output_field=IntegerField()), 0),
        output_field=IntegerField(),
    )


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class SalesRepository:
    """Aggregate sales by the time their payment succeeded, net of refunds."""

    def revenue_by_day(
        self, *, since: datetime, until: datetime, statuses: Sequence[OrderStatus]
    ) -> list[DaySales]:
        """Return net revenue and order count per UTC day paid in [since, until)."""
        rows = (
            Order.objects.filter(
                status__in=statuses,
                payments__status__in=PAID,
                payments__created_at__gte=since,
                payments__created_at__lt=until,
            )
            .annotate(day=TruncDate("payments__created_at", tzinfo=UTC))
            .values("day")
            .annotate(
                orders=Count("pk"),
                revenue=Sum(
                    F("total") - F("payments__amount_refunded"), output_field=MONEY
                ),
            )
            .order_by("day")
        )
        return [
            DaySales(
                day=row["day"], orders=row["orders"], revenue=_cents(row["revenue"])
            )
            for row in rows
        ]

    def top_products(
        self,
        *,
        since: datetime,
        until: datetime,
        statuses: Sequence[OrderStatus],
        limit: int,
    ) -> list[ProductSales]:
        """Return the products with the most net revenue, ties broken by sku."""
        rows = (
            OrderLine.objects.filter(
                order__status__in=statuses,
                order__payments__status__in=PAID,
                order__payments__created_at__gte=since,
                order__payments__created_at__lt=until,
            )
            .values("product_id", "product__sku", "product__name")
            .annotate(units=Sum(_net_units()), revenue=Sum(_net_line_revenue()))
            .order_by("-revenue", "product__sku")[:limit]
        )
        return [
            ProductSales(
                product_id=row["product_id"],
                sku=row["product__sku"],
                name=row["product__name"],
                units=row["units"],
                revenue=_cents(row["revenue"]),
            )
            for row in rows
        ]
