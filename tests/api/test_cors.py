"""CORS: only the origins of CORS_ALLOWED_ORIGINS may read answers in a browser."""

from __future__ import annotations

import pytest

PRODUCTS = "/api/v1/products/"
ALLOWED = "https://app.example.com"


def preflight(api, path: str, method: str, headers: str):
    """Ask, as the allowed origin's browser does, whether `method` may be sent."""
    return api.options(
        path,
        HTTP_ORIGIN=ALLOWED,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.fixture
def allow_list(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def test_by_default_no_origin_is_allowed(api, db, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []

    response = api.get(PRODUCTS, HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_an_allowed_origin_gets_the_header(api, db, allow_list):
    response = api.get(PRODUCTS, HTTP_ORIGIN=ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_another_origin_does_not(api, db, allow_list):
    response = api.get(PRODUCTS, HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_from_an_allowed_origin_is_answered(api, allow_list):
    response = preflight(api, "/api/v1/orders/", "POST", "authorization, content-type")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_a_preflight_from_another_origin_is_not(api, allow_list):
    response = api.options(
        "/api/v1/orders/",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert "Access-Control-Allow-Origin" not in response


def test_problems_answered_early_carry_the_header_too(api, allow_list):
    # A 413 from the body size limit must be readable by the allowed browser app.
    response = api.generic(
        "POST",
        "/api/v1/orders/",
        b"x" * (1024 * 1024 + 1),
        content_type="application/json",
        HTTP_ORIGIN=ALLOWED,
    )

    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_a_preflight_allows_the_conditional_request_headers(api, allow_list):
    response = preflight(api, "/api/v1/products/1/", "PATCH", "authorization, if-match")

    allowed = response["Access-Control-Allow-Headers"]
    assert {"if-match", "if-none-match", "authorization"} <= set(allowed.split(", "))


def test_the_browser_app_may_read_the_etag_and_rate_limit_headers(api, db, allow_list):
    response = api.get(PRODUCTS, HTTP_ORIGIN=ALLOWED)

    exposed = {
        h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")
    }
    assert {"etag", "ratelimit", "ratelimit-policy", "retry-after"} <= exposed
