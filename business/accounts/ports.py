"""What account use cases need of the data layer."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from data.accounts.api_keys import ApiKeyCredential, ApiKeyRecord
from data.accounts.repository import UserRecord
from data.records import Page, PageRequest


class Users(Protocol):
    """Users, found by id, checked for taken names, added and authenticated."""

    def find(self, user_id: int) -> UserRecord | None: ...

    def username_taken(self, username: str) -> bool: ...

    def email_taken(self, email: str) -> bool: ...

    def add(
        self,
        *,
        username: str,
        email: str,
        password: str,
        is_staff: bool = False,
        is_superuser: bool = False,
    ) -> UserRecord: ...

    def authenticate(self, *, username: str, password: str) -> UserRecord | None: ...


class PasswordRules(Protocol):
    """The password validators, as plain messages."""

    def problems(self, password: str, *, username: str, email: str) -> list[str]: ...


class ApiKeys(Protocol):
    """API keys, stored by the hash of their secret."""

    def add(
        self,
        *,
        public_id: str,
        secret_hash: str,
        name: str,
        scopes: tuple[str, ...],
        created_by_id: int,
        expires_at: datetime | None,
    ) -> ApiKeyRecord: ...

    def find_credential(self, public_id: str) -> ApiKeyCredential | None: ...

    def list_keys(self, *, page: PageRequest) -> Page[ApiKeyRecord]: ...

    def revoke(self, key_id: int, *, at: datetime) -> ApiKeyRecord | None: ...

    def touch(self, key_id: int, *, at: datetime, unless_after: datetime) -> None: ...
