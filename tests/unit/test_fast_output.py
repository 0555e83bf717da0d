"""FastOutput renders exactly what DRF's own field-by-field path renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone as django_timezone
from rest_framework import serializers

from business.accounts import UserRecord
from business.catalog import ProductRecord
from business.orders import EventRecord, OrderLineRecord, OrderRecord, OrderStatus
from business.payments import PaymentRecord, PaymentStatus
from presentation.accounts.serializers import MeOutput, UserOutput
from presentation.catalog.serializers import ProductOutput
from presentation.fast_output import FastOutput
from presentation.orders.serializers import OrderEventOutput, OrderOutput
from presentation.payments.serializers import PaymentOutput
from presentation.renderers import dumps

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
            status=OrderStatus.PAID,
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
            amount_refunded=Decimal("0.00"),
            currency="EUR",
            status=PaymentStatus.FAILED,
            failure_reason="Declined.",
            gateway_reference="pi_1",
            payment_method="tok_chargeDeclined",
            created_at=NOW,
            updated_at=NOW,
        ),
    ),
    (UserOutput, UserRecord(id=6, username="u", email="u@example.com", is_staff=False)),
    (MeOutput, UserRecord(id=6, username="u", email="u@example.com", is_staff=True)),
]


def drf_twin(serializer_class: type[FastOutput]) -> type[serializers.Serializer]:
    """Return the class with DRF's own rendering, nested serializers too."""
    fields: dict[str, Any] = {}
    for name, declared in serializer_class._declared_fields.items():
        if isinstance(declared, serializers.ListSerializer):
            # DRF keeps every field's construction arguments in _kwargs.
            given = declared._kwargs.items()  # type: ignore[attr-defined]
            kwargs = {k: v for k, v in given if k != "child"}
            child = cast(type[FastOutput], type(declared.child))
            fields[name] = drf_twin(child)(many=True, **kwargs)
        elif isinstance(declared, FastOutput):
            fields[name] = drf_twin(type(declared))(**declared._kwargs)  # type: ignore[attr-defined]
    meta = type("Meta", (), {"list_serializer_class": serializers.ListSerializer})
    return type(
        f"Drf{serializer_class.__name__}",
        (serializer_class,),
        {
            **fields,
            "Meta": meta,
            "to_representation": serializers.Serializer.to_representation,
        },
    )


def drf(serializer_class: type[FastOutput], instance: Any, **kwargs: Any) -> Any:
    """Render with DRF's Serializer.to_representation all the way down."""
    return _plain(drf_twin(serializer_class)(instance, **kwargs).data)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("serializer_class", "record"), RECORDS)
def test_fast_rendering_equals_drf_rendering(serializer_class, record):
    assert serializer_class(record).data == drf(serializer_class, record)


def test_a_list_renders_as_drf_renders_it():
    orders = [RECORDS[1][1], RECORDS[1][1]]
    fast = OrderOutput(orders, many=True).data
    assert fast == drf(OrderOutput, orders, many=True)
    assert len(fast) == 2


@pytest.mark.parametrize(
    ("serializer_class", "record", "text"),
    [(OrderOutput, RECORDS[1][1], "paid"), (PaymentOutput, RECORDS[3][1], "failed")],
)
def test_a_status_renders_as_its_plain_value_as_in_drf(serializer_class, record, text):
    fast = serializer_class(record).data
    assert type(fast["status"]) is type(drf(serializer_class, record)["status"]) is str
    assert fast["status"] == text
    assert f'"status":"{text}"'.encode() in dumps(fast)


def test_timestamps_are_utc_with_z_and_money_has_two_places():
    data = ProductOutput(RECORDS[0][1]).data
    assert data["created_at"] == "2026-11-29T06:30:01.123456Z"
    assert data["price"] == "5.00"


@dataclass(frozen=True)
class Buyer:
    name: str
    joined: datetime | None


@dataclass(frozen=True)
class Line:
    price: Decimal
    at: datetime | None


class SaleStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"


@dataclass(frozen=True)
class Sale:
    id: int = 1
    amount: Any = Decimal("19.90")
    at: Any = NOW
    buyer: Buyer | None = Buyer(name="Ann", joined=NOW)
    lines: list[Line] = field(default_factory=lambda: [Line(price=Decimal(1), at=NOW)])
    data: dict[str, Any] = field(
        default_factory=lambda: {
            "total": "3.00",
            "line": Line(price=Decimal(1), at=NOW),
        }
    )
    status: str = "paid"

    def label(self) -> str:
        return f"sale {self.id}"


