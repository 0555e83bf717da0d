"""Who asks for a use case, and through which door."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["api", "admin", "command"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """The caller of a use case: a user (or none), its role, its request."""

    user_id: int | None
    is_staff: bool = False
    source: Source = "api"
    request_id: str = ""
    # The API key the caller authenticated with, if any (its events carry it).
    api_key_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def anonymous(cls, *, request_id: str = "") -> Actor:
        """Return the actor of an unauthenticated request."""
        return cls(user_id=None, request_id=request_id)

    @classmethod
    def system(cls, *, request_id: str) -> Actor:
        """Return the actor of a batch job: no user, staff rights, source `command`."""
        return cls(user_id=None, is_staff=True, source="command", request_id=request_id)
