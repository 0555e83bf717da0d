"""Run a use case's unit of work, turning transient database conflicts into 409s."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from business.errors import Conflict
from business.ports import UnitOfWork
from data.errors import TransientConflict


class ConcurrentUpdate(Conflict):
    code = "concurrent-update"
    title = "Another request changed the same data at the same time."


@contextmanager
def atomic(uow: UnitOfWork) -> Iterator[UnitOfWork]:
    """Enter `uow`; a deadlock or serialization failure becomes ConcurrentUpdate."""
    try:
        with uow:
            yield uow
    except TransientConflict as exc:
        # Not retried here: a use case may have called the payment gateway.
        raise ConcurrentUpdate("Nothing was changed; retry the request.") from exc
