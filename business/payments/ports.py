"""What payment use cases need of the data layer and the payment provider."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from data.payments.provider import ProviderEvent, ProviderResult
from data.payments.refunds import RefundLineRecord, RefundRecord, RefundTally
from data.payments.repository import OwnedPayment, PaymentRecord, PendingSummary
from data.payments.statuses import PaymentStatus, RefundStatus
from data.records import Page, PageRequest


class Payments(Protocol):
    """Payments: added pending, found, locked, settled, listed."""

    def add(
        self, *, order_id: int, amount: Decimal, currency: str, payment_method: str
    ) -> PaymentRecord: ...

    def find(self, payment_id: int) -> PaymentRecord | None: ...

    def lock(self, payment_id: int) -> PaymentRecord | None: ...

    def find_with_owner(self, payment_id: int) -> OwnedPayment | None: ...

    def find_live(self, order_id: int) -> PaymentRecord | None: ...

    def settle(
        self,
        payment: PaymentRecord,
        status: PaymentStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
    ) -> PaymentRecord: ...

    def add_refunded(
        self, payment: PaymentRecord, amount: Decimal
    ) -> PaymentRecord: ...

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]: ...

    def pending_summary(self, *, before: datetime) -> PendingSummary: ...

    def list_payments(
        self, *, customer_id: int | None, page: PageRequest
    ) -> Page[PaymentRecord]: ...

    def first_sight(self, event_id: str, event_type: str) -> bool: ...


class Refunds(Protocol):
    """Refunds of payments: added pending, found, locked, settled, tallied, listed."""

    def add(
        self,
        *,
        payment_id: int,
        amount: Decimal,
        reason: str = "",
        lines: Sequence[RefundLineRecord] = (),
        restock: bool = False,
    ) -> RefundRecord: ...

    def find(self, refund_id: int) -> RefundRecord | None: ...

    def find_pending(self, payment_id: int) -> RefundRecord | None: ...

    def lock(self, refund_id: int) -> RefundRecord | None: ...

    def settle(
        self,
        refund: RefundRecord,
        status: RefundStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
        restocked: bool = False,
    ) -> RefundRecord: ...

    def tally(self, payment_id: int) -> RefundTally: ...

    def list_for_payment(
        self, *, payment_id: int, page: PageRequest
    ) -> Page[RefundRecord]: ...

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]: ...


class PaymentGateway(Protocol):
    """A payment provider, over the network: never called inside a transaction.

    Calls carry our row ids, from which the adapter derives idempotency keys: the
    same call made again answers the first result and never charges twice.
    """

    def recognises(self, token: str) -> bool: ...

    def retry_after(self) -> int: ...

    def charge(
        self, *, payment_id: int, token: str, amount: Decimal, currency: str
    ) -> ProviderResult: ...

    def refund(
        self, *, refund_id: int, reference: str, amount: Decimal, currency: str
    ) -> ProviderResult: ...

    def verify(self, body: bytes, signature: str) -> ProviderEvent: ...
