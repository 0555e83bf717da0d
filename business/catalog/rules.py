"""The catalog's input rules: one place, used by the API, the admin and the importer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from business.errors import FieldError, RuleViolation
from business.money import CENT, format_money

SKU_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
PRICE_MIN = Decimal("0.00")
PRICE_MAX = Decimal("999999.99")
STOCK_MAX = 2_147_483_647
SKU_PATTERN = re.compile(r"^[A-Z0-9_-]{1,64}\Z")
REQUIRED_ON_CREATE = ("sku", "name", "price")
DEFAULTS: dict[str, Any] = {"description": "", "stock": 0, "is_active": True}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class _Invalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def clean_product(fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Return the product fields normalised; raise RuleViolation naming each bad one.

    Values may be typed (from the API) or text (from a CSV file).
    """
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {} if partial else dict(DEFAULTS)
    if not partial:
        errors += [
            FieldError(name, "required", "This field is required.")
            for name in REQUIRED_ON_CREATE
            if fields.get(name) is None
        ]
    for name, value in fields.items():
        if name not in _CLEANERS or value is None:
            continue
        try:
            cleaned[name] = _CLEANERS[name](value)
        except _Invalid as exc:
            errors.append(FieldError(name, exc.code, exc.message))
    if errors:
        raise RuleViolation(errors)
    return cleaned


def parse_bool(value: Any) -> bool:
    """Read a boolean from a bool or from true/false/1/0/yes/no in any case."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid("invalid", "Use true/false, 1/0 or yes/no.")


def _sku(value: Any) -> str:
    sku = str(value).strip().upper()
    if not SKU_PATTERN.match(sku):
        raise _Invalid("invalid", "Use 1 to 64 of A-Z, 0-9, '-' and '_'.")
    return sku


def _name(value: Any) -> str:
    name = _text(value).strip()
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        raise _Invalid("invalid", f"Use 1 to {NAME_MAX_LENGTH} characters.")
    return name


def _description(value: Any) -> str:
    return _text(value)


def _text(value: Any) -> str:
    # The API's and the admin's fields refuse NUL already; a CSV file does not, and
    # PostgreSQL cannot store it in text.
    text = str(value)
    if "\x00" in text:
        raise _Invalid("invalid", "Must not contain NUL characters.")
    return text


def _price(value: Any) -> Decimal:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid("invalid", "Use a decimal number such as 19.90.") from None
    exponent = price.as_tuple().exponent
    # NaN and the infinities have a letter for an exponent ("n", "N", "F").
    if not isinstance(exponent, int) or exponent < -2:
        raise _Invalid("invalid", "Use at most 2 decimal places.")
    if not PRICE_MIN <= price <= PRICE_MAX:
        limits = f"{format_money(PRICE_MIN)} to {format_money(PRICE_MAX)}"
        raise _Invalid("out_of_range", f"Use {limits}.")
    # Whole cents already (checked above): this only writes the places out.
    return price.quantize(CENT)


def _stock(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("invalid", "Use a whole number.")
    try:
        stock = int(str(value).strip())
    except ValueError:
        raise _Invalid("invalid", "Use a whole number.") from None
    if not 0 <= stock <= STOCK_MAX:
        raise _Invalid("out_of_range", f"Use 0 to {STOCK_MAX}.")
    return stock


_CLEANERS = {
    "sku": _sku,
    "name": _name,
    "description": _description,
    "price": _price,
    "stock": _stock,
    "is_active": parse_bool,
}
