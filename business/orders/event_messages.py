"""The event message contract: how an order event travels on the broker."""

from __future__ import annotations

import json
from datetime import UTC
from functools import cache
from pathlib import Path
from typing import Any

from data.orders.broker import OutgoingMessage
from data.orders.events import EventRecord

# Bump it (and add `<type>.v2.json`) for any change a consumer could notice.
SCHEMA_VERSION = 1
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


def to_message(event: EventRecord) -> OutgoingMessage:
    """Return the broker message of an event: routed by type, identified by id."""
    created_at = event.created_at.astimezone(UTC).isoformat()
    body = {
        "schema_version": SCHEMA_VERSION,
        "id": event.id,
        "order_id": event.order_id,
        "type": event.type,
        "data": event.data,
        "actor_id": event.actor_id,
        "source": event.source,
        "request_id": event.request_id,
        "created_at": created_at.replace("+00:00", "Z"),
    }
    return OutgoingMessage(message_id=str(event.id), routing_key=event.type, body=body)


def schema_path(event_type: str, version: int = SCHEMA_VERSION) -> Path:
    """Return the file of an event type's JSON Schema."""
    return SCHEMA_DIR / f"{event_type}.v{version}.json"


@cache
def load_schema(event_type: str, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Return an event type's JSON Schema."""
    schema: dict[str, Any] = json.loads(schema_path(event_type, version).read_text())
    return schema
