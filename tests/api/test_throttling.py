"""Throttles: anonymous, per user, and a stricter limit on token and register.

Rates here are tiny (set through REST_FRAMEWORK, as the THROTTLE_* variables do);
the rest of the suite runs unthrottled (tests/settings.py). The counters live in
the database cache, so they are emptied before and after each test.
"""

from __future__ import annotations

import re
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from data.cache.models import CacheEntry
from tests.api.key_support import key_client, make_key
from tests.api.problems import assert_problem
from tests.conftest import client_for
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.sql_guard import SqlOriginGuard

PRODUCTS = "/api/v1/products/"
TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
CACHE_BACKEND = "django/core/cache/backends/db.py"


class CacheAwareGuard(SqlOriginGuard):
    """The SQL-origin guard, letting through the database cache's own statements."""

    def __call__(self, execute, sql, params, many, context):
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.endswith(CACHE_BACKEND):
                return execute(sql, params, many, context)
            frame = frame.f_back
        return super().__call__(execute, sql, params, many, context)


@pytest.fixture(autouse=True)
def sql_guard():
    """Override the suite's guard: throttles query the database cache from DRF."""
    guard = CacheAwareGuard()
    with connection.execute_wrapper(guard):
        yield guard
    if guard.violations:
        pytest.fail("SQL issued outside data/:\n" + "\n".join(guard.violations))


def rates(settings, **scopes: str | None) -> None:
    settings.REST_FRAMEWORK = {
        **django_settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": None,
            "user": None,
            "auth": None,
            "api_key": None,
            **scopes,
        },
    }


@pytest.fixture
def product(db):
    return ProductFactory(stock=10)


@pytest.fixture(autouse=True)
def empty_cache(db):
    cache.clear()
    yield
    cache.clear()


def test_anonymous_clients_over_the_rate_get_a_429_problem_with_retry_after(
    api, settings
):
    rates(settings, anon="2/min")

    allowed = [api.get(PRODUCTS).status_code for _ in range(2)]
    refused = api.get(PRODUCTS)

    assert allowed == [200, 200]
    body = assert_problem(refused, 429, "throttled")
    assert "throttled" in body["detail"].lower()
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_anonymous_clients_are_counted_by_address(api, settings):
    rates(settings, anon="1/min")

    first = api.get(PRODUCTS, REMOTE_ADDR="192.0.2.1")
    again = api.get(PRODUCTS, REMOTE_ADDR="192.0.2.1")
    other = api.get(PRODUCTS, REMOTE_ADDR="192.0.2.2")

    assert (first.status_code, again.status_code, other.status_code) == (200, 429, 200)


def test_users_are_counted_each_on_their_own(settings, customer, other_customer):
    rates(settings, user="3/min")
    carol, dave = client_for(customer), client_for(other_customer)

    allowed = [carol.get(PRODUCTS).status_code for _ in range(3)]
    refused = carol.get(PRODUCTS)

    assert allowed == [200, 200, 200]
    assert_problem(refused, 429, "throttled")
    assert dave.get(PRODUCTS).status_code == 200


def test_the_token_endpoint_has_a_stricter_limit_than_the_rest(api, settings):
    rates(settings, anon="100/min", auth="2/min")
    user = UserFactory()
    credentials = {"username": user.username, "password": PASSWORD}

    allowed = [api.post(TOKEN, credentials, format="json") for _ in range(2)]
    refused = api.post(TOKEN, credentials, format="json")

    assert [response.status_code for response in allowed] == [200, 200]
    assert_problem(refused, 429, "throttled")
    assert int(refused["Retry-After"]) >= 1
    # The stricter limit is the auth endpoints' own: other requests still pass.
    assert api.get(PRODUCTS).status_code == 200


def test_failed_logins_count_too(api, settings):
    rates(settings, auth="2/min")
    wrong = {"username": "nobody", "password": "guess-1234"}

    answers = [api.post(TOKEN, wrong, format="json").status_code for _ in range(3)]

    assert answers == [401, 401, 429]


def test_register_has_the_stricter_limit(api, settings):
    rates(settings, auth="1/min")

    first = api.post(
        REGISTER,
        {"username": "erin", "email": "erin@example.com", "password": PASSWORD},
        format="json",
    )
    second = api.post(
        REGISTER,
        {"username": "frank", "email": "frank@example.com", "password": PASSWORD},
        format="json",
    )

    assert first.status_code == 201
    assert_problem(second, 429, "throttled")


def test_without_rates_nothing_is_throttled(api, settings):
    rates(settings)

    assert {api.get(PRODUCTS).status_code for _ in range(20)} == {200}


def test_counters_live_in_the_shared_database_cache(api, settings):
    rates(settings, anon="5/min")

    api.get(PRODUCTS)

    assert django_settings.CACHES["default"]["BACKEND"] == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    keys = list(CacheEntry.objects.values_list("cache_key", flat=True))
    assert any("throttle_anon_127.0.0.1" in key for key in keys), keys


# -- RateLimit-Policy and RateLimit (IETF httpapi rate-limit headers draft) ------

