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
from data.records import Page, PageRequest, Rows, build, field_names, read_page


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    """A payment as the layers above see one."""

    id: int
    order_id: int
    amount: Decimal
    currency: str
    status: str
    failure_reason: str
    created_at: datetime


_FIELDS = field_names(PaymentRecord)


def _to_record(values: Mapping[str, Any]) -> PaymentRecord:
    return build(PaymentRecord, values)


class PaymentRepository:
    """Add, find and list payments."""

    def add(
        self,
        *,
        order_id: int,
        amount: Decimal,
        currency: str,
        status: str,
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

    def find_with_owner(self, payment_id: int) -> tuple[PaymentRecord, int] | None:
        """Return the payment and the id of the customer it is from, or None."""
        row = (
            Payment.objects.filter(pk=payment_id)
            .values(*_FIELDS, "order__customer_id")
            .first()
        )
        return (_to_record(row), row["order__customer_id"]) if row else None

    def find_succeeded(self, order_id: int) -> tuple[PaymentRecord, str] | None:
        """Return an order's succeeded payment and its gateway reference, or None."""
        row = (
            Payment.objects.filter(order_id=order_id, status="succeeded")
            .values(*_FIELDS, "gateway_reference")
            .first()
        )
        return (_to_record(row), row["gateway_reference"]) if row else None

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
            status="refunded", updated_at=timezone.now()
        )
        return replace(payment, status="refunded")
