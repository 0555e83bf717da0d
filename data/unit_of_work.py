"""The unit of work: one database transaction per business use case."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import psycopg.errors
from django.db import OperationalError, transaction

from data.errors import TransientConflict

# Failures that say "another transaction got in the way", not "the request is bad".
_TRANSIENT = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
    psycopg.errors.LockNotAvailable,
)


class DjangoUnitOfWork:
    """Run a block in one durable transaction: commit on success, roll back on error."""

    def __init__(self) -> None:
        self._atomic: transaction.Atomic | None = None

    def __enter__(self) -> DjangoUnitOfWork:
        # durable=True: a use case is never nested inside another transaction.
        self._atomic = transaction.atomic(durable=True)
        self._atomic.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._atomic is not None
        atomic, self._atomic = self._atomic, None
        try:
            atomic.__exit__(exc_type, exc, tb)
        except OperationalError as failed:
            # The COMMIT itself: deferred foreign-key checks take their locks
            # there, so a deadlock can come last. The transaction is rolled back.
            if isinstance(failed.__cause__, _TRANSIENT):
                raise TransientConflict(str(failed.__cause__).strip()) from failed
            raise
        if isinstance(exc, OperationalError) and isinstance(exc.__cause__, _TRANSIENT):
            raise TransientConflict(str(exc.__cause__).strip()) from exc

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` after the transaction commits (never if it rolls back)."""
        transaction.on_commit(callback)
