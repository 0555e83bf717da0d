"""`/metrics` measures the outbox backlog at scrape time, and only then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from business.orders.relay import OutboxService
from data.orders.models import PendingEvent
from presentation.orders.metrics import OutboxBacklogCollector
from tests.events_support import HISTORY_EVENTS, make_history

pytestmark = pytest.mark.django_db

PENDING = "orderly_outbox_pending"
LAG = "orderly_outbox_lag_seconds"


def scrape(api) -> dict[str, list[float]]:
    """{family name: its sample values}; a name twice would show as two values."""
    response = api.get("/metrics")
    assert response.status_code == 200
    families: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(response.text):
        families.setdefault(family.name, []).extend(s.value for s in family.samples)
    return families


def test_metrics_shows_the_pending_events_and_the_age_of_the_oldest(api):
    make_history()
    # The oldest pending event was written 90 s ago (no relay ran since).
    oldest = PendingEvent.objects.order_by("event_id").first()
    PendingEvent.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(seconds=90)
    )

    metrics = scrape(api)

    assert metrics[PENDING] == [HISTORY_EVENTS]
    [lag] = metrics[LAG]
    assert 90 <= lag < 150
    # The other metrics are still there, once each.
    assert len(metrics["orderly_orders_placed"]) == 1


def test_an_empty_outbox_has_no_lag(api):
    metrics = scrape(api)
    assert (metrics[PENDING], metrics[LAG]) == ([0], [0])


def test_the_backlog_is_measured_per_scrape(api):
    assert scrape(api)[PENDING] == [0]
    make_history()
    assert scrape(api)[PENDING] == [HISTORY_EVENTS]
    PendingEvent.objects.all().delete()  # as a relay would after publishing
    assert scrape(api)[PENDING] == [0]


def test_a_scrape_costs_three_queries_and_other_requests_none(
    api, django_assert_num_queries
):
    make_history()
    # The outbox backlog; the pending payments and the pending refunds.
    with django_assert_num_queries(3):
        assert api.get("/metrics").status_code == 200
    with django_assert_num_queries(0):
        assert api.get("/healthz").status_code == 200
    with django_assert_num_queries(1):
        assert api.get("/readyz").status_code == 200


def test_the_backlog_is_served_in_multiprocess_mode(api, monkeypatch, tmp_path):
    make_history()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert scrape(api)[PENDING] == [HISTORY_EVENTS]


class BrokenService(OutboxService):
    def backlog(self):
        raise ConnectionError("database unreachable")


def test_without_a_database_the_backlog_is_left_out_not_the_scrape(caplog):
    assert list(OutboxBacklogCollector(BrokenService()).collect()) == []
    assert "outbox backlog not measured" in caplog.text


def test_registering_the_collector_does_not_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        names = [m.name for m in OutboxBacklogCollector().describe()]
    assert names == [PENDING, LAG]
