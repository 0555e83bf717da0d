"""Order rules: the status machine and the limits of an order."""

from __future__ import annotations

from business.errors import Conflict, RuleViolation
from data.orders.statuses import OrderStatus

MAX_ITEMS = 50
MAX_QUANTITY = 1000

# The status machine as data: (from, to) pairs and the event each move writes.
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], str] = {
    (OrderStatus.CREATED, OrderStatus.PAID): "order.paid",
    (OrderStatus.CREATED, OrderStatus.CANCELLED): "order.cancelled",
    (OrderStatus.PAID, OrderStatus.CANCELLED): "order.cancelled",
    (OrderStatus.PAID, OrderStatus.SHIPPED): "order.shipped",
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED): "order.delivered",
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


def parse_status(text: str) -> OrderStatus:
    """Return the status a text names, or raise RuleViolation on the `status` field."""
    try:
        return OrderStatus(text)
    except ValueError:
        raise RuleViolation.single("status", "invalid", "Unknown status.") from None


def transition_event(current: OrderStatus, target: OrderStatus) -> str:
    """Return the event type of a move, or raise InvalidTransition."""
    try:
        return TRANSITIONS[(current, target)]
    except KeyError:
        raise InvalidTransition(
            f"An order in status '{current}' cannot become '{target}'.",
            order_status=current,
        ) from None
