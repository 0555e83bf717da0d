"""Prometheus metrics of the event relay and of the outbox it drains.

Two views of the same backlog, so that neither depends on the other running:

- the relay process (`manage.py publish_events --metrics-port`) counts what it
  published and what failed, and sets the backlog gauges after each batch, in its
  own registry, served by its own small HTTP server;
- the web `/metrics` measures the backlog when it is scraped (one query, through
  `OutboxService`), so every web replica shows the lag even with no relay running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from business.orders.relay import OutboxService, RelayReport
from presentation.payments.metrics import PendingPaymentsCollector

logger = logging.getLogger(__name__)

PENDING = "orderly_outbox_pending"
PENDING_HELP = "Order events waiting in the outbox to be published."
LAG = "orderly_outbox_lag_seconds"
LAG_HELP = "Age in seconds of the oldest unpublished order event (0 when none)."

# The relay's own registry: the web process never serves it, and the relay does not
# serve the web's request metrics (nor, in tests, do the two share a name).
RELAY_REGISTRY = CollectorRegistry()
ProcessCollector(registry=RELAY_REGISTRY)
PlatformCollector(registry=RELAY_REGISTRY)
GCCollector(registry=RELAY_REGISTRY)
EVENTS_PUBLISHED = Counter(
    "orderly_events_published",
    "Order events the broker confirmed (this relay process).",
    registry=RELAY_REGISTRY,
)
PUBLISH_FAILURES = Counter(
    "orderly_event_publish_failures",
    "Batches that stopped because the broker failed (this relay process).",
    registry=RELAY_REGISTRY,
)
RELAY_PENDING = Gauge(PENDING, PENDING_HELP, registry=RELAY_REGISTRY)
RELAY_LAG = Gauge(LAG, LAG_HELP, registry=RELAY_REGISTRY)


def record(report: RelayReport) -> None:
    """Count one batch of the relay and set the backlog it left."""
    EVENTS_PUBLISHED.inc(report.batch.published)
    if report.batch.error:
        PUBLISH_FAILURES.inc()
    RELAY_PENDING.set(report.pending)
    RELAY_LAG.set(report.lag_seconds)


class OutboxBacklogCollector(Collector):
    """The outbox backlog, measured when (and only when) a scrape collects it."""

    def __init__(self, service: OutboxService | None = None) -> None:
        self._service = service

    def describe(self) -> Iterator[Metric]:
        # Registering must not query the database: name the families, empty.
        yield GaugeMetricFamily(PENDING, PENDING_HELP)
        yield GaugeMetricFamily(LAG, LAG_HELP)

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = (self._service or OutboxService()).backlog()
        except Exception:
            # The other metrics still matter while the database is away.
            logger.warning("outbox backlog not measured", exc_info=True)
            return
        yield GaugeMetricFamily(PENDING, PENDING_HELP, value=backlog.pending)
        yield GaugeMetricFamily(LAG, LAG_HELP, value=backlog.lag_seconds)


# Served by `/metrics` after the process' (or the workers') own metrics, with
# the payments pending at the provider: both are measured at scrape time.
OUTBOX_REGISTRY = CollectorRegistry(auto_describe=False)
OUTBOX_REGISTRY.register(OutboxBacklogCollector())
OUTBOX_REGISTRY.register(PendingPaymentsCollector())
