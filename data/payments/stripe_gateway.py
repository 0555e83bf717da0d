"""The Stripe adapter: PaymentIntents and Refunds through the official SDK.

Every call carries an idempotency key derived from our own row id
(`payment-<id>`, `refund-<id>`), so repeating a call, after a timeout or a
crash, is how an unknown outcome is learnt: Stripe answers the first result
again and never charges twice. No answer (timeout, dropped connection, 5xx)
is `PENDING`, never a failure: the charge may have happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import stripe

from data.errors import DataError
from data.payments.breaker import CircuitBreaker

# Stripe's test tokens, as the API's `payment_token`, and the test payment
# methods they stand for; a real client sends a PaymentMethod id (`pm_…`).
TEST_TOKENS = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_chargeDeclined": "pm_card_chargeDeclined",
    "tok_chargeDeclinedInsufficientFunds": "pm_card_chargeDeclinedInsufficientFunds",
}
# Currencies without a minor unit (Stripe's list); every other has cents.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
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


def minor_units(amount: Decimal, currency: str) -> int:
    """Return an amount in the currency's smallest unit, as Stripe counts it."""
    exponent = 0 if currency.upper() in ZERO_DECIMAL else 2
    units = amount.scaleb(exponent)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency")
    return int(units)


class StripeGateway:
    """Charges and refunds at Stripe (or the sandbox provider speaking its API)."""

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str = "",
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
        max_retries: int = 1,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout)),
        )
        self._webhook_secret = webhook_secret
        self._breaker = breaker or CircuitBreaker()

    def recognises(self, token: str) -> bool:
        return token in TEST_TOKENS or (token.startswith("pm_") and len(token) > 3)

    def retry_after(self) -> int:
        """Return 0 if the provider may be called, else seconds until it may."""
        return self._breaker.retry_after()

    def charge(
        self, *, payment_id: int, token: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        """Create and confirm a PaymentIntent for our payment `payment_id`."""
        params: Any = {
            "amount": minor_units(amount, currency),
            "currency": currency.lower(),
            "payment_method": TEST_TOKENS.get(token, token),
            "confirm": True,
            "metadata": {"payment_id": str(payment_id)},
        }
        try:
            intent = self._call(
                self._client.v1.payment_intents.create,
                params,
                f"payment-{payment_id}",
            )
        except stripe.CardError as error:
            intent = getattr(error.error, "payment_intent", None)
            return ProviderResult(
                outcome=Outcome.FAILED,
                reference=str(intent.id) if intent is not None else "",
                failure_reason=error.user_message or "The card was declined.",
            )
        except stripe.InvalidRequestError as error:
            return ProviderResult(
                outcome=Outcome.FAILED,
                failure_reason=error.user_message or "The provider refused the charge.",
            )
        if intent is None:
            return ProviderResult(outcome=Outcome.PENDING)
        return ProviderResult(
            outcome=_intent_outcome(intent.status), reference=intent.id
        )

    def refund(
        self, *, refund_id: int, reference: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        """Refund `amount` of PaymentIntent `reference`, as our refund `refund_id`."""
        params: Any = {
            "payment_intent": reference,
            "amount": minor_units(amount, currency),
            "metadata": {"refund_id": str(refund_id)},
        }
        try:
            refund = self._call(
                self._client.v1.refunds.create, params, f"refund-{refund_id}"
            )
        except stripe.InvalidRequestError as error:
            return ProviderResult(
                outcome=Outcome.FAILED,
                failure_reason=error.user_message or "The provider refused the refund.",
            )
        if refund is None:
            return ProviderResult(outcome=Outcome.PENDING)
        return ProviderResult(
            outcome=_refund_outcome(refund.status), reference=refund.id
        )

    def verify(self, body: bytes, signature: str) -> ProviderEvent:
        """Check a webhook's `Stripe-Signature` and read the event it carries."""
        try:
            stripe.Webhook.construct_event(
                body, signature, self._webhook_secret, WEBHOOK_TOLERANCE
            )
            return _event(json.loads(body))
        except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError):
            raise InvalidSignature("the webhook signature does not verify") from None

    def _call(self, create: Any, params: Any, key: str) -> Any:
        """Make one call through the breaker; None when no answer came."""
        wait = self._breaker.retry_after()
        if wait:
            raise ProviderUnavailable(wait)
        try:
            result = create(params=params, options={"idempotency_key": key})
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError):
            # No answer, or the provider's own failure: the outcome is unknown.
            self._breaker.failed()
            return None
        except stripe.StripeError:
            self._breaker.succeeded()  # it answered, with a refusal
            raise
        self._breaker.succeeded()
        return result


def _intent_outcome(status: str) -> Outcome:
    if status == "succeeded":
        return Outcome.SUCCEEDED
    if status in ("requires_payment_method", "canceled"):
        return Outcome.FAILED
    return Outcome.PENDING


def _refund_outcome(status: str | None) -> Outcome:
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
            outcome=_intent_outcome(obj["status"]),
            reference=obj["id"],
            payment_id=_int(metadata.get("payment_id")),
            failure_reason=error.get("message", ""),
        )
    if kind == "refund":
        return ProviderEvent(
            id=payload["id"],
            subject="refund",
            outcome=_refund_outcome(obj.get("status")),
            reference=obj["id"],
            refund_id=_int(metadata.get("refund_id")),
        )
    return ProviderEvent(
        id=payload["id"], subject="other", outcome=Outcome.PENDING, reference=""
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None
