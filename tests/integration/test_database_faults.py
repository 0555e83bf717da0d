"""The production server rides out database faults without a restart.

A real gunicorn (DEBUG off, two workers, persistent connections with health
checks) serves the test database. Its connections are terminated by PostgreSQL, or
its network path to the database is cut (through a forwarder the test owns; the
shared PostgreSQL server is never stopped).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import ProductFactory, UserFactory
from tests.gunicorn_support import call, free_port, gunicorn
from tests.live_server import database_url
from tests.tcp_forwarder import Forwarder

pytestmark = pytest.mark.gunicorn

APP = "orderly-fault-test"
TERMINATE_ALL = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
PROBLEMS = "https://orderly.example/problems/"


def server_connections(conninfo: str) -> int:
    """Count the server's connections (tagged with its application_name)."""
    with psycopg.connect(conninfo, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APP],
        ).fetchone()
    return row[0]


def wait_for_no_server_connections(conninfo: str, seconds: float = 10) -> bool:
    """Return once the server's connections are gone (termination is asynchronous)."""
    deadline = time.monotonic() + seconds
    while server_connections(conninfo):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def database(django_db_setup, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        yield database_url(connection.settings_dict)


@pytest.mark.django_db(transaction=True)
def test_requests_after_every_connection_was_terminated_succeed(database):
    customer = UserFactory()
    product = ProductFactory(stock=10)
    headers = {
        "Authorization": f"Bearer {RefreshToken.for_user(customer).access_token}"
    }
    order = {"items": [{"product_id": product.pk, "quantity": 1}]}
    server_database = f"{database}?application_name={APP}"
    with gunicorn(
        server_database,
        name="db-faults",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DB_CONN_MAX_AGE="600",
    ) as url:
        for _ in range(8):
            assert call(url + "/api/v1/products/").status == 200
        assert server_connections(database) >= 1

        with psycopg.connect(database, autocommit=True) as admin:
            terminated = admin.execute(TERMINATE_ALL).fetchall()
        # This process's own Django connection was among them.
        connection.close()
        assert len(terminated) >= 2
        assert wait_for_no_server_connections(database)

        reads = [call(url + path) for path in ("/api/v1/products/", "/readyz") * 4]
        writes = [call(url + "/api/v1/orders/", "POST", order, headers)]
        writes += [call(url + "/api/v1/orders/", "POST", order, headers)]

    assert [answer.status for answer in reads] == [200] * 8
    assert [answer.status for answer in writes] == [201, 201]


def test_readyz_follows_the_database_and_recovers_without_a_restart(database):
    host = connection.settings_dict.get("HOST") or "127.0.0.1"
    port = int(connection.settings_dict.get("PORT") or 5432)
    forwarder = Forwarder(free_port(), (host, port))
    forwarder.start()
    proxied = database_url(
        {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": forwarder.port}
    )
    try:
        with gunicorn(proxied, name="db-unreachable", DB_CONN_MAX_AGE="600") as url:
            before = [call(url + "/readyz") for _ in range(4)]
            forwarder.stop()
            down = [call(url + "/readyz") for _ in range(4)]
            alive = call(url + "/healthz")
            forwarder.start()
            back = [call(url + "/readyz") for _ in range(4)]
    finally:
        forwarder.stop()

    assert [answer.status for answer in before] == [200] * 4
    assert [answer.status for answer in down] == [503] * 4
    for answer in down:
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.body["status"] == 503
        assert answer.body["type"].startswith(PROBLEMS)
    assert alive.status == 200
    assert [answer.status for answer in back] == [200] * 4
