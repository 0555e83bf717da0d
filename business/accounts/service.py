"""Account use cases."""

from __future__ import annotations

import re

from business.accounts.ports import PasswordRules, Users
from business.actor import Actor
from business.errors import (
    AuthenticationFailed,
    FieldError,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from business.ports import UnitOfWork
from business.transaction import atomic
from data.accounts.repository import PasswordPolicy, UserRecord, UserRepository
from data.errors import DuplicateError
from data.unit_of_work import DjangoUnitOfWork

USERNAME_MAX = 150
# Django's own username alphabet, so admin and API accept the same names.
USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")


class AccountService:
    """Register users, check credentials, describe the current user."""

    def __init__(
        self,
        *,
        users: Users | None = None,
        passwords: PasswordRules | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._users: Users = users or UserRepository()
        self._passwords: PasswordRules = passwords or PasswordPolicy()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    def register(self, *, username: str, email: str, password: str) -> UserRecord:
        """Create a customer account."""
        return self._add(username, email, password)

    def create_superuser(
        self, *, actor: Actor, username: str, email: str, password: str
    ) -> UserRecord:
        """Create a staff account with every permission of the admin (staff only)."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff may create staff accounts.")
        return self._add(username, email, password, superuser=True)

    def authenticate(self, *, username: str, password: str) -> UserRecord:
        """Return the user these credentials belong to."""
        user = self._users.authenticate(username=username, password=password)
        if user is None:
            raise AuthenticationFailed(
                "No active account found with the given credentials."
            )
        return user

    def active_user(self, user_id: int) -> UserRecord | None:
        """Return the active user with this id (the one a credential names), or None."""
        return self._users.find(user_id)

    def get_me(self, *, actor: Actor) -> UserRecord:
        """Return the calling user."""
        user = self._users.find(actor.user_id) if actor.user_id is not None else None
        if user is None:
            raise NotFound("This user no longer exists.")
        return user

    def _add(
        self, username: str, email: str, password: str, *, superuser: bool = False
    ) -> UserRecord:
        errors = self._registration_errors(username, email, password)
        if errors:
            raise RuleViolation(errors)
        with atomic(self._uow):
            try:
                return self._users.add(
                    username=username,
                    email=email,
                    password=password,
                    is_staff=superuser,
                    is_superuser=superuser,
                )
            except DuplicateError as exc:
                raise RuleViolation([_taken(exc.field)]) from exc

    def _registration_errors(
        self, username: str, email: str, password: str
    ) -> list[FieldError]:
        errors: list[FieldError] = []
        if not username or len(username) > USERNAME_MAX:
            errors.append(FieldError("username", "invalid", "Use 1 to 150 characters."))
        elif not USERNAME_PATTERN.match(username):
            errors.append(
                FieldError(
                    "username", "invalid", "Use letters, digits and @/./+/-/_ only."
                )
            )
        elif self._users.username_taken(username):
            errors.append(_taken("username"))
        if not email:
            errors.append(FieldError("email", "required", "This field is required."))
        elif self._users.email_taken(email):
            errors.append(_taken("email"))
        errors.extend(
            FieldError("password", "password_invalid", message)
            for message in self._passwords.problems(
                password, username=username, email=email
            )
        )
        return errors


def _taken(field: str) -> FieldError:
    return FieldError(field, "unique", f"This {field} is already taken.")
