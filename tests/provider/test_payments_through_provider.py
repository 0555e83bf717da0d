"""Paying and refunding through the Stripe adapter and the sandbox provider process.

The API runs in the test process (Django's test client, PostgreSQL); the
provider is the real program over HTTP, reached through the official SDK.
Webhooks are signed here with the provider's own scheme and secret; the
provider's own deliveries to a real server are proven in tests/proofs.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from data.orders.models import Order, OrderEvent
from data.payments.models import Payment, ProviderEvent, Refund
from sandbox_provider.webhooks import event, sign
from tests.api.order_support import PAYMENTS, order_url, pay, placed
from tests.api.problems import assert_problem
from tests.factories import ProductFactory
from tests.provider_support import WEBHOOK, WEBHOOK_SECRET, SandboxProcess, hook

# `provider` (tests/provider/conftest.py): Orderly pays through a sandbox process.
pytestmark = [pytest.mark.provider, pytest.mark.django_db]


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", price=Decimal("9.90"), stock=10)


def intents(provider: SandboxProcess) -> list[dict]:
    return provider.books()["payment_intents"]


def test_a_payment_charges_once_at_the_provider(provider, customer_api, mug):
    order = placed(customer_api, (mug, 2))
    response = pay(customer_api, order)
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount"], body["amount_refunded"]) == (
        "succeeded",
        "19.80",
        "0.00",
    )
    [intent] = intents(provider)
    assert (intent["amount"], intent["currency"], intent["status"]) == (
        1980,
        "eur",
        "succeeded",
    )
    assert intent["metadata"] == {"payment_id": str(body["id"])}
    assert Payment.objects.get().gateway_reference == intent["id"]
    assert Order.objects.get().status == "paid"


def test_a_decline_at_the_provider_is_402(provider, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    response = pay(customer_api, order, "tok_chargeDeclined")
    assert_problem(response, 402, "payment-declined")
    assert response.json()["payment"]["status"] == "failed"
    assert intents(provider)[0]["status"] == "requires_payment_method"


def test_no_answer_is_202_pending_then_the_webhook_settles_it(
    provider, api, customer_api, mug
):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    response = pay(customer_api, order)
    assert response.status_code == 202
    payment = response.json()
    assert payment["status"] == "pending"
    assert Order.objects.get().status == "created"
    # Paying again while the first is pending is refused, and charges nothing.
    assert_problem(pay(customer_api, order), 409, "order-not-payable")
    [intent] = intents(provider)
    answer = hook(api, event("payment_intent.succeeded", intent))
    assert answer.status_code == 200
    assert answer.json() == {"received": True, "duplicate": False}
    polled = customer_api.get(f"{PAYMENTS}{payment['id']}/").json()
    assert polled["status"] == "succeeded"
    assert Order.objects.get().status == "paid"
    assert len(intents(provider)) == 1


def test_a_pending_payment_is_settled_by_reconciliation(provider, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    assert pay(customer_api, order).status_code == 202
    call_command("reconcile_payments", "--older-than", "0s")
    assert Payment.objects.get().status == "succeeded"
    assert Order.objects.get().status == "paid"
    assert len(intents(provider)) == 1


def test_a_charge_never_applied_is_made_by_reconciliation_once(
    provider, customer_api, mug
):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="before", drop_count=1)
    assert pay(customer_api, order).status_code == 202
    assert intents(provider) == []
    call_command("reconcile_payments", "--older-than", "0s")
    call_command("reconcile_payments", "--older-than", "0s")
    assert Payment.objects.get().status == "succeeded"
    assert len(intents(provider)) == 1


def test_a_retry_with_the_key_resumes_the_pending_payment(provider, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    first = pay(customer_api, order, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 202
    again = pay(customer_api, order, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "succeeded"
    assert len(intents(provider)) == 1
    replay = pay(customer_api, order, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == again.content


def test_a_provider_that_keeps_failing_opens_the_breaker(provider, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    other = placed(customer_api, (mug, 1))
    provider.faults(error_rate=1.0)
    # Each unanswered attempt stays pending; the breaker opens after five.
    for _ in range(5):
        pending = pay(customer_api, order, HTTP_IDEMPOTENCY_KEY="pay-a")
        assert pending.status_code == 202
    before = Payment.objects.count()
    refused = pay(customer_api, other)
    assert_problem(refused, 503, "payment-provider-unavailable")
    assert 1 <= int(refused["Retry-After"]) <= 30
    assert Payment.objects.count() == before
    assert intents(provider) == []


def test_cancelling_a_paid_order_refunds_it_at_the_provider(
    provider, customer_api, mug
):
    order = placed(customer_api, (mug, 2))
    assert pay(customer_api, order).status_code == 201
    response = customer_api.post(order_url(order["id"], "cancel"))
    assert response.json()["status"] == "cancelled"
    [refund] = provider.books()["refunds"]
    assert refund["amount"] == 1980
    assert refund["metadata"] == {"refund_id": str(Refund.objects.get().pk)}
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("19.80"))
    assert Refund.objects.get().status == "succeeded"


def test_a_refund_left_pending_is_settled_by_its_webhook(
    provider, api, customer_api, mug
):
    order = placed(customer_api, (mug, 1))
    assert pay(customer_api, order).status_code == 201
    provider.faults(drop="after", drop_count=1)
    customer_api.post(order_url(order["id"], "cancel"))
    assert Refund.objects.get().status == "pending"
    assert Payment.objects.get().status == "succeeded"
    [refund] = provider.books()["refunds"]
    assert hook(api, event("refund.updated", refund)).status_code == 200
    assert Refund.objects.get().status == "succeeded"
    assert Payment.objects.get().status == "refunded"


def test_an_event_seen_before_changes_nothing(provider, api, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    pay(customer_api, order)
    [intent] = intents(provider)
    payload = event("payment_intent.succeeded", intent)
    assert hook(api, payload).json()["duplicate"] is False
    events = OrderEvent.objects.count()
    assert hook(api, payload).json() == {"received": True, "duplicate": True}
    assert OrderEvent.objects.count() == events
    assert ProviderEvent.objects.count() == 1


def test_a_late_failure_event_never_moves_a_payment_back(
    provider, api, customer_api, mug
):
    order = placed(customer_api, (mug, 1))
    assert pay(customer_api, order).status_code == 201
    [intent] = intents(provider)
    late = {**intent, "status": "requires_payment_method"}
    assert hook(api, event("payment_intent.payment_failed", late)).status_code == 200
    assert Payment.objects.get().status == "succeeded"
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_STRIPE_SIGNATURE": "t=1,v1=00"}],
    ids=["unsigned", "forged"],
)
def test_an_unsigned_or_forged_webhook_is_400_and_changes_nothing(
    provider, api, customer_api, mug, headers
):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    pay(customer_api, order)
    [intent] = intents(provider)
    body = json.dumps(event("payment_intent.succeeded", intent))
    response = api.post(WEBHOOK, body, content_type="application/json", **headers)
    assert_problem(response, 400, "invalid-signature")
    assert Payment.objects.get().status == "pending"
    assert not ProviderEvent.objects.exists()


def test_a_webhook_signed_with_another_secret_is_400(provider, api, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    provider.faults(drop="after", drop_count=1)
    pay(customer_api, order)
    [intent] = intents(provider)
    response = hook(api, event("payment_intent.succeeded", intent), "whsec_other")
    assert_problem(response, 400, "invalid-signature")
    assert Payment.objects.get().status == "pending"


def test_a_webhook_body_that_is_not_json_is_400(provider, api):
    body = b"not json"
    signature = sign(body, WEBHOOK_SECRET, int(time.time()))
    response = api.post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert_problem(response, 400, "invalid-signature")


def test_metrics_show_each_provider_call_by_outcome(provider, api, customer_api, mug):
    def calls(outcome: str) -> float:
        text = api.get("/metrics").content.decode()
        prefix = (
            "orderly_payment_provider_call_seconds_count"
            f'{{operation="charge",outcome="{outcome}"}} '
        )
        line = next((ln for ln in text.splitlines() if ln.startswith(prefix)), None)
        return float(line.split()[-1]) if line else 0.0

    before = {outcome: calls(outcome) for outcome in ("succeeded", "pending")}
    assert pay(customer_api, placed(customer_api, (mug, 1))).status_code == 201
    provider.faults(drop="after", drop_count=1)
    assert pay(customer_api, placed(customer_api, (mug, 1))).status_code == 202
    assert calls("succeeded") == before["succeeded"] + 1
    assert calls("pending") == before["pending"] + 1
