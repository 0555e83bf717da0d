"""What the idempotency layer needs of the data layer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from data.idempotency.repository import KeyScope, StoredAnswer, StoredKey


class IdempotencyKeys(Protocol):
    """Idempotency keys: entered in a use case's transaction, bound, answered."""

    def find(self, scope: KeyScope) -> StoredKey | None: ...

    def enter(self, scope: KeyScope, *, fingerprint: str) -> StoredKey: ...

    def bind(self, key_id: int, resource_id: int) -> None: ...

    def answer(
        self, scope: KeyScope, *, fingerprint: str, answer: StoredAnswer
    ) -> None: ...

    def release(self, scope: KeyScope) -> None: ...

    def purge(self, *, before: datetime) -> int: ...
