"""What account use cases need of the data layer."""

from __future__ import annotations

from typing import Protocol

from data.accounts.repository import UserRecord


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
