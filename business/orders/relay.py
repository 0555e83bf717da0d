"""Relay order events from the outbox to the message broker, at least once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from business.errors import BusinessError
from business.orders.event_messages import to_message
from business.orders.ports import Outbox, OutboxGauge, Publisher
from business.ports import UnitOfWork
from business.transaction import atomic
from data.orders.broker import BrokerError, RabbitPublisher
from data.orders.outbox import OutboxRepository
from data.unit_of_work import DjangoUnitOfWork


class BrokerUnavailable(BusinessError):
    code = "broker-unavailable"
    title = "The message broker is unavailable."


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """One batch: how many events were claimed, how many the broker confirmed."""

    claimed: int
    published: int
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayReport:
    """The relay's metrics after a batch: totals of this run and the outbox lag."""

    batch: BatchResult
    published_total: int
    failures_total: int
    pending: int
    lag_seconds: float
    retry_in: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxBacklog:
    """What waits in the outbox: events not yet published, age of the oldest."""

    pending: int
    lag_seconds: float


def lag_seconds(oldest: datetime | None, now: datetime) -> float:
    """Return the age of the oldest pending event (0 when nothing is pending)."""
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Waits after a broker failure: `initial` seconds, doubled up to `maximum`."""

    initial: float = 1.0
    maximum: float = 30.0

    def after(self, failures_in_a_row: int) -> float:
        """Return the wait after the n-th failure in a row (n >= 1)."""
        doublings = min(failures_in_a_row - 1, 30)
        return min(self.maximum, self.initial * 2.0**doublings)


class EventRelayService:
    """Publish pending order events in order; mark each one only once confirmed."""

    def __init__(
        self,
        *,
        outbox: Outbox | None = None,
        publisher: Publisher | None = None,
        uow: UnitOfWork | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._outbox: Outbox = outbox or OutboxRepository()
        self._publisher: Publisher = publisher or RabbitPublisher()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._published = self._failures = 0

    def publish_batch(self, *, batch_size: int) -> BatchResult:
        """Publish up to `batch_size` pending events; stop at the first failure."""
        confirmed: list[int] = []
        error = ""
        # The claim's row locks last until commit: no other relay takes these.
        with atomic(self._uow):
            events = self._outbox.lock_pending(limit=batch_size)
            for event in events:
                try:
                    self._publisher.publish(to_message(event))
                except BrokerError as exc:
                    # Later events may belong to the same order: keep them back.
                    error = str(exc)
                    break
                confirmed.append(event.id)
            if confirmed:
                self._outbox.mark_published(confirmed)
        self._published += len(confirmed)
        self._failures += bool(error)
        return BatchResult(claimed=len(events), published=len(confirmed), error=error)

    def report(self, batch: BatchResult, *, retry_in: float = 0.0) -> RelayReport:
        """Return the metrics after `batch`: totals, pending events, outbox lag."""
        lag = lag_seconds(self._outbox.oldest_pending_at(), self._clock())
        return RelayReport(
            batch=batch,
            published_total=self._published,
            failures_total=self._failures,
            pending=self._outbox.count_pending(),
            lag_seconds=lag,
            retry_in=retry_in,
        )

    def publish_pending(
        self,
        *,
        batch_size: int,
        on_report: Callable[[RelayReport], None] = lambda _: None,
    ) -> RelayReport:
        """Publish every pending event once; raise BrokerUnavailable on a failure."""
        try:
            while True:
                batch = self.publish_batch(batch_size=batch_size)
                report = self.report(batch)
                on_report(report)
                if batch.error:
                    raise BrokerUnavailable(batch.error)
                if batch.claimed < batch_size:
                    return report
        finally:
            self._publisher.close()

    def run_relay(
        self,
        *,
        batch_size: int,
        poll_interval: float,
        should_stop: Callable[[], bool],
        on_report: Callable[[RelayReport], None] = lambda _: None,
        sleep: Callable[[float], object] = time.sleep,
        backoff: Backoff | None = None,
    ) -> None:
        """Publish pending events until `should_stop`; wait longer after failures."""
        backoff = backoff or Backoff()
        failures_in_a_row = 0
        try:
            while not should_stop():
                batch = self.publish_batch(batch_size=batch_size)
                failures_in_a_row = failures_in_a_row + 1 if batch.error else 0
                retry_in = backoff.after(failures_in_a_row) if batch.error else 0.0
                on_report(self.report(batch, retry_in=retry_in))
                if batch.error:
                    sleep(retry_in)
                elif batch.claimed < batch_size:
                    sleep(poll_interval)
        finally:
            self._publisher.close()


class OutboxService:
    """Measure the outbox backlog, whether or not any relay is running."""

    def __init__(
        self,
        *,
        outbox: OutboxGauge | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._outbox: OutboxGauge = outbox or OutboxRepository()
        self._clock = clock or (lambda: datetime.now(UTC))

    def backlog(self) -> OutboxBacklog:
        """Return how many events wait to be published and the oldest one's age."""
        state = self._outbox.state()
        return OutboxBacklog(
            pending=state.pending,
            lag_seconds=lag_seconds(state.oldest_at, self._clock()),
        )
