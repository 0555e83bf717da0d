"""The orders' tables."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from data.orders.statuses import OrderStatus

SOURCES = ["api", "admin", "command"]


class Order(models.Model):
    """A customer's order; its lines hold copies of the prices paid."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Plain values, not members: migrations stay as written, free of the enum.
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.value) for s in OrderStatus],
        default=OrderStatus.CREATED.value,
    )
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "-created_at", "-id"], name="orders_order_customer"
            ),
            models.Index(fields=["-created_at", "-id"], name="orders_order_newest"),
            models.Index(fields=["status", "created_at"], name="orders_order_status"),
            # The list filtered by status, newest first, as a range scan.
            models.Index(
                fields=["status", "-created_at", "-id"],
                name="orders_order_status_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class OrderLine(models.Model):
    """One product of an order, with the price it had when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+"
    )
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    quantity = models.IntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "product"], name="orders_line_product_once"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=1000),
                name="orders_line_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderEvent(models.Model):
    """One entry of an order's audit trail; written once, never changed."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    type = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    actor_id = models.BigIntegerField(null=True, blank=True)
    # The API key the actor called with (no foreign key: the trail outlives nothing,
    # and keys are revoked, never deleted).
    api_key_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=[(s, s) for s in SOURCES])
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["order", "id"], name="orders_event_order")]

    def __str__(self) -> str:
        return f"{self.type} of order {self.order_id}"


class PendingEvent(models.Model):
    """The outbox: an event not yet confirmed by the broker; deleted once it is.

    A database trigger adds the row when the event is inserted (migration 0003).
    Events themselves never change, so publication lives here; relays lock these
    rows (SKIP LOCKED) and scan only what is pending, not the whole history.
    """

    # DO_NOTHING: deleting an event is refused by the database's trigger, not here.
    event = models.OneToOneField(
        OrderEvent, on_delete=models.DO_NOTHING, primary_key=True, related_name="+"
    )
    # Copied from the event so that "first pending event of each order" is one index.
    order_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["order_id", "event"], name="orders_pending_order"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} of order {self.order_id}, not yet published"
