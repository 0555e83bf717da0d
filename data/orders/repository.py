"""Orders and their lines, read and written as frozen records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from data import sql
from data.keyset import beyond, flipped
from data.orders.models import Order, OrderLine
from data.orders.statuses import OrderStatus
from data.records import (
    COUNT_CAP,
    CursorPage,
    KeysetRequest,
    Page,
    PageRequest,
    Rows,
    build,
    field_names,
    ordering_key,
    read_keyset,
    read_page,
)
from data.versions import version_of


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLineRecord:
    """One line of an order."""

    product_id: int
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    line_total: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    """An order as the layers above see one."""

    id: int
    customer_id: int
    status: OrderStatus
    items: tuple[OrderLineRecord, ...]
    total: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime

    @property
    def version(self) -> str:
        """Return the digest of all the fields, for entity tags."""
        return version_of(self)


# An order's own columns: every field of its record but the lines.
_ORDER_FIELDS = tuple(name for name in field_names(OrderRecord) if name != "items")
_LINE_FIELDS = field_names(OrderLineRecord)
# Lists of orders show the newest first; the id breaks ties of one instant.
NEWEST_FIRST = ("-created_at", "-id")


class OrderRepository:
    """Add, find, lock, list orders and move them between statuses."""

    def add(
        self, *, customer_id: int, currency: str, lines: list[OrderLineRecord]
    ) -> OrderRecord:
        """Insert an order and all its lines (one statement on PostgreSQL)."""
        now = timezone.now()
        total = sum((line.line_total for line in lines), Decimal("0.00"))
        order = {
            "customer_id": customer_id,
            "status": OrderStatus.CREATED,
            "total": total,
            "currency": currency,
            "created_at": now,
            "updated_at": now,
        }
        order_id = sql.insert_with_children(
            (Order, order),
            (OrderLine, [_values(line) for line in lines]),
            link="order_id",
        )
        return _to_record({"id": order_id, **order}, lines)

    def find(self, order_id: int) -> OrderRecord | None:
        """Return the order with this id, or None."""
        rows = Order.objects.filter(pk=order_id).values(*_ORDER_FIELDS)
        return next(iter(_with_lines(list(rows))), None)

    def lock(self, order_id: int) -> OrderRecord | None:
        """Return the order, its row locked until the transaction ends, or None."""
        rows = (
            Order.objects.select_for_update().filter(pk=order_id).values(*_ORDER_FIELDS)
        )
        return next(iter(_with_lines(list(rows))), None)

    def lock_stale(self, order_id: int, *, before: datetime) -> OrderRecord | None:
        """Lock the order if it is still `created` and was placed before `before`.

        Return None when it is not, or when another transaction holds its row
        (SKIP LOCKED): concurrent batch jobs then never work on the same order.
        """
        rows = (
            Order.objects.select_for_update(skip_locked=True)
            .filter(pk=order_id, status=OrderStatus.CREATED, created_at__lt=before)
            .values(*_ORDER_FIELDS)
        )
        return next(iter(_with_lines(list(rows))), None)

    def list_stale_ids(
        self, *, before: datetime, after_id: int = 0, limit: int = 500
    ) -> list[int]:
        """Return ids of `created` orders placed before `before`, in id order."""
        return list(
            Order.objects.filter(
                status=OrderStatus.CREATED, created_at__lt=before, pk__gt=after_id
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )

    def list_orders(
        self, *, customer_id: int | None, status: OrderStatus | None, page: PageRequest
    ) -> Page[OrderRecord]:
        """Return one page of orders, newest first; one customer's, or everyone's."""
        qs = _listed(customer_id, status)
        where, params = sql.where(qs)
        # The count rides along each row (counted once, as a subquery): one query
        # for the page and its count.
        counted = qs.annotate(
            _total_count=RawSQL(sql.count_up_to(Order, where), (*params, COUNT_CAP + 1))
        )

        def read(limit: int, offset: int) -> Rows[OrderRecord]:
            rows = list(
                counted.order_by(*NEWEST_FIRST).values(*_ORDER_FIELDS, "_total_count")[
                    offset : offset + limit
                ]
            )
            total = rows[0]["_total_count"] if rows else None
            return Rows(items=tuple(_with_lines(rows)), total=total)

        def count(limit: int) -> int:
            return qs[:limit].count()

        key = ordering_key(NEWEST_FIRST)
        return read_page(page, read=read, count=count, key=key)

    def list_orders_by_keyset(
        self,
        *,
        customer_id: int | None,
        status: OrderStatus | None,
        keyset: KeysetRequest,
    ) -> CursorPage[OrderRecord]:
        """Return orders, newest first, after (or before) a position."""

        def read(
            limit: int, position: tuple[Any, ...] | None, backwards: bool
        ) -> tuple[OrderRecord, ...]:
            order = flipped(NEWEST_FIRST) if backwards else NEWEST_FIRST
            qs = _listed(customer_id, status)
            if position is not None:
                qs = qs.filter(beyond(order, position))
            rows = list(qs.order_by(*order).values(*_ORDER_FIELDS)[:limit])
            return tuple(_with_lines(rows))

        return read_keyset(keyset, read=read, key=ordering_key(NEWEST_FIRST))

    def update_status(self, order: OrderRecord, status: OrderStatus) -> OrderRecord:
        """Set the status of an order (locked by the caller); return it changed."""
        now = timezone.now()
        Order.objects.filter(pk=order.id).update(status=status, updated_at=now)
        return replace(order, status=status, updated_at=now)


def _listed(customer_id: int | None, status: OrderStatus | None) -> QuerySet[Order]:
    """Return the orders a list shows: one customer's or all, of one status or any."""
    qs = Order.objects.all()
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if status is not None:
        qs = qs.filter(status=status)
    return qs


def _values(line: OrderLineRecord) -> dict[str, Any]:
    return {name: getattr(line, name) for name in _LINE_FIELDS}


def _to_record(
    values: Mapping[str, Any], lines: Sequence[OrderLineRecord]
) -> OrderRecord:
    status = OrderStatus(values["status"])
    return build(OrderRecord, {**values, "status": status, "items": tuple(lines)})


def _with_lines(rows: list[dict[str, Any]]) -> list[OrderRecord]:
    """Build order records, loading the lines of all of them in one query."""
    if not rows:
        return []
    lines: dict[int, list[OrderLineRecord]] = defaultdict(list)
    for values in (
        OrderLine.objects.filter(order_id__in=[row["id"] for row in rows])
        .order_by("order_id", "id")
        .values("order_id", *_LINE_FIELDS)
    ):
        lines[values["order_id"]].append(build(OrderLineRecord, values))
    return [_to_record(row, lines[row["id"]]) for row in rows]
