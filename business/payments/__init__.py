"""Payments: charging orders through the gateway."""

from business.payments.service import PaymentService
from data.payments.repository import PaymentRecord
from data.payments.statuses import PaymentStatus

__all__ = ["PaymentRecord", "PaymentService", "PaymentStatus"]
