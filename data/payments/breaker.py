"""A circuit breaker: stop calling a provider that keeps failing, try again later."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Open after `threshold` failures in a row; after `cooldown` seconds let one
    trial call through (half-open), which closes it again or reopens it.

    One per process: each worker learns on its own that the provider is down,
    after at most `threshold` calls, which is what keeps a down provider from
    being hammered without sharing state between workers.
    """

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    def retry_after(self) -> int:
        """Return 0 if a call may go through now, else whole seconds to wait.

        A question only: it takes nothing (a caller that only looks must not use
        up the half-open trial; see `admit`).
        """
        with self._lock:
            return self._wait()

    def admit(self) -> int:
        """`retry_after` for a call about to be made: in the half-open state a
        0 takes the one trial, whose result `succeeded` or `failed` reports."""
        with self._lock:
            wait = self._wait()
            if wait == 0 and self._opened_at is not None:
                self._trial = True
            return wait

    def _wait(self) -> int:
        if self._opened_at is None:
            return 0
        left = self._opened_at + self._cooldown - self._clock()
        if left > 0:
            return max(1, math.ceil(left))
        return 1 if self._trial else 0

    def succeeded(self) -> None:
        """Record a call the provider answered: the breaker closes."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial = False

    def failed(self) -> None:
        """Record a call the provider did not answer (timeout, 5xx, refused)."""
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self._threshold:
                self._opened_at = self._clock()
                self._trial = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None
