"""Prometheus metrics of the HTTP tier, and the `/metrics` endpoint that serves all."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from presentation.orders.metrics import OUTBOX_REGISTRY

# Labelled by the matched route's name (or pattern), never the raw path, so that
# ids in URLs cannot grow the number of series.
REQUESTS = Counter(
    "orderly_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "orderly_http_request_duration_seconds",
    "Seconds from the request entering the middleware to the response leaving it.",
    ["view", "method"],
)
UNMATCHED = "unmatched"


class MetricsMiddleware:
    """Count every request and time it, by view, method and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_label(request)
        LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        return response


def view_label(request: HttpRequest) -> str:
    """Name the route a request matched: its URL name, else its pattern."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve every metric in Prometheus' text format, summed over gunicorn workers,
    and the outbox backlog, measured now (the only query `/metrics` makes)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its own files; any worker answers for all of them.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(OUTBOX_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
