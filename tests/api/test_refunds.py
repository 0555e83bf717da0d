"""Refund endpoints over HTTP (in-process sandbox): by amount, by lines, the checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from data.orders.models import OrderEvent
from data.payments.models import Payment, Refund, RefundLine
from tests.api.order_support import PAYMENTS, order_url, pay, placed, stock_of
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", price=Decimal("9.90"), stock=10)


@pytest.fixture
def pot(db):
    return ProductFactory(sku="POT-1", price=Decimal("30.00"), stock=4)


@pytest.fixture
def order(customer_api, mug, pot):
    """A paid order: 2 mugs and a teapot, 49.80; stock left 8 mugs, 3 pots."""
    placed_order = placed(customer_api, (mug, 2), (pot, 1))
    response = pay(customer_api, placed_order)
    assert response.status_code == 201, response.content
    return {**placed_order, "payment_id": response.json()["id"]}


def refunds_url(payment_id: int) -> str:
    return f"{PAYMENTS}{payment_id}/refunds/"


def refund(client, order, body=None, **headers):
    return client.post(
        refunds_url(order["payment_id"]), body or {}, format="json", **headers
    )


def payment_of(order) -> Payment:
    return Payment.objects.get(pk=order["payment_id"])


def events(order, type: str) -> list[dict]:
    return list(
        OrderEvent.objects.filter(order_id=order["id"], type=type)
        .order_by("id")
        .values_list("data", flat=True)
    )


def line(product, quantity: int) -> dict:
    return {"product_id": product.pk, "quantity": quantity}


def test_a_partial_refund_by_amount_is_201(staff_api, order):
    response = refund(staff_api, order, {"amount": "10.00", "reason": "scratched"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "payment_id": order["payment_id"],
        "amount": "10.00",
        "status": "succeeded",
        "lines": [],
        "restock": False,
        "restocked": False,
        "reason": "scratched",
        "failure_reason": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")
    payment = staff_api.get(f"{PAYMENTS}{order['payment_id']}/").json()
    assert (payment["status"], payment["amount_refunded"]) == (
        "partially_refunded",
        "10.00",
    )
    assert events(order, "payment.refunded") == [
        {
            "payment_id": order["payment_id"],
            "refund_id": body["id"],
            "amount": "10.00",
            "lines": [],
            "restocked": False,
        }
    ]


def test_a_refund_by_lines_with_restock_returns_the_units(
    staff_api, customer_api, order, mug, pot
):
    staff_api.post(order_url(order["id"], "ship"))
    staff_api.post(order_url(order["id"], "deliver"))
    body = {"lines": [line(mug, 1), line(pot, 1)], "restock": True, "reason": "back"}
    response = refund(staff_api, order, body)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert (answer["amount"], answer["restock"], answer["restocked"]) == (
        "39.90",
        True,
        True,
    )
    assert answer["lines"] == [
        {"product_id": mug.pk, "quantity": 1, "unit_price": "9.90", "amount": "9.90"},
        {"product_id": pot.pk, "quantity": 1, "unit_price": "30.00", "amount": "30.00"},
    ]
    assert (stock_of(mug), stock_of(pot)) == (9, 4)
    [data] = events(order, "payment.refunded")
    assert data["lines"] == [
        {"product_id": mug.pk, "quantity": 1, "unit_price": "9.90"},
        {"product_id": pot.pk, "quantity": 1, "unit_price": "30.00"},
    ]
    assert data["restocked"] is True
    # The order stays delivered; its payment is partly refunded.
    assert customer_api.get(order_url(order["id"])).json()["status"] == "delivered"
    assert payment_of(order).status == "partially_refunded"


def test_a_refund_by_lines_without_restock_leaves_the_stock(staff_api, order, mug):
    response = refund(staff_api, order, {"lines": [line(mug, 2)]})
    assert response.json()["amount"] == "19.80"
    assert stock_of(mug) == 8


def test_an_empty_body_refunds_what_remains(staff_api, order):
    assert refund(staff_api, order, {"amount": "9.80"}).status_code == 201
    response = refund(staff_api, order)
    assert response.status_code == 201
    assert response.json()["amount"] == "40.00"
    payment = payment_of(order)
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("49.80"))


def test_more_than_remains_is_409_refund_exceeds_payment(staff_api, order):
    refund(staff_api, order, {"amount": "40.00"})
    problem = assert_problem(
        refund(staff_api, order, {"amount": "9.81"}), 409, "refund-exceeds-payment"
    )
    assert problem["amount_refundable"] == "9.80"
    assert Refund.objects.count() == 1
    assert payment_of(order).amount_refunded == Decimal("40.00")


def test_a_refunded_payment_is_409_payment_not_refundable(staff_api, order):
    refund(staff_api, order)
    problem = assert_problem(
        refund(staff_api, order, {"amount": "1.00"}), 409, "payment-not-refundable"
    )
    assert problem["payment_status"] == "refunded"


def test_a_declined_payment_is_409_payment_not_refundable(staff_api, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    declined = pay(customer_api, order, token="tok_chargeDeclined").json()["payment"]
    response = staff_api.post(refunds_url(declined["id"]), {}, format="json")
    assert_problem(response, 409, "payment-not-refundable")
    assert not Refund.objects.exists()


def test_line_quantities_beyond_what_remains_are_400_on_the_field(
    staff_api, order, mug, pot
):
    assert refund(staff_api, order, {"lines": [line(mug, 1)]}).status_code == 201
    response = refund(staff_api, order, {"lines": [line(pot, 1), line(mug, 2)]})
    problem = assert_problem(
        response, 400, "validation-error", fields={"lines[1].quantity"}
    )
    assert "Only 1" in problem["errors"][0]["message"]
    assert Refund.objects.count() == 1


def test_a_product_not_in_the_order_is_400_on_its_line(staff_api, order, mug):
    stranger = ProductFactory()
    response = refund(staff_api, order, {"lines": [line(mug, 1), line(stranger, 1)]})
    assert_problem(response, 400, "validation-error", fields={"lines[1].product_id"})
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"amount": "-5.00"}, {"amount"}),
        ({"amount": "0.00"}, {"amount"}),
        ({"amount": "0"}, {"amount"}),
        ({"amount": "1.005"}, {"amount"}),
        ({"amount": 1.005}, {"amount"}),
        ({"amount": "ten"}, {"amount"}),
        ({"amount": None}, {"amount"}),
        ({"lines": []}, {"lines"}),
        ({"amount": "1.00", "lines": "MUG"}, {"lines"}),
        ({"restock": True}, {"restock"}),
        ({"lines": [{"product_id": 0, "quantity": 1}]}, {"lines[0].product_id"}),
        ({"lines": "MUG0"}, {"lines[0].quantity"}),
        ({"lines": "MUG,MUG"}, {"lines[1].product_id"}),
        ({"lines": [{"product_id": 1}]}, {"lines[0].quantity"}),
        ({"reason": "x" * 201}, {"reason"}),
        ({"amount": "1.00", "note": "x"}, {"note"}),
    ],
)
def test_bad_input_is_400_and_changes_nothing(staff_api, order, mug, body, fields):
    if isinstance(body.get("lines"), str):
        quantity = 0 if body["lines"] == "MUG0" else 1
        body = {**body, "lines": [line(mug, quantity)] * len(body["lines"].split(","))}
    assert_problem(
        refund(staff_api, order, body), 400, "validation-error", fields=fields
    )
    assert not Refund.objects.exists()
    assert payment_of(order).amount_refunded == Decimal("0.00")
    assert stock_of(mug) == 8


def test_customers_may_not_refund_even_their_own_payment(customer_api, order):
    assert_problem(refund(customer_api, order), 403, "permission-denied")
    assert not Refund.objects.exists()


def test_anonymous_is_401(api, order):
    assert_problem(refund(api, order), 401, "not-authenticated")
    assert_problem(api.get(refunds_url(order["payment_id"])), 401, "not-authenticated")


def test_a_missing_payment_is_404(staff_api):
    response = staff_api.post(refunds_url(10**9), {}, format="json")
    assert_problem(response, 404, "not-found")


def test_the_owner_and_staff_list_refunds_newest_first(
    staff_api, customer_api, other_api, order
):
    first = refund(staff_api, order, {"amount": "1.00"}).json()
    second = refund(staff_api, order, {"amount": "2.00"}).json()
    for client in (customer_api, staff_api):
        body = client.get(refunds_url(order["payment_id"])).json()
        assert body["count"] == 2
        assert body["results"] == [second, first]
    page = customer_api.get(refunds_url(order["payment_id"]), {"page_size": 1}).json()
    assert len(page["results"]) == 1 and "page=2" in page["next"]
    assert_problem(other_api.get(refunds_url(order["payment_id"])), 404, "not-found")
    assert_problem(staff_api.get(refunds_url(10**9)), 404, "not-found")


def test_the_key_replays_a_refund_and_refunds_once(staff_api, order):
    body = {"amount": "5.00"}
    first = refund(staff_api, order, body, HTTP_IDEMPOTENCY_KEY="refund-1")
    again = refund(staff_api, order, body, HTTP_IDEMPOTENCY_KEY="refund-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Refund.objects.count() == 1
    other = refund(
        staff_api, order, {"amount": "6.00"}, HTTP_IDEMPOTENCY_KEY="refund-1"
    )
    assert_problem(other, 422, "idempotency-key-reused")


def test_a_conflict_is_replayed_with_its_key(staff_api, order):
    refund(staff_api, order)
    body = {"amount": "1.00"}
    first = refund(staff_api, order, body, HTTP_IDEMPOTENCY_KEY="late")
    again = refund(staff_api, order, body, HTTP_IDEMPOTENCY_KEY="late")
    assert_problem(first, 409, "payment-not-refundable")
    assert again["Idempotent-Replayed"] == "true"


def test_cancelling_a_partly_refunded_paid_order_refunds_what_remains(
    staff_api, customer_api, order, mug, pot
):
    refund(staff_api, order, {"lines": [line(mug, 1)], "restock": True})
    assert stock_of(mug) == 9
    response = customer_api.post(order_url(order["id"], "cancel"))
    assert response.json()["status"] == "cancelled"
    # One mug came back with the refund; the cancel returns the rest, once.
    assert (stock_of(mug), stock_of(pot)) == (10, 4)
    amounts = list(Refund.objects.order_by("id").values_list("amount", flat=True))
    assert amounts == [Decimal("9.90"), Decimal("39.90")]
    payment = payment_of(order)
    assert (payment.status, payment.amount_refunded) == ("refunded", Decimal("49.80"))
    assert RefundLine.objects.count() == 1
