"""Payment endpoints over HTTP: the sandbox gateway, the order of checks, reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from data.orders.models import Order, OrderEvent
from data.payments.models import Payment
from tests.api.order_support import PAYMENTS, order_url, paid, pay, placed
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", price=Decimal("9.90"), stock=10)


@pytest.fixture
def order(customer_api, mug):
    return placed(customer_api, (mug, 2))


def payment_url(payment_id: int) -> str:
    return f"{PAYMENTS}{payment_id}/"


def order_status(order) -> str:
    return Order.objects.get(pk=order["id"]).status


def event_types(order) -> list[str]:
    return list(
        OrderEvent.objects.filter(order_id=order["id"])
        .order_by("id")
        .values_list("type", flat=True)
    )


def test_tok_visa_pays_the_order(customer, customer_api, order):
    response = pay(customer_api, order)
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "order_id": order["id"],
        "amount": "19.80",
        "amount_refunded": "0.00",
        "currency": "EUR",
        "status": "succeeded",
        "failure_reason": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")
    assert order_status(order) == "paid"
    assert customer_api.get(order_url(order["id"])).json()["status"] == "paid"
    event = OrderEvent.objects.filter(order_id=order["id"]).latest("id")
    assert (event.type, event.actor_id, event.source) == (
        "order.paid",
        customer.pk,
        "api",
    )
    assert event.data == {"payment_id": body["id"], "amount": "19.80"}


def test_a_declined_card_is_402_with_the_failed_payment(customer_api, order):
    response = pay(customer_api, order, token="tok_chargeDeclined")
    body = assert_problem(response, 402, "payment-declined")
    payment = body["payment"]
    assert payment == {
        "id": payment["id"],
        "order_id": order["id"],
        "amount": "19.80",
        "amount_refunded": "0.00",
        "currency": "EUR",
        "status": "failed",
        "failure_reason": "Your card was declined.",
        "created_at": payment["created_at"],
        "updated_at": payment["updated_at"],
    }
    assert Payment.objects.get(pk=payment["id"]).status == "failed"
    assert order_status(order) == "created"
    assert event_types(order) == ["order.created", "payment.failed"]
    # The stored payment reads back as the 402 showed it.
    assert customer_api.get(payment_url(payment["id"])).json() == payment


def test_an_order_can_be_paid_after_a_decline(customer_api, order):
    pay(customer_api, order, token="tok_chargeDeclined")
    assert pay(customer_api, order).status_code == 201
    assert order_status(order) == "paid"
    assert sorted(Payment.objects.values_list("status", flat=True)) == [
        "failed",
        "succeeded",
    ]


def test_an_unknown_token_is_400(customer_api, order):
    response = pay(customer_api, order, token="tok_stolen")
    assert_problem(response, 400, "validation-error", fields={"payment_token"})
    assert not Payment.objects.exists()


def test_an_unknown_token_is_400_before_the_order_is_looked_up(other_api, order):
    response = pay(other_api, order, token="tok_stolen")
    assert_problem(response, 400, "validation-error", fields={"payment_token"})


def test_an_amount_other_than_the_total_is_400(customer_api, order):
    body = {"order_id": order["id"], "amount": "19.79", "payment_token": "tok_visa"}
    response = customer_api.post(PAYMENTS, body, format="json")
    problem = assert_problem(response, 400, "validation-error", fields={"amount"})
    assert "19.80" in problem["detail"]
    assert order_status(order) == "created"
    assert not Payment.objects.exists()


def test_the_amount_may_be_a_json_number(customer_api, order):
    body = {"order_id": order["id"], "amount": 19.8, "payment_token": "tok_visa"}
    assert customer_api.post(PAYMENTS, body, format="json").status_code == 201


def test_an_amount_with_three_decimals_is_400(customer_api, order):
    body = {"order_id": order["id"], "amount": "19.800", "payment_token": "tok_visa"}
    response = customer_api.post(PAYMENTS, body, format="json")
    assert_problem(response, 400, "validation-error", fields={"amount"})


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"order_id", "amount", "payment_token"}),
        ({"order_id": 0, "amount": "1.00", "payment_token": "tok_visa"}, {"order_id"}),
        ({"order_id": 1, "amount": "x", "payment_token": "tok_visa"}, {"amount"}),
        (
            {"order_id": 1, "amount": "1.00", "payment_token": "tok_visa", "cvv": 1},
            {"cvv"},
        ),
    ],
)
def test_a_malformed_payment_body_is_400(customer_api, body, fields):
    response = customer_api.post(PAYMENTS, body, format="json")
    assert_problem(response, 400, "validation-error", fields=fields)


def test_paying_a_paid_order_is_409_order_not_payable(customer_api, order):
    pay(customer_api, order)
    response = pay(customer_api, order)
    body = assert_problem(response, 409, "order-not-payable")
    assert "paid" in body["detail"]
    assert Payment.objects.count() == 1


def test_paying_a_cancelled_order_is_409_even_with_a_wrong_amount(customer_api, order):
    customer_api.post(order_url(order["id"], "cancel"))
    body = {"order_id": order["id"], "amount": "1.00", "payment_token": "tok_visa"}
    response = customer_api.post(PAYMENTS, body, format="json")
    assert_problem(response, 409, "order-not-payable")


def test_paying_another_customers_order_is_404(other_api, order):
    response = pay(other_api, order)
    assert_problem(response, 404, "not-found")
    assert order_status(order) == "created"
    assert not Payment.objects.exists()


def test_paying_a_missing_order_is_404(customer_api):
    body = {"order_id": 10**9, "amount": "1.00", "payment_token": "tok_visa"}
    response = customer_api.post(PAYMENTS, body, format="json")
    assert_problem(response, 404, "not-found")


def test_anonymous_cannot_pay_or_read_payments(api, order):
    assert_problem(pay(api, order), 401, "not-authenticated")
    assert_problem(api.get(PAYMENTS), 401, "not-authenticated")
    assert_problem(api.get(payment_url(1)), 401, "not-authenticated")


def test_customers_list_their_own_payments_newest_first(
    customer_api, other_api, staff_api, mug, order
):
    pay(customer_api, order, token="tok_chargeDeclined")
    pay(customer_api, order)
    paid(other_api, (mug, 1))
    body = customer_api.get(PAYMENTS).json()
    assert body["count"] == 2
    assert [p["status"] for p in body["results"]] == ["succeeded", "failed"]
    assert {p["order_id"] for p in body["results"]} == {order["id"]}
    assert staff_api.get(PAYMENTS).json()["count"] == 3


def test_payments_list_pages(customer_api, order):
    pay(customer_api, order, token="tok_chargeDeclined")
    pay(customer_api, order)
    body = customer_api.get(PAYMENTS, {"page_size": 1}).json()
    assert (body["count"], len(body["results"])) == (2, 1)
    assert "page=2" in body["next"]
    assert_problem(customer_api.get(PAYMENTS, {"page": 3}), 404, "not-found")
    assert_problem(customer_api.get(PAYMENTS, {"page": 0}), 400, "validation-error")


def test_a_refunded_payment_reads_as_refunded(customer_api, order):
    payment = pay(customer_api, order).json()
    customer_api.post(order_url(order["id"], "cancel"))
    response = customer_api.get(payment_url(payment["id"]))
    assert response.json()["status"] == "refunded"


def test_the_owner_and_staff_read_a_payment_others_get_404(
    customer_api, other_api, staff_api, order
):
    payment = pay(customer_api, order).json()
    assert customer_api.get(payment_url(payment["id"])).json() == payment
    assert staff_api.get(payment_url(payment["id"])).json() == payment
    assert_problem(other_api.get(payment_url(payment["id"])), 404, "not-found")
    assert_problem(customer_api.get(payment_url(10**9)), 404, "not-found")
