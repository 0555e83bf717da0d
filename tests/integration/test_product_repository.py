"""ProductRepository on PostgreSQL: filters, orderings, pages, constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from data.catalog.models import Product
from data.catalog.repository import ProductFilter, ProductRecord, ProductRepository
from data.errors import DuplicateError
from data.records import PageRequest
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def repo() -> ProductRepository:
    return ProductRepository()


def listed(repo, spec=None, ordering="created_at", number=1, size=20) -> list[str]:
    page = repo.list_products(
        spec=spec or ProductFilter(),
        ordering=ordering,
        page=PageRequest(number=number, size=size),
    )
    return [product.sku for product in page.items]


@pytest.fixture
def three(db):
    """Three products created a minute apart: B (cheap), A (dear), C (middle)."""
    return [
        ProductFactory(sku="B", name="Banana", price="2.00", stock=0, created_at=T0),
        ProductFactory(
            sku="A",
            name="Apple",
            price="9.00",
            stock=5,
            created_at=T0 + timedelta(minutes=1),
        ),
        ProductFactory(
            sku="C",
            name="Cherry",
            price="4.50",
            stock=1,
            is_active=False,
            created_at=T0 + timedelta(minutes=2),
        ),
    ]


def test_find_returns_a_frozen_record(repo):
    product = ProductFactory(sku="MUG", price="19.90", description="Blue")
    record = repo.find(product.pk)
    assert isinstance(record, ProductRecord)
    assert (record.sku, record.price, record.description) == (
        "MUG",
        Decimal("19.90"),
        "Blue",
    )
    with pytest.raises(AttributeError):
        record.stock = 0


def test_find_unknown_id_returns_none(repo):
    assert repo.find(123456) is None


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("created_at", ["B", "A", "C"]),
        ("-created_at", ["C", "A", "B"]),
        ("price", ["B", "C", "A"]),
        ("-price", ["A", "C", "B"]),
        ("name", ["A", "B", "C"]),
    ],
)
def test_list_orders_by_each_key(repo, three, ordering, expected):
    assert listed(repo, ordering=ordering) == expected


def test_ties_are_broken_by_id_so_pages_never_overlap(repo):
    made = [ProductFactory(price="5.00", created_at=T0) for _ in range(5)]
    listed_skus = [
        sku
        for number in (1, 2, 3)
        for sku in listed(repo, ordering="price", number=number, size=2)
    ]
    assert listed_skus == [p.sku for p in made]


def test_search_matches_sku_or_name_ignoring_case(repo, three):
    assert listed(repo, ProductFilter(search="b")) == ["B"]
    assert listed(repo, ProductFilter(search="APPLE")) == ["A"]
    assert listed(repo, ProductFilter(search="err")) == ["C"]
    assert listed(repo, ProductFilter(search="zzz")) == []


def test_price_bounds_are_inclusive(repo, three):
    spec = ProductFilter(min_price=Decimal("2.00"), max_price=Decimal("4.50"))
    assert listed(repo, spec) == ["B", "C"]
    assert listed(repo, ProductFilter(min_price=Decimal("9.00"))) == ["A"]
    assert listed(repo, ProductFilter(max_price=Decimal("1.99"))) == []


def test_in_stock_true_means_positive_and_false_means_zero(repo, three):
    assert listed(repo, ProductFilter(in_stock=True)) == ["A", "C"]
    assert listed(repo, ProductFilter(in_stock=False)) == ["B"]


def test_is_active_filter(repo, three):
    assert listed(repo, ProductFilter(is_active=True)) == ["B", "A"]
    assert listed(repo, ProductFilter(is_active=False)) == ["C"]
    assert listed(repo, ProductFilter()) == ["B", "A", "C"]


def test_filters_combine(repo, three):
    spec = ProductFilter(in_stock=True, is_active=True, max_price=Decimal("10"))
    assert listed(repo, spec) == ["A"]


def test_page_total_counts_the_whole_filtered_list(repo):
    ProductFactory.create_batch(7, stock=3)
    ProductFactory.create_batch(2, stock=0)
    page = repo.list_products(
        spec=ProductFilter(in_stock=True),
        ordering="created_at",
        page=PageRequest(number=2, size=3),
    )
    assert (page.total, len(page.items), page.number, page.size) == (7, 3, 2, 3)
    assert page.has_next and page.has_previous


def test_page_past_the_end_is_empty_with_the_total(repo):
    ProductFactory.create_batch(2)
    page = repo.list_products(
        spec=ProductFilter(), ordering="created_at", page=PageRequest(number=3, size=2)
    )
    assert (page.items, page.total, page.has_next) == ((), 2, False)


def test_add_stores_the_product_with_timestamps(repo):
    record = repo.add(
        sku="NEW-1",
        name="New",
        description="",
        price=Decimal("1.50"),
        stock=2,
        is_active=True,
    )
    row = Product.objects.get(pk=record.id)
    assert (row.sku, row.price, row.stock) == ("NEW-1", Decimal("1.50"), 2)
    assert record.created_at == record.updated_at == row.created_at


def test_add_of_a_taken_sku_raises_duplicate_error(repo):
    ProductFactory(sku="TAKEN")
    with pytest.raises(DuplicateError) as caught, transaction.atomic():
        repo.add(sku="TAKEN", name="Again", price=Decimal("1.00"))
    assert caught.value.field == "sku"
    assert Product.objects.filter(sku="TAKEN").count() == 1


def test_update_changes_fields_and_bumps_updated_at(repo):
    product = ProductFactory(name="Old", created_at=T0, updated_at=T0)
    record = repo.update(product.pk, name="New", stock=9)
    assert (record.name, record.stock) == ("New", 9)
    assert record.updated_at > T0
    assert record.created_at == T0


def test_update_of_unknown_product_returns_none(repo):
    assert repo.update(987654, name="Ghost") is None


def test_update_to_a_taken_sku_raises_duplicate_error(repo):
    ProductFactory(sku="FIRST")
    second = ProductFactory(sku="SECOND")
    with pytest.raises(DuplicateError), transaction.atomic():
        repo.update(second.pk, sku="FIRST")
    assert Product.objects.get(pk=second.pk).sku == "SECOND"


def test_check_constraint_refuses_negative_stock(repo):
    product = ProductFactory(stock=1)
    refused = pytest.raises(IntegrityError, match="catalog_product_stock_non_negative")
    with refused, transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock=-1)
    assert Product.objects.get(pk=product.pk).stock == 1


def test_repository_does_not_report_negative_stock_as_a_duplicate_sku(repo):
    product = ProductFactory(stock=1)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        repo.update(product.pk, stock=-1)
    assert not isinstance(caught.value, DuplicateError)
    assert Product.objects.get(pk=product.pk).stock == 1


def test_add_with_negative_stock_is_not_reported_as_a_duplicate_sku(repo):
    with pytest.raises(IntegrityError), transaction.atomic():
        repo.add(sku="NEG", name="Neg", price=Decimal("1.00"), stock=-5)
    assert not Product.objects.exists()


def test_check_constraint_refuses_a_price_out_of_range(repo):
    refused = pytest.raises(IntegrityError, match="catalog_product_price_range")
    with refused, transaction.atomic():
        Product.objects.create(sku="NEG", name="Neg", price=Decimal("-1.00"))


def test_sku_taken_can_exclude_the_product_itself(repo):
    product = ProductFactory(sku="MINE")
    assert repo.sku_taken("MINE") is True
    assert repo.sku_taken("MINE", exclude_id=product.pk) is False
    assert repo.sku_taken("OTHER") is False


def test_records_carry_the_same_instants_and_values_as_the_orm(repo):
    made = ProductFactory(price=Decimal("12.30"))
    model = Product.objects.get(pk=made.pk)
    [listed_record] = repo.list_products(
        spec=ProductFilter(search=made.sku), ordering="price", page=PageRequest()
    ).items
    for record in (repo.find(made.pk), listed_record):
        assert record.created_at == model.created_at
        assert record.updated_at == model.updated_at
        assert record.created_at.utcoffset() == timedelta(0)
        assert (record.price, record.stock, record.is_active) == (
            model.price,
            model.stock,
            model.is_active,
        )


def test_a_products_version_is_the_same_however_it_is_read_and_moves_on_writes(repo):
    product = ProductFactory(stock=3)
    found = repo.find(product.pk)
    assert found is not None
    assert repo.lock_many([product.pk])[product.pk].version == found.version
    updated = repo.update(product.pk, stock=4)
    assert updated is not None and updated.version != found.version
    assert repo.find(product.pk).version == updated.version
    repo.add_stock({product.pk: 1})
    assert repo.find(product.pk).version != updated.version
