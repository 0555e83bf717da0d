"""Payment input and output shapes."""

from decimal import Decimal

from rest_framework import serializers

from business.payments import PaymentStatus
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
