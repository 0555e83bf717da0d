"""Payments: charging orders through the gateway."""

from business.payments.service import PaymentService
from data.payments.repository import PaymentRecord

__all__ = ["PaymentRecord", "PaymentService"]
