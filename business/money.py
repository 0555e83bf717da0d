"""Money as text: one way to write an amount, wherever it is written."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# The smallest amount there is; every amount has exactly this many places.
CENT = Decimal("0.01")


def format_money(amount: Decimal) -> str:
    """Return the amount with exactly two decimals and no exponent: "100.00"."""
    # Half to even, as DRF's money fields round; `:f` never writes an exponent.
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"
