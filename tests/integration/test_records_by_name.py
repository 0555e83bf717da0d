"""Records are built by name: the order of a record's fields means nothing."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from data.accounts.repository import UserRecord
from data.catalog import repository as catalog
from data.catalog.repository import ProductFilter, ProductRecord, ProductRepository
from data.idempotency.repository import StoredKey
from data.orders.events import EventRecord
from data.orders.repository import OrderLineRecord, OrderRecord
from data.payments.repository import PaymentRecord
from data.records import PageRequest, build, field_names
from tests.factories import ProductFactory

RECORDS = [
    ProductRecord,
    OrderRecord,
    OrderLineRecord,
    EventRecord,
    PaymentRecord,
    StoredKey,
    UserRecord,
]


def reversed_record(record_type: type[Any]) -> type[Any]:
    """Return a record type with the same fields, declared in reverse order."""
    fields = [(f.name, f.type) for f in dataclasses.fields(record_type)][::-1]
    return dataclasses.make_dataclass(
        f"Reversed{record_type.__name__}",
        fields,
        frozen=True,
        slots=True,
        kw_only=True,
    )


@pytest.mark.parametrize("record_type", RECORDS, ids=lambda t: t.__name__)
def test_build_takes_every_field_by_name_whatever_their_order(record_type):
    values = {name: f"value of {name}" for name in field_names(record_type)}
    values["not_a_field"] = "ignored"
    flipped = reversed_record(record_type)
    assert field_names(flipped) == field_names(record_type)[::-1]
    for built in (build(record_type, values), build(flipped, values)):
        for name in field_names(record_type):
            assert getattr(built, name) == f"value of {name}"


def test_the_product_repository_reads_the_same_values_with_fields_reordered(
    db, monkeypatch
):
    made = ProductFactory(sku="SKU-R", name="Mug", price=Decimal("4.50"), stock=7)
    flipped = reversed_record(ProductRecord)
    monkeypatch.setattr(catalog, "ProductRecord", flipped)
    monkeypatch.setattr(catalog, "_FIELDS", field_names(flipped))
    repository = ProductRepository()

    found = repository.find(made.pk)
    [listed] = repository.list_products(
        spec=ProductFilter(), ordering="name", page=PageRequest()
    ).items
    taken = repository.reserve({made.pk: 2}).taken[made.pk]

    for record in (found, listed, taken):
        assert type(record) is flipped
        assert (record.id, record.sku, record.name) == (made.pk, "SKU-R", "Mug")
        assert record.price == Decimal("4.50") and record.is_active is True
    assert (found.stock, listed.stock, taken.stock) == (7, 7, 5)


def test_as_many_values_as_fields_but_one_misnamed_fails_loudly():
    # The fast path passes values as they are: a wrong name cannot shift a value.
    values = {name: 1 for name in field_names(PaymentRecord)[1:]} | {"idd": 1}
    with pytest.raises(TypeError):
        build(PaymentRecord, values)
