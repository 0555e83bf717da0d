"""Order endpoints over HTTP: placing, reading, the audit trail and status moves."""

from __future__ import annotations

from decimal import Decimal

import pytest

from data.orders.models import Order, OrderEvent
from data.payments.models import Payment
from tests.api.order_support import (
    ORDERS,
    items,
    order_url,
    paid,
    place,
    placed,
    stock_of,
)
from tests.api.problems import assert_problem
from tests.conftest import client_for
from tests.factories import OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", name="Mug", price=Decimal("9.90"), stock=10)


@pytest.fixture
def tea(db):
    return ProductFactory(sku="TEA-1", name="Tea", price=Decimal("4.25"), stock=3)


def statuses(response) -> list[str]:
    return [order["status"] for order in response.json()["results"]]


# --- POST /orders/ ----------------------------------------------------------


def test_place_order_copies_prices_and_reserves_stock(customer, customer_api, mug, tea):
    response = place(customer_api, (mug, 2), (tea, 3))
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "customer_id": customer.pk,
        "status": "created",
        "items": [
            {
                "product_id": mug.pk,
                "sku": "MUG-1",
                "name": "Mug",
                "unit_price": "9.90",
                "quantity": 2,
                "line_total": "19.80",
            },
            {
                "product_id": tea.pk,
                "sku": "TEA-1",
                "name": "Tea",
                "unit_price": "4.25",
                "quantity": 3,
                "line_total": "12.75",
            },
        ],
        "total": "32.55",
        "currency": "EUR",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")
    assert (stock_of(mug), stock_of(tea)) == (8, 0)


def test_a_later_price_change_does_not_touch_the_order(customer_api, staff_api, mug):
    order = placed(customer_api, (mug, 1))
    changed = staff_api.patch(
        f"/api/v1/products/{mug.pk}/", {"price": "99.00"}, format="json"
    )
    assert changed.status_code == 200
    again = customer_api.get(order_url(order["id"])).json()
    assert again["items"][0]["unit_price"] == "9.90"
    assert again["total"] == "9.90"
    assert again == order


def test_placing_an_order_writes_order_created(customer, customer_api, mug):
    order = placed(customer_api, (mug, 2))
    event = OrderEvent.objects.get(order_id=order["id"])
    assert (event.type, event.actor_id, event.source) == (
        "order.created",
        customer.pk,
        "api",
    )


def test_insufficient_stock_names_the_product_and_reserves_nothing(
    customer_api, mug, tea
):
    response = place(customer_api, (mug, 5), (tea, 4))
    body = assert_problem(response, 409, "insufficient-stock")
    assert "TEA-1" in body["detail"]
    assert body["products"] == [
        {"product_id": tea.pk, "sku": "TEA-1", "requested": 4, "available": 3}
    ]
    assert (stock_of(mug), stock_of(tea)) == (10, 3)
    assert not Order.objects.exists()


def test_an_unknown_product_is_400_on_its_line(customer_api, mug):
    body = {
        "items": [
            {"product_id": 10**12, "quantity": 1},
            {"product_id": mug.pk, "quantity": 1},
        ]
    }
    response = customer_api.post(ORDERS, body, format="json")
    assert_problem(response, 400, "validation-error", fields={"items[0].product_id"})
    assert stock_of(mug) == 10


def test_an_inactive_product_is_400_on_its_line(customer_api, mug):
    retired = ProductFactory(is_active=False)
    response = place(customer_api, (mug, 1), (retired, 1))
    assert_problem(response, 400, "validation-error", fields={"items[1].product_id"})
    assert stock_of(mug) == 10


def test_the_same_product_twice_is_400_on_the_later_line(customer_api, mug, tea):
    response = place(customer_api, (mug, 1), (tea, 1), (mug, 1))
    assert_problem(response, 400, "validation-error", fields={"items[2].product_id"})


@pytest.mark.parametrize("quantity", [0, 1001, -1, "x"])
def test_a_quantity_outside_one_to_a_thousand_is_400(customer_api, mug, tea, quantity):
    response = place(customer_api, (tea, 1), (mug, quantity))
    assert_problem(response, 400, "validation-error", fields={"items[1].quantity"})
    assert not Order.objects.exists()


