"""The order status machine, as a table: every allowed move and a refusal of others."""

from __future__ import annotations

import itertools

import pytest

from business.errors import Conflict, RuleViolation
from business.orders import OrderStatus
from business.orders.rules import (
    TRANSITIONS,
    InsufficientStock,
    InvalidTransition,
    OrderNotPayable,
    parse_status,
    transition_event,
)

ALLOWED = {
    ("created", "paid"): "order.paid",
    ("created", "cancelled"): "order.cancelled",
    ("paid", "cancelled"): "order.cancelled",
    ("paid", "shipped"): "order.shipped",
    ("shipped", "delivered"): "order.delivered",
}
REFUSED = sorted(set(itertools.product(OrderStatus, repeat=2)) - set(ALLOWED), key=str)


def test_the_statuses_are_the_contracts_five_in_order():
    assert [status.value for status in OrderStatus] == [
        "created",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
    ]


def test_a_status_is_parsed_from_its_text_or_refused_on_the_status_field():
    assert parse_status("paid") is OrderStatus.PAID
    with pytest.raises(RuleViolation) as raised:
        parse_status("PAID")
    assert [error.field for error in raised.value.errors] == ["status"]


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
