"""Order admin: read-only pages, and actions that run the same use cases as the API."""

from __future__ import annotations

import pytest
from django.test import Client

from data.catalog.models import Product
from data.orders.models import Order, OrderEvent
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def place(api, product, quantity=1, token=None) -> dict:
    response = api.post(
        "/api/v1/orders/",
        {"items": [{"product_id": product.pk, "quantity": quantity}]},
        format="json",
    )
    assert response.status_code == 201
    order = response.json()
    if token:
        paid = api.post(
            "/api/v1/payments/",
            {"order_id": order["id"], "amount": order["total"], "payment_token": token},
            format="json",
        )
        assert paid.status_code == 201
    return order


def run_action(client: Client, action: str, *order_ids: int):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(i) for i in order_ids]},
        follow=True,
    )


def trail(order_id: int) -> list[tuple]:
    return list(
        OrderEvent.objects.filter(order_id=order_id)
        .order_by("id")
        .values_list("type", "data", "source")
    )


def test_admin_cancel_leaves_the_same_events_as_the_api_but_for_source(
    admin_client, customer_api
):
    product = ProductFactory(stock=10)
    via_api = place(customer_api, product, 2, token="tok_visa")
    via_admin = place(customer_api, product, 2, token="tok_visa")

    assert (
        customer_api.post(f"/api/v1/orders/{via_api['id']}/cancel/").status_code == 200
    )
    response = run_action(admin_client, "cancel_order", via_admin["id"])

    assert response.status_code == 200
    assert "Cancel: 1 order(s)." in response.content.decode()
    api_trail, admin_trail = trail(via_api["id"]), trail(via_admin["id"])
    strip = lambda rows: [  # noqa: E731
        (t, {k: v for k, v in d.items() if k not in ("payment_id", "refund_id")})
        for t, d, _ in rows
    ]
    assert strip(api_trail) == strip(admin_trail)
    assert [t for t, _, _ in admin_trail] == [
        "order.created",
        "order.paid",
        "order.cancelled",
        "payment.refunded",
    ]
    assert [s for _, _, s in admin_trail[2:]] == ["admin", "admin"]
    assert [s for _, _, s in api_trail[2:]] == ["api", "api"]
    assert Product.objects.get(pk=product.pk).stock == 10


def test_admin_events_carry_the_admin_request_id_and_actor(admin_client, customer_api):
    order = place(customer_api, ProductFactory(), token="tok_visa")
    admin_client.post(
        CHANGELIST,
        {"action": "ship_order", "_selected_action": [str(order["id"])]},
        HTTP_X_REQUEST_ID="admin-req-1",
    )
    event = OrderEvent.objects.filter(order_id=order["id"]).latest("id")
    assert (event.type, event.source, event.request_id) == (
        "order.shipped",
        "admin",
        "admin-req-1",
    )
    assert event.actor_id == int(admin_client.session["_auth_user_id"])


def test_admin_ship_then_deliver_moves_the_order(admin_client, customer_api):
    order = place(customer_api, ProductFactory(), token="tok_visa")
    run_action(admin_client, "ship_order", order["id"])
    run_action(admin_client, "deliver_order", order["id"])
    assert Order.objects.get(pk=order["id"]).status == "delivered"


def test_admin_action_reports_refused_transitions_and_changes_nothing(
    admin_client, customer_api
):
    order = place(customer_api, ProductFactory())  # created, not paid
    response = run_action(admin_client, "ship_order", order["id"])
    page = response.content.decode()
    assert "Refused" in page and "cannot become" in page
    assert Order.objects.get(pk=order["id"]).status == "created"
    assert [t for t, _, _ in trail(order["id"])] == ["order.created"]


def test_order_admin_pages_are_read_only(admin_client, customer_api):
    order = place(customer_api, ProductFactory())
    changelist = admin_client.get(CHANGELIST, {"status__exact": "created"})
    detail = admin_client.get(f"{CHANGELIST}{order['id']}/change/")
    assert changelist.status_code == 200
    assert detail.status_code == 200
    assert "order.created" in detail.content.decode()
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    posted = admin_client.post(f"{CHANGELIST}{order['id']}/change/", {"status": "paid"})
    assert posted.status_code == 403
    assert Order.objects.get(pk=order["id"]).status == "created"


def test_payment_admin_is_read_only(admin_client, customer_api):
    place(customer_api, ProductFactory(), token="tok_visa")
    assert admin_client.get("/admin/payments/payment/").status_code == 200
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403
