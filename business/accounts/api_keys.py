"""API keys: other systems call the API as the staff user who made the key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from business.accounts.ports import ApiKeys
from business.actor import Actor
from business.errors import (
    AuthenticationFailed,
    FieldError,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from business.pagination import page_request, require_page
from business.ports import UnitOfWork
from business.transaction import atomic
from data.accounts.api_keys import ApiKeyCredential, ApiKeyRecord, ApiKeyRepository
from data.accounts.scopes import Scope
from data.records import Page
from data.unit_of_work import DjangoUnitOfWork

# Recognisable in a log or a secret scanner; the public id follows, then the secret.
KEY_PREFIX = "ork_live_"
PUBLIC_ID_LENGTH = 12
NAME_MAX = 100
# A key's last use is written at most this often: a key in steady use costs no write
# per request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedApiKey:
    """A new key and its secret, which is never shown again."""

    record: ApiKeyRecord
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyHolder:
    """Who a presented key acts for, and within which scopes."""

    key_id: int
    user_id: int
    username: str
    scopes: frozenset[str]


def is_api_key(credential: str) -> bool:
    """Return whether a bearer credential is one of our keys (else it is a JWT)."""
    return credential.startswith(KEY_PREFIX)


def key_prefix(key: ApiKeyRecord) -> str:
    """Return the public start of a key, which names it without giving it away."""
    return f"{KEY_PREFIX}{key.public_id}"


def _digest(secret: str) -> str:
    # The secret has 256 bits of entropy: a plain hash is as strong as a slow one.
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    rest = key.removeprefix(KEY_PREFIX)
    public_id, separator, secret = rest.partition("_")
    if len(public_id) != PUBLIC_ID_LENGTH or not separator or not secret:
        return None
    return public_id, secret


class ApiKeyService:
    """Create, list and revoke API keys; tell who a presented key acts for."""

    def __init__(
        self,
        *,
        keys: ApiKeys | None = None,
        uow: UnitOfWork | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._keys: ApiKeys = keys or ApiKeyRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()
        self._now = clock or (lambda: datetime.now(UTC))

    def create_key(
        self,
        *,
        actor: Actor,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime | None = None,
    ) -> CreatedApiKey:
        """Make a key that acts for the calling staff user, within its scopes."""
        user_id = self._require_person(actor)
        wanted = self.check_key(name=name, scopes=scopes, expires_at=expires_at)
        public_id = secrets.token_hex(PUBLIC_ID_LENGTH // 2)
        secret = secrets.token_urlsafe(32)
        with atomic(self._uow):
            record = self._keys.add(
                public_id=public_id,
                secret_hash=_digest(secret),
                name=name,
                scopes=wanted,
                created_by_id=user_id,
                expires_at=expires_at,
            )
        return CreatedApiKey(record=record, secret=f"{key_prefix(record)}_{secret}")

    def check_key(
        self, *, name: str, scopes: Iterable[str], expires_at: datetime | None
    ) -> tuple[str, ...]:
        """Return the scopes without repeats, or raise RuleViolation; writes nothing."""
        wanted = tuple(dict.fromkeys(scopes))
        errors = self._key_errors(name, wanted, expires_at)
        if errors:
            raise RuleViolation(errors)
        return wanted

    def list_keys(
        self, *, actor: Actor, page: int = 1, page_size: int = 20
    ) -> Page[ApiKeyRecord]:
        """Return one page of every key, newest first (staff only)."""
        self._require_person(actor)
        return require_page(self._keys.list_keys(page=page_request(page, page_size)))

    def revoke_key(self, *, actor: Actor, key_id: int) -> ApiKeyRecord:
        """Revoke a key at once; a key already revoked is not found."""
        self._require_person(actor)
        with atomic(self._uow):
            revoked = self._keys.revoke(key_id, at=self._now())
        if revoked is None:
            raise NotFound("No such API key, or it is already revoked.")
        return revoked

    def authenticate_key(self, *, key: str) -> KeyHolder:
        """Return who a presented key acts for; refuse a bad, revoked or expired one."""
        parts = _split(key)
        found = self._keys.find_credential(parts[0]) if parts else None
        # Compared in constant time whatever was found, so timing tells nothing.
        expected = found.secret_hash if found else _digest("")
        matches = hmac.compare_digest(_digest(parts[1] if parts else key), expected)
        if found is None or not matches:
            raise AuthenticationFailed("The API key is not valid.")
        self._check_usable(found)
        self._touch(found.key)
        return KeyHolder(
            key_id=found.key.id,
            user_id=found.key.created_by_id,
            username=found.creator_username,
            scopes=frozenset(found.key.scopes),
        )

    def _check_usable(self, found: ApiKeyCredential) -> None:
        key = found.key
        if key.revoked_at is not None:
            raise AuthenticationFailed("The API key has been revoked.")
        if key.expires_at is not None and key.expires_at <= self._now():
            raise AuthenticationFailed("The API key has expired.")
        if not (found.creator_is_active and found.creator_is_staff):
            raise AuthenticationFailed("The API key's creator may no longer use it.")

    def _touch(self, key: ApiKeyRecord) -> None:
        now = self._now()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            self._keys.touch(key.id, at=now, unless_after=now - TOUCH_EVERY)

    def _require_person(self, actor: Actor) -> int:
        # A key may not mint or revoke keys: a leaked one could otherwise make more.
        if actor.api_key_id is not None:
            raise PermissionDenied("An API key cannot manage API keys.")
        if actor.user_id is None or not actor.is_staff:
            raise PermissionDenied("Only staff may manage API keys.")
        return actor.user_id

    def _key_errors(
        self, name: str, scopes: tuple[str, ...], expires_at: datetime | None
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        if not name.strip() or len(name) > NAME_MAX:
            errors.append(FieldError("name", "invalid", "Use 1 to 100 characters."))
        if not scopes:
            errors.append(FieldError("scopes", "empty", "Name at least one scope."))
        known = {scope.value for scope in Scope}
        errors.extend(
            FieldError(f"scopes[{i}]", "invalid_choice", f'"{s}" is not a scope.')
            for i, s in enumerate(scopes)
            if s not in known
        )
        if expires_at is not None and expires_at <= self._now():
            errors.append(
                FieldError("expires_at", "in_past", "Use a time in the future.")
            )
        return errors
