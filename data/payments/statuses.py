"""The statuses of a payment, defined once for every layer."""

from __future__ import annotations

from enum import StrEnum


class PaymentStatus(StrEnum):
    """How a payment attempt ended; the values are what the database stores."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
