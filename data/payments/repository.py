"""Payments and the provider's events seen, as frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.db import IntegrityError
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from data.errors import DuplicateError
from data.payments.models import Payment, ProviderEvent, Refund
from data.payments.statuses import LIVE, PaymentStatus, RefundStatus
from data.records import Page, PageRequest, Rows, build, field_names, read_page


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    """A payment as the layers above see one."""

    id: int
    order_id: int
    amount: Decimal
    amount_refunded: Decimal
    currency: str
    status: PaymentStatus
    failure_reason: str
    # The provider's id of the charge ("" until it answered) and the token
    # charged: what asking the provider again about this payment needs.
    gateway_reference: str
    payment_method: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnedPayment:
    """A payment and the id of the customer whose order it pays."""

    payment: PaymentRecord
    customer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingSummary:
    """How many payments and refunds wait on the provider too long; the oldest."""

    stale: int
    oldest: datetime | None


_FIELDS = field_names(PaymentRecord)


def _to_record(values: Mapping[str, Any]) -> PaymentRecord:
    return build(PaymentRecord, {**values, "status": PaymentStatus(values["status"])})


def pending_ids(
    model: type[Payment | Refund], *, before: datetime, after_id: int, limit: int
) -> list[int]:
    """Return ids of payments or refunds pending since before `before`, in id order."""
    rows = model.objects.filter(
        status=PaymentStatus.PENDING, updated_at__lt=before, pk__gt=after_id
    )
    return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])


class _Pending(Protocol):
    """A payment or refund record, as far as recording its outcome goes."""

    @property
    def id(self) -> int: ...

    @property
    def gateway_reference(self) -> str: ...


P = TypeVar("P", bound=_Pending)


def store_outcome(model: type[Payment | Refund], record: P, **outcome: Any) -> P:
    """Write a locked pending row's outcome at the provider; return the record as
    it now is. A gateway reference the provider did not give keeps the old one."""
    outcome["gateway_reference"] = (
        outcome.get("gateway_reference") or record.gateway_reference
    )
    settled = replace(record, **outcome, updated_at=timezone.now())  # type: ignore[type-var]
    changed = {name: getattr(settled, name) for name in (*outcome, "updated_at")}
    model.objects.filter(pk=record.id).update(**changed)
    return settled


class PaymentRepository:
    """Add, find, lock, settle and list payments (refunds: data.payments.refunds)."""

    def add(
        self,
        *,
        order_id: int,
        amount: Decimal,
        currency: str,
        payment_method: str,
    ) -> PaymentRecord:
        """Store a pending payment; DuplicateError if the order has a live one."""
        now = timezone.now()
        try:
            payment = Payment.objects.create(
                order_id=order_id,
                amount=amount,
                currency=currency,
                status=PaymentStatus.PENDING,
                payment_method=payment_method,
                created_at=now,
                updated_at=now,
            )
        except IntegrityError as exc:
            # The partial unique index: the order has a pending or paid payment.
            raise DuplicateError("order_id") from exc
        return _to_record({name: getattr(payment, name) for name in _FIELDS})

    def find(self, payment_id: int) -> PaymentRecord | None:
        """Return the payment with this id, or None."""
        row = Payment.objects.filter(pk=payment_id).values(*_FIELDS).first()
        return _to_record(row) if row else None

    def lock(self, payment_id: int) -> PaymentRecord | None:
        """Return the payment, locked FOR UPDATE until the transaction ends."""
        row = (
            Payment.objects.select_for_update()
            .filter(pk=payment_id)
            .values(*_FIELDS)
            .first()
        )
        return _to_record(row) if row else None

    def find_with_owner(self, payment_id: int) -> OwnedPayment | None:
        """Return the payment and the id of the customer it is from, or None."""
        row = (
            Payment.objects.filter(pk=payment_id)
            .values(*_FIELDS, "order__customer_id")
            .first()
        )
        if row is None:
            return None
        return OwnedPayment(
            payment=_to_record(row), customer_id=row["order__customer_id"]
        )

    def find_live(self, order_id: int) -> PaymentRecord | None:
        """Return the order's payment that holds (or may hold) its money, or None."""
        row = (
            Payment.objects.filter(order_id=order_id, status__in=LIVE)
            .values(*_FIELDS)
            .first()
        )
        return _to_record(row) if row else None

    def settle(
        self,
        payment: PaymentRecord,
        status: PaymentStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
    ) -> PaymentRecord:
        """Record a locked pending payment's outcome at the provider."""
        return store_outcome(
            Payment,
            payment,
            status=status,
            gateway_reference=gateway_reference,
            failure_reason=failure_reason,
        )

    def add_refunded(self, payment: PaymentRecord, amount: Decimal) -> PaymentRecord:
        """Count a succeeded refund against a locked payment; its status follows."""
        refunded = payment.amount_refunded + amount
        status = (
            PaymentStatus.REFUNDED
            if refunded == payment.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        now = timezone.now()
        # The CHECK constraint refuses more than the amount, whatever the caller.
        Payment.objects.filter(pk=payment.id).update(
            amount_refunded=F("amount_refunded") + amount, status=status, updated_at=now
        )
        return replace(payment, amount_refunded=refunded, status=status, updated_at=now)

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]:
        """Return ids of payments pending since before `before`, in id order."""
        return pending_ids(Payment, before=before, after_id=after_id, limit=limit)

    def pending_summary(self, *, before: datetime) -> PendingSummary:
        """Count payments and refunds pending since before `before`; date the oldest.

        One aggregate per table, over the partial indexes of pending rows.
        """
        oldest: datetime | None = None
        found = 0
        for model, status in (
            (Payment, PaymentStatus.PENDING),
            (Refund, RefundStatus.PENDING),
        ):
            row = model.objects.filter(status=status).aggregate(
                stale=Count("pk", filter=Q(updated_at__lt=before)),
                oldest=Min("updated_at"),
            )
            found += row["stale"]
            if row["oldest"] is not None and (oldest is None or row["oldest"] < oldest):
                oldest = row["oldest"]
        return PendingSummary(stale=found, oldest=oldest)

    def list_payments(
        self, *, customer_id: int | None, page: PageRequest
    ) -> Page[PaymentRecord]:
        """Return one page of payments, newest first; one customer's or everyone's."""
        qs = Payment.objects.all()
        if customer_id is not None:
            qs = qs.filter(order__customer_id=customer_id)
        rows = qs.order_by("-created_at", "-id").values(*_FIELDS)

        def read(limit: int, offset: int) -> Rows[PaymentRecord]:
            return Rows(items=tuple(map(_to_record, rows[offset : offset + limit])))

        return read_page(page, read=read, count=lambda limit: qs[:limit].count())

    # -- the provider's events --------------------------------------------------

    def first_sight(self, event_id: str, event_type: str) -> bool:
        """Note a provider event; False if it was seen before (nothing to do)."""
        _, created = ProviderEvent.objects.get_or_create(
            event_id=event_id, defaults={"type": event_type}
        )
        return created
