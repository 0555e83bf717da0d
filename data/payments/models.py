"""The payments' tables: payments, their refunds and refund lines, provider events."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from data.payments.statuses import LIVE, PaymentStatus, RefundStatus


class Payment(models.Model):
    """One attempt to pay an order: pending at the provider, then settled."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    # Plain values, not members: migrations stay as written, free of the enum.
    status = models.CharField(
        max_length=20, choices=[(s.value, s.value) for s in PaymentStatus]
    )
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    # The provider's id of the charge, once it answered.
    gateway_reference = models.CharField(max_length=64, blank=True, default="")
    # The token charged: asking the provider again repeats the same request.
    payment_method = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # An order has at most one payment that holds (or may hold) its money,
            # whatever the application does: never two charges of one order.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=[s.value for s in LIVE]),
                name="payments_one_live_per_order",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=F("amount")),
                name="payments_refunded_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "id"], name="payments_order"),
            # What reconciliation and the pending gauge read: only pending rows.
            models.Index(
                fields=["updated_at"],
                condition=Q(status=PaymentStatus.PENDING.value),
                name="payments_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.status})"


class Refund(models.Model):
    """Money given back from a payment: pending at the provider, then settled."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in RefundStatus]
    )
    reason = models.CharField(max_length=200, blank=True, default="")
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    gateway_reference = models.CharField(max_length=64, blank=True, default="")
    # Asked for: the lines go back to stock when the refund succeeds; done: they did.
    restock = models.BooleanField(default=False)
    restocked = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # A trigger (migration 0003) refuses refunds, pending or succeeded, that
        # add up to more than their payment's amount.
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payments_refund_positive"
            ),
            models.CheckConstraint(
                condition=Q(restocked=False) | Q(restock=True),
                name="payments_refund_restocked_if_asked",
            ),
        ]
        indexes = [
            models.Index(fields=["payment", "id"], name="payments_refund_payment"),
            models.Index(
                fields=["updated_at"],
                condition=Q(status=RefundStatus.PENDING.value),
                name="payments_refund_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} ({self.status})"


class RefundLine(models.Model):
    """Units of one product of the order that a refund gives back, at the price paid."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["refund", "product"], name="payments_refund_line_once"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="payments_refund_line_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"


class ProviderEvent(models.Model):
    """A provider event seen, kept so that a second delivery changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
