"""The subset of Stripe's API the Orderly adapter uses: PaymentIntents and Refunds.

Shapes and errors follow Stripe's OpenAPI description (`payment_intent`,
`refund`, `error`): amounts are integers of the currency's minor unit, a
declined card is a 402 `card_error` that carries the payment intent, a missing
object is a 404 `resource_missing`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox_provider.ledger import Ledger, new_id

# Stripe's test payment methods the sandbox knows, and what each does.
DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds"),
}
SUCCEEDS = {"pm_card_visa", "pm_card_mastercard"}
DECLINE_MESSAGE = "Your card was declined."

Params = dict[str, str]
Notify = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """An HTTP status and the JSON object to send with it."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def error(
    status: int,
    kind: str,
    message: str,
    *,
    code: str = "",
    param: str = "",
    **more: Any,
) -> Answer:
    """Return a Stripe error object (`{"error": {...}}`)."""
    detail: dict[str, Any] = {"type": kind, "message": message}
    if code:
        detail["code"] = code
    if param:
        detail["param"] = param
    detail.update(more)
    return Answer(status=status, body={"error": detail})


def missing(kind: str, object_id: str, param: str = "id") -> Answer:
    return error(
        404 if param == "id" else 400,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def metadata(params: Params) -> dict[str, str]:
    """Return the `metadata[key]` parameters as a dict."""
    return {
        name[len("metadata[") : -1]: value
        for name, value in params.items()
        if name.startswith("metadata[") and name.endswith("]")
    }


def _amount(params: Params, name: str, *, required: bool) -> int | Answer | None:
    value = params.get(name)
    if value is None:
        if required:
            return error(
                400,
                "invalid_request_error",
                f"Missing required param: {name}.",
                code="parameter_missing",
                param=name,
            )
        return None
    if not value.isdigit() or int(value) < 1 or int(value) > 99_999_999:
        return error(
            400,
            "invalid_request_error",
            "This value must be greater than or equal to 1.",
            code="parameter_invalid_integer",
            param=name,
        )
    return int(value)


class Provider:
    """Charges and refunds, applied to the ledger; `notify` announces changes."""

    def __init__(
        self, ledger: Ledger, notify: Notify, settle_ms: Callable[[], int]
    ) -> None:
        self._ledger = ledger
        self._notify = notify
        self._settle_ms = settle_ms

    def create_intent(self, params: Params) -> Answer:
        """Create and confirm a PaymentIntent in one call (`confirm=true`)."""
        amount = _amount(params, "amount", required=True)
        if isinstance(amount, Answer):
            return amount
        currency = params.get("currency", "")
        if len(currency) != 3 or not currency.isalpha():
            return error(
                400,
                "invalid_request_error",
                "Invalid currency.",
                code="parameter_invalid_empty" if not currency else "invalid_currency",
                param="currency",
            )
        method = params.get("payment_method", "")
        if method not in SUCCEEDS and method not in DECLINES:
            return missing("PaymentMethod", method, "payment_method")
        if params.get("confirm") != "true":
            return error(
                400,
                "invalid_request_error",
                "The sandbox only creates confirmed payment intents (confirm=true).",
                param="confirm",
            )
        intent: dict[str, Any] = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency.lower(),
            "capture_method": "automatic",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
            "metadata": metadata(params),
            "payment_method": method,
            "status": "processing",
        }
        if method in DECLINES:
            return self._decline(intent, *DECLINES[method])
        if self._settle_ms():
            self._ledger.save_intent(intent)
            self._later(self._settle_intent, intent["id"])
            return Answer(status=200, body=intent)
        return Answer(status=200, body=self._succeed(intent))

    def intent(self, intent_id: str) -> Answer:
        found = self._ledger.intent(intent_id)
        if found is None:
            return missing("payment_intent", intent_id)
        return Answer(status=200, body=found)

    def create_refund(self, params: Params) -> Answer:
        """Refund some or all of a succeeded PaymentIntent, never more than it took."""
        intent_id = params.get("payment_intent", "")
        intent = self._ledger.intent(intent_id)
        if intent is None:
            return missing("payment_intent", intent_id, "payment_intent")
        if intent["status"] != "succeeded":
            return error(
                400,
                "invalid_request_error",
                f"This PaymentIntent ({intent_id}) does not have a successful "
                "charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        left = intent["amount_received"] - self._ledger.refunded(intent_id)
        amount = _amount(params, "amount", required=False)
        if isinstance(amount, Answer):
            return amount
        amount = left if amount is None else amount
        if amount > left or left == 0:
            return error(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on "
                f"charge ({left}).",
                code="amount_too_large" if left else "charge_already_refunded",
                param="amount",
            )
        refund: dict[str, Any] = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": metadata(params),
            "payment_intent": intent_id,
            "reason": params.get("reason"),
            "status": "pending" if self._settle_ms() else "succeeded",
        }
        self._ledger.save_refund(refund)
        self._notify("refund.created", refund)
        if refund["status"] == "pending":
            self._later(self._settle_refund, refund["id"])
        return Answer(status=200, body=refund)

    def refund(self, refund_id: str) -> Answer:
        found = self._ledger.refund(refund_id)
        if found is None:
            return missing("refund", refund_id)
        return Answer(status=200, body=found)

    def _succeed(self, intent: dict[str, Any]) -> dict[str, Any]:
        intent = {
            **intent,
            "status": "succeeded",
            "amount_received": intent["amount"],
            "latest_charge": new_id("ch"),
        }
        self._ledger.save_intent(intent)
        self._notify("payment_intent.succeeded", intent)
        return intent

    def _decline(self, intent: dict[str, Any], code: str, reason: str) -> Answer:
        failure = {
            "type": "card_error",
            "code": code,
            "decline_code": reason,
            "message": DECLINE_MESSAGE,
        }
        intent = {
            **intent,
            "status": "requires_payment_method",
            "last_payment_error": failure,
        }
        self._ledger.save_intent(intent)
        self._notify("payment_intent.payment_failed", intent)
        return error(
            402,
            "card_error",
            DECLINE_MESSAGE,
            code=code,
            decline_code=reason,
            payment_intent=intent,
        )

    def _later(self, settle: Callable[[str], None], object_id: str) -> None:
        timer = threading.Timer(self._settle_ms() / 1000, settle, [object_id])
        timer.daemon = True
        timer.start()

    def _settle_intent(self, intent_id: str) -> None:
        with self._ledger.transaction():
            intent = self._ledger.intent(intent_id)
            if intent is not None and intent["status"] == "processing":
                self._succeed(intent)

    def _settle_refund(self, refund_id: str) -> None:
        with self._ledger.transaction():
            refund = self._ledger.refund(refund_id)
            if refund is not None and refund["status"] == "pending":
                refund = {**refund, "status": "succeeded"}
                self._ledger.save_refund(refund)
                self._notify("refund.updated", refund)
