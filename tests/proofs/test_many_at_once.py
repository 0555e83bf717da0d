"""Many requests at once: ten payments of one order, then a bounded load run.

Both run on three real workers, each client a thread of its own over loopback.
Ten racers released together by a barrier, each with its own Idempotency-Key or
none (or all with the same one), pay one order: one payment succeeds, one
PaymentIntent exists at the provider, every other answer is one the contract
documents. Then three customers place orders and pay them while the provider
fails a fifth of its calls (a 5xx drawn from a fixed seed); some orders and
payments are retried with the same key, some paid orders are paid again or
cancelled (refunded). No answer is a 5xx but the documented 503
`payment-provider-unavailable` (with Retry-After), no order is paid twice, no
payment is lost, and after `reconcile_payments` the books agree.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.gunicorn_support import Answer
from tests.ledger_check import CHARGED, read_books
from tests.proofs.stack import ORDERS, PAYMENTS, PROBLEMS, Stack

pytestmark = pytest.mark.provider

RACERS = 10
# The 409s a refused racer may get: paid already, or a payment of it is pending.
REFUSALS = {PROBLEMS + "order-not-payable"}


@pytest.fixture(scope="module")
def server_options() -> dict[str, object]:
    # More workers than the default two, so that more racers run at once.
    return {"workers": 3}


def race(
    stack: Stack, who: dict[str, str], order: dict[str, Any], keys: list[str | None]
) -> list[Answer]:
    """Pay the order from RACERS threads at once, each with its key (or none)."""
    start = threading.Barrier(RACERS)

    def pay(key: str | None) -> Answer:
        headers = {"Idempotency-Key": key} if key else {}
        start.wait(timeout=10)
        return stack.pay(who, order, **headers)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(pay, keys))


@pytest.mark.parametrize("latency_ms", [0, 400], ids=["prompt", "slow-provider"])
def test_ten_payments_of_one_order_at_once_charge_it_once(stack: Stack, latency_ms):
    who = stack.customer()
    order = stack.placed(who, stack.product(price="12.50"))
    stack.provider.faults(latency_ms=latency_ms)
    keys = [f"race-{latency_ms}-{n}" if n % 2 else None for n in range(RACERS)]

    answers = race(stack, who, order, keys)

    statuses = Counter(answer.status for answer in answers)
    assert statuses[201] == 1, [(a.status, a.body) for a in answers]
    for answer in answers:
        if answer.status != 201:
            assert answer.status == 409, answer.body
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.body["type"] in REFUSALS, answer.body
    [paid] = [answer.body for answer in answers if answer.status == 201]
    assert paid["status"] == "succeeded"
    payments = stack.get(who, PAYMENTS)
    assert [p["id"] for p in payments["results"]] == [paid["id"]]
    assert len(stack.intents_of(paid["id"])) == 1
    assert stack.get(who, f"{ORDERS}{order['id']}/")["status"] == "paid"
    assert stack.event_types(who, order["id"])["order.paid"] == 1
    assert stack.differences() == []


def test_ten_retries_of_one_payment_at_once_are_one_payment(stack: Stack):
    who = stack.customer()
    order = stack.placed(who, stack.product())
    stack.provider.faults(latency_ms=400)

    answers = race(stack, who, order, ["one-key"] * RACERS)

    # The first commits its payment with the key; the others wait for it, then
    # resume that payment (the provider dedupes their calls by its key).
    assert {answer.status for answer in answers} == {201}, [a.body for a in answers]
    assert {answer.body["id"] for answer in answers} == {answers[0].body["id"]}
    assert stack.get(who, PAYMENTS)["count"] == 1
    assert len(stack.intents_of(answers[0].body["id"])) == 1
    assert stack.event_types(who, order["id"])["order.paid"] == 1
    assert stack.differences() == []


# --- the load run ------------------------------------------------------------

CUSTOMERS = 3
ORDERS_EACH = 30
# Keyed retries of a payment left pending, at most, before leaving it to
# reconciliation.
RETRIES = 3


@dataclass
class Tally:
    """One customer's requests: every answer, and the payments it was told of."""

    answers: list[Answer] = field(default_factory=list)
    payments: set[int] = field(default_factory=set)
    paid_orders: set[int] = field(default_factory=set)

    def record(self, answer: Answer) -> Answer:
        self.answers.append(answer)
        return answer

    def payment(self, answer: Answer) -> Answer:
        """Record the answer to a payment, and the payment it told of."""
        if answer.status in (201, 202):
            self.payments.add(answer.body["id"])
        if answer.status == 201:
            self.paid_orders.add(answer.body["order_id"])
        return self.record(answer)


