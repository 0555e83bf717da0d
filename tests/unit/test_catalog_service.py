"""CatalogService with an in-memory repository: rules, roles and transactions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from business.actor import Actor
from business.catalog import CatalogService, ProductQuery
from business.errors import (
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RuleViolation,
)
from tests.unit.fakes import FakeProductRepository, FakeUnitOfWork

STAFF = Actor(user_id=1, is_staff=True)
CUSTOMER = Actor(user_id=2)
ANONYMOUS = Actor.anonymous()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def products(uow) -> FakeProductRepository:
    return FakeProductRepository(uow)


@pytest.fixture
def service(products, uow) -> CatalogService:
    return CatalogService(products=products, uow=uow)


def skus(page) -> list[str]:
    return [product.sku for product in page.items]


def test_create_product_stores_normalised_fields_in_one_transaction(
    service, products, uow
):
    product = service.create_product(
        actor=STAFF, fields={"sku": "mug-1", "name": "Mug", "price": Decimal("9.5")}
    )
    assert product.sku == "MUG-1"
    assert product.price == Decimal("9.50")
    assert (product.description, product.stock, product.is_active) == ("", 0, True)
    assert products.find(product.id) == product
    assert (uow.commits, uow.rollbacks, products.writes_outside_uow) == (1, 0, 0)


@pytest.mark.parametrize("actor", [CUSTOMER, ANONYMOUS])
def test_only_staff_may_create_products(service, products, actor):
    with pytest.raises(PermissionDenied):
        service.create_product(
            actor=actor, fields={"sku": "A", "name": "A", "price": "1"}
        )
    assert products.rows == {}


def test_create_refuses_a_taken_sku_whatever_its_case(service, products, uow):
    products.seed(sku="MUG-1")
    with pytest.raises(RuleViolation) as caught:
        service.create_product(
            actor=STAFF, fields={"sku": "mug-1", "name": "Mug", "price": "1"}
        )
    assert [(e.field, e.code) for e in caught.value.errors] == [("sku", "unique")]
    assert uow.commits == 0


def test_create_maps_a_duplicate_lost_race_to_a_sku_error(service, products, uow):
    # The check passes, then another request inserts the same sku first.
    products.sku_taken = lambda sku, exclude_id=None: False
    products.seed(sku="RACE")
    with pytest.raises(RuleViolation) as caught:
        service.create_product(
            actor=STAFF, fields={"sku": "race", "name": "R", "price": "1"}
        )
    assert caught.value.errors[0].field == "sku"
    assert uow.rollbacks == 1


def test_create_reports_invalid_fields_and_writes_nothing(service, products, uow):
    with pytest.raises(RuleViolation) as caught:
        service.create_product(actor=STAFF, fields={"sku": "x y", "price": "-1"})
    assert {e.field for e in caught.value.errors} == {"sku", "name", "price"}
    assert products.rows == {}
    assert uow.commits == 0


def test_update_product_changes_only_given_fields(service, products, uow):
    original = products.seed(sku="A-1", name="Old", price=Decimal("1.00"))
    updated = service.update_product(
        actor=STAFF, product_id=original.id, changes={"name": "New", "sku": "a-2"}
    )
    assert (updated.name, updated.sku, updated.price) == ("New", "A-2", Decimal("1.00"))
    assert updated.updated_at > original.updated_at
    assert uow.commits == 1


def test_update_may_keep_the_products_own_sku(service, products):
    product = products.seed(sku="A-1")
    assert (
        service.update_product(
            actor=STAFF, product_id=product.id, changes={"sku": "a-1"}
        ).sku
        == "A-1"
    )


def test_update_refuses_another_products_sku(service, products):
    products.seed(sku="A-1")
    second = products.seed(sku="B-1")
    with pytest.raises(RuleViolation) as caught:
        service.update_product(
            actor=STAFF, product_id=second.id, changes={"sku": "A-1"}
        )
    assert caught.value.errors[0].code == "unique"
    assert products.find(second.id).sku == "B-1"


def test_update_maps_a_duplicate_lost_race_to_a_sku_error(service, products, uow):
    products.seed(sku="A-1")
    second = products.seed(sku="B-1")
    products.sku_taken = lambda sku, exclude_id=None: False
    with pytest.raises(RuleViolation) as caught:
        service.update_product(
            actor=STAFF, product_id=second.id, changes={"sku": "A-1"}
        )
    assert caught.value.errors[0].field == "sku"
    assert uow.rollbacks == 1


def test_update_of_unknown_product_is_not_found(service):
    with pytest.raises(NotFound):
        service.update_product(actor=STAFF, product_id=404, changes={"name": "X"})


def test_customers_may_not_update_products(service, products):
    product = products.seed(name="Same")
    with pytest.raises(PermissionDenied):
        service.update_product(
            actor=CUSTOMER, product_id=product.id, changes={"name": "Hacked"}
        )
    assert products.find(product.id).name == "Same"


def test_deactivate_hides_the_product_but_keeps_it(service, products, uow):
    product = products.seed()
    service.deactivate_product(actor=STAFF, product_id=product.id)
    assert products.find(product.id).is_active is False
    assert uow.commits == 1
    with pytest.raises(NotFound):
        service.get_product(actor=CUSTOMER, product_id=product.id)
    assert service.get_product(actor=STAFF, product_id=product.id).is_active is False


def test_deactivate_unknown_product_is_not_found_and_rolls_back(service, uow):
    with pytest.raises(NotFound):
        service.deactivate_product(actor=STAFF, product_id=99)
    assert uow.rollbacks == 1


def test_customers_may_not_deactivate_products(service, products):
    product = products.seed()
    with pytest.raises(PermissionDenied):
        service.deactivate_product(actor=CUSTOMER, product_id=product.id)
    assert products.find(product.id).is_active is True


def test_get_product_returns_active_product_to_anyone(service, products):
    product = products.seed()
    assert service.get_product(actor=ANONYMOUS, product_id=product.id) == product


def test_get_unknown_product_is_not_found(service):
    with pytest.raises(NotFound, match="Product 7 does not exist"):
        service.get_product(actor=STAFF, product_id=7)


def test_customers_never_list_inactive_products(service, products):
    products.seed(sku="ON")
    products.seed(sku="OFF", is_active=False)
    for is_active in (None, False, True):
        page = service.list_products(
            actor=CUSTOMER, query=ProductQuery(is_active=is_active)
        )
        assert skus(page) == ["ON"]


def test_staff_list_every_product_and_may_filter_on_is_active(service, products):
    products.seed(sku="ON")
    products.seed(sku="OFF", is_active=False)
    assert skus(service.list_products(actor=STAFF, query=ProductQuery())) == [
        "ON",
        "OFF",
    ]
    assert skus(
        service.list_products(actor=STAFF, query=ProductQuery(is_active=False))
    ) == ["OFF"]


def test_list_filters_on_search_price_and_stock(service, products):
    products.seed(sku="MUG-1", name="Blue mug", price=Decimal("5.00"), stock=0)
    products.seed(sku="CUP-1", name="Cup", price=Decimal("10.00"), stock=3)
    products.seed(sku="PLATE", name="Plate", price=Decimal("15.00"), stock=1)

    def listed(**query):
        return skus(service.list_products(actor=ANONYMOUS, query=ProductQuery(**query)))

    assert listed(search="mug") == ["MUG-1"]
    assert listed(search="") == ["MUG-1", "CUP-1", "PLATE"]
    assert listed(min_price=Decimal("10.00"), max_price=Decimal("15.00")) == [
        "CUP-1",
        "PLATE",
    ]
    assert listed(in_stock=True) == ["CUP-1", "PLATE"]
    assert listed(in_stock=False) == ["MUG-1"]


def test_list_orders_by_the_requested_key(service, products):
    products.seed(sku="B", name="b", price=Decimal("2.00"))
    products.seed(sku="A", name="a", price=Decimal("3.00"))
    products.seed(sku="C", name="c", price=Decimal("1.00"))

    def ordered(ordering):
        return skus(
            service.list_products(actor=STAFF, query=ProductQuery(ordering=ordering))
        )

    assert ordered("price") == ["C", "B", "A"]
    assert ordered("-price") == ["A", "B", "C"]
    assert ordered("name") == ["A", "B", "C"]
    assert ordered("created_at") == ["B", "A", "C"]
    assert ordered("-created_at") == ["C", "A", "B"]


def test_unknown_ordering_is_a_rule_violation(service):
    with pytest.raises(RuleViolation) as caught:
        service.list_products(actor=STAFF, query=ProductQuery(ordering="sku"))
    assert caught.value.errors[0].field == "ordering"


def test_list_pages_and_clamps_the_page_size(service, products):
    for _ in range(105):
        products.seed()
    page = service.list_products(actor=STAFF, query=ProductQuery(page_size=500))
    assert (page.size, len(page.items), page.total) == (100, 100, 105)
    assert page.has_next and not page.has_previous
    last = service.list_products(actor=STAFF, query=ProductQuery(page=2, page_size=100))
    assert len(last.items) == 5
    assert last.has_previous and not last.has_next


def test_page_past_the_last_is_not_found(service, products):
    products.seed()
    with pytest.raises(NotFound, match="Page 2 does not exist"):
        service.list_products(actor=STAFF, query=ProductQuery(page=2))


def test_first_page_of_an_empty_list_is_empty_not_missing(service):
    page = service.list_products(actor=STAFF, query=ProductQuery())
    assert (page.items, page.total) == ((), 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [(ProductQuery(page=0), "page"), (ProductQuery(page_size=0), "page_size")],
)
def test_page_and_size_must_be_positive(service, query, field):
    with pytest.raises(RuleViolation) as caught:
        service.list_products(actor=STAFF, query=query)
    assert caught.value.errors[0].field == field


def test_check_product_writes_nothing(service, products, uow):
    cleaned = service.check_product(fields={"sku": "x", "name": "X", "price": "1"})
    assert cleaned["sku"] == "X"
    assert products.rows == {}
    assert uow.commits == 0


def test_update_with_the_current_version_locks_the_row_and_writes(
    service, products, uow
):
    product = products.seed(name="Mug")
    updated = service.update_product(
        actor=STAFF,
        product_id=product.id,
        changes={"name": "Cup"},
        if_match={product.version},
    )
    assert updated.name == "Cup"
    assert updated.version != product.version
    assert products.lock_calls == [[product.id]]
    assert (products.locks_outside_uow, uow.commits) == (0, 1)


def test_update_with_a_stale_version_fails_and_changes_nothing(service, products, uow):
    product = products.seed(name="Mug")
    stale = product.version
    service.update_product(actor=STAFF, product_id=product.id, changes={"stock": 9})
    before = products.find(product.id)
    with pytest.raises(PreconditionFailed):
        service.update_product(
            actor=STAFF,
            product_id=product.id,
            changes={"name": "Cup"},
            if_match={stale},
        )
    assert products.find(product.id) == before
    assert uow.rollbacks == 1


def test_update_if_match_any_passes_for_an_existing_product(service, products):
    product = products.seed(name="Mug")
    updated = service.update_product(
        actor=STAFF, product_id=product.id, changes={"name": "Cup"}, if_match={"*"}
    )
    assert updated.name == "Cup"


def test_update_if_match_of_a_missing_product_is_not_found(service, products):
    with pytest.raises(NotFound):
        service.update_product(
            actor=STAFF, product_id=404, changes={"name": "Cup"}, if_match={"*"}
        )


def test_update_without_if_match_takes_no_lock(service, products):
    product = products.seed(name="Mug")
    service.update_product(actor=STAFF, product_id=product.id, changes={"name": "C"})
    assert products.lock_calls == []
