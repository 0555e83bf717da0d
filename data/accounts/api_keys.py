"""API keys, stored with the hash of their secret, never the secret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q

from data.accounts.models import ApiKey
from data.records import Page, PageRequest, Rows, build, field_names, read_page


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyRecord:
    """An API key as the layers above see one: no secret, not even its hash."""

    id: int
    public_id: str
    name: str
    scopes: tuple[str, ...]
    created_by_id: int
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeyCredential:
    """What checking a presented key needs: the key, its hash, its creator's state."""

    key: ApiKeyRecord
    secret_hash: str
    creator_username: str
    creator_is_active: bool
    creator_is_staff: bool


_FIELDS = field_names(ApiKeyRecord)
_CREATOR = {
    "creator_username": F("created_by__username"),
    "creator_is_active": F("created_by__is_active"),
    "creator_is_staff": F("created_by__is_staff"),
}


def _to_record(values: Mapping[str, Any]) -> ApiKeyRecord:
    return build(ApiKeyRecord, {**values, "scopes": tuple(values["scopes"])})


class ApiKeyRepository:
    """Add, find, list, revoke and touch API keys."""

    def add(
        self,
        *,
        public_id: str,
        secret_hash: str,
        name: str,
        scopes: tuple[str, ...],
        created_by_id: int,
        expires_at: datetime | None,
    ) -> ApiKeyRecord:
        """Store a new key (its secret's hash only)."""
        key = ApiKey.objects.create(
            public_id=public_id,
            secret_hash=secret_hash,
            name=name,
            scopes=list(scopes),
            created_by_id=created_by_id,
            expires_at=expires_at,
        )
        return _to_record({name: getattr(key, name) for name in _FIELDS})

    def find(self, key_id: int) -> ApiKeyRecord | None:
        """Return the key with this id, or None."""
        rows = ApiKey.objects.filter(pk=key_id).values(*_FIELDS)
        return next((_to_record(row) for row in rows), None)

    def find_credential(self, public_id: str) -> ApiKeyCredential | None:
        """Return the key with this public id, its hash and its creator's state."""
        rows = ApiKey.objects.filter(public_id=public_id).values(
            *_FIELDS, "secret_hash", **_CREATOR
        )
        for row in rows:
            creator = {name: row[name] for name in _CREATOR}
            key = _to_record({name: row[name] for name in _FIELDS})
            return ApiKeyCredential(key=key, secret_hash=row["secret_hash"], **creator)
        return None

    def list_keys(self, *, page: PageRequest) -> Page[ApiKeyRecord]:
        """Return one page of every key, newest first."""
        rows = ApiKey.objects.order_by("-created_at", "-id").values(*_FIELDS)

        def read(limit: int, offset: int) -> Rows[ApiKeyRecord]:
            return Rows(items=tuple(map(_to_record, rows[offset : offset + limit])))

        return read_page(page, read=read, count=lambda limit: rows[:limit].count())

    def revoke(self, key_id: int, *, at: datetime) -> ApiKeyRecord | None:
        """Revoke a key not yet revoked; return it, or None if there is none."""
        revoked = ApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(
            revoked_at=at
        )
        return self.find(key_id) if revoked else None

    def touch(self, key_id: int, *, at: datetime, unless_after: datetime) -> None:
        """Record that a key was used, unless a use after `unless_after` was."""
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=unless_after)
        ApiKey.objects.filter(stale, pk=key_id).update(last_used_at=at)
