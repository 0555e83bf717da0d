"""A worker SIGKILLed at any step of an order, a payment or a refund loses nothing.

gunicorn serves tests/proofs/crashing_wsgi.py: a test arms one crash point, the
request that reaches it loses its worker (the client sees the connection drop),
the master starts another, and the client retries at once with the same
Idempotency-Key. The retry answers within seconds with the final answer, the
use case ran once (one order, one charge, one refund, stock moved once), and
our books and the provider's agree, nothing left pending; `reconcile_payments`,
run after every crash, then finds nothing to settle.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.gunicorn_support import Answer
from tests.ledger_check import read_books
from tests.proofs.stack import ORDERS, PAYMENTS, Stack, snapshot

pytestmark = pytest.mark.provider

# Seconds a retry may take: it resumes, it never waits out a timer.
PROMPT = 5.0
QUANTITY = 2
# One more than the two that must be up when a point is armed: no test waits
# for the worker killed by the one before it.
WORKERS = 3


@pytest.fixture(scope="module")
def server_options() -> dict[str, object]:
    return {"app": "tests.proofs.crashing_wsgi", "workers": WORKERS}


def arm(stack: Stack, point: str) -> None:
    """Arm a crash point once two workers are up: one dies, one answers the retry
    at once (the master starts the dead one's successor meanwhile)."""
    wait_for(lambda: ready_workers(stack) >= 2, 30)
    (stack.crash_dir / point).touch()


def ready_workers(stack: Stack) -> int:
    """Count the workers that loaded the application and are alive."""
    ready = 0
    for mark in (stack.crash_dir / "booted").glob("*"):
        try:
            os.kill(int(mark.name), 0)  # signal 0: is it there?
        except ProcessLookupError:
            mark.unlink()
        else:
            ready += 1
    return ready


def fired(stack: Stack, point: str) -> bool:
    return not (stack.crash_dir / point).exists()


def assert_connection_lost(request: Callable[[], Answer]) -> None:
    """Assert the request got no answer because its worker died (not a timeout)."""
    try:
        answer = request()
    except OSError as error:
        reason = getattr(error, "reason", error)  # urllib wraps some in URLError
        assert isinstance(reason, ConnectionError), repr(error)
        return
    pytest.fail(f"the request was answered: {answer}")


def wait_for(found: Callable[[], Any], seconds: float = 10) -> Any:
    """Poll until `found()` is truthy (bounded); return what it found."""
    deadline = time.monotonic() + seconds
    while not (value := found()):
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)
    return value


def killed_during_the_call(stack: Stack, request: Callable[[], Answer]) -> None:
    """Kill the worker while the provider holds its charge (the provider then
    applies it, our worker dead) and wait until the provider has applied it."""
    stack.provider.faults(latency_ms=3000)
    arm(stack, "charge-during-call")
    pid_file = stack.crash_dir / "charge-during-call.pid"
    with ThreadPoolExecutor(1) as pool:
        lost = pool.submit(assert_connection_lost, request)
        pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text()))
        os.kill(pid, signal.SIGKILL)
        lost.result(timeout=10)
    stack.provider.faults(latency_ms=0)
    count = len(stack.provider.books()["payment_intents"])
    wait_for(lambda: len(stack.provider.books()["payment_intents"]) > count, 10)


def retried(request: Callable[[], Answer]) -> Answer:
    """Retry at once; assert it answers promptly."""
    started = time.monotonic()
    answer = request()
    assert time.monotonic() - started < PROMPT
    return answer


@pytest.mark.parametrize("point", ["order-before-commit", "order-after-commit"])
def test_an_order_placed_through_a_crash_is_placed_once(stack: Stack, point: str):
    who, product = stack.customer(), stack.product(stock=10)
    key = {"Idempotency-Key": f"order-{point}"}
    arm(stack, point)
    assert_connection_lost(lambda: stack.place(who, product, QUANTITY, **key))
    assert fired(stack, point)

    answer = retried(lambda: stack.place(who, product, QUANTITY, **key))

    assert answer.status == 201, answer.body
    orders = stack.get(who, ORDERS)
    assert orders["count"] == 1
    assert orders["results"][0]["id"] == answer.body["id"]
    assert stack.stock(product) == 10 - QUANTITY
    assert stack.event_types(who, answer.body["id"]) == {"order.created": 1}
    # The order so placed is paid like any other.
    assert stack.pay(who, answer.body).status == 201
    # Nothing left pending, nothing charged or refunded twice or unknown to us.
    assert stack.differences() == []


PAY_POINTS = [
    "charge-before-call",
    "charge-during-call",
    "charge-after-call",
    "pay-after-commit",
]


@pytest.mark.parametrize("point", PAY_POINTS)
def test_a_payment_through_a_crash_charges_once(stack: Stack, point: str):
    who, product = stack.customer(), stack.product(stock=10)
    order = stack.placed(who, product, QUANTITY)
    key = {"Idempotency-Key": f"pay-{point}"}

    def pay() -> Answer:
        return stack.pay(who, order, **key)

    if point == "charge-during-call":
        killed_during_the_call(stack, pay)
    else:
        arm(stack, point)
        assert_connection_lost(pay)
    assert fired(stack, point)

    answer = retried(pay)

    assert answer.status in (201, 202), answer.body
    payment = stack.settled(who, answer.body["id"])
    assert payment["status"] == "succeeded"
    assert stack.get(who, PAYMENTS)["count"] == 1
    assert stack.get(who, f"{ORDERS}{order['id']}/")["status"] == "paid"
    assert len(stack.intents_of(payment["id"])) == 1
    assert stack.stock(product) == 10 - QUANTITY
    assert stack.event_types(who, order["id"]) == {"order.created": 1, "order.paid": 1}
    # Nothing left pending, nothing charged or refunded twice or unknown to us.
    assert stack.differences() == []


@pytest.mark.parametrize("point", ["refund-before-call", "refund-after-call"])
def test_a_cancel_through_a_crash_refunds_once(stack: Stack, point: str):
    who, product = stack.customer(), stack.product(stock=10)
    order = stack.placed(who, product, QUANTITY)
    payment = stack.paid(who, order)
    cancel = f"{ORDERS}{order['id']}/cancel/"
    key = {"Idempotency-Key": f"cancel-{point}"}
    arm(stack, point)
    assert_connection_lost(lambda: stack.call("POST", cancel, **who, **key))
    assert fired(stack, point)

    answer = retried(lambda: stack.call("POST", cancel, **who, **key))

    assert answer.status == 200, answer.body
    assert answer.body["status"] == "cancelled"
    ours = read_books(stack.database).refunds
    [refund] = [r for r in ours if r.payment_id == payment["id"]]
    assert refund.status == "succeeded"
    refunds = [
        r
        for r in stack.provider.books()["refunds"]
        if r["metadata"]["refund_id"] == str(refund.id)
    ]
    assert len(refunds) == 1
    assert stack.get(who, f"{PAYMENTS}{payment['id']}/")["status"] == "refunded"
    assert stack.stock(product) == 10
    assert stack.event_types(who, order["id"]) == {
        "order.created": 1,
        "order.paid": 1,
        "order.cancelled": 1,
        "payment.refunded": 1,
    }
    # Nothing left pending, nothing charged or refunded twice or unknown to us.
    assert stack.differences() == []


def test_reconciliation_after_every_crash_finds_nothing_left_to_settle(stack: Stack):
    before = snapshot(stack.database)
    out = stack.reconcile()
    assert "Found 0 payments and 0 refunds pending" in out
    assert snapshot(stack.database) == before
    assert stack.differences() == []
