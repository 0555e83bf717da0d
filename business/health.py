"""Readiness: can this process serve requests that need the database?"""

from __future__ import annotations

from typing import Protocol

from business.errors import Unavailable
from data.health import DatabaseProbe


class Probe(Protocol):
    """Something that says whether the database answers."""

    def ping(self) -> bool: ...


class HealthService:
    """Report whether the dependencies of the service answer."""

    def __init__(self, *, probe: Probe | None = None) -> None:
        self._probe: Probe = probe or DatabaseProbe()

    def check_ready(self) -> None:
        """Raise Unavailable unless the database answers."""
        if not self._probe.ping():
            raise Unavailable("The database does not answer.")
