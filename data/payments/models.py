"""The payments' table."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from data.payments.statuses import PaymentStatus


class Payment(models.Model):
    """One attempt to pay an order, as the gateway answered it."""

    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    # Plain values, not members: migrations stay as written, free of the enum.
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in PaymentStatus]
    )
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    gateway_reference = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # An order is paid at most once, whatever the application does.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=PaymentStatus.SUCCEEDED.value),
                name="payments_one_succeeded_per_order",
            ),
        ]
        indexes = [models.Index(fields=["order", "id"], name="payments_order")]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.status})"
