"""The event message contract: how an order event travels on the broker."""

from __future__ import annotations

import json
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any

from data.orders.broker import OutgoingMessage
from data.orders.events import EventRecord

# Each type's message has a version: the first is 1; any change a consumer could
# notice adds `<type>.v<N+1>.json` and a line here (the old file stays).
SCHEMA_VERSION = 1
SCHEMA_VERSIONS = {
    # v2: a refund's `lines` (product, quantity, unit price) and `restocked`.
    "payment.refunded": 2,
}
SCHEMA_DIR = Path(__file__).resolve().parent / "event_schemas"
EVENT_TYPES = (
    "order.created",
    "order.paid",
    "order.cancelled",
    "order.shipped",
    "order.delivered",
    "payment.failed",
    "refund.failed",
    "payment.refunded",
)


def schema_version(event_type: str) -> int:
    """Return the version of the messages of this type written today."""
    return SCHEMA_VERSIONS.get(event_type, SCHEMA_VERSION)


def version_of(event: EventRecord) -> int:
    """Return the version an event's message conforms to.

    An event written before its type's latest version (a `payment.refunded`
    without `lines`, still in the outbox after an upgrade) goes out as the
    version it was written in.
    """
    if event.type == "payment.refunded" and "lines" not in event.data:
        return 1
    return schema_version(event.type)


def to_message(event: EventRecord) -> OutgoingMessage:
    """Return the broker message of an event: routed by type, identified by id."""
    created_at = event.created_at.astimezone(UTC).isoformat()
    body = {
        "schema_version": version_of(event),
        "id": event.id,
        "order_id": event.order_id,
        "type": event.type,
        "data": event.data,
        "actor_id": event.actor_id,
        "source": event.source,
        "request_id": event.request_id,
        "created_at": created_at.replace("+00:00", "Z"),
    }
    # Only a key's events have one: every other message stays as it was.
    if event.api_key_id is not None:
        body["api_key_id"] = event.api_key_id
    return OutgoingMessage(message_id=str(event.id), routing_key=event.type, body=body)


def schema_path(event_type: str, version: int | None = None) -> Path:
    """Return the file of an event type's JSON Schema (by default, its latest)."""
    number = schema_version(event_type) if version is None else version
    return SCHEMA_DIR / f"{event_type}.v{number}.json"


@cache
def load_schema(event_type: str, version: int | None = None) -> dict[str, Any]:
    """Return an event type's JSON Schema (by default, its latest version)."""
    schema: dict[str, Any] = json.loads(schema_path(event_type, version).read_text())
    return schema
