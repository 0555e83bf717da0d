"""The statuses an order moves through, defined once for every layer."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is; the values are what the database stores."""

    CREATED = "created"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
