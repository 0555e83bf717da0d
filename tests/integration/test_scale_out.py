"""Two gunicorn instances on one PostgreSQL give the answers of one.

Each instance is the production server (the project's gunicorn.conf.py, DEBUG off,
two workers), so requests spread over them race across processes and hosts as
behind a load balancer. They share the secret key (as every host must) and the
database, where idempotency keys and stock live. Throttle counters live in the
shared cache: every test runs twice, with the database cache and with the local
Redis (REDIS_URL, database 15 of 127.0.0.1:6379, emptied first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from data.catalog.models import Product
from data.orders.models import Order
from tests.factories import PASSWORD, ProductFactory, UserFactory
from tests.gunicorn_support import Answer, call, gunicorn
from tests.live_server import database_url

pytestmark = [pytest.mark.gunicorn, pytest.mark.django_db(transaction=True)]

PROBLEMS = "https://orderly.example/problems/"
ORDERS = "/api/v1/orders/"
TOKEN = "/api/v1/auth/token/"


REDIS_URL = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Servers:
    first: str
    second: str
    redis: redis.Redis | None  # the shared cache, when it is Redis

    def __getitem__(self, n: int) -> str:
        return (self.first, self.second)[n]


@pytest.fixture(scope="module", params=["database-cache", "redis-cache"])
def servers(request, django_db_setup, django_db_blocker) -> Iterator[Servers]:
    """Serve Orderly twice on the test database and one shared cache."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    shared = {
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        # A tiny limit on the token endpoint, to see it count across instances.
        "THROTTLE_AUTH": "3/min",
    }
    cache = None
    if request.param == "redis-cache":
        cache = redis.Redis.from_url(REDIS_URL)
        cache.flushdb()  # counters of an earlier run would still be within the minute
        shared["REDIS_URL"] = REDIS_URL
    with (
        gunicorn(database, name="scale-out-a", **shared) as first,
        gunicorn(database, name="scale-out-b", **shared) as second,
    ):
        yield Servers(first, second, cache)


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def order_body(product, quantity: int = 1) -> dict:
    return {"items": [{"product_id": product.pk, "quantity": quantity}]}


def test_an_idempotency_key_used_on_one_instance_is_replayed_by_the_other(servers):
    first, second = servers.first, servers.second
    customer = UserFactory()
    product = ProductFactory(stock=5)
    headers = {**bearer(customer), "Idempotency-Key": "scale-out-order-1"}

    original = call(first + ORDERS, "POST", order_body(product, 2), headers)
    replay = call(second + ORDERS, "POST", order_body(product, 2), headers)

    assert original.status == 201, original.body
    assert "idempotent-replayed" not in original.headers
    assert replay.status == 201, replay.body
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.body == original.body
    assert Order.objects.filter(customer=customer).count() == 1
    assert Product.objects.get(pk=product.pk).stock == 3


def test_the_token_throttle_counts_requests_on_both_instances(servers):
    first, second = servers.first, servers.second
    user = UserFactory()
    credentials = {"username": user.username, "password": PASSWORD}

    allowed = [call(url + TOKEN, "POST", credentials) for url in (first, second, first)]
    refused = [call(url + TOKEN, "POST", credentials) for url in (second, first)]

    assert [answer.status for answer in allowed] == [200, 200, 200]
    for answer in refused:
        assert answer.status == 429, answer.body
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.body["type"] == PROBLEMS + "throttled"
        assert answer.body["status"] == 429
        assert 1 <= int(answer.headers["retry-after"]) <= 60
    if servers.redis is not None:  # the counter is in Redis, not in a worker
        assert any(b"throttle_auth" in key for key in servers.redis.keys("*"))


def test_concurrent_orders_across_both_instances_never_oversell(servers):
    customers = [UserFactory() for _ in range(3)]
    product = ProductFactory(stock=10)
    calls = [(servers[n % 2], bearer(customers[n % 3])) for n in range(30)]

    def place(target: tuple[str, dict[str, str]]) -> Answer:
        url, headers = target
        return call(url + ORDERS, "POST", order_body(product), headers)

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(place, calls))

    outcomes = Counter(
        (a.status, a.body["type"].removeprefix(PROBLEMS) if a.status >= 400 else "")
        for a in answers
    )
    assert outcomes == {(201, ""): 10, (409, "insufficient-stock"): 20}
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.filter(lines__product=product).count() == 10
