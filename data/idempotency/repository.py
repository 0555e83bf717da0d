"""Idempotency keys: entered inside the use case's transaction, then answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from data.errors import DuplicateError
from data.idempotency.models import IdempotencyKey
from data.records import build, field_names


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyScope:
    """Whose key, for which operation: a key means nothing outside its scope."""

    user_id: int
    method: str
    path: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """A key as found: its request's fingerprint, what it made, its answer."""

    id: int
    fingerprint: str
    resource_id: int | None
    response_status: int | None
    response_body: str
    response_content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAnswer:
    """An answer to replay, as presentation chose to keep it."""

    status: int
    body: str
    content_type: str


_FIELDS = field_names(StoredKey)
_ATTEMPTS = 3


class IdempotencyRepository:
    """Enter, bind, answer, release and purge idempotency keys."""

    def find(self, scope: KeyScope) -> StoredKey | None:
        """Return the key as committed, or None."""
        row = IdempotencyKey.objects.filter(**_where(scope)).values(*_FIELDS).first()
        return _to_record(row) if row else None

    def enter(self, scope: KeyScope, *, fingerprint: str) -> StoredKey:
        """Insert the key or lock it as it is, until the caller's transaction ends.

        A concurrent request with the same key waits here for the first to
        commit, then finds what it made.
        """
        # A key deleted between a failed insert and the read that follows is
        # free again: insert once more rather than fail on a row that is gone.
        for _ in range(_ATTEMPTS):
            row = _insert(fingerprint=fingerprint, **_where(scope))
            if row is not None:
                return _to_record({name: getattr(row, name) for name in _FIELDS})
            found = (
                IdempotencyKey.objects.select_for_update()
                .filter(**_where(scope))
                .values(*_FIELDS)
                .first()
            )
            if found is not None:
                return _to_record(found)
        raise DuplicateError("key")

    def bind(self, key_id: int, resource_id: int) -> None:
        """Record what the key's attempt made, in that attempt's transaction."""
        IdempotencyKey.objects.filter(pk=key_id).update(resource_id=resource_id)

    def answer(
        self, scope: KeyScope, *, fingerprint: str, answer: StoredAnswer
    ) -> None:
        """Keep the answer a retry replays (the key is inserted if its use case
        rolled back); a key that has an answer keeps its first."""
        values = {
            "response_status": answer.status,
            "response_body": answer.body,
            "response_content_type": answer.content_type,
        }
        if _insert(fingerprint=fingerprint, **_where(scope), **values) is None:
            IdempotencyKey.objects.filter(
                **_where(scope), response_status__isnull=True
            ).update(**values)

    def release(self, scope: KeyScope) -> None:
        """Forget a key that neither made anything nor kept an answer."""
        IdempotencyKey.objects.filter(
            **_where(scope), resource_id__isnull=True, response_status__isnull=True
        ).delete()

    def purge(self, *, before: datetime) -> int:
        """Delete keys created before `before`; return how many."""
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=before).delete()
        return deleted


def _where(scope: KeyScope) -> dict[str, Any]:
    return {
        "user_id": scope.user_id,
        "method": scope.method,
        "path": scope.path,
        "key": scope.key,
    }


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
