"""Metrics that need the whole project: database time and business outcomes.

Business stays framework-free, so its outcomes are counted here, from outside: the
use cases that produce them are wrapped once at start-up (`install`), and each
wrapper reads the outcome from what the method returns or raises, the way the
business layer itself reports it (records and business exceptions, not HTTP).
So the counts are the same whichever door (API, admin) a use case came through.
A count is made after commit: what a rolled-back transaction did is not counted.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

from business.idempotency import IdempotencyService, Replay
from business.orders.rules import InsufficientStock
from business.orders.service import OrderService
from data.instrumentation import timed_queries
from data.payments.gateway import SandboxGateway
from data.payments.provider import ProviderUnavailable
from data.payments.repository import PaymentRepository
from data.payments.statuses import PaymentStatus
from data.payments.stripe_gateway import StripeGateway

DB_QUERY_SECONDS = Histogram(
    "orderly_db_query_duration_seconds",
    "Seconds each SQL statement of a request took.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
ORDERS_PLACED = Counter("orderly_orders_placed", "Orders placed (committed).")
PAYMENTS = Counter(
    "orderly_payments", "Payments settled, and refunds, by status.", ["status"]
)
PROVIDER_CALLS = Histogram(
    "orderly_payment_provider_call_seconds",
    "Seconds each call to the payment provider took, by operation and outcome "
    "(succeeded, failed, pending: no answer; unavailable: not sent, breaker open).",
    ["operation", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STOCK_CONFLICTS = Counter(
    "orderly_stock_conflicts", "Orders refused for insufficient stock (409)."
)
IDEMPOTENT_REPLAYS = Counter(
    "orderly_idempotent_replays", "Requests answered from a stored Idempotency-Key."
)
for _status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.REFUNDED):
    PAYMENTS.labels(_status)

_COUNTED = "_orderly_counted"


class QueryTimingMiddleware:
    """Time every SQL statement a request runs (project wiring: presentation may not
    touch the database layer, and the timer itself lives in `data`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timed_queries(DB_QUERY_SECONDS.observe):
            return self.get_response(request)


def install() -> None:
    """Count business outcomes where the use cases produce them (once per process)."""
    _count(OrderService, "place_order", _placed, {InsufficientStock: _conflict})
    # A payment is counted where it settles, whoever settles it (the request, a
    # retry, the webhook, reconciliation): once, after that transaction commits.
    _count(PaymentRepository, "settle", _paid)
    _count(PaymentRepository, "add_refunded", _refunded)
    _count(IdempotencyService, "replay", _replayed)
    for gateway in (SandboxGateway, StripeGateway):
        _time(gateway, "charge")
        _time(gateway, "refund")


def _placed(order: Any) -> None:
    ORDERS_PLACED.inc()


def _conflict(error: Exception) -> None:
    STOCK_CONFLICTS.inc()


def _paid(payment: Any) -> None:
    PAYMENTS.labels(payment.status).inc()


def _refunded(payment: Any) -> None:
    PAYMENTS.labels(PaymentStatus.REFUNDED).inc()


def _replayed(outcome: Any) -> None:
    if isinstance(outcome, Replay):
        IDEMPOTENT_REPLAYS.inc()


def _time(cls: type, name: str) -> None:
    """Time a gateway call: its latency, by what the provider answered."""
    method = getattr(cls, name)
    if getattr(method, _COUNTED, False):
        return

    @functools.wraps(method)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = method(*args, **kwargs)
            outcome = str(result.outcome)
            return result
        except ProviderUnavailable:
            outcome = "unavailable"
            raise
        finally:
            PROVIDER_CALLS.labels(name, outcome).observe(time.perf_counter() - started)

    setattr(timed, _COUNTED, True)
    setattr(cls, name, timed)


def _count(
    cls: type,
    name: str,
    on_return: Callable[[Any], None],
    on_error: dict[type[Exception], Callable[[Exception], None]] | None = None,
) -> None:
    method = getattr(cls, name)
    if getattr(method, _COUNTED, False):
        return
    errors = tuple(on_error or ())

    @functools.wraps(method)
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except errors as error:
            handler = next(
                h for t, h in (on_error or {}).items() if isinstance(error, t)
            )
            _after_commit(functools.partial(handler, error))
            raise
        _after_commit(functools.partial(on_return, result))
        return result

    setattr(counted, _COUNTED, True)
    setattr(cls, name, counted)


def _after_commit(count: Callable[[], None]) -> None:
    """Count when the open transaction commits (never if it rolls back), or now."""
    # A use case returns after its unit of work has ended: counted at once, and
    # without touching the database (on_commit would connect to ask about
    # autocommit). `add_refunded` runs inside the settling's transaction and waits
    # for it; Django drops the hook with a rolled-back savepoint too. The unit of
    # work's transaction is the default database's. `robust`: a counter failing
    # at commit does not turn a committed cancel into an error.
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        transaction.on_commit(count, using=DEFAULT_DB_ALIAS, robust=True)
    else:
        count()
