"""Users, read and written through Django's auth model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from data import sql
from data.accounts import statements
from data.errors import DuplicateError
from data.records import build, field_names


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRecord:
    """A user as the layers above see one."""

    id: int
    username: str
    email: str
    is_staff: bool


_FIELDS = field_names(UserRecord)


def _to_record(values: Mapping[str, Any]) -> UserRecord:
    return build(UserRecord, values)


def _values(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _FIELDS}


def _duplicated_field(exc: IntegrityError) -> str:
    # Judge by the index's name: the message also quotes the value, which may be
    # a username such as "email".
    diag = getattr(exc.__cause__, "diag", None)
    where = getattr(diag, "constraint_name", None) or str(exc).splitlines()[0]
    return "email" if "email" in where else "username"


class UserRepository:
    """Find, add and authenticate users."""

    def find(self, user_id: int) -> UserRecord | None:
        """Return the active user with this id, or None."""
        # Read on every authenticated request: one fixed statement, no model.
        statement = statements.find_active(_FIELDS)
        rows = sql.fetch(get_user_model(), _FIELDS, statement, [user_id])
        return _to_record(rows[0]) if rows else None

    def username_taken(self, username: str) -> bool:
        """Return whether a user has this username, ignoring case."""
        return get_user_model().objects.filter(username__iexact=username).exists()

    def email_taken(self, email: str) -> bool:
        """Return whether a user has this email, ignoring case."""
        return get_user_model().objects.filter(email__iexact=email).exists()

    def add(
        self,
        *,
        username: str,
        email: str,
        password: str,
        is_staff: bool = False,
        is_superuser: bool = False,
    ) -> UserRecord:
        """Create a user with a hashed password."""
        model = get_user_model()
        user = model(
            username=username, email=email, is_staff=is_staff, is_superuser=is_superuser
        )
        user.set_password(password)
        try:
            user.save(force_insert=True)
        except IntegrityError as exc:
            # The case-insensitive unique indexes win races the checks above lose.
            raise DuplicateError(_duplicated_field(exc)) from exc
        return _to_record(_values(user))

    def authenticate(self, *, username: str, password: str) -> UserRecord | None:
        """Return the active user these credentials belong to, or None."""
        user = authenticate(username=username, password=password)
        active = user is not None and user.is_active
        return _to_record(_values(user)) if active else None


class PasswordPolicy:
    """Django's configured password validators, as plain messages."""

    def problems(self, password: str, *, username: str, email: str) -> list[str]:
        """Return why this password is refused; empty when it is acceptable."""
        # The similarity validator compares against attributes of a user object.
        candidate = get_user_model()(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            return list(exc.messages)
        return []
