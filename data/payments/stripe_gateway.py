"""The Stripe adapter: PaymentIntents and Refunds through the official SDK.

Every call carries an idempotency key derived from our own row id
(`payment-<id>`, `refund-<id>`), so repeating a call, after a timeout or a
crash, is how an unknown outcome is learnt: Stripe answers the first result
again and never charges twice. No answer (timeout, dropped connection, 5xx)
is `PENDING`, never a failure: the charge may have happened.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe

from data.payments.breaker import CircuitBreaker
from data.payments.provider import (
    Outcome,
    ProviderEvent,
    ProviderResult,
    ProviderUnavailable,
    intent_outcome,
    refund_outcome,
    verify_event,
)

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
            outcome=intent_outcome(intent.status), reference=intent.id
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
            outcome=refund_outcome(refund.status), reference=refund.id
        )

    def verify(self, body: bytes, signature: str) -> ProviderEvent:
        """Check a webhook's `Stripe-Signature` and read the event it carries."""
        return verify_event(body, signature, self._webhook_secret)

    def _call(self, create: Any, params: Any, key: str) -> Any:
        """Make one call through the breaker; None when no answer came."""
        wait = self._breaker.admit()
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
