"""List answers: pages by number or by cursor, and the `Link` header of both."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from business.pagination import DEFAULT_PAGE_SIZE, CursorPage, Page, Position

CURSOR = "cursor"
# Cursors are signed: a client can hand back only what the server gave out, so a
# position always has the types its ordering's columns have.
_SALT = "orderly.pagination.cursor"
LINK_HEADER = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description=(
        'Cursor URLs (RFC 8288): rel="first" always, rel="next" and rel="prev" '
        "when the list goes on that way. Following them costs the same at any depth."
    ),
)


class PageQuery(serializers.Serializer):
    """`?page=` and `?page_size=`: positive integers; sizes over 100 are clamped."""

    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1,
        required=False,
        default=DEFAULT_PAGE_SIZE,
        help_text="Items per page, 1-100 (larger values are clamped to 100).",
    )


class CursorField(serializers.CharField):
    """An opaque cursor from a `Link` header or a cursor page's next/previous URL."""

    default_error_messages = {
        "invalid": "Use a cursor from a Link header or a next/previous URL."
    }

    def to_internal_value(self, data: Any) -> Any:
        token = super().to_internal_value(data)
        if not token:
            return None  # an empty cursor: the first slice, by cursor
        try:
            payload = signing.Signer(salt=_SALT, sep=".").unsign_object(token)
            return (
                payload["s"],
                Position(
                    key=tuple(map(_untagged, payload["k"])),
                    backwards=bool(payload["b"]),
                ),
            )
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            self.fail("invalid")


class CursorQuery(PageQuery):
    """`?cursor=` beside `?page=`: a cursor, when given, wins over the page."""

    cursor = CursorField(
        required=False,
        allow_blank=True,
        help_text=(
            "Opaque cursor from a Link header or a next/previous URL; empty for the "
            "first slice. Answers {next, previous, results} with no count, at the "
            "same cost at any depth; `page` is then ignored."
        ),
    )


def position_of(query: dict[str, Any], scope: str) -> Position | None:
    """Pop the cursor from validated query values; it must belong to `scope`."""
    scope_and_position = query.pop(CURSOR)
    if not scope_and_position:
        # DRF hands a blank value back as "" without calling to_internal_value.
        return None
    found_scope, position = scope_and_position
    if found_scope != scope:
        raise serializers.ValidationError(
            {CURSOR: ["This cursor belongs to another list or ordering."]},
            code="invalid",
        )
    assert isinstance(position, Position)
    return position


def wants_cursor(query: dict[str, Any]) -> bool:
    """Return whether the request asked for a cursor page (`?cursor=`, even empty)."""
    return CURSOR in query


def page_response(
    request: Request, page: Page[Any], results: Any, scope: str | None = None
) -> Response:
    """Answer one page by number; with a `scope`, a Link header of cursor URLs."""
    url = request.build_absolute_uri()
    body: dict[str, Any] = {
        "count": page.total,
        "next": replace_query_param(url, "page", page.number + 1)
        if page.has_next
        else None,
        "previous": replace_query_param(url, "page", page.number - 1)
        if page.has_previous
        else None,
        "results": results,
    }
    if page.total_is_capped:
        # Only then: below the cap the body stays what clients always had.
        body["count_is_capped"] = True
    response = Response(body)
    if scope is not None:
        # The cursor equivalents of the neighbouring pages: after this page's
        # last row, before its first.
        after = page.last_key if page.has_next else None
        before = page.first_key if page.has_previous else None
        response["Link"] = _links(url, scope, after, before)
    return response


def cursor_response(
    request: Request, page: CursorPage[Any], results: Any, scope: str
) -> Response:
    """Answer one slice by cursor, its neighbours in the body and the Link header."""
    url = request.build_absolute_uri()
    body = {
        "next": _cursor_url(url, scope, page.next_key, backwards=False),
        "previous": _cursor_url(url, scope, page.previous_key, backwards=True),
        "results": results,
    }
    response = Response(body)
    response["Link"] = _links(url, scope, page.next_key, page.previous_key)
    return response


def page_body(request: Request, page: Page[Any], results: Any) -> dict[str, Any]:
    """Return the JSON body of one page, with links to its neighbours."""
    return dict(page_response(request, page, results).data)


def _links(
    url: str, scope: str, after: tuple[Any, ...] | None, before: tuple[Any, ...] | None
) -> str:
    first = remove_query_param(replace_query_param(url, CURSOR, ""), "page")
    links = [f'<{first}>; rel="first"']
    if (next_url := _cursor_url(url, scope, after, backwards=False)) is not None:
        links.append(f'<{next_url}>; rel="next"')
    if (previous_url := _cursor_url(url, scope, before, backwards=True)) is not None:
        links.append(f'<{previous_url}>; rel="prev"')
    return ", ".join(links)


def _cursor_url(
    url: str, scope: str, key: tuple[Any, ...] | None, *, backwards: bool
) -> str | None:
    if key is None:
        return None
    payload = {"s": scope, "b": int(backwards), "k": [_tagged(v) for v in key]}
    token = signing.Signer(salt=_SALT, sep=".").sign_object(payload)
    return remove_query_param(replace_query_param(url, CURSOR, token), "page")


def _tagged(value: Any) -> Any:
    """Return a key value as JSON: timestamps and decimals tagged, to come back."""
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        return Decimal(value["d"])
    return value
