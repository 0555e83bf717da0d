"""Idempotency keys: Stripe's semantics, with the IETF draft's status codes.

A key is entered inside the use case's own transaction, and what the attempt
made (an order, a payment) is bound to it in that transaction: both commit
together or not at all. So a retry after a crash at any point finds either
nothing (the attempt rolled back: run it) or what it made (resume from it, at
once), and a concurrent retry waits for the first to commit. The answer
presentation keeps afterwards is what later retries replay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation, Unprocessable
from business.idempotency.ports import IdempotencyKeys
from business.ports import UnitOfWork
from business.transaction import atomic
from data.idempotency.repository import (
    IdempotencyRepository,
    KeyScope,
    StoredAnswer,
    StoredKey,
)
from data.unit_of_work import DjangoUnitOfWork

MAX_KEY_LENGTH = 255
KEEP_FOR = timedelta(hours=24)


class KeyReused(Unprocessable):
    code = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request body."


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """The stored answer of a finished request."""

    status: int
    body: str
    content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyedRequest:
    """A request that carries an Idempotency-Key: its scope and body's fingerprint."""

    scope: KeyScope
    fingerprint: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A key entered in a use case's transaction; `made` is a resumable attempt's."""

    key_id: int
    made: int | None


class _Row(Protocol):
    @property
    def id(self) -> int: ...


# What a keyed attempt makes: an order, a pending payment or refund.
Made = TypeVar("Made", bound=_Row)


def fingerprint(body: Any) -> str:
    """Hash a JSON body so that equal JSON gives equal fingerprints."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def enter(keys: IdempotencyKeys, keyed: KeyedRequest) -> Entry:
    """Enter a key inside the caller's unit of work (a use case's transaction)."""
    stored = keys.enter(keyed.scope, fingerprint=keyed.fingerprint)
    _same_body(stored, keyed)
    return Entry(key_id=stored.id, made=stored.resource_id)


def resume_or_record(
    keys: IdempotencyKeys,
    keyed: KeyedRequest | None,
    *,
    find: Callable[[int], Made | None],
    record: Callable[[], Made],
) -> Made:
    """In the caller's transaction: what the key made, or what `record` makes now,
    bound to the key (both commit together or not at all)."""
    entry = enter(keys, keyed) if keyed else None
    if entry is not None and entry.made is not None:
        made = find(entry.made)
        assert made is not None, "what a key made commits with the key"
        return made
    made = record()
    if entry is not None:
        keys.bind(entry.key_id, made.id)
    return made


def _same_body(stored: StoredKey, keyed: KeyedRequest) -> None:
    if stored.fingerprint != keyed.fingerprint:
        raise KeyReused("Send a new key for a different request.")


class IdempotencyService:
    """Check keys, replay kept answers, keep new ones, purge old keys."""

    def __init__(
        self,
        *,
        keys: IdempotencyKeys | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._keys: IdempotencyKeys = keys or IdempotencyRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    def keyed(
        self, *, actor: Actor, method: str, path: str, key: str, body: Any
    ) -> KeyedRequest:
        """Check a key and scope it to the caller and the operation."""
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise RuleViolation.single(
                "Idempotency-Key", "invalid", f"Use 1 to {MAX_KEY_LENGTH} characters."
            )
        if actor.user_id is None:
            # Keys are scoped to their user; only authenticated requests send one.
            raise PermissionDenied("Sign in to use an Idempotency-Key.")
        scope = KeyScope(user_id=actor.user_id, method=method, path=path, key=key)
        return KeyedRequest(scope=scope, fingerprint=fingerprint(body))

    def replay(self, keyed: KeyedRequest) -> Replay | None:
        """Return the answer kept for this key, if any (another body: KeyReused)."""
        stored = self._keys.find(keyed.scope)
        if stored is None:
            return None
        _same_body(stored, keyed)
        if stored.response_status is None:
            return None
        return Replay(
            status=stored.response_status,
            body=stored.response_body,
            content_type=stored.response_content_type,
        )

    def keep(self, keyed: KeyedRequest, answer: Replay) -> None:
        """Keep this answer: later retries with the key replay it."""
        kept = StoredAnswer(
            status=answer.status, body=answer.body, content_type=answer.content_type
        )
        with atomic(self._uow):
            self._keys.answer(keyed.scope, fingerprint=keyed.fingerprint, answer=kept)

    def release(self, keyed: KeyedRequest) -> None:
        """Free a key whose attempt made nothing, so a retry runs the request again."""
        with atomic(self._uow):
            self._keys.release(keyed.scope)

    def purge_expired(self) -> int:
        """Delete keys older than the retention period; return how many."""
        with atomic(self._uow):
            return self._keys.purge(before=_now() - KEEP_FOR)


def _now() -> datetime:
    return datetime.now(UTC)
