"""Payments, read and written as frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from data.errors import DuplicateError
from data.payments.models import Payment
from data.payments.statuses import PaymentStatus
from data.records import Page, PageRequest, Rows, build, field_names, read_page


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    """A payment as the layers above see one."""

    id: int
    order_id: int
    amount: Decimal
    currency: str
    status: PaymentStatus
    failure_reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnedPayment:
    """A payment and the id of the customer whose order it pays."""

    payment: PaymentRecord
    customer_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceededPayment:
    """An order's succeeded payment and the gateway's reference, to refund it by."""

    payment: PaymentRecord
    gateway_reference: str


_FIELDS = field_names(PaymentRecord)


def _to_record(values: Mapping[str, Any]) -> PaymentRecord:
    return build(PaymentRecord, {**values, "status": PaymentStatus(values["status"])})


class PaymentRepository:
    """Add, find and list payments."""

    def add(
        self,
        *,
        order_id: int,
        amount: Decimal,
        currency: str,
        status: PaymentStatus,
        failure_reason: str = "",
        gateway_reference: str = "",
    ) -> PaymentRecord:
        """Store one payment attempt."""
        now = timezone.now()
        try:
            payment = Payment.objects.create(
                order_id=order_id,
                amount=amount,
                currency=currency,
                status=status,
                failure_reason=failure_reason,
                gateway_reference=gateway_reference,
                created_at=now,
                updated_at=now,
            )
        except IntegrityError as exc:
            # The partial unique index: this order already has a succeeded payment.
            raise DuplicateError("order_id") from exc
        return _to_record({name: getattr(payment, name) for name in _FIELDS})

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

    def find_succeeded(self, order_id: int) -> SucceededPayment | None:
        """Return an order's succeeded payment and its gateway reference, or None."""
        row = (
            Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED)
            .values(*_FIELDS, "gateway_reference")
            .first()
        )
        if row is None:
            return None
        return SucceededPayment(
            payment=_to_record(row), gateway_reference=row["gateway_reference"]
        )

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

        return read_page(page, read=read, count=qs.count)

    def mark_refunded(self, payment: PaymentRecord) -> PaymentRecord:
        """Record that a succeeded payment was refunded."""
        Payment.objects.filter(pk=payment.id).update(
            status=PaymentStatus.REFUNDED, updated_at=timezone.now()
        )
        return replace(payment, status=PaymentStatus.REFUNDED)
