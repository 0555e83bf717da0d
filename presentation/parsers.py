"""JSON in, refused with 400 when nested deeper than any request of this API needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest body of this API is four levels (an order's items); the rest is
# headroom. Deeper values would reach code that recurses (json.dumps of the
# idempotency fingerprint, serializers, renderers) and end as a 500.
MAX_DEPTH = 64


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a bound on nesting."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Parse the body; refuse one nested deeper than MAX_DEPTH."""
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Python's json recurses once per level; DRF catches only ValueError.
            raise ParseError(_too_deep()) from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(_too_deep())
        return data


def _too_deep() -> str:
    return f"JSON parse error - nested deeper than {MAX_DEPTH} levels"


def _deeper_than(value: Any, limit: int) -> bool:
    """Say if lists and objects nest more than `limit` levels, without recursing."""
    if not isinstance(value, list | dict):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, list | dict)
        )
    return False
