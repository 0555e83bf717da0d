"""Idempotency keys: Stripe's semantics, with the IETF draft's status codes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from business.actor import Actor
from business.errors import Conflict, PermissionDenied, RuleViolation, Unprocessable
from business.idempotency.ports import IdempotencyKeys
from business.ports import UnitOfWork
from business.transaction import atomic
from data.idempotency.repository import IdempotencyRepository
from data.unit_of_work import DjangoUnitOfWork

MAX_KEY_LENGTH = 255
# A first request that never finished (a crash) no longer blocks its key.
ABANDONED_AFTER = timedelta(minutes=5)
KEEP_FOR = timedelta(hours=24)


class KeyReused(Unprocessable):
    code = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request body."


class RequestInProgress(Conflict):
    code = "idempotency-request-in-progress"
    title = "A request with this Idempotency-Key is still being processed."


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """The stored answer of a finished request."""

    status: int
    body: str
    content_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A key this request now holds; finish or release it."""

    key_id: int


def fingerprint(body: Any) -> str:
    """Hash a JSON body so that equal JSON gives equal fingerprints."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyService:
    """Begin, finish and purge keyed requests."""

    def __init__(
        self,
        *,
        keys: IdempotencyKeys | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._keys: IdempotencyKeys = keys or IdempotencyRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    def begin(
        self, *, actor: Actor, method: str, path: str, key: str, body: Any
    ) -> Claim | Replay:
        """Claim the key for this request, or return the answer it already got."""
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise RuleViolation.single(
                "Idempotency-Key", "invalid", f"Use 1 to {MAX_KEY_LENGTH} characters."
            )
        if actor.user_id is None:
            # Keys are scoped to their user; only authenticated requests send one.
            raise PermissionDenied("Sign in to use an Idempotency-Key.")
        digest = fingerprint(body)
        with atomic(self._uow):
            outcome = self._keys.claim(
                user_id=actor.user_id,
                method=method,
                path=path,
                key=key,
                fingerprint=digest,
            )
            stored = outcome.key
            if outcome.claimed:
                return Claim(key_id=stored.id)
            if stored.fingerprint != digest:
                raise KeyReused("Send a new key for a different request.")
            if stored.response_status is not None:
                return Replay(
                    status=stored.response_status,
                    body=stored.response_body,
                    content_type=stored.response_content_type,
                )
            if _now() - stored.locked_at < ABANDONED_AFTER:
                raise RequestInProgress("Retry once the first request has finished.")
            self._keys.take_over(stored.id, fingerprint=digest)
            return Claim(key_id=stored.id)

    def finish(
        self, claim: Claim, *, status: int, body: str, content_type: str
    ) -> None:
        """Keep this answer: retries with the key replay it."""
        with atomic(self._uow):
            self._keys.finish(
                claim.key_id, status=status, body=body, content_type=content_type
            )

    def release(self, claim: Claim) -> None:
        """Free the key, so a retry runs the request again."""
        with atomic(self._uow):
            self._keys.release(claim.key_id)

    def purge_expired(self) -> int:
        """Delete keys older than the retention period; return how many."""
        with atomic(self._uow):
            return self._keys.purge(before=_now() - KEEP_FOR)


def _now() -> datetime:
    return datetime.now(UTC)
