"""The outbox of order events awaiting publication: claim, confirm, measure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef

from data.orders.events import EventRecord, _to_record
from data.orders.models import OrderEvent, PendingEvent
from data.records import field_names

_FIELDS = field_names(EventRecord)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxState:
    """How many events wait to be published, and when the oldest was written."""

    pending: int
    oldest_at: datetime | None


class OutboxRepository:
    """Hand pending events to one relay at a time; forget them once published."""

    def lock_pending(self, *, limit: int) -> list[EventRecord]:
        """Lock up to `limit` pending events for this transaction, oldest first.

        Only orders whose first pending event nobody else holds are taken (SKIP
        LOCKED), with their following pending events: each order's events go
        out from one relay, in order. Call inside a unit of work.
        """
        heads = self._lock_heads(limit)
        if not heads:
            return []
        # Nobody else can hold these: a relay takes an order only through its head.
        ids = list(
            PendingEvent.objects.filter(order_id__in=heads)
            .select_for_update(of=("self",))
            .order_by("event_id")
            .values_list("event_id", flat=True)[:limit]
        )
        rows = OrderEvent.objects.filter(id__in=ids).order_by("id")
        return [_to_record(row) for row in rows.values(*_FIELDS)]

    def _lock_heads(self, limit: int) -> list[int]:
        """Lock each unclaimed order's first pending event; return the order ids."""
        earlier = PendingEvent.objects.filter(
            order_id=OuterRef("order_id"), event_id__lt=OuterRef("event_id")
        )
        return list(
            PendingEvent.objects.filter(~Exists(earlier))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("event_id")
            .values_list("order_id", flat=True)[:limit]
        )

    def mark_published(self, event_ids: list[int]) -> None:
        """Take events out of the outbox: the broker has confirmed them."""
        PendingEvent.objects.filter(event_id__in=event_ids).delete()

    def count_pending(self) -> int:
        """Return how many events wait to be published."""
        return PendingEvent.objects.count()

    def oldest_pending_at(self) -> datetime | None:
        """Return when the oldest unpublished event was written, if any is."""
        oldest: datetime | None = PendingEvent.objects.aggregate(
            oldest=Min("created_at")
        )["oldest"]
        return oldest

    def state(self) -> OutboxState:
        """Return the pending count and the oldest pending event's time (one query)."""
        row = PendingEvent.objects.aggregate(
            pending=Count("pk"), oldest=Min("created_at")
        )
        return OutboxState(pending=row["pending"], oldest_at=row["oldest"])
