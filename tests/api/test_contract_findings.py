"""Where contract fuzzing found the schema and the behaviour apart, now held together.

Each test pins one finding of `make fuzz` (tests/contract/test_fuzz.py).
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.api.problems import assert_problem
from tests.factories import ProductFactory, UserFactory


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    return json.loads(response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/products/", "/api/v1/payments/"])
def test_a_page_beyond_any_table_is_404_not_a_server_error(staff_api, path):
    # PostgreSQL refuses an OFFSET past a bigint: this was a 500.
    response = staff_api.get(path, {"page": 92896507845167840, "page_size": 100})
    assert_problem(response, 404, "not-found")


@pytest.mark.django_db
def test_a_huge_page_of_orders_is_404(customer_api):
    response = customer_api.get("/api/v1/orders/", {"page": 10**30})
    assert_problem(response, 404, "not-found")


@pytest.mark.django_db
def test_a_post_with_a_session_cookie_to_an_unknown_route_is_a_404_problem():
    # CSRF used to answer first, with Django's HTML 403 page.
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "not-a-session"
    response = client.post("/api/v1/orders/%C2%84/cancel/")
    assert_problem(response, 404, "not-found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("is_active", 0), ("stock", "5"), ("stock", 5.0), ("name", 5), ("sku", True)],
)
def test_product_fields_take_their_json_type_only(staff_api, field, value):
    body = {"sku": "TYPED-1", "name": "Typed", "price": "1.00", field: value}
    response = staff_api.post("/api/v1/products/", body, format="json")
    assert_problem(response, 400, "validation-error", fields={field})


@pytest.mark.django_db
@pytest.mark.parametrize("price", ["", ".", "1.", " 1.00", "1e2", "1.005", "-1"])
def test_a_price_that_is_not_the_documented_decimal_is_400(staff_api, price):
    body = {"sku": "MONEY-1", "name": "Money", "price": price}
    response = staff_api.post("/api/v1/products/", body, format="json")
    assert_problem(response, 400, "validation-error", fields={"price"})


@pytest.mark.django_db
@pytest.mark.parametrize("price", ["19.9", "19.90", 19.9, 0])
def test_a_price_is_a_decimal_string_or_a_json_number(staff_api, price):
    body = {"sku": "MONEY-2", "name": "Money", "price": price}
    response = staff_api.post("/api/v1/products/", body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("sku", [" SKU-1", "SKU-1\n", "SKU 1", "SKÜ"])
def test_a_sku_outside_the_documented_pattern_is_400(staff_api, sku):
    body = {"sku": sku, "name": "Sku", "price": "1.00"}
    response = staff_api.post("/api/v1/products/", body, format="json")
    assert_problem(response, 400, "validation-error", fields={"sku"})


@pytest.mark.django_db
def test_an_empty_price_filter_is_400(api):
    ProductFactory()
    response = api.get("/api/v1/products/", {"min_price": ""})
    assert_problem(response, 400, "validation-error", fields={"min_price"})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "null", "yes", "on", "t"])
def test_a_boolean_filter_takes_true_false_1_or_0_only(api, value):
    # DRF alone read "" and "null" as no filter, and "yes", "on", "t" as true.
    response = api.get("/api/v1/products/", {"in_stock": value})
    assert_problem(response, 400, "validation-error", fields={"in_stock"})


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "skus"), [("TRUE", ["FULL"]), ("0", ["EMPTY"])])
def test_a_boolean_filter_ignores_case(api, value, skus):
    ProductFactory(sku="FULL", stock=1)
    ProductFactory(sku="EMPTY", stock=0)
    response = api.get("/api/v1/products/", {"in_stock": value})
    assert [product["sku"] for product in response.json()["results"]] == skus


@pytest.mark.django_db
def test_passwords_are_taken_as_sent_not_trimmed(api):
    UserFactory(username="spacey", password=" padded-Passw0rd ")
    sent = {"username": "spacey", "password": " padded-Passw0rd "}
    assert api.post("/api/v1/auth/token/", sent, format="json").status_code == 200
    trimmed = {"username": "spacey", "password": "padded-Passw0rd"}
    response = api.post("/api/v1/auth/token/", trimmed, format="json")
    assert_problem(response, 401, "not-authenticated")


def test_input_components_refuse_unknown_fields_and_drop_the_request_suffix(schema):
    components = schema["components"]["schemas"]
    inputs = [name for name in components if name.endswith("Input")]
    assert "ProductCreateInput" in inputs
    assert "PatchedProductUpdateInput" in inputs
    assert not [name for name in components if name.endswith("Request")]
    for name in inputs:
        assert components[name]["additionalProperties"] is False, name


def test_component_descriptions_are_their_own_docstrings(schema):
    components = schema["components"]["schemas"]
    assert "description" not in components["ProductOutput"]
    assert "description" not in components["ProductCreateInput"]
    assert components["ProblemOutput"]["description"] == "An RFC 9457 problem."


def test_enums_are_named_for_what_they_are(schema):
    components = schema["components"]["schemas"]
    expected = {"OrderStatus", "PaymentStatus", "RefundStatus", "OrderEventSource"}
    assert expected <= set(components)
    assert not [name for name in components if name.endswith("Enum")]


def test_product_reads_need_no_credentials_in_the_schema(schema):
    products = schema["paths"]["/api/v1/products/"]
    assert {} in products["get"]["security"]
    assert {} not in products["post"]["security"]
    assert {} in schema["paths"]["/api/v1/products/{product_id}/"]["get"]["security"]


def test_the_idempotency_key_documents_its_length(schema):
    (header,) = schema["paths"]["/api/v1/orders/"]["post"]["parameters"]
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}


@pytest.mark.django_db
def test_a_cancel_restores_stock_up_to_its_maximum(customer_api, staff_api):
    # Staff set the stock to the maximum while the order held 5: the cancel
    # overflowed the integer column (500).
    product = ProductFactory(stock=10)
    body = {"items": [{"product_id": product.id, "quantity": 5}]}
    order = customer_api.post("/api/v1/orders/", body, format="json").json()
    patch = staff_api.patch(
        f"/api/v1/products/{product.id}/", {"stock": 2147483647}, format="json"
    )
    assert patch.status_code == 200

    response = customer_api.post(f"/api/v1/orders/{order['id']}/cancel/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    product.refresh_from_db()
    assert product.stock == 2147483647
