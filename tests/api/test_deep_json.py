"""A body of deeply nested JSON is a 400 problem on every endpoint, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from presentation.parsers import MAX_DEPTH
from tests.api.problems import assert_problem
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# Parsed into Python, this would be 50000 nested lists: the parser's recursion
# limit, and any code that walks the value (fingerprints, serializers, renderers).
VERY_DEEP = "[" * 50000 + "]" * 50000
# Shallow enough for a C parser, deep enough for Python code that recurses later.
DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000
# Parsed by Python's json, then walked by code that recurses.
PARSES = '{"username": ' + "[" * 500 + "]" * 500 + "}"
BODIES = {
    "very deep": VERY_DEEP,
    "deep": DEEP,
    "deep object": DEEP_OBJECT,
    "parses": PARSES,
}

ENDPOINTS = [
    ("anonymous", "post", "/api/v1/auth/register/"),
    ("anonymous", "post", "/api/v1/auth/token/"),
    ("anonymous", "post", "/api/v1/auth/token/refresh/"),
    ("staff", "post", "/api/v1/products/"),
    ("staff", "patch", "/api/v1/products/1/"),
    ("customer", "post", "/api/v1/orders/"),
    ("customer", "post", "/api/v1/payments/"),
]


def client_of(who: str, customer, staff) -> Client:
    """Return a client that sends the body as `who`, raising nothing itself."""
    client = {"anonymous": Client, "customer": None, "staff": None}[who]
    api = client() if client else client_for(customer if who == "customer" else staff)
    # A 500 must show as a 500 answer, not as the test client's re-raise.
    api.raise_request_exception = False
    return api


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "idempotency key"])
@pytest.mark.parametrize(("who", "method", "path"), ENDPOINTS)
def test_deeply_nested_json_is_a_400_problem(
    customer, staff, who, method, path, body, keyed
):
    client = client_of(who, customer, staff)
    headers = {"HTTP_IDEMPOTENCY_KEY": "deep-1"} if keyed else {}
    send = getattr(client, method)
    response = send(path, body, content_type="application/json", **headers)
    assert_problem(response, 400, "validation-error")


def nested(depth: int) -> str:
    """Return a register body whose username nests lists to `depth` in all."""
    return '{"username": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_a_body_at_the_depth_limit_is_read(customer, staff):
    client = client_of("anonymous", customer, staff)
    path = "/api/v1/auth/register/"
    response = client.post(path, nested(MAX_DEPTH), content_type="application/json")
    body = assert_problem(response, 400, "validation-error")
    assert "username" in {error["field"] for error in body["errors"]}


def test_a_body_one_level_deeper_is_refused_as_a_whole(customer, staff):
    client = client_of("anonymous", customer, staff)
    body = nested(MAX_DEPTH + 1)
    response = client.post(
        "/api/v1/auth/register/", body, content_type="application/json"
    )
    problem = assert_problem(response, 400, "validation-error")
    assert [error["field"] for error in problem["errors"]] == ["body"]
    assert f"deeper than {MAX_DEPTH}" in problem["detail"]
