"""The orders' audit trail: events are added and read, never changed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from data import sql
from data.orders.models import OrderEvent
from data.records import build, field_names


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """One entry of an order's audit trail."""

    id: int
    order_id: int
    type: str
    data: dict[str, Any]
    actor_id: int | None
    source: str
    request_id: str
    created_at: datetime
    api_key_id: int | None = None


_FIELDS = field_names(EventRecord)


def _to_record(values: Mapping[str, Any]) -> EventRecord:
    return build(EventRecord, values)


class EventRepository:
    """Append events to orders' trails and read them back."""

    def add(
        self,
        *,
        order_id: int,
        type: str,
        data: dict[str, Any],
        actor_id: int | None,
        source: str,
        request_id: str,
        api_key_id: int | None = None,
    ) -> EventRecord:
        """Append one event (a database trigger queues it in the outbox)."""
        fields = {
            "order_id": order_id,
            "type": type,
            "data": data,
            "actor_id": actor_id,
            "source": source,
            "request_id": request_id,
            "api_key_id": api_key_id,
            "created_at": timezone.now(),
        }
        [inserted] = sql.insert(OrderEvent, [fields], returning=("id",))
        return _to_record({**fields, **inserted})

    def list_for_order(self, order_id: int) -> list[EventRecord]:
        """Return an order's events, oldest first."""
        rows = (
            OrderEvent.objects.filter(order_id=order_id).order_by("id").values(*_FIELDS)
        )
        return [_to_record(row) for row in rows]
