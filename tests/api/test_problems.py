"""Every error is an RFC 9457 problem, whichever layer or framework raised it."""

from __future__ import annotations

import logging
import re
import sys
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest
from django.test import Client
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf
from rest_framework.test import APIClient, APIRequestFactory

from business.catalog import CatalogService
from business.health import HealthService
from presentation.problems import TITLES, exception_handler
from presentation.renderers import dumps
from tests.api.problems import PROBLEM_CONTENT_TYPE, assert_problem

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
PRODUCTS = "/api/v1/products/"
HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def test_unknown_api_route_is_a_404_problem(api):
    body = assert_problem(api.get("/api/v1/nothing-here/"), 404, "not-found")
    assert "/api/v1/nothing-here/" in body["detail"]


def test_api_route_without_its_trailing_slash_is_a_404_problem(api):
    assert_problem(api.get("/api/v1/products"), 404, "not-found")


def test_unknown_route_outside_the_api_is_a_404_problem(api):
    assert_problem(api.get("/nope"), 404, "not-found")


def test_unsupported_method_is_405_with_allow_header(staff_api):
    response = staff_api.put(PRODUCTS, {}, format="json")
    body = assert_problem(response, 405, "method-not-allowed")
    assert "PUT" in body["detail"]
    assert set(response["Allow"].split(", ")) >= {"GET", "POST"}
    assert "PUT" not in response["Allow"]


def test_unsupported_method_on_an_open_endpoint_is_405(api):
    response = api.delete(REGISTER)
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response["Allow"]


def test_malformed_json_is_a_400_validation_error(api):
    response = api.post(REGISTER, '{"username": ', content_type="application/json")
    body = assert_problem(response, 400, "validation-error", fields={"body"})
    assert body["errors"][0]["code"] == "parse_error"


def test_a_json_body_that_is_not_an_object_is_400(api):
    response = api.post(REGISTER, "[1, 2]", content_type="application/json")
    assert_problem(response, 400, "validation-error")


def test_wrong_content_type_is_415(api):
    response = api.post(REGISTER, "username=alice", content_type="text/plain")
    body = assert_problem(response, 415, "unsupported-media-type")
    assert "text/plain" in body["detail"]


def test_form_encoded_body_is_415(api):
    response = api.post(REGISTER, {"username": "alice"})
    assert_problem(response, 415, "unsupported-media-type")


def test_unacceptable_accept_header_is_406(api):
    response = api.get(PRODUCTS, HTTP_ACCEPT="application/xml")
    assert_problem(response, 406, "not-acceptable")


def test_body_over_one_mebibyte_is_413_unread(api):
    body = b'{"username": "' + b"x" * (1024 * 1024) + b'"}'
    response = api.post(REGISTER, body, content_type="application/json")
    problem = assert_problem(response, 413, "payload-too-large")
    assert "1048576" in problem["detail"]


def test_body_of_exactly_one_mebibyte_is_read(api):
    padding = 1024 * 1024 - len(b'{"username": ""}')
    body = b'{"username": "' + b"x" * padding + b'"}'
    response = api.post(REGISTER, body, content_type="application/json")
    # Read and validated: the problem names fields, not the size.
    assert_problem(response, 400, "validation-error")


def test_server_error_is_a_500_problem_without_internals(api, monkeypatch, caplog):
    def explode(self, **kwargs):
        raise RuntimeError("secret internals: SELECT * FROM catalog_product")

    monkeypatch.setattr(CatalogService, "list_products", explode)
    # The signal Django's test client listens to fires: answer, don't re-raise.
    api.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="orderly.errors"):
        response = api.get(PRODUCTS)
    body = assert_problem(response, 500, "server-error")
    assert HEX_ID.match(body["request_id"])
    text = response.content.decode()
    assert "secret" not in text
    assert "Traceback" not in text
    assert "SELECT" not in text
    # The id in the answer finds the log line, traceback included.
    [record] = [r for r in caplog.records if r.name == "orderly.errors"]
    assert body["request_id"] in record.getMessage()
    assert record.exc_info is not None


def test_server_error_reaches_got_request_exception_with_the_request(api, monkeypatch):
    # Error reporters (Sentry and the like) listen to this signal.
    def explode(self, **kwargs):
        raise RuntimeError("secret internals")

    heard: list[tuple[object, bool]] = []

    def receiver(sender, request, **kwargs):
        heard.append((request, sys.exc_info()[0] is RuntimeError))

    monkeypatch.setattr(CatalogService, "list_products", explode)
    api.raise_request_exception = False
    got_request_exception.connect(receiver)
    try:
        response = api.get(PRODUCTS)
    finally:
        got_request_exception.disconnect(receiver)
    assert_problem(response, 500, "server-error")
    [(request, in_flight)] = heard
    assert isinstance(request, HttpRequest)
    assert request.path == PRODUCTS
    assert in_flight  # the receiver can read the traceback


