"""What an API key may call: every operation's scope, in one table.

Keyed by route name and method. `PUBLIC` operations are open to anyone, a key
too; `NO_KEY` ones are refused to every key (customers' own operations, logging
in, managing keys); the rest need the scope named. A route missing here is
refused to keys, and a test requires every operation of the schema to be listed.
"""

from __future__ import annotations

from typing import Final, Literal

from business.accounts import Scope

PUBLIC: Final = "public"
NO_KEY: Final = "no key"
Rule = Scope | Literal["public", "no key"]

OPERATION_SCOPES: dict[tuple[str, str], Rule] = {
    ("product-list", "GET"): PUBLIC,
    ("product-list", "POST"): Scope.PRODUCTS_WRITE,
    ("product-detail", "GET"): PUBLIC,
    ("product-detail", "PATCH"): Scope.PRODUCTS_WRITE,
    ("product-detail", "DELETE"): Scope.PRODUCTS_WRITE,
    ("order-list", "GET"): Scope.ORDERS_READ,
    ("order-list", "POST"): NO_KEY,
    ("order-detail", "GET"): Scope.ORDERS_READ,
    ("order-events", "GET"): Scope.ORDERS_READ,
    ("order-cancel", "POST"): Scope.ORDERS_WRITE,
    ("order-ship", "POST"): Scope.ORDERS_WRITE,
    ("order-deliver", "POST"): Scope.ORDERS_WRITE,
    ("payment-list", "GET"): Scope.PAYMENTS_READ,
    ("payment-list", "POST"): NO_KEY,
    ("payment-detail", "GET"): Scope.PAYMENTS_READ,
    ("payment-refunds", "GET"): Scope.PAYMENTS_READ,
    ("payment-refunds", "POST"): Scope.REFUNDS_WRITE,
    # The provider's webhook is signed by the provider, never called with a key.
    ("payment-webhook", "POST"): NO_KEY,
    ("register", "POST"): NO_KEY,
    ("token", "POST"): NO_KEY,
    ("token-refresh", "POST"): NO_KEY,
    ("me", "GET"): NO_KEY,
    ("api-key-list", "GET"): NO_KEY,
    ("api-key-list", "POST"): NO_KEY,
    ("api-key-detail", "DELETE"): NO_KEY,
    ("schema", "GET"): PUBLIC,
    ("docs", "GET"): PUBLIC,
    ("redoc", "GET"): PUBLIC,
}


def rule_for(route: str | None, method: str) -> Rule:
    """Return what a key needs to call this route with this method."""
    if method == "OPTIONS":
        # Only describes the route (DRF's metadata); it changes and reveals nothing.
        return PUBLIC
    method = "GET" if method == "HEAD" else method
    return OPERATION_SCOPES.get((route or "", method), NO_KEY)


def allows(scopes: frozenset[str], route: str | None, method: str) -> bool:
    """Return whether a key with these scopes may call this route and method."""
    rule = rule_for(route, method)
    return rule == PUBLIC or (rule != NO_KEY and rule in scopes)
