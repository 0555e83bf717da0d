"""OpenAPI pieces every operation shares: the problem body and paged lists."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from presentation.problems import PROBLEM_CONTENT_TYPE

_DESCRIPTIONS = {
    400: "The input is invalid; `errors` names each field.",
    401: "No or bad credentials.",
    402: "The payment was declined.",
    403: "Authenticated, but not allowed.",
    404: "No such resource, or not yours.",
    409: "The request conflicts with the resource's state.",
    413: "The request body is over 1 MiB.",
    422: "The Idempotency-Key was used with another body.",
}


class FieldErrorOutput(serializers.Serializer):
    field = serializers.CharField(
        help_text="Path of the field, e.g. `items[0].quantity`."
    )
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemOutput(serializers.Serializer):
    """An RFC 9457 problem."""

    type = serializers.URLField(help_text="URI ending in `/problems/<slug>`.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    request_id = serializers.CharField(help_text="Ties the answer to the log line.")
    errors = FieldErrorOutput(many=True, required=False)


def problems(*statuses: int) -> dict[Any, OpenApiResponse]:
    """Document the problem answers an operation can give."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemOutput, description=_DESCRIPTIONS[status]
        )
        for status in statuses
    }


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know (typos fail loudly)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown"
                )
        return super().to_internal_value(data)


def page_serializer(item: type[serializers.Serializer], name: str) -> type:
    """Return a serializer class describing one page of `item`s."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
            "__module__": __name__,
        },
    )


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """Validate `data` with the serializer; raise a 400 listing every bad field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
