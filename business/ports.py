"""The unit of work every service runs its use cases in, as a port."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self


class UnitOfWork(Protocol):
    """One transaction: commit on a clean exit, roll back on an exception."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` after the transaction commits (never if it rolls back)."""
