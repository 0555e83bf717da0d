"""Money input: a decimal string with at most two places; JSON numbers too."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """A decimal of two places, as `"19.90"` (or a JSON number in a body).

    DRF's DecimalField also takes `" 1e2 "`; this one takes exactly what the
    schema documents, so clients and the server agree on what is valid.
    """

    def __init__(
        self, *, max_digits: int, allow_number: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)
        self.allow_number = allow_number
        signed = self.min_value is None or self.min_value < 0
        self.pattern = (
            rf"^{'-?' if signed else ''}\d{{1,{max_digits - 2}}}(\.\d{{1,2}})?$"
        )

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, str):
            if not re.fullmatch(self.pattern, data):
                self.fail("invalid")
        elif not self.allow_number or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    """Document MoneyField: a string of the pattern, or (in bodies) a number."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict:
        field: MoneyField = self.target
        text = {"type": "string", "format": "decimal", "pattern": field.pattern}
        if not field.allow_number:
            return text
        number: dict[str, Any] = {"type": "number"}
        if field.min_value is not None:
            number["minimum"] = float(field.min_value)
        assert field.max_digits is not None  # MoneyField requires it
        limit = 10 ** (field.max_digits - 2)
        if field.max_value is not None:
            number["maximum"] = float(field.max_value)
        else:
            number["exclusiveMaximum"] = True
            number["maximum"] = limit
            if field.min_value is None:
                number["exclusiveMinimum"] = True
                number["minimum"] = -limit
        return {"anyOf": [text, number]}
