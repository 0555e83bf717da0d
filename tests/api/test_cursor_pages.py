"""Lists at scale over HTTP: cursor pages, the Link header, a capped count."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from business.catalog import PRODUCT_ORDERINGS
from data.catalog.models import Product
from tests.api.order_support import placed
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
ORDERS = "/api/v1/orders/"


def links(response) -> dict[str, str]:
    """Return the Link header's URLs by relation."""
    found = re.findall(r'<([^>]+)>; rel="([a-z]+)"', response["Link"])
    return {rel: url for url, rel in found}


def walk(api, url: str) -> list[int]:
    """Follow `next` from a cursor URL to the end; return every id seen."""
    seen: list[int] = []
    for _ in range(50):
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen += [item["id"] for item in body["results"]]
        if body["next"] is None:
            assert "next" not in links(response)
            return seen
        assert links(response)["next"] == body["next"]
        url = body["next"]
    raise AssertionError("the cursor pages never ended")


@pytest.fixture
def shelf(db):
    """Seven active products, prices with ties, and one inactive."""
    prices = ["5.00", "9.90", "9.90", "12.00", "12.00", "12.00", "30.00"]
    made = [
        ProductFactory(price=Decimal(p), name=f"P{i % 3}") for i, p in enumerate(prices)
    ]
    ProductFactory(is_active=False)
    return made


@pytest.mark.parametrize("ordering", PRODUCT_ORDERINGS)
def test_cursor_pages_give_every_row_once_in_the_page_order(api, shelf, ordering):
    by_pages = api.get(PRODUCTS, {"ordering": ordering, "page_size": 100}).json()
    expected = [item["id"] for item in by_pages["results"]]

    seen = walk(api, f"{PRODUCTS}?ordering={ordering}&page_size=3&cursor=")

    assert seen == expected
    assert len(seen) == 7


def test_previous_goes_back_to_the_same_rows(api, shelf):
    first = api.get(PRODUCTS, {"ordering": "-price", "page_size": 3, "cursor": ""})
    second = api.get(first.json()["next"])
    back = api.get(second.json()["previous"])

    assert back.status_code == 200
    assert back.json()["results"] == first.json()["results"]
    assert links(second)["prev"] == second.json()["previous"]


def test_a_page_number_answer_links_to_its_cursor_neighbours(api, shelf):
    page_two = api.get(PRODUCTS, {"page": 2, "page_size": 3})
    after = api.get(links(page_two)["next"]).json()["results"]
    page_three = api.get(PRODUCTS, {"page": 3, "page_size": 3}).json()["results"]

    assert page_two.json()["count"] == 7
    assert "first" in links(page_two) and "prev" in links(page_two)
    assert after == page_three


def test_rows_added_meanwhile_neither_repeat_nor_shift_a_cursor_walk(api, shelf):
    first = api.get(PRODUCTS, {"ordering": "created_at", "page_size": 3, "cursor": ""})
    ProductFactory.create_batch(2)
    rest = walk(api, first.json()["next"])
    ids = [item["id"] for item in first.json()["results"]] + rest

    assert len(ids) == len(set(ids)) == 9


def test_filters_and_search_hold_on_every_cursor_page(api, shelf):
    seen = walk(api, f"{PRODUCTS}?max_price=12.00&page_size=2&cursor=")

    prices = Product.objects.filter(pk__in=seen).values_list("price", flat=True)
    assert len(seen) == 6
    assert max(prices) == Decimal("12.00")


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJzIjoicHJvZHVjdHM6cHJpY2UifQ.forged", "a" * 300]
)
def test_a_forged_cursor_is_a_400_on_the_cursor(api, shelf, cursor):
    response = api.get(PRODUCTS, {"cursor": cursor})

    problem = assert_problem(response, 400, "validation-error")
    assert "cursor" in str(problem)


def test_a_cursor_of_another_ordering_is_a_400(api, shelf):
    by_price = api.get(PRODUCTS, {"ordering": "price", "page_size": 2, "cursor": ""})
    token = re.search(r"cursor=([^&]+)", by_price.json()["next"]).group(1)

    response = api.get(PRODUCTS, {"ordering": "name", "cursor": token})

    problem = assert_problem(response, 400, "validation-error")
    assert "another list or ordering" in str(problem)


def test_a_customer_walks_only_their_own_orders_by_cursor(
    customer_api, other_api, shelf
):
    mine = [placed(customer_api, (shelf[0], 1))["id"] for _ in range(3)]
    placed(other_api, (shelf[0], 1))

    seen = walk(customer_api, f"{ORDERS}?page_size=2&cursor=")

    assert sorted(seen) == sorted(mine)


def test_staff_walk_every_order_by_cursor(customer_api, other_api, staff_api, shelf):
    ids = [placed(client, (shelf[1], 1))["id"] for client in (customer_api, other_api)]

    assert sorted(walk(staff_api, f"{ORDERS}?page_size=1&cursor=")) == sorted(ids)


def test_a_count_above_ten_thousand_is_capped_and_says_so(api):
    Product.objects.bulk_create(
        Product(sku=f"BULK-{n}", name="Bulk", price=Decimal("1.00"), stock=1)
        for n in range(10_001)
    )

    body = api.get(PRODUCTS, {"page_size": 1}).json()

    assert body["count"] == 10_000
    assert body["count_is_capped"] is True


def test_a_count_of_ten_thousand_is_exact(api):
    Product.objects.bulk_create(
        Product(sku=f"BULK-{n}", name="Bulk", price=Decimal("1.00"), stock=1)
        for n in range(10_000)
    )

    body = api.get(PRODUCTS, {"page_size": 1}).json()

    assert body["count"] == 10_000
    assert "count_is_capped" not in body
