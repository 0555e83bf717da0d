"""Helpers the order, payment and idempotency API tests share."""

from __future__ import annotations

from typing import Any

from data.catalog.models import Product

ORDERS = "/api/v1/orders/"
PAYMENTS = "/api/v1/payments/"


def order_url(order_id: int, action: str = "") -> str:
    return f"{ORDERS}{order_id}/" + (f"{action}/" if action else "")


def items(*lines) -> dict[str, Any]:
    """Return an order body of (product, quantity) lines."""
    return {
        "items": [
            {"product_id": product.pk, "quantity": quantity}
            for product, quantity in lines
        ]
    }


def place(client, *lines, **headers):
    """POST an order of (product, quantity) lines; return the response."""
    return client.post(ORDERS, items(*lines), format="json", **headers)


def placed(client, *lines) -> dict[str, Any]:
    """Place an order that must succeed; return its body."""
    response = place(client, *lines)
    assert response.status_code == 201, response.content
    return response.json()


def pay(client, order: dict[str, Any], token: str = "tok_visa", **headers):
    """POST a payment of an order's total; return the response."""
    body = {"order_id": order["id"], "amount": order["total"], "payment_token": token}
    return client.post(PAYMENTS, body, format="json", **headers)


def paid(client, *lines) -> dict[str, Any]:
    """Place and pay an order; return the order's body as placed."""
    order = placed(client, *lines)
    response = pay(client, order)
    assert response.status_code == 201, response.content
    return order


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock
