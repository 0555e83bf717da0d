"""Catalog input and output shapes."""

from __future__ import annotations

from rest_framework import serializers

from business import config
from business.catalog import PRODUCT_ORDERINGS
from business.catalog.rules import (
    NAME_MAX_LENGTH,
    PRICE_MAX,
    PRICE_MIN,
    SKU_MAX_LENGTH,
    STOCK_MAX,
)
from presentation.fast_output import FastOutput
from presentation.money import MoneyField
from presentation.pagination import CursorQuery
from presentation.schema import QueryBooleanField, StrictInput, page_serializer


def _price_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=PRICE_MIN,
        max_value=PRICE_MAX,
        **kwargs,
    )


def _price_input(**kwargs) -> MoneyField:
    return MoneyField(max_digits=8, min_value=PRICE_MIN, max_value=PRICE_MAX, **kwargs)


def _sku_input(**kwargs) -> serializers.CharField:
    # Lower case is accepted (and upper-cased); spaces are not trimmed but refused.
    return serializers.RegexField(
        r"\A[A-Za-z0-9_-]+\Z",
        max_length=SKU_MAX_LENGTH,
        trim_whitespace=False,
        **kwargs,
    )


class ProductOutput(FastOutput):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    price = _price_field()
    currency = serializers.SerializerMethodField()
    stock = serializers.IntegerField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_currency(self, product) -> str:
        return config.currency()


ProductPage = page_serializer(ProductOutput, "ProductPage")


class ProductCreateInput(StrictInput):
    sku = _sku_input(help_text="1-64 of A-Z, 0-9, '-' and '_'; stored upper-cased.")
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    price = _price_input(help_text='Decimal string, e.g. "19.90".')
    stock = serializers.IntegerField(
        min_value=0, max_value=STOCK_MAX, required=False, default=0
    )
    is_active = serializers.BooleanField(required=False, default=True)


class ProductUpdateInput(StrictInput):
    sku = _sku_input(required=False)
    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    price = _price_input(required=False)
    stock = serializers.IntegerField(min_value=0, max_value=STOCK_MAX, required=False)
    is_active = serializers.BooleanField(required=False)


class ProductListQuery(CursorQuery):
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Part of the sku or name."
    )
    min_price = _price_input(required=False, allow_number=False, help_text="Inclusive.")
    max_price = _price_input(required=False, allow_number=False, help_text="Inclusive.")
    in_stock = QueryBooleanField(
        required=False, help_text="true: stock > 0; false: stock = 0."
    )
    is_active = QueryBooleanField(
        required=False,
        help_text="Staff only; ignored for others, who see active products.",
    )
    ordering = serializers.ChoiceField(
        choices=PRODUCT_ORDERINGS, required=False, default="created_at"
    )
