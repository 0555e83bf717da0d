"""Order rules: the status machine and the limits of an order."""

from __future__ import annotations

from business.errors import Conflict

MAX_ITEMS = 50
MAX_QUANTITY = 1000
STATUSES = ("created", "paid", "shipped", "delivered", "cancelled")

# The status machine as data: (from, to) pairs and the event each move writes.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("created", "paid"): "order.paid",
    ("created", "cancelled"): "order.cancelled",
    ("paid", "cancelled"): "order.cancelled",
    ("paid", "shipped"): "order.shipped",
    ("shipped", "delivered"): "order.delivered",
}


class InsufficientStock(Conflict):
    code = "insufficient-stock"
    title = "Not enough stock."


class InvalidTransition(Conflict):
    code = "invalid-transition"
    title = "The order cannot move to that status."


class OrderNotPayable(Conflict):
    code = "order-not-payable"
    title = "The order cannot be paid."


def transition_event(current: str, target: str) -> str:
    """Return the event type of a move, or raise InvalidTransition."""
    try:
        return TRANSITIONS[(current, target)]
    except KeyError:
        raise InvalidTransition(
            f"An order in status '{current}' cannot become '{target}'.",
            order_status=current,
        ) from None
