"""The statuses of payments and refunds, defined once for every layer."""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    """Where a payment is; the values are what the database stores.

    A payment only moves forward: pending → succeeded | failed, then
    succeeded → partially_refunded → refunded.
    """

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class RefundStatus(StrEnum):
    """Where a refund is at the provider; pending → succeeded | failed."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


# A payment that holds (or may yet hold) the order's money: one per order at most.
LIVE = (
    PaymentStatus.PENDING,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
