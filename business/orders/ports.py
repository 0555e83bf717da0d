"""What order use cases need of the data layer and the message broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from data.orders.broker import OutgoingMessage
from data.orders.events import EventRecord
from data.orders.outbox import OutboxState
from data.orders.repository import OrderLineRecord, OrderRecord
from data.orders.sales import DaySales, ProductSales
from data.orders.statuses import OrderStatus
from data.records import CursorPage, KeysetRequest, Page, PageRequest


class Orders(Protocol):
    """Orders, added, found, locked, listed and moved between statuses."""

    def add(
        self, *, customer_id: int, currency: str, lines: list[OrderLineRecord]
    ) -> OrderRecord: ...

    def find(self, order_id: int) -> OrderRecord | None: ...

    def lock(self, order_id: int) -> OrderRecord | None: ...

    def lock_stale(self, order_id: int, *, before: datetime) -> OrderRecord | None: ...

    def list_stale_ids(
        self, *, before: datetime, after_id: int = 0, limit: int = 500
    ) -> list[int]: ...

    def list_orders(
        self, *, customer_id: int | None, status: OrderStatus | None, page: PageRequest
    ) -> Page[OrderRecord]: ...

    def list_orders_by_keyset(
        self,
        *,
        customer_id: int | None,
        status: OrderStatus | None,
        keyset: KeysetRequest,
    ) -> CursorPage[OrderRecord]: ...

    def update_status(self, order: OrderRecord, status: OrderStatus) -> OrderRecord: ...


class Events(Protocol):
    """The orders' audit trail, appended to and read."""

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
    ) -> EventRecord: ...

    def list_for_order(self, order_id: int) -> list[EventRecord]: ...


class Outbox(Protocol):
    """Events waiting to be published, claimed and confirmed by a relay."""

    def lock_pending(self, *, limit: int) -> list[EventRecord]: ...

    def mark_published(self, event_ids: list[int]) -> None: ...

    def count_pending(self) -> int: ...

    def oldest_pending_at(self) -> datetime | None: ...


class OutboxGauge(Protocol):
    """The outbox as measured: how much waits, since when."""

    def state(self) -> OutboxState: ...


class Publisher(Protocol):
    """The message broker, as the relay publishes to it."""

    def publish(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None: ...


class Sales(Protocol):
    """Sales aggregated by the day their payment succeeded."""

    def revenue_by_day(
        self, *, since: datetime, until: datetime, statuses: Sequence[OrderStatus]
    ) -> list[DaySales]: ...

    def top_products(
        self,
        *,
        since: datetime,
        until: datetime,
        statuses: Sequence[OrderStatus],
        limit: int,
    ) -> list[ProductSales]: ...
