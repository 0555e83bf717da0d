"""Conditional requests: ETag on product and order detail, If-None-Match, If-Match."""

from __future__ import annotations

import pytest

from data.catalog.models import Product
from tests.api.order_support import order_url, placed
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def detail(product_id: int) -> str:
    return f"/api/v1/products/{product_id}/"


@pytest.fixture
def product(db):
    return ProductFactory(sku="MUG-1", name="Mug", price="9.50", stock=5)


def etag_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content
    tag = response["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) > 2  # strong
    return tag


# -- ETag and If-None-Match on GET -----------------------------------------------


def test_product_detail_sends_a_strong_etag_that_is_stable_while_nothing_changes(
    api, product
):
    assert etag_of(api, detail(product.id)) == etag_of(api, detail(product.id))


def test_product_etag_changes_when_the_product_does(api, staff_api, product):
    before = etag_of(api, detail(product.id))
    response = staff_api.patch(detail(product.id), {"stock": 6}, format="json")
    assert response.status_code == 200
    assert response["ETag"] != before
    assert etag_of(api, detail(product.id)) == response["ETag"]


@pytest.mark.parametrize(
    "header",
    [
        "{tag}",
        "W/{tag}",
        '"other", {tag}',
        '"a" , W/{tag} ,"b"',
        "*",
    ],
)
def test_if_none_match_with_the_current_tag_is_304_with_the_etag_and_no_body(
    api, product, header
):
    tag = etag_of(api, detail(product.id))
    response = api.get(detail(product.id), HTTP_IF_NONE_MATCH=header.format(tag=tag))
    assert response.status_code == 304
    assert response["ETag"] == tag
    assert response.content == b""


@pytest.mark.parametrize("header", ['"stale"', 'W/"stale", "older"', "garbage"])
def test_if_none_match_with_another_tag_answers_the_product(api, product, header):
    response = api.get(detail(product.id), HTTP_IF_NONE_MATCH=header)
    assert response.status_code == 200
    assert response.json()["sku"] == "MUG-1"
    assert response["ETag"]


def test_if_none_match_star_on_a_missing_product_is_404(api):
    assert_problem(api.get(detail(999999), HTTP_IF_NONE_MATCH="*"), 404, "not-found")


def test_order_detail_sends_an_etag_and_honours_if_none_match(customer_api, product):
    order = placed(customer_api, (product, 1))
    tag = etag_of(customer_api, order_url(order["id"]))
    response = customer_api.get(order_url(order["id"]), HTTP_IF_NONE_MATCH=tag)
    assert (response.status_code, response["ETag"], response.content) == (
        304,
        tag,
        b"",
    )


def test_order_etag_changes_when_the_order_does(customer_api, product):
    order = placed(customer_api, (product, 1))
    tag = etag_of(customer_api, order_url(order["id"]))
    response = customer_api.post(order_url(order["id"], "cancel"))
    assert response.status_code == 200, response.content
    again = customer_api.get(order_url(order["id"]), HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"
    assert again["ETag"] != tag


def test_another_customers_order_is_404_even_with_if_none_match(
    customer_api, other_api, product
):
    order = placed(customer_api, (product, 1))
    response = other_api.get(order_url(order["id"]), HTTP_IF_NONE_MATCH="*")
    assert_problem(response, 404, "not-found")


# -- If-Match on PATCH -------------------------------------------------------------


def test_patch_with_the_current_etag_changes_the_product_and_sends_the_new_etag(
    api, staff_api, product
):
    tag = etag_of(api, detail(product.id))
    response = staff_api.patch(
        detail(product.id), {"name": "Cup"}, format="json", HTTP_IF_MATCH=tag
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Cup"
    assert response["ETag"] == etag_of(api, detail(product.id)) != tag


@pytest.mark.parametrize("header", ['"stale"', "W/{tag}", "garbage"])
def test_patch_with_a_stale_or_weak_etag_is_412_and_changes_nothing(
    api, staff_api, product, header
):
    tag = etag_of(api, detail(product.id))
    response = staff_api.patch(
        detail(product.id),
        {"name": "Cup"},
        format="json",
        HTTP_IF_MATCH=header.format(tag=tag),
    )
    body = assert_problem(response, 412, "precondition-failed")
    assert "changed" in body["detail"]
    assert Product.objects.get(pk=product.id).name == "Mug"
    assert etag_of(api, detail(product.id)) == tag


def test_patch_after_another_write_with_the_old_etag_is_412(api, staff_api, product):
    tag = etag_of(api, detail(product.id))
    first = staff_api.patch(
        detail(product.id), {"name": "Cup"}, format="json", HTTP_IF_MATCH=tag
    )
    assert first.status_code == 200
    second = staff_api.patch(
        detail(product.id), {"name": "Bowl"}, format="json", HTTP_IF_MATCH=tag
    )
    assert_problem(second, 412, "precondition-failed")
    assert Product.objects.get(pk=product.id).name == "Cup"


def test_patch_with_if_match_star_or_a_list_holding_the_tag_works(
    api, staff_api, product
):
    response = staff_api.patch(
        detail(product.id), {"stock": 7}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200
    tag = response["ETag"]
    response = staff_api.patch(
        detail(product.id), {"stock": 8}, format="json", HTTP_IF_MATCH=f'"x", {tag}'
    )
    assert response.status_code == 200
    assert Product.objects.get(pk=product.id).stock == 8


def test_patch_without_if_match_works_as_before(staff_api, product):
    response = staff_api.patch(detail(product.id), {"stock": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["stock"] == 1


def test_patch_if_match_on_a_missing_product_is_404(staff_api):
    response = staff_api.patch(
        detail(999999), {"name": "Cup"}, format="json", HTTP_IF_MATCH="*"
    )
    assert_problem(response, 404, "not-found")


def test_patch_by_a_customer_with_if_match_is_still_403(customer_api, product):
    response = customer_api.patch(
        detail(product.id), {"name": "Cup"}, format="json", HTTP_IF_MATCH='"x"'
    )
    assert_problem(response, 403, "permission-denied")
