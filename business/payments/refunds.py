"""Refund rules: what a payment can give back, by amount or by lines, and why not.

PaymentService.refund_payment runs them: the request's own checks first, then
`record_refund` under the order's and the payment's row locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from business.errors import Conflict, FieldError, NotFound, RuleViolation
from business.money import CENT, format_money
from business.orders.ports import Orders
from business.orders.rules import line_errors
from business.payments.ports import Payments, Refunds
from data.orders.repository import OrderRecord
from data.orders.statuses import OrderStatus
from data.payments.refunds import RefundLineRecord, RefundRecord, RefundTally
from data.payments.repository import PaymentRecord
from data.payments.statuses import PaymentStatus

# A payment holds money that can be given back only in these statuses.
REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


class RefundExceedsPayment(Conflict):
    code = "refund-exceeds-payment"
    title = "The refund is more than what remains of the payment."


class PaymentNotRefundable(Conflict):
    code = "payment-not-refundable"
    title = "The payment cannot be refunded."


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundLineRequest:
    """Units of one product of the order that staff give back."""

    product_id: int
    quantity: int


def record_refund(
    *,
    payments: Payments,
    refunds: Refunds,
    orders: Orders,
    payment_id: int,
    amount: Decimal | None,
    lines: Sequence[RefundLineRequest],
    restock: bool,
    reason: str,
) -> RefundRecord:
    """Record a pending refund, in the caller's transaction, if the payment holds it.

    The order's then the payment's row lock (the lock order of every payment
    path): a cancel and other refunds of the payment wait, and what remains is
    read after them, refunds pending at the provider included.
    """
    seen = payments.find(payment_id)
    if seen is None:
        raise NotFound(f"Payment {payment_id} does not exist.")
    order = orders.lock(seen.order_id)
    payment = payments.lock(payment_id)
    assert order is not None and payment is not None
    _check_refundable(payment, order, restock)
    tally = refunds.tally(payment.id)
    priced = _price_lines(order, lines, tally)
    remaining = payment.amount - payment.amount_refunded - tally.pending
    if lines:
        wanted = sum((line.amount for line in priced), Decimal("0.00"))
    else:
        wanted = remaining if amount is None else amount
    _check_remaining(payment, wanted, remaining)
    return refunds.add(
        payment_id=payment.id,
        amount=wanted,
        reason=reason,
        lines=priced,
        restock=restock,
    )


def check_refund_request(
    amount: Decimal | None,
    lines: Sequence[RefundLineRequest] | None,
    restock: bool,
) -> None:
    """Refuse a request that is wrong whatever the payment: 400, every field."""
    errors: list[FieldError] = []
    if amount is not None and lines is not None:
        errors.append(
            FieldError("lines", "invalid", "Refund by amount or by lines, not both.")
        )
    if amount is not None and (amount <= 0 or amount != amount.quantize(CENT)):
        errors.append(
            FieldError(
                "amount", "invalid", "Use a positive amount with at most 2 decimals."
            )
        )
    if lines is not None and not lines:
        errors.append(FieldError("lines", "invalid", "Refund at least one line."))
    if restock and not lines:
        errors.append(
            FieldError(
                "restock", "invalid", "Only a refund by lines puts goods back in stock."
            )
        )
    errors += line_errors(lines or (), field="lines", of="refund")
    if errors:
        raise RuleViolation(errors)


def _check_refundable(
    payment: PaymentRecord, order: OrderRecord, restock: bool
) -> None:
    if payment.status not in REFUNDABLE:
        raise PaymentNotRefundable(
            f"Payment {payment.id} is '{payment.status}'; only "
            f"'{PaymentStatus.SUCCEEDED}' or '{PaymentStatus.PARTIALLY_REFUNDED}' "
            "payments can be refunded.",
            payment_status=payment.status,
        )
    if restock and order.status is OrderStatus.CANCELLED:
        raise RuleViolation.single(
            "restock",
            "invalid",
            "The order was cancelled: its goods are back in stock already.",
        )


def _price_lines(
    order: OrderRecord, lines: Sequence[RefundLineRequest], tally: RefundTally
) -> list[RefundLineRecord]:
    """Price refund lines as the order did; refuse what the order cannot give back.

    A line gives back at most what was ordered less what refunds already hold
    (pending or succeeded).
    """
    ordered = {item.product_id: item for item in order.items}
    errors: list[FieldError] = []
    priced: list[RefundLineRecord] = []
    for index, line in enumerate(lines):
        item = ordered.get(line.product_id)
        if item is None:
            errors.append(
                FieldError(
                    f"lines[{index}].product_id",
                    "invalid",
                    f"This product is not in order {order.id}.",
                )
            )
            continue
        left = item.quantity - tally.quantities.get(line.product_id, 0)
        if line.quantity > left:
            errors.append(
                FieldError(
                    f"lines[{index}].quantity",
                    "out_of_range",
                    f"Only {left} of this product remain to refund.",
                )
            )
            continue
        priced.append(
            RefundLineRecord(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=item.unit_price,
            )
        )
    if errors:
        raise RuleViolation(errors)
    return priced


def _check_remaining(
    payment: PaymentRecord, wanted: Decimal, remaining: Decimal
) -> None:
    """Refuse more than what remains; refunds pending at the provider count."""
    if wanted <= 0:
        raise RefundExceedsPayment(
            f"Nothing remains to refund of payment {payment.id}: refunds pending "
            "at the provider or succeeded hold all of it.",
            amount_refundable=format_money(remaining),
        )
    if wanted > remaining:
        raise RefundExceedsPayment(
            f"The refund of {format_money(wanted)} is more than the "
            f"{format_money(remaining)} that remains of payment {payment.id} "
            "(refunds pending at the provider count).",
            amount_refundable=format_money(remaining),
        )
