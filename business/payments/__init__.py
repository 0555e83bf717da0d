"""Payments: charging orders through the gateway, and refunding them."""

from business.payments.refunds import RefundLineRequest
from business.payments.service import PaymentService
from data.payments.refunds import RefundLineRecord, RefundRecord
from data.payments.repository import PaymentRecord
from data.payments.statuses import PaymentStatus, RefundStatus

__all__ = [
    "PaymentRecord",
    "PaymentService",
    "PaymentStatus",
    "RefundLineRecord",
    "RefundLineRequest",
    "RefundRecord",
    "RefundStatus",
]
