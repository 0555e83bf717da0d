"""Order rules: the status machine and the limits of an order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from business.errors import Conflict, FieldError, RuleViolation
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


class Line(Protocol):
    """A product and a quantity: a line of an order or of a refund."""

    @property
    def product_id(self) -> int: ...

    @property
    def quantity(self) -> int: ...


def line_errors(lines: Sequence[Line], *, field: str, of: str) -> list[FieldError]:
    """Return what is wrong with lines (`field[i]…`): a quantity out of 1 to
    MAX_QUANTITY, a product already in `of` (the order, the refund)."""
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors.append(
                FieldError(
                    f"{field}[{index}].quantity",
                    "out_of_range",
                    f"Use 1 to {MAX_QUANTITY}.",
                )
            )
        if line.product_id in seen:
            errors.append(
                FieldError(
                    f"{field}[{index}].product_id",
                    "duplicate",
                    f"This product is already in the {of}.",
                )
            )
        seen.add(line.product_id)
    return errors


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
