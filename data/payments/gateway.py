"""Payment gateway adapters: the sandbox, and the one a deployment charges through.

An adapter satisfies business's `PaymentGateway` port (business/payments/ports.py)
and is wired in `default_gateway`; nothing in business changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeResult:
    """What the gateway answered to a charge."""

    succeeded: bool
    reference: str
    failure_reason: str = ""


class SandboxGateway:
    """A test provider: `tok_visa` succeeds, `tok_chargeDeclined` is declined."""

    TOKENS = {"tok_visa": "", "tok_chargeDeclined": "Your card was declined."}

    def recognises(self, token: str) -> bool:
        return token in self.TOKENS

    def charge(self, *, token: str, amount: Decimal, currency: str) -> ChargeResult:
        reason = self.TOKENS[token]
        return ChargeResult(
            succeeded=not reason,
            reference=f"sb_{uuid.uuid4().hex}",
            failure_reason=reason,
        )

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> None:
        return None


def default_gateway() -> SandboxGateway:
    """Return the gateway this deployment charges through."""
    return SandboxGateway()
