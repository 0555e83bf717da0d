"""Idempotency keys: claimed by the first request, finished with its answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from data.errors import DuplicateError
from data.idempotency.models import IdempotencyKey
from data.records import build, field_names


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """A key as found: its request's fingerprint and, once finished, its answer."""

    id: int
    fingerprint: str
    locked_at: datetime
    response_status: int | None
    response_body: str
    response_content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOutcome:
    """What a claim found: whether this request got the key, and the key as stored."""

    claimed: bool
    key: StoredKey


_FIELDS = field_names(StoredKey)
_CLAIM_ATTEMPTS = 3


class IdempotencyRepository:
    """Claim, finish, release and purge idempotency keys."""

    def claim(
        self, *, user_id: int, method: str, path: str, key: str, fingerprint: str
    ) -> ClaimOutcome:
        """Insert the key if it is new; say if it was, with the key as stored."""
        scope = {"user_id": user_id, "method": method, "path": path, "key": key}
        # A key released between a failed insert and the read that follows is
        # free again: insert once more rather than fail on a row that is gone.
        for _ in range(_CLAIM_ATTEMPTS):
            row = _insert(fingerprint=fingerprint, **scope)
            if row is not None:
                stored = _to_record({name: getattr(row, name) for name in _FIELDS})
                return ClaimOutcome(claimed=True, key=stored)
            found = (
                IdempotencyKey.objects.select_for_update()
                .filter(**scope)
                .values(*_FIELDS)
                .first()
            )
            if found is not None:
                return ClaimOutcome(claimed=False, key=_to_record(found))
        raise DuplicateError("key")

    def take_over(self, key_id: int, *, fingerprint: str) -> None:
        """Claim an abandoned key for a new attempt."""
        IdempotencyKey.objects.filter(pk=key_id).update(
            fingerprint=fingerprint, locked_at=timezone.now()
        )

    def finish(self, key_id: int, *, status: int, body: str, content_type: str) -> None:
        """Store the answer of the request that holds the key."""
        IdempotencyKey.objects.filter(pk=key_id).update(
            response_status=status,
            response_body=body,
            response_content_type=content_type,
        )

    def release(self, key_id: int) -> None:
        """Forget a key whose request must be retryable (invalid input, errors)."""
        IdempotencyKey.objects.filter(pk=key_id, response_status=None).delete()

    def purge(self, *, before: datetime) -> int:
        """Delete keys created before `before`; return how many."""
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=before).delete()
        return deleted


def _to_record(values: Mapping[str, Any]) -> StoredKey:
    return build(StoredKey, values)


def _insert(**fields: Any) -> IdempotencyKey | None:
    """Insert a key; return None if its scope is taken."""
    try:
        # A savepoint, so a lost race leaves the caller's transaction usable.
        with transaction.atomic():
            return IdempotencyKey.objects.create(**fields)
    except IntegrityError:
        return None