class LineOutput(FastOutput):
    price = serializers.DecimalField(max_digits=6, decimal_places=2)
    at = serializers.DateTimeField()


class SaleOutput(FastOutput):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=9, decimal_places=2)
    half_up = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        rounding=ROUND_HALF_UP,
        coerce_to_string=True,
        source="amount",
    )
    at = serializers.DateTimeField()
    in_paris = serializers.DateTimeField(
        source="at", default_timezone=ZoneInfo("Europe/Paris")
    )
    buyer_name = serializers.CharField(source="buyer.name", allow_null=True)
    buyer_joined = serializers.DateTimeField(source="buyer.joined", allow_null=True)
    total = serializers.CharField(source="data.total")
    # `label` shadows Field.label (only the stubs mind).
    label = serializers.CharField()  # type: ignore[assignment]
    status = serializers.ChoiceField(choices=["paid", "shipped"])
    status_text = serializers.CharField(source="status")
    lines = LineOutput(many=True)
    whole = LineOutput(source="data.line", required=False)
    note = serializers.CharField(allow_null=True)
    rank = serializers.IntegerField(required=False)
    score = serializers.IntegerField(default=7)


PARIS = ZoneInfo("Europe/Paris")
SALES = {
    "defaults": Sale(),
    "half a cent": Sale(amount=Decimal("1.005")),
    "half a cent, odd": Sale(amount=Decimal("2.675")),
    "negative half": Sale(amount=Decimal("-0.125")),
    "many places": Sale(amount=Decimal("1234567.899")),
    "whole number": Sale(amount=7),
    "float": Sale(amount=0.1),
    "no amount": Sale(amount=None),
    "zoneinfo utc": Sale(at=NOW.replace(tzinfo=ZoneInfo("UTC"))),
    "fixed offset": Sale(at=NOW.replace(tzinfo=timezone(timedelta(hours=2)))),
    "new york": Sale(at=datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("America/New_York"))),
    "naive": Sale(at=datetime(2026, 3, 29, 2, 30)),
    "no time": Sale(at=None),
    "text time": Sale(at="2026-01-01T00:00:00Z"),
    "no buyer": Sale(buyer=None),
    "buyer never joined": Sale(buyer=Buyer(name="Bo", joined=None)),
    "no lines": Sale(lines=[]),
    "two lines": Sale(lines=[Line(price=Decimal("0.5"), at=None)] * 2),
    "status enum-like": Sale(status="shipped"),
    "status a StrEnum member": Sale(status=SaleStatus.SHIPPED),
}


@pytest.mark.parametrize("sale", SALES.values(), ids=SALES.keys())
def test_every_kind_of_value_renders_as_drf_renders_it(sale):
    assert SaleOutput(sale).data == drf(SaleOutput, sale)


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York", "UTC"])
@pytest.mark.parametrize("sale", SALES.values(), ids=SALES.keys())
def test_the_current_time_zone_is_honoured_as_drf_honours_it(zone, sale):
    with django_timezone.override(zone):
        assert SaleOutput(sale).data == drf(SaleOutput, sale)
        assert SaleOutput([sale], many=True).data == drf(SaleOutput, [sale], many=True)


def test_without_time_zones_datetimes_are_naive_as_in_drf():
    with override_settings(USE_TZ=False):
        assert SaleOutput(Sale()).data == drf(SaleOutput, Sale())
        assert SaleOutput(Sale()).data["at"] == "2026-11-29T06:30:01.123456"


def test_a_mapping_renders_by_key_as_in_drf():
    sale = {**Sale().__dict__, "label": "by key", "items": "not the method"}
    assert SaleOutput(sale).data == drf(SaleOutput, sale)