def test_a_missing_product_id_is_400_on_its_line(customer_api):
    response = customer_api.post(ORDERS, {"items": [{"quantity": 1}]}, format="json")
    assert_problem(response, 400, "validation-error", fields={"items[0].product_id"})


@pytest.mark.parametrize("count", [0, 51])
def test_an_order_has_one_to_fifty_items(customer_api, count):
    products = ProductFactory.create_batch(count)
    response = place(customer_api, *[(p, 1) for p in products])
    assert_problem(response, 400, "validation-error", fields={"items"})


def test_fifty_items_are_allowed(customer_api):
    products = ProductFactory.create_batch(50)
    response = place(customer_api, *[(p, 1) for p in products])
    assert response.status_code == 201
    assert len(response.json()["items"]) == 50


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "items"), ({"items": []}, "items"), ({"items": [], "x": 1}, "x")],
)
def test_a_malformed_order_body_is_400(customer_api, body, field):
    response = customer_api.post(ORDERS, body, format="json")
    body = assert_problem(response, 400, "validation-error")
    assert field in {error["field"] for error in body["errors"]}


def test_malformed_json_is_400(customer_api):
    response = customer_api.post(
        ORDERS, data="{not json", content_type="application/json"
    )
    assert_problem(response, 400, "validation-error")


def test_anonymous_cannot_place_orders(api, mug):
    response = place(api, (mug, 1))
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert stock_of(mug) == 10


# --- GET /orders/ -----------------------------------------------------------


def test_customers_list_only_their_own_orders_newest_first(
    customer_api, other_api, mug
):
    first = placed(customer_api, (mug, 1))
    placed(other_api, (mug, 1))
    second = placed(customer_api, (mug, 2))
    response = customer_api.get(ORDERS)
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["results"]] == [second["id"], first["id"]]
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert body["results"][0] == second


def test_staff_list_every_order(staff_api, customer_api, other_api, mug):
    placed(customer_api, (mug, 1))
    placed(other_api, (mug, 1))
    assert staff_api.get(ORDERS).json()["count"] == 2


def test_list_filters_by_status(customer_api, mug):
    placed(customer_api, (mug, 1))
    cancelled = placed(customer_api, (mug, 1))
    customer_api.post(order_url(cancelled["id"], "cancel"))
    paid(customer_api, (mug, 1))
    response = customer_api.get(ORDERS, {"status": "cancelled"})
    assert [o["id"] for o in response.json()["results"]] == [cancelled["id"]]
    assert statuses(customer_api.get(ORDERS, {"status": "paid"})) == ["paid"]
    assert statuses(customer_api.get(ORDERS)) == ["paid", "cancelled", "created"]


def test_list_refuses_an_unknown_status(customer_api):
    response = customer_api.get(ORDERS, {"status": "lost"})
    assert_problem(response, 400, "validation-error", fields={"status"})


