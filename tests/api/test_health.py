"""Liveness and readiness probes."""

from __future__ import annotations

import socket

import pytest
from django.db import connection

from business.errors import Unavailable
from business.health import HealthService
from tests.api.problems import assert_problem


class DeadProbe:
    def ping(self) -> bool:
        return False


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django fails any query this request would make.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_writes_with_a_405_problem(client, path):
    response = client.post(path)
    assert_problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET, HEAD"


def test_probes_answer_head(client):
    assert client.head("/healthz").status_code == 200


def test_health_service_raises_unavailable_when_the_probe_fails():
    with pytest.raises(Unavailable, match="database does not answer"):
        HealthService(probe=DeadProbe()).check_ready()


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_while_the_database_is_unreachable_then_recovers(
    client, monkeypatch
):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(unused_port()))
    try:
        response = client.get("/readyz")
        body = assert_problem(response, 503, "service-unavailable")
        assert "database" in body["detail"]
    finally:
        monkeypatch.undo()
        connection.close()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
