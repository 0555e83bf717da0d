"""The paged list body: `{count, next, previous, results}`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from business.pagination import DEFAULT_PAGE_SIZE, Page


class PageQuery(serializers.Serializer):
    """`?page=` and `?page_size=`: positive integers; sizes over 100 are clamped."""

    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1,
        required=False,
        default=DEFAULT_PAGE_SIZE,
        help_text="Items per page, 1-100 (larger values are clamped to 100).",
    )


def page_body(request: Request, page: Page[Any], results: Any) -> dict[str, Any]:
    """Return the JSON body of one page, with links to its neighbours."""
    url = request.build_absolute_uri()
    return {
        "count": page.total,
        "next": replace_query_param(url, "page", page.number + 1)
        if page.has_next
        else None,
        "previous": replace_query_param(url, "page", page.number - 1)
        if page.has_previous
        else None,
        "results": results,
    }
