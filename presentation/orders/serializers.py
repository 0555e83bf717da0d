"""Order input and output shapes."""

from rest_framework import serializers

from business.orders import OrderStatus
from business.orders.rules import MAX_ITEMS, MAX_QUANTITY
from presentation.fast_output import FastOutput
from presentation.pagination import CursorQuery
from presentation.schema import StrictInput, enum_choice, page_serializer


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class OrderLineInput(StrictInput):
    product_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class OrderCreateInput(StrictInput):
    items = serializers.ListField(
        child=OrderLineInput(),
        min_length=1,
        max_length=MAX_ITEMS,
        help_text=f"1-{MAX_ITEMS} lines, each product at most once.",
    )


class OrderItemOutput(FastOutput):
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit_price = _money()
    quantity = serializers.IntegerField()
    line_total = _money()


class OrderOutput(FastOutput):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    status = enum_choice(OrderStatus)
    items = OrderItemOutput(many=True)
    total = _money()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


OrderPage = page_serializer(OrderOutput, "OrderPage")


class OrderListQuery(CursorQuery):
    status = enum_choice(OrderStatus, required=False, default=None)


class OrderEventOutput(FastOutput):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    type = serializers.CharField()
    # The event's member shadows Serializer.data (only the stubs mind).
    data = serializers.DictField()  # type: ignore[assignment]
    actor_id = serializers.IntegerField(allow_null=True)
    api_key_id = serializers.IntegerField(
        allow_null=True, help_text="The API key the actor called with, if any."
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["api", "admin", "command"]
    )
    request_id = serializers.CharField()
    created_at = serializers.DateTimeField()
