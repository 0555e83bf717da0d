"""ProductImporter on PostgreSQL: COPY into the stage, problems, one upsert."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from data.catalog.importer import (
    IMPORT_COLUMNS,
    ProductImporter,
    StagedProblem,
    StagedRow,
)
from data.catalog.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def row(line, sku, name="Name", price="1.00", stock=1, active=True):
    values = {"sku": sku, "name": name, "description": ""}
    values |= {"price": Decimal(price), "stock": stock, "is_active": active}
    return StagedRow(line=line, values=values)


def bad(line, sku, errors):
    return StagedRow(line=line, values={"sku": sku}, errors=errors)


def staged(*rows) -> ProductImporter:
    importer = ProductImporter()
    importer.create_stage()
    with importer.stage_writer() as write:
        write(list(rows))
    return importer


def test_upsert_creates_updates_and_leaves_equal_products_alone():
    same = ProductFactory(sku="SAME-1", name="Same", price=Decimal("1.00"), stock=1)
    old = ProductFactory(sku="OLD-1", name="Old", price=Decimal("1.00"), stock=1)
    importer = staged(
        row(2, "SAME-1", "Same"), row(3, "OLD-1", "New name"), row(4, "NEW-1")
    )
    counts = importer.upsert()
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    old_after = Product.objects.get(pk=old.pk)
    assert old_after.name == "New name" and old_after.updated_at > old.updated_at
    assert Product.objects.get(pk=same.pk).updated_at == same.updated_at
    assert Product.objects.get(sku="NEW-1").price == Decimal("1.00")


def test_preview_counts_like_upsert_and_writes_nothing():
    ProductFactory(sku="OLD-1", name="Old")
    importer = staged(row(2, "OLD-1", "Changed"), row(3, "NEW-1"))
    counts = importer.preview()
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 0)
    assert Product.objects.get(sku="OLD-1").name == "Old"
    assert not Product.objects.filter(sku="NEW-1").exists()


def test_upsert_updates_only_the_given_columns():
    ProductFactory(sku="A-1", name="A", description="kept", is_active=False)
    importer = staged(row(2, "A-1", "A", price="9.00"))
    counts = importer.upsert(update=("name", "price", "stock"))
    assert counts.updated == 1
    product = Product.objects.get(sku="A-1")
    assert (product.price, product.description, product.is_active) == (
        Decimal("9.00"),
        "kept",
        False,
    )


def test_problems_are_errors_and_later_duplicates_in_line_order():
    importer = staged(
        row(2, "A-1"),
        bad(3, None, "sku: bad"),
        row(4, "B-1"),
        bad(5, "A-1", "price: bad"),
        row(7, "A-1"),
        row(8, "B-1"),
    )
    assert list(importer.problems()) == [
        StagedProblem(line=3, errors="sku: bad", duplicate_of=None),
        StagedProblem(line=5, errors="price: bad", duplicate_of=None),
        StagedProblem(line=5, errors=None, duplicate_of=2),
        StagedProblem(line=7, errors=None, duplicate_of=2),
        StagedProblem(line=8, errors=None, duplicate_of=4),
    ]


def test_a_clean_stage_has_no_problems():
    assert list(staged(row(2, "A-1"), row(3, "B-1")).problems()) == []


def test_text_with_tabs_newlines_and_backslashes_survives_copy():
    name = "Tab\there\\ and\nnewline"
    staged(row(2, "ODD-1", name)).upsert()
    assert Product.objects.get(sku="ODD-1").name == name


def test_the_portable_path_agrees_with_the_upsert():
    ProductFactory(sku="OLD-1", name="Old")
    ProductFactory(sku="SAME-1", name="Same", price=Decimal("1.00"), stock=1)
    importer = staged(
        row(2, "OLD-1", "Changed"), row(3, "SAME-1", "Same"), row(4, "NEW-1")
    )
    # The ORM path serves SQLite; on PostgreSQL it reads the same staging table.
    counts = importer._merge_with_orm(("name", "price", "stock"), write=True)
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    assert Product.objects.get(sku="OLD-1").name == "Changed"
    assert Product.objects.filter(sku="NEW-1").exists()


def test_create_stage_starts_empty_each_time():
    importer = staged(row(2, "A-1"))
    importer.create_stage()
    with importer.stage_writer() as write:
        write([row(2, "B-1")])
    counts = importer.upsert()
    assert counts.created == 1
    assert not Product.objects.filter(sku="A-1").exists()


def column_types(table: str) -> dict[str, str]:
    """Return a table's columns and their types, as PostgreSQL reports them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum",
            [table],
        )
        return dict(cursor.fetchall())


def test_the_stage_has_the_products_own_column_types():
    ProductImporter().create_stage()
    stage = column_types("pg_temp.orderly_import_stage")
    products = column_types(Product._meta.db_table)
    assert list(stage) == ["line", *IMPORT_COLUMNS, "errors"]
    assert {name: stage[name] for name in IMPORT_COLUMNS} == {
        name: products[name] for name in IMPORT_COLUMNS
    }
    assert (stage["line"], stage["errors"]) == ("bigint", "text")


def test_copy_keeps_prices_exact_at_both_ends_of_the_range():
    staged(row(2, "TOP-1", price="999999.99"), row(3, "LOW-1", price="0.10")).upsert()
    prices = dict(Product.objects.values_list("sku", "price"))
    assert {sku: str(price) for sku, price in prices.items()} == {
        "TOP-1": "999999.99",
        "LOW-1": "0.10",
    }


TRIGRAM_INDEXES = ("catalog_product_sku_trgm", "catalog_product_name_trgm")


def test_an_upsert_leaves_the_table_ready_to_serve():
    """Statistics are fresh and the trigram indexes hold no pending entries."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
    importer = staged(*(row(n, f"READY-{n}", f"Ready {n}") for n in range(2, 2_002)))

    importer.upsert()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE relname = 'catalog_product'"
        )
        # Only an ANALYZE after the upsert, in its transaction, counts exactly these.
        assert cursor.fetchone()[0] == 2_000
        for index in TRIGRAM_INDEXES:
            cursor.execute("SELECT pending_pages FROM pgstatginindex(%s)", [index])
            assert cursor.fetchone()[0] == 0, index
