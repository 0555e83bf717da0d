"""JSON in, parsed by orjson, with a bound on how deeply a body may nest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import orjson
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No body of this API nests beyond four levels. The bound keeps every later walk
# of the data (validation, the idempotency fingerprint, an error's rendering)
# far from Python's recursion limit; orjson alone stops only at 1,024.
MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """Parse a UTF-8 JSON body; refuse one nested deeper than MAX_DEPTH."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = orjson.loads(stream.read())
        except orjson.JSONDecodeError as exc:
            if "depth" in str(exc):
                raise _too_deep() from None
            raise ParseError(f"JSON parse error - {exc}") from None
        if _deeper_than(data, MAX_DEPTH):
            raise _too_deep()
        return data


def _too_deep() -> ParseError:
    return ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")


def _deeper_than(data: Any, limit: int) -> bool:
    """Return whether lists and objects nest more than `limit` levels (no recursion)."""
    level: list[Any] = [data]
    for _ in range(limit):
        level = [
            child
            for node in level
            if isinstance(node, list | dict)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
        if not level:
            return False
    return any(isinstance(node, list | dict) for node in level)
