"""OpenAPI pieces every operation shares: the problem body and paged lists."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from django.urls import resolve
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from presentation.permissions import StaffWritesOnly
from presentation.problems import PROBLEM_CONTENT_TYPE
from presentation.scopes import NO_KEY, rule_for

_DESCRIPTIONS = {
    400: "The input is invalid; `errors` names each field.",
    401: "No or bad credentials.",
    402: "The payment was declined.",
    403: "Authenticated, but not allowed.",
    404: "No such resource, or not yours.",
    409: "The request conflicts with the resource's state.",
    412: "`If-Match` names none of the product's current ETag: nothing changed.",
    413: "The request body is over 1 MiB.",
    422: "The Idempotency-Key was used with another body.",
    503: "The payment provider is down: nothing was stored; see Retry-After.",
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
    # The problem's member shadows Serializer.errors (only the stubs mind).
    errors = FieldErrorOutput(many=True, required=False)  # type: ignore[assignment]


def problems(*statuses: int) -> dict[Any, OpenApiResponse]:
    """Document the problem answers an operation can give."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemOutput, description=_DESCRIPTIONS[status]
        )
        for status in statuses
    }


def document_throttling(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the 429 answer and the rate-limit headers to every operation.

    A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS), so that no view
    has to remember it; the limits are the THROTTLE_* settings.
    """
    # Views that opt out of throttling (the provider's webhook) send no quotas.
    unthrottled = {
        (path, method.lower())
        for path, _, method, view in getattr(generator, "endpoints", [])
        if not getattr(view.cls, "throttle_classes", True)
    }
    for path, operations in result["paths"].items():
        for method, operation in operations.items():
            operation["responses"].setdefault("429", _too_many())
            if (path, method) in unthrottled:
                continue
            for response in operation["responses"].values():
                response.setdefault("headers", {}).update(_rate_limit_headers())
    return result


def _too_many() -> dict[str, Any]:
    """The 429 answer, a new object each time: headers are added per operation."""
    return {
        "description": "Too many requests; wait `Retry-After` seconds.",
        "headers": {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 1},
                "description": "Seconds to wait before the next request.",
            }
        },
        "content": {
            PROBLEM_CONTENT_TYPE: {
                "schema": {"$ref": "#/components/schemas/ProblemOutput"}
            }
        },
    }


def _rate_limit_headers() -> dict[str, Any]:
    """The IETF httpapi rate-limit headers, sent when a throttle applies."""
    return {
        "RateLimit-Policy": {
            "schema": {"type": "string"},
            "description": 'The quotas that apply, e.g. `"anon";q=120;w=60` '
            "(`q` requests per `w` seconds); absent when no throttle applies.",
        },
        "RateLimit": {
            "schema": {"type": "string"},
            "description": 'What remains of each quota, e.g. `"anon";r=17;t=43` '
            "(`r` requests left; `t` seconds until one more is allowed).",
        },
    }


# The JSON type each kind of input field takes. DRF alone also reads "5" and 5.0
# as 5, and 0 as false: values the schema says are invalid.
_JSON_TYPES: tuple[tuple[type[serializers.Field], type, str], ...] = (
    (serializers.BooleanField, bool, "a boolean"),
    (serializers.IntegerField, int, "an integer"),
    (serializers.CharField, str, "a string"),
)


class StrictInput(serializers.Serializer):
    """An input serializer that refuses unknown fields and values of another type."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown"
                )
            mistyped = {
                name: [f"Must be {kind}."]
                for name, value in data.items()
                if (kind := _expected_type(self.fields[name], value))
            }
            if mistyped:
                raise serializers.ValidationError(mistyped, code="invalid")
        return super().to_internal_value(data)


def _expected_type(field: serializers.Field, value: Any) -> str | None:
    """Name the JSON type `field` takes if `value` is not of it (nulls pass on)."""
    if value is None:
        return None
    for field_class, json_type, kind in _JSON_TYPES:
        if isinstance(field, field_class):
            fits = isinstance(value, json_type) and (
                json_type is bool or not isinstance(value, bool)
            )
            return None if fits else kind
    return None


class QueryBooleanField(serializers.BooleanField):
    """A boolean in a query string: true/false or 1/0, in any case; nothing else.

    DRF's BooleanField also reads "yes", "on", "t" and an empty value.
    """

    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_internal_value(self, data: Any) -> bool:
        value = self._VALUES.get(str(data).strip().lower())
        if value is None:
            self.fail("invalid")
        return value


def enum_choice(enum: type[StrEnum], **kwargs: Any) -> serializers.ChoiceField:
    """Return a ChoiceField of an enum's values."""
    # Values, not members: DRF then gives plain strings both ways, and the schema
    # (YAML included) lists plain strings.
    return serializers.ChoiceField(choices=[member.value for member in enum], **kwargs)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, naming input components as their classes."""

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        # An `...Input` serializer only ever appears in requests, so the suffix the
        # request/response split adds ("ProductCreateInputRequest") says nothing.
        return name.removesuffix("Request") if name.endswith("InputRequest") else name

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        # drf-spectacular knows AllowAny and IsAuthenticatedOrReadOnly only: say
        # that reads under StaffWritesOnly need no credentials either.
        open_read = self.method in SAFE_METHODS and any(
            isinstance(permission, StaffWritesOnly)
            for permission in self.view.get_permissions()
        )
        if self._refused_to_keys():
            auths = [auth for auth in auths if "apiKey" not in auth]
        return [*auths, {}] if open_read and {} not in auths else auths

    def _refused_to_keys(self) -> bool:
        # Any value fills a path parameter: only the route's name is wanted.
        route = resolve(re.sub(r"\{[^}]+\}", "1", self.path)).url_name
        return rule_for(route, self.method.upper()) == NO_KEY


class _OwnDocstringOnly(OpenApiSerializerExtension):
    """Describe a component by its own docstring, not one inherited from a base."""

    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(
            self.target, direction, bypass_extensions=True
        )
        serializer_class = (
            self.target if isinstance(self.target, type) else type(self.target)
        )
        if not serializer_class.__dict__.get("__doc__"):
            schema.pop("description", None)
        return schema


class StrictInputSchema(_OwnDocstringOnly):
    """Say in the schema that a StrictInput refuses unknown fields."""

    target_class = StrictInput

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = super().map_serializer(auto_schema, direction)
        schema["additionalProperties"] = False
        return schema


class FastOutputSchema(_OwnDocstringOnly):
    """Keep FastOutput's note on rendering speed out of the API docs."""

    target_class = "presentation.fast_output.FastOutput"


def page_serializer(item: type[serializers.Serializer], name: str) -> type:
    """Return a serializer class describing one page of `item`s."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(
                required=False,
                help_text="Matches, exact up to 10000; absent on cursor pages.",
            ),
            "count_is_capped": serializers.BooleanField(
                required=False,
                help_text="true: more than 10000 match and `count` is 10000.",
            ),
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
