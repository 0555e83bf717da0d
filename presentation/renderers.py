"""JSON out, rendered by orjson because rendering is on every request's path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers


def _default(value: Any) -> str:
    # Decimals (money keeps its places), lazy translation strings, str-likes.
    return str(value)


def dumps(data: Any) -> bytes:
    """Serialize to JSON bytes, UTC times with a `Z` suffix."""
    return orjson.dumps(data, default=_default, option=orjson.OPT_UTC_Z)


class JSONRenderer(renderers.BaseRenderer):
    """Render JSON with orjson."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return b"" if data is None else dumps(data)
