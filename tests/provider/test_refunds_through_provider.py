"""Refunds through the Stripe adapter and the sandbox provider process.

The API runs in the test process (Django's test client, PostgreSQL); the
provider is the real program over HTTP, reached through the official SDK. Each
test compares Orderly's books with the provider's ledger.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from data.orders.models import OrderEvent
from data.payments.models import Payment, Refund
from sandbox_provider.webhooks import event
from tests.api.order_support import PAYMENTS, pay, placed, stock_of
from tests.api.problems import assert_problem
from tests.factories import ProductFactory
from tests.provider_support import SandboxProcess, hook

# `provider` (tests/provider/conftest.py): Orderly pays through a sandbox process.
pytestmark = [pytest.mark.provider, pytest.mark.django_db]


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-R", price=Decimal("9.90"), stock=10)


@pytest.fixture
def payment(provider, customer_api, mug) -> dict:
    """A payment of 3 mugs (29.70) charged at the provider; 7 mugs left."""
    order = placed(customer_api, (mug, 3))
    response = pay(customer_api, order)
    assert response.status_code == 201, response.content
    return response.json()


def refunds_url(payment: dict) -> str:
    return f"{PAYMENTS}{payment['id']}/refunds/"


def provider_refunds(provider: SandboxProcess) -> list[dict]:
    return provider.books()["refunds"]


def test_a_partial_refund_reaches_the_provider_and_the_books_agree(
    provider, staff_api, payment
):
    response = staff_api.post(refunds_url(payment), {"amount": "10.00"}, format="json")
    assert response.status_code == 201, response.content
    ours = response.json()
    assert ours["status"] == "succeeded"
    [theirs] = provider_refunds(provider)
    [intent] = provider.books()["payment_intents"]
    assert (theirs["amount"], theirs["status"], theirs["payment_intent"]) == (
        1000,
        "succeeded",
        intent["id"],
    )
    assert theirs["metadata"] == {"refund_id": str(ours["id"])}
    assert Refund.objects.get().gateway_reference == theirs["id"]
    rest = staff_api.post(refunds_url(payment), {}, format="json").json()
    assert rest["amount"] == "19.70"
    assert sum(r["amount"] for r in provider_refunds(provider)) == intent["amount"]
    row = Payment.objects.get()
    assert (row.status, row.amount_refunded) == ("refunded", Decimal("29.70"))


def test_a_refund_by_lines_restocks_when_the_provider_says_succeeded(
    provider, staff_api, payment, mug
):
    body = {"lines": [{"product_id": mug.pk, "quantity": 2}], "restock": True}
    response = staff_api.post(refunds_url(payment), body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["restocked"]) == ("19.80", True)
    assert stock_of(mug) == 9
    [theirs] = provider_refunds(provider)
    assert theirs["amount"] == 1980


def test_no_answer_is_202_pending_then_the_webhook_restocks(
    provider, api, staff_api, payment, mug
):
    provider.faults(drop="after", drop_count=1)
    body = {"lines": [{"product_id": mug.pk, "quantity": 1}], "restock": True}
    response = staff_api.post(refunds_url(payment), body, format="json")
    assert response.status_code == 202, response.content
    assert (response.json()["status"], response.json()["restocked"]) == (
        "pending",
        False,
    )
    # The provider applied it; Orderly does not know yet: no stock, no event.
    assert stock_of(mug) == 7
    assert not OrderEvent.objects.filter(type="payment.refunded").exists()
    # Pending, it counts against what remains: 29.70 - 9.90 = 19.80 at most.
    too_much = staff_api.post(refunds_url(payment), {"amount": "19.81"}, format="json")
    assert_problem(too_much, 409, "refund-exceeds-payment")
    [theirs] = provider_refunds(provider)
    assert hook(api, event("refund.updated", theirs)).status_code == 200
    assert stock_of(mug) == 8
    refund = Refund.objects.get()
    assert (refund.status, refund.restocked) == ("succeeded", True)
    assert OrderEvent.objects.filter(type="payment.refunded").count() == 1


def test_a_pending_refund_is_settled_by_reconciliation_once(
    provider, staff_api, payment
):
    provider.faults(drop="before", drop_count=1)
    response = staff_api.post(refunds_url(payment), {"amount": "5.00"}, format="json")
    assert response.status_code == 202
    assert provider_refunds(provider) == []
    call_command("reconcile_payments", "--older-than", "0s")
    call_command("reconcile_payments", "--older-than", "0s")
    [theirs] = provider_refunds(provider)
    assert theirs["amount"] == 500
    assert Refund.objects.get().status == "succeeded"
    assert Payment.objects.get().amount_refunded == Decimal("5.00")


def test_a_retry_with_the_key_resumes_the_refund_and_refunds_once(
    provider, staff_api, payment
):
    provider.faults(drop="after", drop_count=1)
    body = {"amount": "7.00"}
    first = staff_api.post(
        refunds_url(payment), body, format="json", HTTP_IDEMPOTENCY_KEY="ret-1"
    )
    assert first.status_code == 202
    again = staff_api.post(
        refunds_url(payment), body, format="json", HTTP_IDEMPOTENCY_KEY="ret-1"
    )
    assert again.status_code == 201
    assert (again.json()["id"], again.json()["status"]) == (
        first.json()["id"],
        "succeeded",
    )
    assert len(provider_refunds(provider)) == 1
    assert Refund.objects.count() == 1


def test_a_refund_the_provider_refuses_is_201_failed_and_gives_nothing_back(
    provider, staff_api, payment, mug
):
    # Someone refunded at the provider directly: it now holds less than we think.
    [intent] = provider.books()["payment_intents"]
    provider.client().v1.refunds.create(
        params={"payment_intent": intent["id"], "amount": 2000}
    )
    body = {"lines": [{"product_id": mug.pk, "quantity": 2}], "restock": True}
    response = staff_api.post(refunds_url(payment), body, format="json")
    assert response.status_code == 201, response.content
    refund = response.json()
    assert (refund["status"], refund["restocked"]) == ("failed", False)
    assert "greater than unrefunded amount" in refund["failure_reason"]
    assert stock_of(mug) == 7
    row = Payment.objects.get()
    assert (row.status, row.amount_refunded) == ("succeeded", Decimal("0.00"))
    failed = OrderEvent.objects.get(type="refund.failed")
    assert failed.data["refund_id"] == refund["id"]
    assert len(provider_refunds(provider)) == 1  # the provider made none of ours
