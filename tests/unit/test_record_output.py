"""RecordOutput renders exactly what DRF's generic field-by-field path renders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rest_framework import serializers

from business.accounts import UserRecord
from business.catalog import ProductRecord
from business.orders import EventRecord, OrderLineRecord, OrderRecord
from business.payments import PaymentRecord
from presentation.accounts.serializers import MeOutput, UserOutput
from presentation.catalog.serializers import ProductOutput
from presentation.orders.serializers import OrderEventOutput, OrderOutput
from presentation.payments.serializers import PaymentOutput
from presentation.records import RecordOutput

NOW = datetime(2026, 11, 29, 6, 30, 1, 123456, tzinfo=UTC)
LINE = OrderLineRecord(
    product_id=7,
    sku="SKU-7",
    name="Mug",
    unit_price=Decimal("19.90"),
    quantity=3,
    line_total=Decimal("59.70"),
)
RECORDS = [
    (
        ProductOutput,
        ProductRecord(
            id=1,
            sku="SKU-1",
            name="Lamp",
            description="",
            price=Decimal("5.00"),
            stock=0,
            is_active=True,
            created_at=NOW,
            updated_at=NOW,
        ),
    ),
    (
        OrderOutput,
        OrderRecord(
            id=2,
            customer_id=3,
            status="paid",
            items=(LINE, LINE),
            total=Decimal("119.40"),
            currency="EUR",
            created_at=NOW,
            updated_at=NOW,
        ),
    ),
    (
        OrderEventOutput,
        EventRecord(
            id=4,
            order_id=2,
            type="order.created",
            data={"total": "1.00"},
            actor_id=None,
            source="command",
            request_id="cmd-1",
            created_at=NOW,
        ),
    ),
    (
        PaymentOutput,
        PaymentRecord(
            id=5,
            order_id=2,
            amount=Decimal("119.40"),
            currency="EUR",
            status="failed",
            failure_reason="Declined.",
            created_at=NOW,
        ),
    ),
    (UserOutput, UserRecord(id=6, username="u", email="u@example.com", is_staff=False)),
    (MeOutput, UserRecord(id=6, username="u", email="u@example.com", is_staff=True)),
]


def generic(serializer_class: type, record) -> dict:
    """Render with DRF's own Serializer.to_representation, bypassing the fast path."""
    serializer = serializer_class()
    result = serializers.Serializer.to_representation(serializer, record)
    return {key: _plain(value) for key, value in result.items()}


def _plain(value):
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("serializer_class", "record"), RECORDS)
def test_fast_rendering_equals_drf_rendering(serializer_class, record):
    assert serializer_class(record).data == generic(serializer_class, record)


def test_timestamps_are_utc_with_z_and_money_has_two_places():
    data = ProductOutput(RECORDS[0][1]).data
    assert data["created_at"] == "2026-11-29T06:30:01.123456Z"
    assert data["price"] == "5.00"


def test_a_field_without_a_fast_path_is_refused_loudly():
    class Odd(RecordOutput):
        when = serializers.DateField()

    with pytest.raises(TypeError, match="no fast path for DateField"):
        _ = Odd(RECORDS[0][1]).data


def test_money_with_other_than_two_places_is_refused():
    class Rate(RecordOutput):
        rate = serializers.DecimalField(max_digits=6, decimal_places=4)

    with pytest.raises(TypeError, match="2 places"):
        _ = Rate(RECORDS[0][1]).data
