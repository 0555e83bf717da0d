"""Refunds of payments and their lines, as frozen records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from data.payments.models import Refund, RefundLine
from data.payments.repository import pending_ids, store_outcome
from data.payments.statuses import RefundStatus
from data.records import Page, PageRequest, Rows, build, field_names, read_page


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundLineRecord:
    """Units of one product a refund gives back, at the unit price paid."""

    product_id: int
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRecord:
    """Money given back from a payment, as the provider settled it (or not yet)."""

    id: int
    payment_id: int
    amount: Decimal
    status: RefundStatus
    reason: str
    failure_reason: str
    gateway_reference: str
    # Lines go back to stock when the refund succeeds (`restock`), and did
    # (`restocked`); a refund by amount has no lines.
    restock: bool
    restocked: bool
    lines: tuple[RefundLineRecord, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundTally:
    """What a payment's refunds hold: pending money, units refunded and restocked."""

    pending: Decimal
    # Product id → units of refunds pending or succeeded (failed ones give back).
    quantities: Mapping[int, int]
    # Product id → units succeeded refunds put back in stock.
    restocked: Mapping[int, int]


_COLUMNS = tuple(name for name in field_names(RefundRecord) if name != "lines")
_LINE_COLUMNS = field_names(RefundLineRecord)
# Refunds that hold (or will hold) money: what remains counts them.
HOLDING = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


def _to_record(
    values: Mapping[str, Any], lines: Sequence[RefundLineRecord] = ()
) -> RefundRecord:
    return build(
        RefundRecord,
        {**values, "status": RefundStatus(values["status"]), "lines": tuple(lines)},
    )


def _lines_of(refund_ids: Iterable[int]) -> dict[int, list[RefundLineRecord]]:
    """Return the lines of these refunds by refund id, in product id order."""
    found: dict[int, list[RefundLineRecord]] = {}
    rows = (
        RefundLine.objects.filter(refund_id__in=list(refund_ids))
        .order_by("refund_id", "product_id")
        .values("refund_id", *_LINE_COLUMNS)
    )
    for row in rows:
        line = build(RefundLineRecord, {name: row[name] for name in _LINE_COLUMNS})
        found.setdefault(row["refund_id"], []).append(line)
    return found


def _with_lines(rows: Sequence[Mapping[str, Any]]) -> list[RefundRecord]:
    lines = _lines_of(row["id"] for row in rows)
    return [_to_record(row, lines.get(row["id"], ())) for row in rows]


class RefundRepository:
    """Add, find, lock, settle, tally and list refunds."""

    def add(
        self,
        *,
        payment_id: int,
        amount: Decimal,
        reason: str = "",
        lines: Sequence[RefundLineRecord] = (),
        restock: bool = False,
    ) -> RefundRecord:
        """Store a pending refund of a (locked) payment, with its lines.

        The database refuses refunds that add up to more than the payment.
        """
        now = timezone.now()
        refund = Refund.objects.create(
            payment_id=payment_id,
            amount=amount,
            status=RefundStatus.PENDING,
            reason=reason,
            restock=restock,
            created_at=now,
            updated_at=now,
        )
        RefundLine.objects.bulk_create(
            RefundLine(
                refund_id=refund.pk,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in lines
        )
        return _to_record({name: getattr(refund, name) for name in _COLUMNS}, lines)

    def find(self, refund_id: int) -> RefundRecord | None:
        """Return the refund with this id and its lines, or None."""
        rows = list(Refund.objects.filter(pk=refund_id).values(*_COLUMNS))
        return _with_lines(rows)[0] if rows else None

    def find_pending(self, payment_id: int) -> RefundRecord | None:
        """Return the payment's oldest refund still pending, or None."""
        rows = list(
            Refund.objects.filter(payment_id=payment_id, status=RefundStatus.PENDING)
            .order_by("pk")
            .values(*_COLUMNS)[:1]
        )
        return _with_lines(rows)[0] if rows else None

    def lock(self, refund_id: int) -> RefundRecord | None:
        """Return the refund, locked FOR UPDATE until the transaction ends."""
        rows = list(
            Refund.objects.select_for_update().filter(pk=refund_id).values(*_COLUMNS)
        )
        return _with_lines(rows)[0] if rows else None

    def settle(
        self,
        refund: RefundRecord,
        status: RefundStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
        restocked: bool = False,
    ) -> RefundRecord:
        """Record a locked pending refund's outcome at the provider."""
        return store_outcome(
            Refund,
            refund,
            status=status,
            gateway_reference=gateway_reference,
            failure_reason=failure_reason,
            restocked=restocked,
        )

    def tally(self, payment_id: int) -> RefundTally:
        """Sum up a payment's refunds: pending money, units refunded and restocked."""
        pending = Refund.objects.filter(
            payment_id=payment_id, status=RefundStatus.PENDING
        ).aggregate(total=Sum("amount"))["total"]
        rows = (
            RefundLine.objects.filter(
                refund__payment_id=payment_id, refund__status__in=HOLDING
            )
            .values("product_id")
            .annotate(
                held=Sum("quantity"),
                restocked=Sum("quantity", filter=Q(refund__restocked=True)),
            )
            .order_by("product_id")
        )
        quantities: dict[int, int] = {}
        restocked: dict[int, int] = {}
        for row in rows:
            quantities[row["product_id"]] = row["held"]
            if row["restocked"]:
                restocked[row["product_id"]] = row["restocked"]
        return RefundTally(
            pending=pending or Decimal("0.00"),
            quantities=quantities,
            restocked=restocked,
        )

    def list_for_payment(
        self, *, payment_id: int, page: PageRequest
    ) -> Page[RefundRecord]:
        """Return one page of a payment's refunds, newest first."""
        qs = Refund.objects.filter(payment_id=payment_id)
        rows = qs.order_by("-created_at", "-id").values(*_COLUMNS)

        def read(limit: int, offset: int) -> Rows[RefundRecord]:
            return Rows(items=tuple(_with_lines(list(rows[offset : offset + limit]))))

        return read_page(page, read=read, count=lambda limit: qs[:limit].count())

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]:
        """Return ids of refunds pending since before `before`, in id order."""
        return pending_ids(Refund, before=before, after_id=after_id, limit=limit)
