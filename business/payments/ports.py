"""What payment use cases need of the data layer and the payment provider."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from data.payments.gateway import ChargeResult
from data.payments.repository import OwnedPayment, PaymentRecord, SucceededPayment
from data.payments.statuses import PaymentStatus
from data.records import Page, PageRequest


class Payments(Protocol):
    """Payments, added, found, listed and marked refunded."""

    def add(
        self,
        *,
        order_id: int,
        amount: Decimal,
        currency: str,
        status: PaymentStatus,
        failure_reason: str = "",
        gateway_reference: str = "",
    ) -> PaymentRecord: ...

    def find_with_owner(self, payment_id: int) -> OwnedPayment | None: ...

    def find_succeeded(self, order_id: int) -> SucceededPayment | None: ...

    def list_payments(
        self, *, customer_id: int | None, page: PageRequest
    ) -> Page[PaymentRecord]: ...

    def mark_refunded(self, payment: PaymentRecord) -> PaymentRecord: ...


class PaymentGateway(Protocol):
    """A payment provider: charges cards and refunds charges."""

    def recognises(self, token: str) -> bool: ...

    def charge(self, *, token: str, amount: Decimal, currency: str) -> ChargeResult: ...

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> None: ...
