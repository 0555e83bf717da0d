"""Time the SQL a block runs: an execute wrapper that only measures, never runs SQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

Observe = Callable[[float], None]


class QueryTimer:
    """A `connection.execute_wrapper` that reports each statement's seconds."""

    def __init__(self, observe: Observe) -> None:
        self._observe = observe

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: Any,
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self._observe(time.perf_counter() - started)


@contextmanager
def timed_queries(observe: Observe) -> Iterator[None]:
    """Report the duration of every statement the block runs to `observe`."""
    # Installed innermost, per block: wrappers installed earlier (the test suite's
    # SQL-origin guard) still see the real caller, not this timer.
    with connection.execute_wrapper(QueryTimer(observe)):
        yield
