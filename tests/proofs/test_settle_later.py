"""A charge whose answer was lost is settled later, once, by whoever learns it first.

The provider charges and drops the connection: the payment is 202 pending. Its
webhook settles it (also when sent twice, late or out of order), or, with
webhooks off, `reconcile_payments` does. A webhook that does not verify is a
400 `invalid-signature` and changes nothing in the database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from sandbox_provider.webhooks import event, sign
from tests.gunicorn_support import ROOT
from tests.proofs.stack import ORDERS, PAYMENTS, WEBHOOK, Stack, snapshot
from tests.provider_support import WEBHOOK_SECRET

pytestmark = pytest.mark.provider


@pytest.fixture(scope="module")
def server_options() -> dict[str, object]:
    # One worker, so that the charge `answering` makes resets the circuit
    # breaker (one per process) that the dropped answers count on.
    return {"workers": 1}


@pytest.fixture(scope="module")
def regular(running: Stack) -> tuple[dict[str, str], dict[str, Any]]:
    """A customer and a product for the payments that go as they should."""
    return running.customer(), running.product(stock=1000)


@pytest.fixture(autouse=True)
def answering(stack: Stack, regular) -> None:
    """Start each proof with a provider that answered: the breaker closed.

    Every dropped answer counts as a failure, and five in a row (over the
    module's proofs) would open it, and payments would rightly be 503.
    """
    who, product = regular
    stack.paid(who, stack.placed(who, product))


def pending_payment(
    stack: Stack, who: dict[str, str], drop: str = "after", **faults: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Place an order and pay it while the provider drops the connection."""
    order = stack.placed(who, stack.product())
    stack.provider.faults(drop=drop, drop_count=1, **faults)
    answer = stack.pay(who, order)
    assert answer.status == 202, answer.body
    assert answer.body["status"] == "pending"
    return order, answer.body


def deliveries(stack: Stack) -> list[dict[str, Any]]:
    stack.provider.control("POST", "/_sandbox/webhooks/flush")
    return stack.provider.control("GET", "/_sandbox/deliveries")["deliveries"]


def assert_paid_once(stack: Stack, who: dict[str, str], order, payment) -> None:
    assert stack.settled(who, payment["id"])["status"] == "succeeded"
    assert stack.get(who, f"{ORDERS}{order['id']}/")["status"] == "paid"
    assert stack.event_types(who, order["id"])["order.paid"] == 1
    assert len(stack.intents_of(payment["id"])) == 1


def test_the_webhook_settles_a_charge_whose_answer_was_lost(stack: Stack):
    who = stack.customer()
    order, payment = pending_payment(stack, who)
    assert_paid_once(stack, who, order, payment)
    sent = [d for d in deliveries(stack) if d["type"] == "payment_intent.succeeded"]
    assert sent[-1]["status"] == 200
    assert stack.differences() == []


def test_without_webhooks_reconciliation_settles_it(stack: Stack):
    who = stack.customer()
    order, payment = pending_payment(stack, who, webhooks_off=True)
    time.sleep(0.5)  # a webhook, were one sent, would have come by now
    assert stack.get(who, f"{PAYMENTS}{payment['id']}/")["status"] == "pending"
    stack.reconcile()
    assert_paid_once(stack, who, order, payment)
    assert stack.differences() == []


def test_two_reconciliations_at_once_settle_each_payment_once(stack: Stack):
    who = stack.customer()
    pending = [pending_payment(stack, who, webhooks_off=True) for _ in range(2)]
    # And one the provider never applied: reconciliation makes that charge.
    never = pending_payment(stack, who, drop="before", webhooks_off=True)
    assert stack.intents_of(never[1]["id"]) == []
    pending.append(never)
    command = [sys.executable, "manage.py", "reconcile_payments", "--older-than=0s"]
    env = {**stack.env, "DATABASE_URL": stack.database}
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for _ in range(2)
    ]
    try:
        assert [run.wait(timeout=60) for run in runs] == [0, 0]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
    for order, payment in pending:
        assert_paid_once(stack, who, order, payment)
    assert stack.differences() == []