def test_the_values_the_cases_were_chosen_for():
    data = SaleOutput(SALES["half a cent, odd"]).data
    assert (data["amount"], data["half_up"]) == ("2.68", "2.68")
    data = SaleOutput(SALES["half a cent"]).data
    assert (data["amount"], data["half_up"]) == ("1.00", "1.01")
    data = SaleOutput(SALES["fixed offset"]).data
    assert data["at"] == "2026-11-29T04:30:01.123456Z"
    assert data["in_paris"] == "2026-11-29T05:30:01.123456+01:00"
    data = SaleOutput(SALES["no buyer"]).data
    assert (data["buyer_name"], data["buyer_joined"]) == (None, None)
    assert "rank" not in data and data["score"] == 7 and data["note"] is None
    assert data["whole"] == {"price": "1.00", "at": "2026-11-29T06:30:01.123456Z"}
    sale = SALES["status a StrEnum member"]
    data, theirs = SaleOutput(sale).data, drf(SaleOutput, sale)
    assert {type(data["status"]), type(data["status_text"])} == {str}
    assert {type(theirs["status"]), type(theirs["status_text"])} == {str}


def test_a_value_over_max_digits_fails_as_in_drf():
    sale = Sale(amount=Decimal("12345678.9"))
    with pytest.raises(InvalidOperation):
        drf(SaleOutput, sale)
    with pytest.raises(InvalidOperation):
        _ = SaleOutput(sale).data


def test_a_field_without_a_fast_path_fails_when_the_class_is_made():
    with pytest.raises(TypeError, match="no fast path for DateField"):

        class Odd(FastOutput):
            when = serializers.DateField()


@pytest.mark.parametrize(
    "options",
    [
        {"decimal_places": 3},
        {"decimal_places": 2, "coerce_to_string": False},
        {"decimal_places": 2, "localize": True},
    ],
)
def test_money_other_than_two_places_as_text_fails_when_the_class_is_made(options):
    with pytest.raises(TypeError, match="2 places"):

        class Rate(FastOutput):
            rate = serializers.DecimalField(max_digits=6, **options)


def test_money_as_numbers_by_setting_fails_when_the_class_is_made():
    as_numbers = override_settings(REST_FRAMEWORK={"COERCE_DECIMAL_TO_STRING": False})
    with as_numbers, pytest.raises(TypeError, match="2 places"):

        class Rate(FastOutput):
            rate = serializers.DecimalField(max_digits=6, decimal_places=2)


def test_normalized_money_fails_when_the_class_is_made():
    with pytest.raises(TypeError, match="trailing zeros"):

        class Rate(FastOutput):
            rate = serializers.DecimalField(
                max_digits=6, decimal_places=2, normalize_output=True
            )


def test_datetimes_other_than_iso_8601_fail_when_the_class_is_made():
    with pytest.raises(TypeError, match="ISO 8601"):

        class Stamp(FastOutput):
            at = serializers.DateTimeField(format="%d/%m/%Y")


def test_a_method_field_without_its_method_fails_when_the_class_is_made():
    with pytest.raises(TypeError, match="no get_price"):

        class Priced(FastOutput):
            price = serializers.SerializerMethodField()


def test_a_redundant_source_fails_when_the_class_is_made():
    with pytest.raises(AssertionError, match="redundant"):

        class Named(FastOutput):
            name = serializers.CharField(source="name")


class Plain(serializers.Serializer):
    id = serializers.IntegerField()


def test_nesting_a_plain_serializer_fails_when_the_class_is_made():
    with pytest.raises(TypeError, match="no fast path for Plain"):

        class Outer(FastOutput):
            inner = Plain()

    with pytest.raises(TypeError, match="nests only FastOutputs"):

        class Outers(FastOutput):
            inner = Plain(many=True)


def test_nesting_one_with_method_fields_fails_when_the_class_is_made():
    # A nested child has no request context to hand its methods.
    with pytest.raises(TypeError, match="cannot have method fields"):

        class Outer(FastOutput):
            product = ProductOutput()


@dataclass(frozen=True)
class Flat:
    """A record every rendered field of which is one of its own fields."""

    name: object
    count: object = None


class FlatOutput(FastOutput):
    name = serializers.CharField()
    count = serializers.IntegerField(allow_null=True)
    tag = serializers.SerializerMethodField()

    def get_tag(self, record: Flat) -> str:
        return f"<{record.name}>"


@pytest.mark.parametrize(
    "record",
    [Flat(name="a", count=3), Flat(name="b"), Flat(name=lambda: "called", count=1)],
    ids=["values", "none", "a callable value"],
)
def test_a_flat_record_renders_as_drf_renders_it(record):
    assert FlatOutput(record).data == drf(FlatOutput, record)
    assert FlatOutput([record], many=True).data == drf(FlatOutput, [record], many=True)
