"""Putting units back in stock: one rule for cancelled orders and restocking refunds."""

from __future__ import annotations

from collections.abc import Mapping

from business.catalog.ports import Products
from business.catalog.rules import STOCK_MAX


def return_to_stock(products: Products, quantities: Mapping[int, int]) -> None:
    """Add units back to these products' stock, their rows locked in id order.

    Stock stops at its maximum: staff may have set it there since the units left.
    """
    wanted = {pk: quantity for pk, quantity in quantities.items() if quantity > 0}
    if not wanted:
        return
    locked = products.lock_many(sorted(wanted))
    products.add_stock(
        {
            pk: min(quantity, STOCK_MAX - locked[pk].stock)
            for pk, quantity in wanted.items()
        }
    )
