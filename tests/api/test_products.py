"""The product endpoints over HTTP: lists, filters, roles, writes, problems."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from data.catalog.models import Product
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def detail(product_id: int) -> str:
    return f"/api/v1/products/{product_id}/"


def skus(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [product["sku"] for product in response.json()["results"]]


def new_product(**overrides):
    body = {"sku": "mug-1", "name": "Mug", "price": "19.90"}
    body.update(overrides)
    return body


@pytest.fixture
def shelf(db):
    """Four products a minute apart; D is inactive."""
    rows = [
        ("B-2", "Banana", "2.00", 0, True),
        ("A-1", "Apple", "9.00", 5, True),
        ("C-3", "Cherry", "4.50", 1, True),
        ("D-4", "Durian", "4.50", 2, False),
    ]
    return [
        ProductFactory(
            sku=sku,
            name=name,
            price=price,
            stock=stock,
            is_active=active,
            created_at=T0 + timedelta(minutes=n),
        )
        for n, (sku, name, price, stock, active) in enumerate(rows)
    ]


# -- the list: shape and pages ------------------------------------------------


def test_list_shows_products_with_money_as_strings_and_utc_times(api):
    product = ProductFactory(sku="MUG-1", name="Mug", price=Decimal("19.9"), stock=3)
    response = api.get(LIST)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    item = body["results"][0]
    assert item == {
        "id": product.pk,
        "sku": "MUG-1",
        "name": "Mug",
        "description": "",
        "price": "19.90",
        "currency": "EUR",
        "stock": 3,
        "is_active": True,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }
    assert ISO_Z.match(item["created_at"])
    assert ISO_Z.match(item["updated_at"])


def test_empty_list_is_an_empty_first_page(api):
    assert api.get(LIST).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_currency_comes_from_settings(api, settings):
    settings.CURRENCY = "CHF"
    ProductFactory()
    assert api.get(LIST).json()["results"][0]["currency"] == "CHF"


def test_list_pages_twenty_by_default_with_links(api):
    ProductFactory.create_batch(45)
    first = api.get(LIST).json()
    assert (first["count"], len(first["results"])) == (45, 20)
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/products/?page=2"
    second = api.get(first["next"]).json()
    assert second["previous"] == "http://testserver/api/v1/products/?page=1"
    third = api.get(second["next"]).json()
    assert (len(third["results"]), third["next"]) == (5, None)
    ids = [p["id"] for page in (first, second, third) for p in page["results"]]
    assert len(set(ids)) == 45


def test_links_keep_the_other_query_parameters(api):
    ProductFactory.create_batch(3, stock=1)
    body = api.get(LIST, {"page_size": 1, "in_stock": "true", "page": 2}).json()
    assert "page_size=1" in body["next"] and "in_stock=true" in body["next"]
    assert "page=3" in body["next"] and "page=1" in body["previous"]


def test_page_size_over_100_is_clamped_to_100(api):
    ProductFactory.create_batch(101)
    body = api.get(LIST, {"page_size": 500}).json()
    assert (body["count"], len(body["results"])) == (101, 100)
    assert body["next"] is not None


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5"])
def test_bad_page_size_is_400(api, page_size):
    response = api.get(LIST, {"page_size": page_size})
    assert_problem(response, 400, "validation-error", fields={"page_size"})


@pytest.mark.parametrize("page", ["0", "-2", "x"])
def test_page_that_is_not_a_positive_integer_is_400(api, page):
    assert_problem(
        api.get(LIST, {"page": page}), 400, "validation-error", fields={"page"}
    )


def test_page_past_the_last_is_a_404_problem(api):
    ProductFactory.create_batch(3)
    body = assert_problem(api.get(LIST, {"page": 2}), 404, "not-found")
    assert "Page 2" in body["detail"]


# -- the list: filters and ordering --------------------------------------------


def test_search_matches_sku_or_name_ignoring_case(api, shelf):
    assert skus(api.get(LIST, {"search": "a-1"})) == ["A-1"]
    assert skus(api.get(LIST, {"search": "BANANA"})) == ["B-2"]
    assert skus(api.get(LIST, {"search": "err"})) == ["C-3"]
    assert skus(api.get(LIST, {"search": "nothing"})) == []
    assert skus(api.get(LIST, {"search": ""})) == ["B-2", "A-1", "C-3"]


def test_price_bounds_are_inclusive(api, shelf):
    assert skus(api.get(LIST, {"min_price": "4.50"})) == ["A-1", "C-3"]
    assert skus(api.get(LIST, {"max_price": "4.50"})) == ["B-2", "C-3"]
    assert skus(api.get(LIST, {"min_price": "2", "max_price": "4.5"})) == [
        "B-2",
        "C-3",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_price": "cheap"}, "min_price"),
        ({"max_price": "1.234"}, "max_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_bad_filter_values_are_400(api, params, field):
    assert_problem(api.get(LIST, params), 400, "validation-error", fields={field})


def test_in_stock_true_means_positive_stock_and_false_means_zero(api, shelf):
    assert skus(api.get(LIST, {"in_stock": "true"})) == ["A-1", "C-3"]
    assert skus(api.get(LIST, {"in_stock": "false"})) == ["B-2"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["B-2", "C-3", "A-1"]),
        ("-price", ["A-1", "C-3", "B-2"]),
        ("name", ["A-1", "B-2", "C-3"]),
        ("created_at", ["B-2", "A-1", "C-3"]),
        ("-created_at", ["C-3", "A-1", "B-2"]),
    ],
)
def test_ordering_sorts_the_list(api, shelf, ordering, expected):
    assert skus(api.get(LIST, {"ordering": ordering})) == expected


def test_default_order_is_created_at_then_id(api):
    same_time = [ProductFactory(created_at=T0) for _ in range(3)]
    earlier = ProductFactory(created_at=T0 - timedelta(days=1))
    ids = [p["id"] for p in api.get(LIST).json()["results"]]
    assert ids == [earlier.pk] + [p.pk for p in same_time]


@pytest.mark.parametrize("ordering", ["sku", "-name", "price;drop table"])
def test_unknown_ordering_is_400(api, ordering):
    response = api.get(LIST, {"ordering": ordering})
    assert_problem(response, 400, "validation-error", fields={"ordering"})


def test_unknown_query_parameters_are_ignored(api, shelf):
    assert skus(api.get(LIST, {"colour": "red"})) == ["B-2", "A-1", "C-3"]


def test_a_6_kib_query_string_gets_an_answer(api, shelf):
    assert skus(api.get(LIST, {"search": "x" * 6 * 1024})) == []


# -- who sees what -------------------------------------------------------------


@pytest.mark.parametrize("is_active", [None, "false", "true"])
def test_customers_never_see_inactive_products(customer_api, shelf, is_active):
    params = {} if is_active is None else {"is_active": is_active}
    assert skus(customer_api.get(LIST, params)) == ["B-2", "A-1", "C-3"]


def test_anonymous_users_never_see_inactive_products(api, shelf):
    assert "D-4" not in skus(api.get(LIST, {"is_active": "false"}))


def test_staff_see_every_product_and_may_filter_on_is_active(staff_api, shelf):
    assert skus(staff_api.get(LIST)) == ["B-2", "A-1", "C-3", "D-4"]
    assert skus(staff_api.get(LIST, {"is_active": "false"})) == ["D-4"]
    assert skus(staff_api.get(LIST, {"is_active": "true"})) == ["B-2", "A-1", "C-3"]


def test_detail_shows_an_active_product_to_anyone(api, shelf):
    response = api.get(detail(shelf[0].pk))
    assert response.status_code == 200
    assert response.json()["sku"] == "B-2"
    assert response.json()["price"] == "2.00"


def test_inactive_product_detail_is_404_for_customers(customer_api, api, shelf):
    inactive = shelf[3]
    assert_problem(customer_api.get(detail(inactive.pk)), 404, "not-found")
    assert_problem(api.get(detail(inactive.pk)), 404, "not-found")


def test_inactive_product_detail_is_shown_to_staff(staff_api, shelf):
    response = staff_api.get(detail(shelf[3].pk))
    assert response.status_code == 200
    assert response.json()["is_active"] is False


def test_unknown_product_is_404(api):
    body = assert_problem(api.get(detail(999999)), 404, "not-found")
    assert "999999" in body["detail"]


def test_product_urls_reverse_to_the_documented_path():
    assert reverse("product-detail", kwargs={"product_id": 5}) == detail(5)


def test_non_numeric_or_huge_product_id_is_404(api):
    assert_problem(api.get("/api/v1/products/abc/"), 404, "not-found")
    assert_problem(api.get(f"/api/v1/products/{'9' * 19}/"), 404, "not-found")


# -- create -------------------------------------------------------------------


def test_staff_create_a_product_with_defaults(staff_api):
    response = staff_api.post(LIST, new_product(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["sku"] == "MUG-1"
    assert (body["description"], body["stock"], body["is_active"]) == ("", 0, True)
    assert (body["price"], body["currency"]) == ("19.90", "EUR")
    assert ISO_Z.match(body["created_at"])
    stored = Product.objects.get(pk=body["id"])
    assert (stored.sku, stored.price) == ("MUG-1", Decimal("19.90"))


def test_create_accepts_every_field_and_a_json_number_price(staff_api):
    response = staff_api.post(
        LIST,
        new_product(price=7.5, description="Blue", stock=3, is_active=False),
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["price"], body["description"], body["stock"]) == ("7.50", "Blue", 3)
    assert body["is_active"] is False


def test_create_with_a_taken_sku_in_another_case_is_400_on_sku(staff_api):
    ProductFactory(sku="MUG-1")
    response = staff_api.post(LIST, new_product(sku="Mug-1"), format="json")
    body = assert_problem(response, 400, "validation-error", fields={"sku"})
    assert body["errors"][0]["code"] == "unique"
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "1000000.00"}, "price"),
        ({"price": "-0.01"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": "free"}, "price"),
        ({"sku": "has space"}, "sku"),
        ({"sku": "S" * 65}, "sku"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"stock": -1}, "stock"),
        ({"stock": 2_147_483_648}, "stock"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_refuses_invalid_fields(staff_api, overrides, field):
    response = staff_api.post(LIST, new_product(**overrides), format="json")
    assert_problem(response, 400, "validation-error", fields={field})
    assert not Product.objects.exists()


def test_create_requires_sku_name_and_price(staff_api):
    response = staff_api.post(LIST, {}, format="json")
    assert_problem(response, 400, "validation-error", fields={"sku", "name", "price"})


def test_create_by_a_customer_is_403(customer_api):
    response = customer_api.post(LIST, new_product(), format="json")
    assert_problem(response, 403, "permission-denied")
    assert not Product.objects.exists()


def test_create_by_an_anonymous_user_is_401(api):
    response = api.post(LIST, new_product(), format="json")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Product.objects.exists()


# -- update -------------------------------------------------------------------


def test_staff_patch_changes_only_the_given_fields(staff_api):
    product = ProductFactory(
        sku="OLD", name="Old", price="1.00", created_at=T0, updated_at=T0
    )
    response = staff_api.patch(
        detail(product.pk), {"name": "New", "sku": "new-1"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["sku"], body["price"]) == ("New", "NEW-1", "1.00")
    assert body["updated_at"] != body["created_at"]
    assert Product.objects.get(pk=product.pk).name == "New"


def test_patch_to_another_products_sku_is_400(staff_api):
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")
    response = staff_api.patch(detail(product.pk), {"sku": "taken"}, format="json")
    assert_problem(response, 400, "validation-error", fields={"sku"})
    assert Product.objects.get(pk=product.pk).sku == "MINE"


def test_patch_with_a_bad_value_is_400(staff_api):
    product = ProductFactory()
    response = staff_api.patch(detail(product.pk), {"price": "9.999"}, format="json")
    assert_problem(response, 400, "validation-error", fields={"price"})


def test_patch_by_a_customer_is_403(customer_api):
    product = ProductFactory(name="Same")
    response = customer_api.patch(detail(product.pk), {"name": "X"}, format="json")
    assert_problem(response, 403, "permission-denied")
    assert Product.objects.get(pk=product.pk).name == "Same"


def test_patch_by_an_anonymous_user_is_401(api):
    product = ProductFactory()
    assert_problem(
        api.patch(detail(product.pk), {"name": "X"}, format="json"),
        401,
        "not-authenticated",
    )


def test_patch_of_an_unknown_product_is_404(staff_api):
    response = staff_api.patch(detail(424242), {"name": "Ghost"}, format="json")
    assert_problem(response, 404, "not-found")


# -- delete (deactivate) ----------------------------------------------------------


def test_delete_deactivates_and_hides_the_product_from_customers(
    staff_api, customer_api
):
    product = ProductFactory()
    response = staff_api.delete(detail(product.pk))
    assert response.status_code == 204
    assert response.content == b""
    assert Product.objects.get(pk=product.pk).is_active is False
    assert_problem(customer_api.get(detail(product.pk)), 404, "not-found")
    assert staff_api.get(detail(product.pk)).json()["is_active"] is False
    assert skus(customer_api.get(LIST)) == []


def test_delete_by_a_customer_is_403(customer_api):
    product = ProductFactory()
    assert_problem(customer_api.delete(detail(product.pk)), 403, "permission-denied")
    assert Product.objects.get(pk=product.pk).is_active is True


def test_delete_of_an_unknown_product_is_404(staff_api):
    assert_problem(staff_api.delete(detail(31337)), 404, "not-found")


# -- query counts -------------------------------------------------------------


def test_list_query_count_does_not_grow_with_the_page_size(
    api, django_assert_num_queries
):
    ProductFactory.create_batch(120)
    # One COUNT and one SELECT of the page, whatever its size.
    with django_assert_num_queries(2):
        assert len(api.get(LIST, {"page_size": 1}).json()["results"]) == 1
    with django_assert_num_queries(2):
        assert len(api.get(LIST, {"page_size": 100}).json()["results"]) == 100


def test_a_short_page_takes_one_query_its_length_gives_the_total(
    api, django_assert_num_queries
):
    ProductFactory.create_batch(30)
    with django_assert_num_queries(1):
        body = api.get(LIST, {"page": 2, "page_size": 20}).json()
    assert (body["count"], len(body["results"]), body["next"]) == (30, 10, None)
    with django_assert_num_queries(1):
        assert api.get(LIST, {"search": "no such product"}).json()["count"] == 0


def test_authenticated_list_adds_only_the_user_lookup(
    staff_api, django_assert_num_queries
):
    ProductFactory.create_batch(120)
    with django_assert_num_queries(3):
        staff_api.get(LIST, {"page_size": 100})
