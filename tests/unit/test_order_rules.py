"""The order status machine, as a table: every allowed move and a refusal of others."""

from __future__ import annotations

import itertools

import pytest

from business.errors import Conflict
from business.orders.rules import (
    STATUSES,
    TRANSITIONS,
    InsufficientStock,
    InvalidTransition,
    OrderNotPayable,
    transition_event,
)

ALLOWED = {
    ("created", "paid"): "order.paid",
    ("created", "cancelled"): "order.cancelled",
    ("paid", "cancelled"): "order.cancelled",
    ("paid", "shipped"): "order.shipped",
    ("shipped", "delivered"): "order.delivered",
}
REFUSED = sorted(set(itertools.product(STATUSES, repeat=2)) - set(ALLOWED), key=str)


def test_the_transition_table_is_exactly_the_contracts_machine():
    assert TRANSITIONS == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_move_writes_its_event(current, target):
    assert transition_event(current, target) == ALLOWED[(current, target)]


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_other_move_is_an_invalid_transition(current, target):
    with pytest.raises(InvalidTransition) as raised:
        transition_event(current, target)
    assert current in raised.value.detail and target in raised.value.detail
    assert raised.value.extra == {"order_status": current}


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("delivered", "cancelled"),
        ("created", "shipped"),
        ("shipped", "cancelled"),
        ("cancelled", "paid"),
        ("paid", "paid"),
    ],
)
def test_notable_refusals(current, target):
    with pytest.raises(InvalidTransition):
        transition_event(current, target)


def test_terminal_statuses_have_no_way_out():
    for terminal in ("delivered", "cancelled"):
        assert not [move for move in TRANSITIONS if move[0] == terminal]


@pytest.mark.parametrize(
    ("error", "slug"),
    [
        (InsufficientStock, "insufficient-stock"),
        (InvalidTransition, "invalid-transition"),
        (OrderNotPayable, "order-not-payable"),
    ],
)
def test_order_errors_are_conflicts_with_stable_slugs(error, slug):
    assert issubclass(error, Conflict)
    assert error.code == slug
