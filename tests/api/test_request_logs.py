"""Logs are JSON lines: one per request, and every record knows its request's id."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from business.catalog import CatalogService
from presentation.logs import current_request_id
from tests.api.problems import assert_problem

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def log_lines():
    """Collect what the configured console handler writes, as parsed JSON objects."""
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    root = logging.getLogger()
    stream, level = io.StringIO(), root.level
    previous = handler.setStream(stream)
    root.setLevel(logging.INFO)  # whatever LOG_LEVEL the suite runs with
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)
        root.setLevel(level)


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "orderly.request"]


def test_each_request_logs_one_json_line_with_its_fields(api, log_lines):
    response = api.get(PRODUCTS, HTTP_X_REQUEST_ID="lb-42")

    [line] = request_lines(log_lines())
    assert line["method"] == "GET"
    assert line["path"] == PRODUCTS
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == "lb-42" == response["X-Request-ID"]
    assert line["user_id"] is None
    assert line["level"] == "INFO"
    assert line["time"]


def test_the_line_names_the_authenticated_user(customer, customer_api, log_lines):
    customer_api.get("/api/v1/orders/")

    [line] = request_lines(log_lines())
    assert line["user_id"] == customer.pk
    assert HEX_ID.match(line["request_id"])


def test_answers_made_before_the_view_are_logged_too(api, log_lines):
    response = api.post(
        "/api/v1/auth/register/", b"x" * (1024 * 1024 + 1), content_type="text/plain"
    )

    [line] = request_lines(log_lines())
    assert line["status"] == 413 == response.status_code
    assert line["request_id"] == response["X-Request-ID"]


def test_a_500_logs_its_traceback_with_the_request_id_of_the_problem(
    api, monkeypatch, log_lines
):
    def explode(self, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(CatalogService, "list_products", explode)
    # The signal Django's test client listens to fires: answer, don't re-raise.
    api.raise_request_exception = False
    response = api.get(PRODUCTS)

    body = assert_problem(response, 500, "server-error")
    lines = log_lines()
    [error] = [line for line in lines if line["logger"] == "orderly.errors"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == body["request_id"]
    assert "RuntimeError: boom" in error["exc_info"]
    [request] = request_lines(lines)
    assert (request["status"], request["request_id"]) == (500, body["request_id"])


def test_records_logged_during_a_request_carry_its_id(api, monkeypatch, log_lines):
    original = CatalogService.list_products

    def chatty(self, **kwargs):
        logging.getLogger("business.catalog").warning("listing products")
        return original(self, **kwargs)

    monkeypatch.setattr(CatalogService, "list_products", chatty)
    response = api.get(PRODUCTS, HTTP_X_REQUEST_ID="trace-me")

    [line] = [line for line in log_lines() if line["message"] == "listing products"]
    assert line["request_id"] == "trace-me" == response["X-Request-ID"]


def test_records_outside_requests_have_an_empty_request_id(api, log_lines):
    api.get(PRODUCTS)
    logging.getLogger("orderly.test").warning("after the request")

    [line] = [line for line in log_lines() if line["message"] == "after the request"]
    assert line["request_id"] == ""
    assert current_request_id.get() == ""
