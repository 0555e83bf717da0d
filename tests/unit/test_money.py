"""format_money writes every amount with two decimals and never an exponent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from business.money import CENT, format_money


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "0.00"),
        ("0.1", "0.10"),
        ("19.90", "19.90"),
        ("1E+2", "100.00"),
        ("1E+6", "1000000.00"),
        ("999999.99", "999999.99"),
        ("9999999999.99", "9999999999.99"),
        ("-5.5", "-5.50"),
    ],
)
def test_amounts_are_written_with_two_decimals(amount, text):
    assert format_money(Decimal(amount)) == text


@pytest.mark.parametrize(
    ("amount", "text"), [("0.005", "0.00"), ("0.015", "0.02"), ("2.675", "2.68")]
)
def test_fractions_of_a_cent_round_half_to_even(amount, text):
    assert format_money(Decimal(amount)) == text


def test_an_amount_from_arithmetic_is_written_as_its_cents():
    assert format_money(Decimal("19.90") * 3) == "59.70"
    assert format_money(sum([Decimal("0.10")] * 10, Decimal(0))) == "1.00"


def test_a_cent_is_the_smallest_amount_written():
    assert CENT.as_tuple().exponent == -2
    assert format_money(CENT) == "0.01"
