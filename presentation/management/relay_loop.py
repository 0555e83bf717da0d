"""The relay's loop: publish, wait when idle, back off while the broker is down."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from business.orders.relay import EventRelayService, RelayReport


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Waits after a broker failure: `initial` seconds, doubled up to `maximum`."""

    initial: float = 1.0
    maximum: float = 30.0

    def after(self, failures_in_a_row: int) -> float:
        """Return the wait after the n-th failure in a row (n >= 1)."""
        return min(self.maximum, self.initial * 2 ** min(failures_in_a_row - 1, 30))


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopReport:
    """A batch's report and the seconds the loop waits before retrying (0: none)."""

    report: RelayReport
    retry_in: float = 0.0


def run_relay(
    service: EventRelayService,
    *,
    batch_size: int,
    poll_interval: float,
    should_stop: Callable[[], bool],
    on_report: Callable[[LoopReport], None] = lambda _: None,
    sleep: Callable[[float], object] = time.sleep,
    backoff: Backoff | None = None,
) -> None:
    """Publish pending events until `should_stop`; wait longer after failures."""
    backoff = backoff or Backoff()
    failures_in_a_row = 0
    try:
        while not should_stop():
            batch = service.publish_batch(batch_size=batch_size)
            failures_in_a_row = failures_in_a_row + 1 if batch.failed else 0
            retry_in = backoff.after(failures_in_a_row) if batch.failed else 0.0
            on_report(LoopReport(report=service.report(batch), retry_in=retry_in))
            if batch.failed:
                sleep(retry_in)
            elif batch.claimed < batch_size:
                sleep(poll_interval)
    finally:
        service.close()