def test_a_webhook_sent_twice_settles_once(stack: Stack):
    who = stack.customer()
    order, payment = pending_payment(stack, who, webhook_duplicate=True)
    assert_paid_once(stack, who, order, payment)
    sent = [d for d in deliveries(stack) if d["type"] == "payment_intent.succeeded"]
    event_id = sent[-1]["event"]
    # The same event twice, both answered 200; seen, and acted on, once.
    assert [(d["event"], d["status"]) for d in sent[-2:]] == [(event_id, 200)] * 2
    seen = [row[1] for row in snapshot(stack.database)["ProviderEvent"]]
    assert seen.count(event_id) == 1
    assert stack.differences() == []


def test_a_late_webhook_settles_it_when_it_comes(stack: Stack):
    who = stack.customer()
    order, payment = pending_payment(stack, who, webhook_delay_ms=1500)
    assert stack.get(who, f"{PAYMENTS}{payment['id']}/")["status"] == "pending"
    assert_paid_once(stack, who, order, payment)
    assert stack.differences() == []


def test_webhooks_out_of_order_never_move_a_status_back(stack: Stack):
    who = stack.customer()
    key = {"Idempotency-Key": "reordered"}
    order = stack.placed(who, stack.product())
    stack.provider.faults(webhook_reorder=True, drop="after", drop_count=1)
    assert stack.pay(who, order, **key).status == 202
    # The retry learns the outcome from the provider; its webhook is held back.
    assert stack.pay(who, order, **key).status == 201
    cancelled = stack.call("POST", f"{ORDERS}{order['id']}/cancel/", **who)
    assert cancelled.status == 200, cancelled.body
    # The refund's event came first, then the charge's, about a refunded payment.
    sent = [(d["type"], d["status"]) for d in deliveries(stack)][-2:]
    assert sent == [("refund.created", 200), ("payment_intent.succeeded", 200)]
    payment = stack.get(who, PAYMENTS)["results"][0]
    assert payment["status"] == "refunded"
    assert stack.get(who, f"{ORDERS}{order['id']}/")["status"] == "cancelled"
    assert stack.event_types(who, order["id"]) == {
        "order.created": 1,
        "order.paid": 1,
        "order.cancelled": 1,
        "payment.refunded": 1,
    }
    assert stack.differences() == []


def test_a_webhook_that_does_not_verify_is_400_and_changes_nothing(stack: Stack):
    who = stack.customer()
    order, payment = pending_payment(stack, who, webhooks_off=True)
    [intent] = stack.intents_of(payment["id"])
    body = json.dumps(event("payment_intent.succeeded", intent)).encode()
    now = int(time.time())
    junk = b"{not json"
    refused = {
        "unsigned": (body, {}),
        "forged": (body, {"Stripe-Signature": f"t={now},v1={'0' * 64}"}),
        "another secret": (body, {"Stripe-Signature": sign(body, "whsec_x", now)}),
        "stale": (body, {"Stripe-Signature": sign(body, WEBHOOK_SECRET, now - 600)}),
        "not JSON": (junk, {"Stripe-Signature": sign(junk, WEBHOOK_SECRET, now)}),
    }
    before = snapshot(stack.database)
    for case, (data, headers) in refused.items():
        answer = stack.call("POST", WEBHOOK, data, **headers)
        assert answer.status == 400, (case, answer.body)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.body
        assert problem["type"].startswith("https://")
        assert problem["type"].endswith("/problems/invalid-signature"), case
        assert problem["status"] == 400
        assert problem["request_id"] == answer.headers["x-request-id"]
        assert snapshot(stack.database) == before, case
    # The same event, signed as the provider signs it, is taken.
    signature = sign(body, WEBHOOK_SECRET, int(time.time()))
    answer = stack.call("POST", WEBHOOK, body, **{"Stripe-Signature": signature})
    assert answer.status == 200, answer.body
    assert_paid_once(stack, who, order, payment)
    assert stack.differences() == []
