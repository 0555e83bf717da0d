"""Settling what the provider says about our charges and refunds.

The provider is never called inside a transaction: a use case records the
intent (a pending payment or refund) and commits; `charge` and `refund` ask the
provider holding nothing; the outcome is written in a second transaction, under
the row's lock, only while the row is still pending. So whoever learns the
outcome first (the request, a retry, the webhook, reconciliation) settles it,
once, and a status never moves backwards.
"""

from __future__ import annotations

from typing import Any

from business.actor import Actor
from business.catalog.ports import Products
from business.catalog.stock import return_to_stock
from business.errors import Unavailable
from business.money import format_money
from business.orders.audit import record_event
from business.orders.ports import Events, Orders
from business.orders.rules import transition_event
from business.payments.ports import PaymentGateway, Payments, Refunds
from business.ports import UnitOfWork
from business.transaction import ConcurrentUpdate, atomic
from data.orders.statuses import OrderStatus
from data.payments.provider import Outcome, ProviderResult, ProviderUnavailable
from data.payments.refunds import RefundRecord
from data.payments.repository import PaymentRecord
from data.payments.statuses import PaymentStatus, RefundStatus

# What a settled outcome makes of a pending payment or refund.
PAYMENT_STATUS = {
    Outcome.SUCCEEDED: PaymentStatus.SUCCEEDED,
    Outcome.FAILED: PaymentStatus.FAILED,
}
REFUND_STATUS = {
    Outcome.SUCCEEDED: RefundStatus.SUCCEEDED,
    Outcome.FAILED: RefundStatus.FAILED,
}


class ProviderDown(Unavailable):
    """The payment provider is known to be down; nothing was stored or charged."""

    code = "payment-provider-unavailable"
    title = "The payment provider is unavailable."

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"The payment provider is unavailable; retry in {retry_after} s.",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class Settlement:
    """Ask the provider about pending payments and refunds; record what it says."""

    def __init__(
        self,
        *,
        payments: Payments,
        refunds: Refunds,
        orders: Orders,
        products: Products,
        events: Events,
        gateway: PaymentGateway,
        uow: UnitOfWork,
    ) -> None:
        self._payments = payments
        self._refunds = refunds
        self._orders = orders
        self._products = products
        self._events = events
        self._gateway = gateway
        self._uow = uow

    def charge(self, actor: Actor, payment: PaymentRecord) -> PaymentRecord:
        """Ask the provider to charge a pending payment (again: its key dedupes)."""
        if payment.status is not PaymentStatus.PENDING:
            return payment
        try:
            result = self._gateway.charge(
                payment_id=payment.id,
                token=payment.payment_method,
                amount=payment.amount,
                currency=payment.currency,
            )
        except ProviderUnavailable:
            # The breaker opened since the caller looked: nothing was sent, and
            # the payment stays pending for a retry, the webhook or reconciliation.
            return payment
        try:
            return self.settle_charge(actor, payment.id, result)
        except ConcurrentUpdate:
            # Another settlement of these rows got in the way and ours rolled
            # back; the provider tells the outcome again (retry, webhook,
            # reconciliation), so the payment is answered as still pending.
            return payment

    def settle_charge(
        self, actor: Actor, payment_id: int, result: ProviderResult
    ) -> PaymentRecord:
        """Record a charge's outcome, if the payment is still pending; return it."""
        with atomic(self._uow):
            return self.settle_charge_locked(actor, payment_id, result)

    def settle_charge_locked(
        self, actor: Actor, payment_id: int, result: ProviderResult
    ) -> PaymentRecord:
        """`settle_charge` inside the caller's transaction."""
        found = self._payments.find(payment_id)
        assert found is not None, f"payment {payment_id} exists once recorded"
        # The order first, then the payment: the lock order of every payment path.
        order = self._orders.lock(found.order_id)
        payment = self._payments.lock(payment_id)
        assert order is not None and payment is not None
        status = PAYMENT_STATUS.get(result.outcome)
        if payment.status is not PaymentStatus.PENDING or status is None:
            return payment
        payment = self._payments.settle(
            payment,
            status,
            gateway_reference=result.reference,
            failure_reason=result.failure_reason,
        )
        data = {"payment_id": payment.id, "amount": format_money(payment.amount)}
        if status is PaymentStatus.SUCCEEDED:
            event = transition_event(order.status, OrderStatus.PAID)
            self._orders.update_status(order, OrderStatus.PAID)
        else:
            event = "payment.failed"
            data["failure_reason"] = payment.failure_reason
        record_event(self._events, actor, order.id, event, data)
        return payment

    def refund(self, actor: Actor, refund: RefundRecord) -> RefundRecord:
        """Ask the provider for a pending refund (again: its key dedupes)."""
        if refund.status is not RefundStatus.PENDING:
            return refund
        payment = self._payments.find(refund.payment_id)
        assert payment is not None
        try:
            result = self._gateway.refund(
                refund_id=refund.id,
                reference=payment.gateway_reference,
                amount=refund.amount,
                currency=payment.currency,
            )
        except ProviderUnavailable:
            return refund
        try:
            return self.settle_refund(actor, refund.id, result)
        except ConcurrentUpdate:
            return refund  # as for a charge: still pending, settled again later

    def settle_refund(
        self, actor: Actor, refund_id: int, result: ProviderResult
    ) -> RefundRecord:
        """Record a refund's outcome, if it is still pending; return it."""
        with atomic(self._uow):
            return self.settle_refund_locked(actor, refund_id, result)

    def settle_refund_locked(
        self, actor: Actor, refund_id: int, result: ProviderResult
    ) -> RefundRecord:
        """`settle_refund` inside the caller's transaction.

        A succeeded refund raises the payment's `amount_refunded` and, if it was
        asked to, puts its lines back in stock, with `payment.refunded`: all of it
        commits together.
        """
        found = self._refunds.find(refund_id)
        assert found is not None, f"refund {refund_id} exists once recorded"
        owner = self._payments.find(found.payment_id)
        assert owner is not None
        # The order first, as every path that takes these locks does: a cancel
        # (order, products, payment) and a settling (order, payment, refund,
        # products) take turns on it and never deadlock.
        self._orders.lock(owner.order_id)
        payment = self._payments.lock(found.payment_id)
        refund = self._refunds.lock(refund_id)
        assert payment is not None and refund is not None
        status = REFUND_STATUS.get(result.outcome)
        if refund.status is not RefundStatus.PENDING or status is None:
            return refund
        succeeded = status is RefundStatus.SUCCEEDED
        refund = self._refunds.settle(
            refund,
            status,
            gateway_reference=result.reference,
            failure_reason=result.failure_reason,
            restocked=succeeded and refund.restock,
        )
        data: dict[str, Any] = {
            "payment_id": payment.id,
            "refund_id": refund.id,
            "amount": format_money(refund.amount),
        }
        if succeeded:
            self._payments.add_refunded(payment, refund.amount)
            if refund.restocked:
                return_to_stock(
                    self._products, {ln.product_id: ln.quantity for ln in refund.lines}
                )
            event = "payment.refunded"
            data["lines"] = refund_lines_data(refund)
            data["restocked"] = refund.restocked
        else:
            event = "refund.failed"
            data["failure_reason"] = refund.failure_reason
        record_event(self._events, actor, payment.order_id, event, data)
        return refund


def refund_lines_data(refund: RefundRecord) -> list[dict[str, Any]]:
    """Return a refund's lines as events carry them."""
    return [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": format_money(line.unit_price),
        }
        for line in refund.lines
    ]
