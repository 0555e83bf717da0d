"""Orderly's WSGI application with one-shot crash points, served by the crash proofs.

A proof arms a point by creating the file `$ORDERLY_CRASH_DIR/<point>`. The
worker that reaches it first removes the file and SIGKILLs itself, as an out of
memory kill or a lost host would end it: no handler runs, nothing is rolled back
by us, no answer leaves. Only the process whose `os.remove` succeeds fires, so
one arming is one kill however many workers race to the point.

The points sit on the seams the product promises to survive: the Stripe
adapter's calls (before, during and after the provider; "during" hands the test
the pid to kill once the request is sent), the settlement that records an
outcome, and the order's transaction, watched through an execute wrapper
installed on every new connection and through `on_commit`, so the product needs
no hook of its own. The harness only touches files: it issues no SQL, so the
rule that SQL comes from data/ holds for the server too. Each worker marks
`booted/<pid>` once it has loaded the application.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.backends.signals import connection_created
from urllib3.connection import HTTPConnection

# The application first: it sets Django up, which the models below need.
from project.wsgi import application

# isort: split
from business.payments.settlement import Settlement
from data.orders.models import Order
from data.payments.stripe_gateway import StripeGateway

__all__ = ["application"]

CRASH_DIR = Path(os.environ["ORDERLY_CRASH_DIR"])
# What starts the order's one statement (its lines ride along in a WITH).
ORDER_INSERT = f'INSERT INTO "{Order._meta.db_table}"'


def take(point: str) -> bool:
    """Disarm `point` if it is armed; True for the one process that did."""
    try:
        os.remove(CRASH_DIR / point)
    except FileNotFoundError:
        return False
    return True


def crash(point: str) -> None:
    """Die here, at once and without a word, if `point` is armed."""
    if take(point):
        os.kill(os.getpid(), signal.SIGKILL)


def _watch_sql(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
    result = execute(sql, *args)
    if ORDER_INSERT in sql:
        # Still inside place_order's transaction: PostgreSQL rolls it back when
        # the connection drops with the process.
        crash("order-before-commit")
        transaction.on_commit(lambda: crash("order-after-commit"))
    return result


def _install_sql_watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    # First in the list (outermost): the product appends its query timer and
    # pops the list's end again around each request, which would drop a
    # wrapper added after it. Once per connection object, which outlives the
    # database connections it opens.
    if _watch_sql not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch_sql)


def _calling(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a provider call with the points before, during and after it."""

    @functools.wraps(original)
    def call(self: StripeGateway, **kwargs: Any) -> Any:
        crash(f"{name}-before-call")
        if take(f"{name}-during-call"):
            _sent.pid_file = CRASH_DIR / f"{name}-during-call.pid"
        try:
            result = original(self, **kwargs)
        finally:
            _sent.pid_file = None
        crash(f"{name}-after-call")
        return result

    return call


# A call armed "during" tells its pid once its request has left: urllib3 (under
# the SDK's requests) asks for the answer only after sending the whole request,
# so the test's kill lands while the provider holds the call, not before.
_sent = threading.local()


def _answer_awaited(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def getresponse(self: HTTPConnection, *args: Any, **kwargs: Any) -> Any:
        pid_file = getattr(_sent, "pid_file", None)
        if pid_file is not None:
            _sent.pid_file = None
            pid_file.with_suffix(".tmp").write_text(str(os.getpid()))
            pid_file.with_suffix(".tmp").replace(pid_file)  # whole, or not there
        return original(self, *args, **kwargs)

    return getresponse


def _settled(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap the settlement of a charge with the point after its commit."""

    @functools.wraps(original)
    def charge(self: Settlement, *args: Any) -> Any:
        result = original(self, *args)
        crash("pay-after-commit")
        return result

    return charge


connection_created.connect(_install_sql_watch)
# Loading the application is a worker's last step before it takes requests: a
# test arms a point only while two workers have their mark, so that one is left
# to answer the retry at once.
(CRASH_DIR / "booted").mkdir(exist_ok=True)
(CRASH_DIR / "booted" / str(os.getpid())).touch()
StripeGateway.charge = _calling("charge", StripeGateway.charge)
StripeGateway.refund = _calling("refund", StripeGateway.refund)
Settlement.charge = _settled(Settlement.charge)
HTTPConnection.getresponse = _answer_awaited(HTTPConnection.getresponse)
