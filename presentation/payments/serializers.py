"""Payment input and output shapes."""

from decimal import Decimal

from rest_framework import serializers

from business.orders.rules import MAX_ITEMS, MAX_QUANTITY
from business.payments import PaymentStatus, RefundStatus
from presentation.fast_output import FastOutput
from presentation.money import MoneyField
from presentation.schema import StrictInput, enum_choice, page_serializer


class PaymentCreateInput(StrictInput):
    order_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    amount = MoneyField(
        max_digits=12, min_value=Decimal(0), help_text="Must equal the order total."
    )
    payment_token = serializers.CharField(
        max_length=255,
        help_text="Sandbox: `tok_visa` succeeds, `tok_chargeDeclined` is declined.",
    )


class PaymentOutput(FastOutput):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    status = enum_choice(PaymentStatus)
    failure_reason = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


PaymentPage = page_serializer(PaymentOutput, "PaymentPage")


class RefundLineInput(StrictInput):
    product_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class RefundCreateInput(StrictInput):
    amount = MoneyField(
        max_digits=12,
        min_value=Decimal("0.01"),
        required=False,
        help_text="What to give back, at most what remains of the payment. Not "
        "with `lines`; with neither, what remains is refunded.",
    )
    lines = serializers.ListField(
        child=RefundLineInput(),
        required=False,
        min_length=1,
        max_length=MAX_ITEMS,
        help_text="Units of the order's products to give back, each product at "
        "most once and at most what was ordered less what refunds already hold; "
        "the amount is the sum of their unit prices times quantities.",
    )
    restock = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With `lines`: put their units back in stock when the refund "
        "succeeds.",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class RefundLineOutput(FastOutput):
    product_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class RefundOutput(FastOutput):
    id = serializers.IntegerField()
    payment_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = enum_choice(RefundStatus)
    lines = RefundLineOutput(many=True)
    restock = serializers.BooleanField(
        help_text="Asked for: the lines go back to stock when the refund succeeds."
    )
    restocked = serializers.BooleanField(
        help_text="Done: the lines' units are back in stock."
    )
    reason = serializers.CharField(allow_blank=True)
    failure_reason = serializers.CharField(
        allow_blank=True, help_text="Why the provider refused it (status `failed`)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


RefundPage = page_serializer(RefundOutput, "RefundPage")


class PaymentDeclinedOutput(serializers.Serializer):
    """A 402 problem that also carries the stored, failed payment."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    request_id = serializers.CharField()
    payment = PaymentOutput()


class WebhookReceivedOutput(serializers.Serializer):
    received = serializers.BooleanField(default=True)
    duplicate = serializers.BooleanField(
        help_text="True when the event was seen before and changed nothing."
    )