def shop(stack: Stack, n: int, products: list[dict[str, Any]]) -> Tally:
    """One customer's run: place, pay, retry, pay again, cancel (seeded choices)."""
    who, tally, choose = stack.customer(), Tally(), random.Random(n)
    for i in range(ORDERS_EACH):
        key = {"Idempotency-Key": f"order-{n}-{i}"}
        product, quantity = choose.choice(products), choose.randint(1, 3)
        order = tally.record(stack.place(who, product, quantity, **key))
        assert order.status == 201, order.body
        if choose.random() < 0.25:  # as if the answer was lost: the same again
            replay = tally.record(stack.place(who, product, quantity, **key))
            assert replay.headers["idempotent-replayed"] == "true"
            assert replay.body == order.body
        pay_key = {"Idempotency-Key": f"pay-{n}-{i}"}
        answer = tally.payment(stack.pay(who, order.body, **pay_key))
        for _ in range(RETRIES):
            if answer.status != 202:
                break
            answer = tally.payment(stack.pay(who, order.body, **pay_key))
        if answer.status != 201:
            continue
        if choose.random() < 0.2:
            again = tally.payment(stack.pay(who, order.body))
            # Paid already (or, checked first, the provider known to be down).
            assert again.status in (409, 503), again.body
        if choose.random() < 0.2:
            cancel = f"{ORDERS}{order.body['id']}/cancel/"
            tally.record(stack.call("POST", cancel, **who))
    return tally


def assert_documented(answer: Answer) -> None:
    if answer.status < 500:
        return
    assert answer.status == 503, answer.body
    assert answer.body["type"] == PROBLEMS + "payment-provider-unavailable"
    assert int(answer.headers["retry-after"]) >= 1


def test_a_load_run_on_a_failing_provider_loses_and_doubles_nothing(stack, capsys):
    products = [stack.product(stock=1000, price=f"{5 + n}.25") for n in range(5)]
    stack.provider.faults(error_rate=0.2, seed=12)
    started = time.monotonic()
    with ThreadPoolExecutor(CUSTOMERS) as pool:
        tallies = list(pool.map(lambda n: shop(stack, n, products), range(CUSTOMERS)))
    seconds = time.monotonic() - started
    answers = [answer for tally in tallies for answer in tally.answers]
    for answer in answers:
        assert_documented(answer)

    # The provider is back: whatever stayed pending is settled.
    stack.provider.faults(error_rate=0.0)
    stack.reconcile()

    books = read_books(stack.database)
    ours = {payment.id: payment for payment in books.payments}
    everyone = stack.get(stack.staff, f"{PAYMENTS}?page_size=100")
    assert everyone["count"] == len(ours) <= 100
    charged = Counter(
        p["order_id"] for p in everyone["results"] if p["status"] in CHARGED
    )
    assert max(charged.values()) == 1  # no order paid twice
    for tally in tallies:
        # Every payment a customer was told of is ours and settled.
        assert tally.payments <= ours.keys()
        assert all(ours[p].status != "pending" for p in tally.payments)
        assert tally.paid_orders <= charged.keys()
    assert stack.differences() == []
    provider = stack.provider.books()
    with capsys.disabled():
        print(
            f"\nload: {len(answers)} requests in {seconds:.1f} s, statuses "
            f"{dict(sorted(Counter(a.status for a in answers).items()))}; "
            "the module's books (the races' orders too): "
            f"provider {_intents(provider)}, {_refunds(provider)}; ours "
            f"{_payments(books.payments)}, {_our_refunds(books.refunds)}"
        )


def _intents(provider: dict[str, list[dict[str, Any]]]) -> str:
    taken = [i["amount_received"] for i in provider["payment_intents"]]
    charged = [amount for amount in taken if amount]
    return f"{len(taken)} intents ({len(charged)} charged, {sum(charged)} cents)"


def _refunds(provider: dict[str, list[dict[str, Any]]]) -> str:
    done = [r["amount"] for r in provider["refunds"] if r["status"] == "succeeded"]
    return f"{len(provider['refunds'])} refunds ({sum(done)} cents)"


def _payments(payments: list[Any]) -> str:
    charged = [p.amount for p in payments if p.status in CHARGED]
    return f"{len(payments)} payments ({len(charged)} charged, {sum(charged)} cents)"


def _our_refunds(refunds: list[Any]) -> str:
    done = [r.amount for r in refunds if r.status == "succeeded"]
    return f"{len(refunds)} refunds ({sum(done)} cents)"