# The provider's webhook opts out of throttling: it retries what it could not deliver.
UNTHROTTLED = ("post", "/api/v1/webhooks/payments/")
RATE_LIMIT = re.compile(r'^"(?P<name>[a-z]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def state(response) -> dict[str, tuple[int, int]]:
    """Parse `RateLimit` into {policy: (remaining, seconds to reset)}."""
    header = response["RateLimit"]
    items = [RATE_LIMIT.match(item.strip()) for item in header.split(",")]
    assert all(items), header
    return {m["name"]: (int(m["r"]), int(m["t"])) for m in items if m}


def test_anonymous_reads_send_the_policy_and_what_remains_of_it(api, settings):
    rates(settings, anon="3/min")

    first, second = api.get(PRODUCTS), api.get(PRODUCTS)

    assert first["RateLimit-Policy"] == '"anon";q=3;w=60'
    assert state(first)["anon"][0] == 2
    assert state(second)["anon"][0] == 1
    assert 0 < state(second)["anon"][1] <= 60


def test_a_429_sends_the_headers_with_nothing_remaining(api, settings):
    rates(settings, anon="1/min")

    api.get(PRODUCTS)
    refused = api.get(PRODUCTS)

    assert_problem(refused, 429, "throttled")
    assert refused["RateLimit-Policy"] == '"anon";q=1;w=60'
    remaining, reset = state(refused)["anon"]
    assert remaining == 0
    assert 1 <= reset <= 60
    assert abs(reset - int(refused["Retry-After"])) <= 1


def test_users_get_their_own_policy_on_reads_and_writes(settings, customer, product):
    rates(settings, anon="5/min", user="7/min")
    client = client_for(customer)

    read = client.get(PRODUCTS)
    write = client.post(
        "/api/v1/orders/",
        {"items": [{"product_id": product.pk, "quantity": 1}]},
        format="json",
    )

    assert write.status_code == 201, write.content
    assert read["RateLimit-Policy"] == write["RateLimit-Policy"] == '"user";q=7;w=60'
    assert (state(read)["user"][0], state(write)["user"][0]) == (6, 5)


def test_auth_endpoints_send_both_of_their_policies(api, settings):
    rates(settings, anon="100/hour", auth="2/min")
    user = UserFactory()
    credentials = {"username": user.username, "password": PASSWORD}

    answer = api.post(TOKEN, credentials, format="json")

    assert answer.status_code == 200
    assert answer["RateLimit-Policy"] == '"anon";q=100;w=3600, "auth";q=2;w=60'
    assert {name: r for name, (r, _) in state(answer).items()} == {
        "anon": 99,
        "auth": 1,
    }


def test_a_429_of_one_policy_shows_which_one_ran_out(api, settings):
    rates(settings, anon="100/min", auth="1/min")
    wrong = {"username": "nobody", "password": "guess-1234"}

    api.post(TOKEN, wrong, format="json")
    refused = api.post(TOKEN, wrong, format="json")

    assert refused.status_code == 429
    assert state(refused)["auth"][0] == 0
    assert state(refused)["anon"][0] > 0


def test_a_throttle_that_is_off_or_not_for_the_view_sends_no_header(api, settings):
    rates(settings, auth="5/min")

    read = api.get(PRODUCTS)
    login = api.post(TOKEN, {"username": "x", "password": "y"}, format="json")

    assert "RateLimit-Policy" not in read
    assert "RateLimit" not in read
    assert login["RateLimit-Policy"] == '"auth";q=5;w=60'


def test_without_any_rate_no_answer_sends_the_headers(api, settings):
    rates(settings)

    assert "RateLimit" not in api.get(PRODUCTS)


def test_the_schema_documents_the_headers_on_every_answer_and_429(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                headers = set(answer.get("headers", {}))
                where = f"{method.upper()} {path} {status}"
                if (method, path) == UNTHROTTLED:
                    assert not headers & {"RateLimit-Policy", "RateLimit"}, where
                else:
                    assert {"RateLimit-Policy", "RateLimit"} <= headers, where


def schema_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [
        (method, path)
        for path, item in paths.items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.parametrize(("method", "path"), schema_operations())
def test_every_operation_sends_the_headers(settings, staff, method, path):
    rates(settings, user="1000/min")
    url = re.sub(r"\{[^}]+\}", "1", path)

    response = getattr(client_for(staff), method)(url, {}, format="json")

    assert response.status_code < 500, response.content
    if (method, path) == UNTHROTTLED:
        assert "RateLimit-Policy" not in response
        return
    assert response["RateLimit-Policy"] == '"user";q=1000;w=60', response.status_code
    assert state(response)["user"][0] < 1000


def test_each_api_key_has_its_own_quota_with_headers(settings, staff, staff_api):
    rates(settings, user="100/min", api_key="2/min")
    first, second = (
        key_client(make_key(staff_api, "orders:read")["key"]) for _ in range(2)
    )

    answers = [first.get("/api/v1/orders/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0]["RateLimit-Policy"] == '"api_key";q=2;w=60'
    assert answers[0]["RateLimit"].startswith('"api_key";r=1;')
    assert answers[2]["RateLimit"].startswith('"api_key";r=0;')
    assert second.get("/api/v1/orders/").status_code == 200
