"""What the idempotency layer needs of the data layer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from data.idempotency.repository import ClaimOutcome


class IdempotencyKeys(Protocol):
    """Idempotency keys, claimed, finished, released and purged."""

    def claim(
        self, *, user_id: int, method: str, path: str, key: str, fingerprint: str
    ) -> ClaimOutcome: ...

    def take_over(self, key_id: int, *, fingerprint: str) -> None: ...

    def finish(
        self, key_id: int, *, status: int, body: str, content_type: str
    ) -> None: ...

    def release(self, key_id: int) -> None: ...

    def purge(self, *, before: datetime) -> int: ...
