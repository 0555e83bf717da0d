"""What every payment gateway adapter answers, and Stripe's webhook events.

The in-process sandbox and the Stripe adapter give the same results, and both
read webhooks in Stripe's format (`Stripe-Signature`, verified by the SDK).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import stripe

from data.errors import DataError

# Stripe's default: a signature older than five minutes is refused.
WEBHOOK_TOLERANCE = 300


class Outcome(StrEnum):
    """What the provider says happened to a charge or a refund."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Not known yet: no answer, or the provider is still processing.
    PENDING = "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderResult:
    """The outcome of a charge or refund, and the provider's id for it."""

    outcome: Outcome
    reference: str = ""
    failure_reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderEvent:
    """A verified webhook event about one of our charges or refunds."""

    id: str
    # "charge" or "refund"; "other" for event types we do not act on.
    subject: str
    outcome: Outcome
    reference: str
    payment_id: int | None = None
    refund_id: int | None = None
    failure_reason: str = ""


class ProviderUnavailable(DataError):
    """The provider is known to be down: nothing was sent."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"payment provider unavailable, retry in {retry_after} s")
        self.retry_after = retry_after


class InvalidSignature(DataError):
    """A webhook body whose signature does not verify (or that is not an event)."""


def verify_event(body: bytes, signature: str, secret: str) -> ProviderEvent:
    """Check a webhook's `Stripe-Signature` with `secret`; read its event."""
    try:
        stripe.Webhook.construct_event(body, signature, secret, WEBHOOK_TOLERANCE)
        return _event(json.loads(body))
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError):
        raise InvalidSignature("the webhook signature does not verify") from None


def intent_outcome(status: str) -> Outcome:
    if status == "succeeded":
        return Outcome.SUCCEEDED
    if status in ("requires_payment_method", "canceled"):
        return Outcome.FAILED
    return Outcome.PENDING


def refund_outcome(status: str | None) -> Outcome:
    if status == "succeeded":
        return Outcome.SUCCEEDED
    if status in ("failed", "canceled"):
        return Outcome.FAILED
    return Outcome.PENDING


def _event(payload: dict[str, Any]) -> ProviderEvent:
    obj = payload["data"]["object"]
    kind = obj.get("object")
    metadata = obj.get("metadata") or {}
    if kind == "payment_intent":
        error = obj.get("last_payment_error") or {}
        return ProviderEvent(
            id=payload["id"],
            subject="charge",
            outcome=intent_outcome(obj["status"]),
            reference=obj["id"],
            payment_id=_int(metadata.get("payment_id")),
            failure_reason=error.get("message", ""),
        )
    if kind == "refund":
        return ProviderEvent(
            id=payload["id"],
            subject="refund",
            outcome=refund_outcome(obj.get("status")),
            reference=obj["id"],
            refund_id=_int(metadata.get("refund_id")),
        )
    return ProviderEvent(
        id=payload["id"], subject="other", outcome=Outcome.PENDING, reference=""
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None
