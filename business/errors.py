"""Business exceptions; presentation maps each class to one HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: a path such as `items[0].quantity`, a code, a message."""

    field: str
    code: str
    message: str


class BusinessError(Exception):
    """A use case refused to go on; `code` is the stable problem slug."""

    code = "business-error"
    title = "The request could not be completed."

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class NotFound(BusinessError):
    code = "not-found"
    title = "Not found."


class PermissionDenied(BusinessError):
    code = "permission-denied"
    title = "You do not have permission to perform this action."


class AuthenticationFailed(BusinessError):
    code = "not-authenticated"
    title = "Authentication failed."


class Conflict(BusinessError):
    code = "conflict"
    title = "The request conflicts with the current state."


class Unprocessable(BusinessError):
    code = "unprocessable"
    title = "The request cannot be processed."


class PaymentDeclined(BusinessError):
    code = "payment-declined"
    title = "The payment was declined."


class RuleViolation(BusinessError):
    """The input breaks a rule; `errors` says which field and why."""

    code = "validation-error"
    title = "The request is invalid."

    def __init__(self, errors: list[FieldError], detail: str = "") -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)

    @classmethod
    def single(cls, field: str, code: str, message: str) -> RuleViolation:
        """Build the violation of one field."""
        return cls([FieldError(field, code, message)])


class Unavailable(BusinessError):
    code = "service-unavailable"
    title = "A service this request needs is unavailable."


class PreconditionFailed(BusinessError):
    """The caller's copy is stale: the resource changed since it was read."""

    code = "precondition-failed"
    title = "The resource has changed since you read it."
