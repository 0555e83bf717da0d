"""Concurrent requests on real PostgreSQL: no oversell, no double payment or refund.

Each test starts many threads that call the real API at once; every thread has
its own database connection (closed when its request is done), so the requests
race exactly as they would across gunicorn workers.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from data.catalog.models import Product
from data.orders.models import Order, OrderEvent, OrderLine
from data.payments.models import Payment
from tests.api.order_support import ORDERS, PAYMENTS, items, order_url
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 16
PROBLEMS = "https://orderly.example/problems/"


class Call:
    """One HTTP request a thread will make, as a user."""

    def __init__(self, user, path: str, body: Any = None, **headers: str) -> None:
        token = RefreshToken.for_user(user).access_token
        self.path = path
        self.body = body
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}


def run_all(calls: list[Call]) -> list[tuple[int, Any]]:
    """Make every call from a pool of threads at once; return (status, body) each."""
    start = threading.Event()

    def make(call: Call) -> tuple[int, Any]:
        try:
            start.wait()
            response = APIClient().post(
                call.path, call.body, format="json", **call.headers
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(make, call) for call in calls]
        start.set()
        return [future.result(timeout=60) for future in futures]


def slugs(answers) -> Counter:
    """Count the answers by status and, for problems, slug."""
    return Counter(
        (status, body["type"].removeprefix(PROBLEMS) if status >= 400 else "")
        for status, body in answers
    )


def stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def place_now(user, *lines) -> dict[str, Any]:
    [(status, body)] = run_all([Call(user, ORDERS, items(*lines))])
    assert status == 201, body
    return body


def pay_now(user, order) -> None:
    body = {
        "order_id": order["id"],
        "amount": order["total"],
        "payment_token": "tok_visa",
    }
    [(status, answer)] = run_all([Call(user, PAYMENTS, body)])
    assert status == 201, answer


def test_sixty_orders_for_twenty_units_sell_exactly_twenty():
    product = ProductFactory(stock=20, price=Decimal("5.00"))
    customers = [UserFactory() for _ in range(6)]
    calls = [Call(customers[n % 6], ORDERS, items((product, 1))) for n in range(60)]
    answers = run_all(calls)
    assert slugs(answers) == {(201, ""): 20, (409, "insufficient-stock"): 40}
    assert stock(product) == 0
    assert Order.objects.count() == 20
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 20


def test_ten_payments_of_one_order_pay_it_once():
    customer = UserFactory()
    order = place_now(customer, (ProductFactory(price=Decimal("7.50")), 2))
    body = {"order_id": order["id"], "amount": "15.00", "payment_token": "tok_visa"}
    answers = run_all([Call(customer, PAYMENTS, body) for _ in range(10)])
    assert slugs(answers) == {(201, ""): 1, (409, "order-not-payable"): 9}
    assert Payment.objects.filter(order_id=order["id"], status="succeeded").count() == 1
    assert Payment.objects.count() == 1
    assert (
        OrderEvent.objects.filter(order_id=order["id"], type="order.paid").count() == 1
    )
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_eight_requests_with_one_idempotency_key_make_one_order():
    customer = UserFactory()
    product = ProductFactory(stock=100)
    body = items((product, 3))
    calls = [
        Call(customer, ORDERS, body, HTTP_IDEMPOTENCY_KEY="same-key") for _ in range(8)
    ]
    answers = run_all(calls)
    counts = slugs(answers)
    assert set(counts) <= {(201, ""), (409, "idempotency-request-in-progress")}
    assert counts[(201, "")] >= 1
    assert Order.objects.count() == 1
    assert {body["id"] for status, body in answers if status == 201} == {
        Order.objects.get().pk
    }
    assert stock(product) == 97


def test_six_cancels_of_a_paid_order_refund_it_once():
    customer = UserFactory()
    product = ProductFactory(stock=10)
    order = place_now(customer, (product, 4))
    pay_now(customer, order)
    answers = run_all([Call(customer, order_url(order["id"], "cancel"))] * 6)
    assert slugs(answers) == {(200, ""): 1, (409, "invalid-transition"): 5}
    events = OrderEvent.objects.filter(order_id=order["id"])
    assert events.filter(type="payment.refunded").count() == 1
    assert events.filter(type="order.cancelled").count() == 1
    assert Payment.objects.get(order_id=order["id"]).status == "refunded"
    assert stock(product) == 10


def test_orders_over_shared_products_in_any_order_never_deadlock():
    a, b, c = (ProductFactory(stock=40) for _ in range(3))
    customers = [UserFactory() for _ in range(4)]
    # Cancels lock an order, then its products: they race the new orders too.
    to_cancel = [place_now(customers[0], (c, 2), (a, 1)) for _ in range(4)]
    before = {p.pk: stock(p) for p in (a, b, c)}
    shapes = [
        [(a, 1), (b, 2)],
        [(b, 2), (a, 1)],
        [(c, 1), (a, 2)],
        [(c, 3), (b, 1), (a, 1)],
    ]
    calls = [
        Call(customers[n % 4], ORDERS, items(*shapes[n % 4])) for n in range(48)
    ] + [Call(customers[0], order_url(o["id"], "cancel")) for o in to_cancel]
    answers = run_all(calls)

    counts = slugs(answers)
    assert set(counts) <= {(201, ""), (200, ""), (409, "insufficient-stock")}
    assert counts[(200, "")] == len(to_cancel)
    taken = Counter()
    for status, body in answers:
        if status == 201:
            for line in body["items"]:
                taken[line["product_id"]] += line["quantity"]
    restored = Counter()
    for order in to_cancel:
        for line in order["items"]:
            restored[line["product_id"]] += line["quantity"]
    for product in (a, b, c):
        expected = before[product.pk] - taken[product.pk] + restored[product.pk]
        assert stock(product) == expected >= 0
