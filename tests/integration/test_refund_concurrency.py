"""Ten concurrent refunds of 30% of one payment: exactly three go through.

The real thing end to end: gunicorn (four workers, production settings) on the
test's PostgreSQL database, paying and refunding with the Stripe adapter through
the sandbox provider process, and ten threads that POST their refunds at once.
The provider answers slowly (200 ms), so refunds recorded pending are still at
the provider while the others check what remains: they must count.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from data.orders.models import OrderEvent
from data.payments.models import Payment, Refund
from tests.factories import ProductFactory, UserFactory
from tests.gunicorn_support import Answer, call, gunicorn
from tests.live_server import database_url
from tests.provider_support import API_KEY, WEBHOOK_SECRET, sandbox_provider

pytestmark = [
    pytest.mark.gunicorn,
    pytest.mark.provider,
    pytest.mark.django_db(transaction=True),
]

PROBLEMS = "https://orderly.example/problems/"
REFUNDERS = 10


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


def slug(answer: Answer) -> str:
    return answer.body["type"].removeprefix(PROBLEMS) if answer.status >= 400 else ""


def test_ten_concurrent_refunds_of_thirty_percent_make_three(tmp_path: Path):
    database = database_url(connection.settings_dict)
    with sandbox_provider(tmp_path / "books.sqlite3") as provider:
        env = {
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "WEB_CONCURRENCY": "4",
            "PAYMENTS_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": provider.url,
        }
        with gunicorn(database, name="refund-race", **env) as url:
            customer, staff = UserFactory(), UserFactory(is_staff=True)
            product = ProductFactory(price=Decimal("100.00"), stock=5)
            order = call(
                f"{url}/api/v1/orders/",
                "POST",
                {"items": [{"product_id": product.pk, "quantity": 1}]},
                bearer(customer),
            ).body
            paid = call(
                f"{url}/api/v1/payments/",
                "POST",
                {
                    "order_id": order["id"],
                    "amount": "100.00",
                    "payment_token": "tok_visa",
                },
                bearer(customer),
            )
            assert paid.status == 201, paid.body
            payment_id = paid.body["id"]
            provider.faults(latency_ms=200)
            start = threading.Barrier(REFUNDERS)

            def refund(n: int) -> Answer:
                start.wait(timeout=30)
                return call(
                    f"{url}/api/v1/payments/{payment_id}/refunds/",
                    "POST",
                    {"amount": "30.00", "reason": f"race {n}"},
                    {**bearer(staff), "Idempotency-Key": f"race-{n}"},
                )

            with ThreadPoolExecutor(max_workers=REFUNDERS) as pool:
                answers = list(pool.map(refund, range(REFUNDERS), timeout=120))
            books = provider.books()

    outcomes = Counter((answer.status, slug(answer)) for answer in answers)
    assert outcomes == {(201, ""): 3, (409, "refund-exceeds-payment"): 7}, answers
    made = {answer.body["id"] for answer in answers if answer.status == 201}
    payment = Payment.objects.get(pk=payment_id)
    assert (payment.status, payment.amount_refunded) == (
        "partially_refunded",
        Decimal("90.00"),
    )
    assert set(Refund.objects.values_list("pk", flat=True)) == made
    assert set(Refund.objects.values_list("status", flat=True)) == {"succeeded"}
    # The provider's ledger agrees: three refunds of 30.00 of the one charge.
    [intent] = books["payment_intents"]
    assert intent["amount"] == 10000
    theirs = books["refunds"]
    assert sorted(r["amount"] for r in theirs) == [3000, 3000, 3000]
    assert {r["status"] for r in theirs} == {"succeeded"}
    assert {r["payment_intent"] for r in theirs} == {intent["id"]}
    assert {int(r["metadata"]["refund_id"]) for r in theirs} == made
    events = OrderEvent.objects.filter(order_id=order["id"], type="payment.refunded")
    assert events.count() == 3
    print(  # the figures, for whoever runs it with -s
        f"\nrefund race: {dict(outcomes)}; amount_refunded {payment.amount_refunded}"
        f" of {payment.amount}; provider: {len(theirs)} refunds, "
        f"{sum(r['amount'] for r in theirs)} of {intent['amount']} cents"
    )
