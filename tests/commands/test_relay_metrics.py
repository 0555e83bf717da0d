"""The relay's Prometheus metrics: counted per batch, served on --metrics-port."""

from __future__ import annotations

import signal
import socket
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from data.orders.models import PendingEvent
from presentation.orders.metrics import RELAY_REGISTRY
from tests.architecture.test_deployment_files import SERVICES
from tests.commands.support import call, manage
from tests.commands.test_publish_events import start, wait_for
from tests.events_support import (
    CLOSED_AMQP_URL,
    HISTORY_EVENTS,
    TestBroker,
    make_history,
    open_broker,
)
from tests.gunicorn_support import free_port

PUBLISHED = "orderly_events_published_total"
FAILURES = "orderly_event_publish_failures_total"
PENDING = "orderly_outbox_pending"
LAG = "orderly_outbox_lag_seconds"

# The relay serves its metrics itself, on a port of these.
METRICS_PORTS = range(8600, 8700)


@pytest.fixture
def broker(settings) -> Iterator[TestBroker]:
    yield from open_broker(settings)


def value(name: str) -> float:
    return RELAY_REGISTRY.get_sample_value(name) or 0.0


def scrape(port: int) -> dict[str, float]:
    """GET the relay's /metrics like Prometheus does: {sample name: value}."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scraped(port: int) -> dict[str, float]:
    """Scrape, or {} while the server is not up yet."""
    try:
        return scrape(port)
    except OSError:
        return {}


@pytest.mark.django_db
def test_once_counts_what_it_published_and_sets_the_backlog(broker):
    make_history()
    before = value(PUBLISHED), value(FAILURES)

    result = call("publish_events", "--once", "--batch-size", "4")

    assert result.code == 0, result.err
    assert value(PUBLISHED) - before[0] == HISTORY_EVENTS
    assert value(FAILURES) - before[1] == 0
    assert (value(PENDING), value(LAG)) == (0, 0)
    assert len(broker.drain()) == HISTORY_EVENTS


@pytest.mark.django_db
def test_a_broker_failure_is_counted_and_the_backlog_shows_the_lag(broker, settings):
    make_history()
    before = value(PUBLISHED), value(FAILURES)
    settings.AMQP_URL = CLOSED_AMQP_URL

    result = call("publish_events", "--once")

    assert result.code == 1
    assert value(PUBLISHED) - before[0] == 0
    assert value(FAILURES) - before[1] == 1
    assert value(PENDING) == HISTORY_EVENTS
    assert value(LAG) > 0


@pytest.mark.django_db(transaction=True)
def test_the_loop_serves_its_metrics_on_the_metrics_port(broker):
    port = free_port(METRICS_PORTS)
    relay = start(broker, "--poll-interval", "0.1", "--metrics-port", str(port))
    try:
        wait_for(lambda: scraped(port).get(PUBLISHED) == 0)
        make_history()  # written while the relay polls
        wait_for(lambda: scraped(port).get(PUBLISHED) == HISTORY_EVENTS)
        metrics = scrape(port)
        assert metrics[FAILURES] == 0
        assert (metrics[PENDING], metrics[LAG]) == (0, 0)
        assert "process_cpu_seconds_total" in metrics
        # The relay's registry only: no request metrics of the web tier.
        assert not any(name.startswith("orderly_http_") for name in metrics)
    finally:
        relay.send_signal(signal.SIGTERM)
        out, err = relay.communicate(timeout=30)
    assert relay.returncode == 0, err
    assert len(broker.drain()) == HISTORY_EVENTS
    assert "relay: stopped" in out
    with pytest.raises(OSError):
        scrape(port)  # the server went with the process


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_scrape_shows_failures_and_the_growing_lag(broker):
    make_history()
    port = free_port(METRICS_PORTS)
    relay = start(broker, "--metrics-port", str(port), amqp_url=CLOSED_AMQP_URL)
    try:
        wait_for(lambda: scraped(port).get(FAILURES, 0) >= 1)
        first = scrape(port)
        wait_for(lambda: scraped(port).get(FAILURES, 0) >= 2)  # retried after 1s
        second = scrape(port)
    finally:
        relay.send_signal(signal.SIGTERM)
        _, err = relay.communicate(timeout=30)
    assert relay.returncode == 0, err
    assert (first[PUBLISHED], first[PENDING], second[PENDING]) == (
        0,
        HISTORY_EVENTS,
        HISTORY_EVENTS,
    )
    assert 0 < first[LAG] < second[LAG]
    assert PendingEvent.objects.count() == HISTORY_EVENTS


@pytest.mark.django_db
def test_a_metrics_port_in_use_is_one_line_and_publishes_nothing(broker):
    make_history()
    port = free_port(METRICS_PORTS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = call("publish_events", "--once", "--metrics-port", str(port))
    assert result.code == 1
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.err
    assert PendingEvent.objects.count() == HISTORY_EVENTS
    assert broker.drain() == []


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_metrics_port_is_a_usage_error(django_db_setup, port):
    result = manage("publish_events", "--metrics-port", port)
    assert result.returncode == 2
    assert result.stderr.startswith("manage.py publish_events: error: ")
    assert "--metrics-port" in result.stderr


def test_help_names_the_metrics_flags_and_metrics(django_db_setup):
    text = " ".join(manage("publish_events", "--help").stdout.split())
    for phrase in ["--metrics-port", "--metrics-addr", PUBLISHED, FAILURES, LAG]:
        assert phrase in text


def test_compose_exposes_the_port_the_relay_serves_metrics_on():
    relay = SERVICES["relay"]
    command = relay["command"]
    port = command[command.index("--metrics-port") + 1]
    # Reachable from other containers (Prometheus), not only from the relay itself.
    assert command[command.index("--metrics-addr") + 1] == "0.0.0.0"
    assert port in [str(p) for p in relay["expose"]]
