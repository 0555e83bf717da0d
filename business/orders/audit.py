"""Writing the audit trail: one helper, so every door records events alike."""

from __future__ import annotations

from typing import Any

from business.actor import Actor
from business.orders.ports import Events


def record_event(
    events: Events,
    actor: Actor,
    order_id: int,
    type: str,
    data: dict[str, Any],
) -> None:
    """Append an event to an order's trail, stamped with actor, source, request."""
    events.add(
        order_id=order_id,
        type=type,
        data=data,
        actor_id=actor.user_id,
        source=actor.source,
        request_id=actor.request_id,
        api_key_id=actor.api_key_id,
    )
