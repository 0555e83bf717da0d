"""The catalog's input rules, shared by the API, the admin and the importer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from business.catalog.rules import clean_product, parse_bool
from business.errors import RuleViolation


def fields_of(violation: RuleViolation) -> dict[str, str]:
    return {error.field: error.code for error in violation.errors}


def test_create_fills_defaults_and_normalises_values():
    cleaned = clean_product(
        {"sku": " ab-1_x ", "name": "  Mug  ", "price": "19.9"}, partial=False
    )
    assert cleaned == {
        "sku": "AB-1_X",
        "name": "Mug",
        "price": Decimal("19.90"),
        "description": "",
        "stock": 0,
        "is_active": True,
    }


def test_create_requires_sku_name_and_price():
    with pytest.raises(RuleViolation) as caught:
        clean_product({"description": "x"}, partial=False)
    assert fields_of(caught.value) == {
        "sku": "required",
        "name": "required",
        "price": "required",
    }
    assert "sku: This field is required." in caught.value.detail


def test_partial_update_keeps_only_given_fields():
    assert clean_product({"stock": "7"}, partial=True) == {"stock": 7}


def test_unknown_and_null_fields_are_ignored():
    assert clean_product({"colour": "red", "name": None}, partial=True) == {}


@pytest.mark.parametrize("sku", ["", "a b", "ÄÖ", "A" * 65, "sku!"])
def test_sku_outside_the_alphabet_is_invalid(sku):
    with pytest.raises(RuleViolation) as caught:
        clean_product({"sku": sku}, partial=True)
    assert fields_of(caught.value) == {"sku": "invalid"}


def test_sku_of_64_characters_is_accepted():
    assert clean_product({"sku": "a" * 64}, partial=True) == {"sku": "A" * 64}


@pytest.mark.parametrize("name", ["", "   ", "n" * 201])
def test_name_must_have_1_to_200_characters(name):
    with pytest.raises(RuleViolation) as caught:
        clean_product({"name": name}, partial=True)
    assert fields_of(caught.value) == {"name": "invalid"}


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0", Decimal("0.00")),
        (Decimal("999999.99"), Decimal("999999.99")),
        (12, Decimal("12.00")),
        ("3.5", Decimal("3.50")),
    ],
)
def test_price_is_quantised_to_cents(price, expected):
    assert clean_product({"price": price}, partial=True) == {"price": expected}


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("abc", "invalid"),
        ("1.234", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("-0.01", "out_of_range"),
        ("1000000.00", "out_of_range"),
    ],
)
def test_bad_price_is_refused(price, code):
    with pytest.raises(RuleViolation) as caught:
        clean_product({"price": price}, partial=True)
    assert fields_of(caught.value) == {"price": code}


@pytest.mark.parametrize(
    ("stock", "code"),
    [
        ("-1", "out_of_range"),
        (2_147_483_648, "out_of_range"),
        ("1.5", "invalid"),
        ("lots", "invalid"),
        (True, "invalid"),
    ],
)
def test_bad_stock_is_refused(stock, code):
    with pytest.raises(RuleViolation) as caught:
        clean_product({"stock": stock}, partial=True)
    assert fields_of(caught.value) == {"stock": code}


def test_stock_limits_are_accepted():
    assert clean_product({"stock": "2147483647"}, partial=True) == {
        "stock": 2_147_483_647
    }
    assert clean_product({"stock": 0}, partial=True) == {"stock": 0}


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(RuleViolation) as caught:
        clean_product(
            {"sku": "bad sku", "name": "", "price": "x", "stock": "-3"}, partial=False
        )
    assert set(fields_of(caught.value)) == {"sku", "name", "price", "stock"}


def test_description_is_kept_as_text():
    assert clean_product({"description": 42}, partial=True) == {"description": "42"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        (" Yes ", True),
        ("1", True),
        (True, True),
        ("false", False),
        ("No", False),
        ("0", False),
        (False, False),
    ],
)
def test_parse_bool_reads_the_usual_spellings(text, expected):
    assert parse_bool(text) is expected


def test_is_active_must_be_a_boolean_word():
    with pytest.raises(RuleViolation) as caught:
        clean_product({"is_active": "maybe"}, partial=True)
    assert fields_of(caught.value) == {"is_active": "invalid"}


@pytest.mark.parametrize("name", ["name", "description"])
def test_text_with_a_nul_character_is_invalid(name):
    fields = {"sku": "AB-1", "name": "Mug", "price": "1.00", name: "a\x00b"}
    with pytest.raises(RuleViolation) as caught:
        clean_product(fields, partial=False)
    assert fields_of(caught.value) == {name: "invalid"}