def test_list_pages_and_a_page_past_the_end_is_404(customer, customer_api):
    for _ in range(3):
        OrderFactory(customer=customer)
    body = customer_api.get(ORDERS, {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert "page=2" in body["next"]
    assert_problem(
        customer_api.get(ORDERS, {"page": 3, "page_size": 2}), 404, "not-found"
    )


def test_anonymous_cannot_list_orders(api):
    assert_problem(api.get(ORDERS), 401, "not-authenticated")


# --- GET /orders/{id}/ ------------------------------------------------------


def test_the_owner_and_staff_see_an_order(customer_api, staff_api, mug):
    order = placed(customer_api, (mug, 1))
    assert customer_api.get(order_url(order["id"])).json() == order
    assert staff_api.get(order_url(order["id"])).json() == order


def test_another_customers_order_is_404(customer_api, other_api, mug):
    order = placed(customer_api, (mug, 1))
    assert_problem(other_api.get(order_url(order["id"])), 404, "not-found")


def test_a_missing_order_is_404(customer_api):
    assert_problem(customer_api.get(order_url(10**9)), 404, "not-found")


# --- GET /orders/{id}/events/ -----------------------------------------------


def test_events_are_a_plain_array_oldest_first(customer, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    customer_api.post(order_url(order["id"], "cancel"), HTTP_X_REQUEST_ID="req-42")
    response = customer_api.get(order_url(order["id"], "events"))
    assert response.status_code == 200
    events = response.json()
    assert isinstance(events, list)
    assert [e["type"] for e in events] == ["order.created", "order.cancelled"]
    assert events[0]["id"] < events[1]["id"]
    for event in events:
        assert (event["order_id"], event["actor_id"], event["source"]) == (
            order["id"],
            customer.pk,
            "api",
        )
        assert event["created_at"].endswith("Z")
    assert events[1]["request_id"] == "req-42"
    assert events[1]["data"] == {"from": "created"}


def test_staff_read_any_orders_events(customer_api, staff_api, mug):
    order = placed(customer_api, (mug, 1))
    assert len(staff_api.get(order_url(order["id"], "events")).json()) == 1


def test_another_customers_events_are_404(customer_api, other_api, mug):
    order = placed(customer_api, (mug, 1))
    response = other_api.get(order_url(order["id"], "events"))
    assert_problem(response, 404, "not-found")


# --- POST /orders/{id}/cancel/ ----------------------------------------------


def test_cancel_restores_stock_and_answers_the_cancelled_order(customer_api, mug, tea):
    order = placed(customer_api, (mug, 4), (tea, 3))
    response = customer_api.post(order_url(order["id"], "cancel"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["items"] == order["items"]
    assert (stock_of(mug), stock_of(tea)) == (10, 3)


def test_cancelling_a_paid_order_refunds_its_payment(customer, customer_api, mug):
    order = paid(customer_api, (mug, 2))
    response = customer_api.post(
        order_url(order["id"], "cancel"), HTTP_X_REQUEST_ID="req-refund-1"
    )
    assert response.status_code == 200
    assert Payment.objects.get(order_id=order["id"]).status == "refunded"
    events = customer_api.get(order_url(order["id"], "events")).json()
    assert [e["type"] for e in events] == [
        "order.created",
        "order.paid",
        "order.cancelled",
        "payment.refunded",
    ]
    cancelled, refunded = events[2:]
    assert cancelled["request_id"] == refunded["request_id"] == "req-refund-1"
    assert refunded["data"]["amount"] == "19.80"
    assert refunded["actor_id"] == customer.pk
    assert stock_of(mug) == 10


def test_staff_may_cancel_any_order(customer_api, staff, staff_api, mug):
    order = placed(customer_api, (mug, 1))
    response = staff_api.post(order_url(order["id"], "cancel"))
    assert response.json()["status"] == "cancelled"
    event = OrderEvent.objects.filter(order_id=order["id"]).latest("id")
    assert event.actor_id == staff.pk


def test_cancelling_another_customers_order_is_404(customer_api, other_api, mug):
    order = placed(customer_api, (mug, 1))
    response = other_api.post(order_url(order["id"], "cancel"))
    assert_problem(response, 404, "not-found")
    assert Order.objects.get(pk=order["id"]).status == "created"
    assert stock_of(mug) == 9


def test_cancelling_twice_is_an_invalid_transition(customer_api, mug):
    order = placed(customer_api, (mug, 1))
    customer_api.post(order_url(order["id"], "cancel"))
    response = customer_api.post(order_url(order["id"], "cancel"))
    body = assert_problem(response, 409, "invalid-transition")
    assert "cancelled" in body["detail"]
    assert body["order_status"] == "cancelled"
    assert stock_of(mug) == 10


# --- POST /orders/{id}/ship/ and /deliver/ -------------------------------------


def test_staff_ship_a_paid_order_then_deliver_it(customer_api, staff, staff_api, mug):
    order = paid(customer_api, (mug, 1))
    shipped = staff_api.post(order_url(order["id"], "ship"))
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped")
    delivered = staff_api.post(order_url(order["id"], "deliver"))
    assert (delivered.status_code, delivered.json()["status"]) == (200, "delivered")
    events = list(
        OrderEvent.objects.filter(order_id=order["id"])
        .order_by("id")
        .values_list("type", "actor_id")
    )
    assert events[-2:] == [("order.shipped", staff.pk), ("order.delivered", staff.pk)]


@pytest.mark.parametrize("action", ["ship", "deliver"])
def test_a_customer_may_not_ship_or_deliver_even_their_own_order(
    customer_api, mug, action
):
    order = paid(customer_api, (mug, 1))
    response = customer_api.post(order_url(order["id"], action))
    assert_problem(response, 403, "permission-denied")
    assert Order.objects.get(pk=order["id"]).status == "paid"


@pytest.mark.parametrize("action", ["ship", "deliver", "cancel"])
def test_anonymous_cannot_move_orders(api, action):
    order = OrderFactory()
    assert_problem(api.post(order_url(order.pk, action)), 401, "not-authenticated")


def test_shipping_a_created_order_is_an_invalid_transition(
    customer_api, staff_api, mug
):
    order = placed(customer_api, (mug, 1))
    response = staff_api.post(order_url(order["id"], "ship"))
    assert_problem(response, 409, "invalid-transition")
    assert Order.objects.get(pk=order["id"]).status == "created"


def test_delivering_a_paid_order_is_an_invalid_transition(customer_api, staff_api, mug):
    order = paid(customer_api, (mug, 1))
    response = staff_api.post(order_url(order["id"], "deliver"))
    assert_problem(response, 409, "invalid-transition")


def test_a_delivered_order_cannot_be_cancelled(customer_api, staff_api, mug):
    order = paid(customer_api, (mug, 1))
    staff_api.post(order_url(order["id"], "ship"))
    staff_api.post(order_url(order["id"], "deliver"))
    response = customer_api.post(order_url(order["id"], "cancel"))
    assert_problem(response, 409, "invalid-transition")
    assert stock_of(mug) == 9


def test_shipping_a_missing_order_is_404(staff_api):
    assert_problem(staff_api.post(order_url(10**9, "ship")), 404, "not-found")


# --- query counts -----------------------------------------------------------

LIST_QUERIES = 3  # the user, the page of orders with its count, their lines
DETAIL_QUERIES = 3  # the user, the order, its lines
# The user; a savepoint; the products locked in id order; their stock taken; the
# order with its lines (one statement); the order.created event; the savepoint
# released. One line needs no lock beforehand: its conditional update is enough.
PLACE_QUERIES = 7
PLACE_ONE_LINE_QUERIES = 6


@pytest.mark.parametrize(("orders", "lines"), [(1, 1), (30, 5)])
def test_listing_orders_takes_the_same_queries_whatever_their_number(
    customer, django_assert_num_queries, orders, lines
):
    for _ in range(orders):
        OrderFactory(customer=customer, lines=lines)
    client = client_for(customer)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(ORDERS)
    assert len(response.json()["results"]) == min(orders, 20)
    assert {len(o["items"]) for o in response.json()["results"]} == {lines}


@pytest.mark.parametrize("lines", [1, 50])
def test_reading_an_order_takes_the_same_queries_whatever_its_size(
    customer, django_assert_num_queries, lines
):
    order = OrderFactory(customer=customer, lines=lines)
    client = client_for(customer)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(order_url(order.pk))
    assert len(response.json()["items"]) == lines


def test_placing_fifty_lines_takes_a_bounded_number_of_queries(
    customer, django_assert_num_queries
):
    products = ProductFactory.create_batch(50)
    client = client_for(customer)
    with django_assert_num_queries(PLACE_QUERIES):
        response = client.post(ORDERS, items(*[(p, 2) for p in products]), "json")
    assert response.status_code == 201
    assert len(response.json()["items"]) == 50


def test_placing_one_line_takes_one_query_fewer_than_fifty(
    customer, django_assert_num_queries
):
    product = ProductFactory()
    client = client_for(customer)
    with django_assert_num_queries(PLACE_ONE_LINE_QUERIES):
        assert place(client, (product, 1)).status_code == 201


def test_an_unknown_user_id_in_a_token_is_401(mug):
    ghost = UserFactory()
    client = client_for(ghost)
    ghost.delete()
    assert_problem(place(client, (mug, 1)), 401, "not-authenticated")
