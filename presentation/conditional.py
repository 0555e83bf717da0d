"""Conditional requests (RFC 9110 §13): entity tags, If-None-Match and If-Match."""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response

# One entity-tag of a list: an optional weak prefix and a quoted opaque tag.
_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')

ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="Strong entity tag of this representation.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETags you hold (or `*`): if one is current, the answer is 304.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you read (or `*`): if it is stale, the answer is 412.",
)
NOT_MODIFIED = {304: OpenApiResponse(description="Your copy is current; no body.")}


def etag(version: str) -> str:
    """Return the strong entity-tag of a record's version."""
    return f'"{version}"'


def parse_tags(header: str | None) -> frozenset[str] | None:
    """Return the entity-tags a condition header lists, as (prefix, opaque) strings.

    A weak tag keeps its `W/` prefix; `*` is returned as itself. None means the
    header is absent; a malformed header matches nothing (an empty set).
    """
    if header is None:
        return None
    if header.strip() == "*":
        return frozenset({"*"})
    tags: set[str] = set()
    position = 0
    while position < len(header):
        match = _TAG.match(header, position)
        if match is None:
            return frozenset()
        tags.add((match.group(1) or "") + match.group(2))
        position = match.end()
    return frozenset(tags)


def if_match(request: Request) -> frozenset[str] | None:
    """Return the versions `If-Match` accepts: strong comparison drops weak tags."""
    tags = parse_tags(request.headers.get("If-Match"))
    if tags is None:
        return None
    return frozenset(tag for tag in tags if not tag.startswith("W/"))


def tagged(request: Request, body: object, version: str) -> Response:
    """Answer `body` with its ETag, or 304 if `If-None-Match` names it (weakly)."""
    tags = parse_tags(request.headers.get("If-None-Match")) or frozenset()
    weak = {t.removeprefix("W/") for t in tags}
    if "*" in weak or version in weak:
        response = Response(status=304)
    else:
        response = Response(body)
    response["ETag"] = etag(version)
    return response
