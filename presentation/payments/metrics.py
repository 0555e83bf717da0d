"""The payments left pending at the provider, measured when `/metrics` is scraped.

A payment or refund pending for long means the provider's webhook did not come
and `reconcile_payments` has not run (or cannot reach the provider): the gauge
is what an alert watches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from business.payments import PaymentService

logger = logging.getLogger(__name__)

STALE = "orderly_payments_pending_stale"
STALE_HELP = (
    "Payments and refunds pending at the provider for longer than "
    "PAYMENT_PENDING_ALERT_SECONDS."
)
OLDEST = "orderly_payments_pending_oldest_seconds"
OLDEST_HELP = "Seconds the longest-pending payment or refund has waited (0: none)."


class PendingPaymentsCollector(Collector):
    """Pending payments and refunds, measured when (and only when) scraped."""

    def __init__(self, service: PaymentService | None = None) -> None:
        self._service = service

    def describe(self) -> Iterator[Metric]:
        # Registering must not query the database: name the families, empty.
        yield GaugeMetricFamily(STALE, STALE_HELP)
        yield GaugeMetricFamily(OLDEST, OLDEST_HELP)

    def collect(self) -> Iterator[Metric]:
        try:
            backlog = (self._service or PaymentService()).pending_backlog(
                alert_after=settings.PAYMENT_PENDING_ALERT_SECONDS
            )
        except Exception:
            # The other metrics still matter while the database is away.
            logger.warning("pending payments not measured", exc_info=True)
            return
        yield GaugeMetricFamily(STALE, STALE_HELP, value=backlog.stale)
        yield GaugeMetricFamily(OLDEST, OLDEST_HELP, value=backlog.oldest_seconds)
