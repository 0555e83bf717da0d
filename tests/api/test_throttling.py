"""Throttles: anonymous, per user, and a stricter limit on token and register.

Rates here are tiny (set through REST_FRAMEWORK, as the THROTTLE_* variables do);
the rest of the suite runs unthrottled (tests/settings.py). The counters live in
the database cache, so they are emptied before and after each test.
"""

from __future__ import annotations

import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection

from data.cache.models import CacheEntry
from tests.api.problems import assert_problem
from tests.conftest import client_for
from tests.factories import PASSWORD, UserFactory
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
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "auth": None, **scopes},
    }


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
