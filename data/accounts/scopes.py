"""The scopes of API keys, defined once for every layer."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What a key may do; each names a group of operations (presentation/scopes.py)."""

    PRODUCTS_WRITE = "products:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    PAYMENTS_READ = "payments:read"
    REFUNDS_WRITE = "refunds:write"
    WEBHOOKS_MANAGE = "webhooks:manage"