def test_a_problem_handled_by_drf_reaches_no_signal(api):
    heard: list[object] = []

    def receiver(sender, request, **kwargs):
        heard.append(request)

    got_request_exception.connect(receiver)
    try:
        assert_problem(api.get(PRODUCTS + "999999/"), 404, "not-found")
    finally:
        got_request_exception.disconnect(receiver)
    assert heard == []


def test_one_status_has_one_title_whichever_code_answers(client, api):
    # The 405s and 413s outside DRF take their titles from the same table.
    outside = client.post("/healthz")
    inside = api.delete(REGISTER)
    assert outside.json()["title"] == inside.json()["title"] == TITLES[405]
    body = b'{"username": "' + b"x" * (1024 * 1024) + b'"}'
    big = api.post(REGISTER, body, content_type="application/json")
    assert assert_problem(big, 413, "payload-too-large")["title"] == TITLES[413]


def test_crash_outside_drf_is_a_500_problem_too(monkeypatch):
    def explode(self):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(HealthService, "check_ready", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/readyz")
    body = assert_problem(response, 500, "server-error")
    assert "secret" not in response.content.decode()
    assert HEX_ID.match(body["request_id"])


def test_sane_request_id_is_echoed(api):
    response = api.get(PRODUCTS, HTTP_X_REQUEST_ID="lb-1234:abc.DEF_9")
    assert response["X-Request-ID"] == "lb-1234:abc.DEF_9"


def test_request_id_of_a_problem_is_the_callers(api):
    response = api.get("/api/v1/nothing/", HTTP_X_REQUEST_ID="trace-42")
    assert assert_problem(response, 404, "not-found")["request_id"] == "trace-42"


@pytest.mark.parametrize(
    "given", ["has spaces in it", "x" * 300, "<script>", "new\\nline", ""]
)
def test_unsafe_request_id_is_replaced(api, given):
    response = api.get(PRODUCTS, HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given
    assert HEX_ID.match(response["X-Request-ID"])


def test_every_request_gets_a_fresh_id(api):
    first = api.get(PRODUCTS)["X-Request-ID"]
    second = api.get(PRODUCTS)["X-Request-ID"]
    assert HEX_ID.match(first) and HEX_ID.match(second) and first != second


def test_session_write_without_csrf_token_is_a_403_problem(staff):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(
        PRODUCTS, {"sku": "A", "name": "A", "price": "1"}, format="json"
    )
    body = assert_problem(response, 403, "permission-denied")
    assert "CSRF" in body["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "slug"),
    [
        (Http404("gone"), 404, "not-found"),
        (DjangoPermissionDenied(), 403, "permission-denied"),
        (RequestDataTooBig("too big"), 413, "payload-too-large"),
    ],
)
def test_handler_maps_django_exceptions_raised_in_views(exc, status, slug):
    request = APIRequestFactory().get("/api/v1/anything/")
    request.request_id = "req-1"
    response = exception_handler(exc, {"request": request, "view": None})
    assert response.status_code == status
    assert response.content_type == PROBLEM_CONTENT_TYPE
    assert response.data["type"].endswith(f"/problems/{slug}")
    assert response.data["status"] == status
    assert response.data["request_id"] == "req-1"


def test_throttled_answer_says_when_to_retry():
    request = APIRequestFactory().get("/api/v1/products/")
    response = exception_handler(drf.Throttled(wait=3.7), {"request": request})
    assert response.status_code == 429
    assert response.data["type"].endswith("/problems/throttled")
    assert response["Retry-After"] == "4"  # rounded up, never early


def test_nested_validation_errors_name_the_field_path():
    request = APIRequestFactory().post("/api/v1/orders/")
    error = drf.ValidationError(
        {
            "items": [{}, {"quantity": ["Too many."]}],
            "note": {"non_field_errors": ["Bad note."]},
            "tags": {2: ["Unknown tag."]},
        }
    )
    response = exception_handler(error, {"request": request})
    fields = [(e["field"], e["message"]) for e in response.data["errors"]]
    assert fields == [
        ("items[1].quantity", "Too many."),
        ("note", "Bad note."),
        ("tags[2]", "Unknown tag."),
    ]
    assert response.data["detail"].startswith("items[1].quantity: Too many.")


def test_an_unreadable_content_length_is_an_empty_body(api):
    response = api.generic(
        "POST",
        REGISTER,
        b'{"username": "alice"}',
        content_type="application/json",
        CONTENT_LENGTH="lots",
    )
    assert_problem(response, 400, "validation-error")


def test_renderer_writes_decimals_and_lazy_text_as_strings():
    assert dumps({"price": Decimal("19.90"), "title": gettext_lazy("Not found.")}) == (
        b'{"price":"19.90","title":"Not found."}'
    )


def test_concurrent_update_is_a_409_problem(api, monkeypatch):
    from business.catalog import CatalogService
    from business.transaction import ConcurrentUpdate

    def collide(self, **kwargs):
        raise ConcurrentUpdate("Nothing was changed; retry the request.")

    monkeypatch.setattr(CatalogService, "list_products", collide)
    response = api.get("/api/v1/products/")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/problems/concurrent-update")
