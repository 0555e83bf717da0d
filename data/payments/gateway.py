"""Payment gateway adapters: the in-process sandbox, or Stripe, chosen by settings.

Both satisfy business's `PaymentGateway` port (business/payments/ports.py) and
answer with the same `ProviderResult`s; `default_gateway` picks one per
`PAYMENTS_PROVIDER` (`sandbox`, the embedded default, or `stripe`).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from django.conf import settings

from data.payments.breaker import CircuitBreaker
from data.payments.provider import (
    Outcome,
    ProviderEvent,
    ProviderResult,
    verify_event,
)
from data.payments.stripe_gateway import StripeGateway


class SandboxGateway:
    """An in-process provider: `tok_visa` succeeds, `tok_chargeDeclined` is declined.

    Its references are derived from our ids, so asking again answers the same,
    as a real provider's idempotency keys do; refunds always succeed. Webhooks
    in Stripe's format are verified with `STRIPE_WEBHOOK_SECRET`.
    """

    TOKENS = {"tok_visa": "", "tok_chargeDeclined": "Your card was declined."}

    def __init__(self, webhook_secret: str = "") -> None:
        self._webhook_secret = webhook_secret

    def recognises(self, token: str) -> bool:
        return token in self.TOKENS

    def retry_after(self) -> int:
        return 0

    def charge(
        self, *, payment_id: int, token: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        reason = self.TOKENS.get(token, "This payment token is not recognised.")
        return ProviderResult(
            outcome=Outcome.FAILED if reason else Outcome.SUCCEEDED,
            reference=f"sb_pay_{payment_id}",
            failure_reason=reason,
        )

    def refund(
        self, *, refund_id: int, reference: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        return ProviderResult(outcome=Outcome.SUCCEEDED, reference=f"sb_re_{refund_id}")

    def verify(self, body: bytes, signature: str) -> ProviderEvent:
        return verify_event(body, signature, self._webhook_secret)


def default_gateway() -> SandboxGateway | StripeGateway:
    """Return this process's gateway, as the settings configure it."""
    return _gateway(
        settings.PAYMENTS_PROVIDER,
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_WEBHOOK_SECRET,
        settings.STRIPE_TIMEOUTS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


@cache
def _gateway(
    provider: str,
    secret_key: str,
    api_base: str,
    webhook_secret: str,
    timeouts: tuple[float, float],
    retries: int,
) -> SandboxGateway | StripeGateway:
    # One per process and configuration: the SDK's connections are kept alive
    # and the circuit breaker sees every call this process makes.
    if provider == "stripe":
        return StripeGateway(
            secret_key=secret_key,
            webhook_secret=webhook_secret,
            api_base=api_base,
            connect_timeout=timeouts[0],
            read_timeout=timeouts[1],
            max_retries=retries,
            breaker=CircuitBreaker(),
        )
    return SandboxGateway(webhook_secret)
