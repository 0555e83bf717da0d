"""Payment use cases: pay an order, read payments, settle from the provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from business.actor import Actor
from business.catalog.ports import Products
from business.errors import NotFound, PaymentDeclined, PermissionDenied, RuleViolation
from business.idempotency.ports import IdempotencyKeys
from business.idempotency.service import KeyedRequest, resume_or_record
from business.money import format_money
from business.orders.ports import Events, Orders
from business.orders.rules import OrderNotPayable
from business.pagination import page_request, require_page
from business.payments.ports import PaymentGateway, Payments, Refunds
from business.payments.refunds import (
    RefundLineRequest,
    check_refund_request,
    record_refund,
)
from business.payments.settlement import ProviderDown, Settlement
from business.ports import UnitOfWork
from business.transaction import atomic
from data.catalog.repository import ProductRepository
from data.errors import DuplicateError
from data.idempotency.repository import IdempotencyRepository
from data.orders.events import EventRepository
from data.orders.repository import OrderRepository
from data.orders.statuses import OrderStatus
from data.payments.gateway import default_gateway
from data.payments.provider import InvalidSignature, ProviderResult
from data.payments.refunds import RefundRecord, RefundRepository
from data.payments.repository import PaymentRecord, PaymentRepository
from data.payments.statuses import PaymentStatus, RefundStatus
from data.records import Page
from data.unit_of_work import DjangoUnitOfWork


class BadSignature(RuleViolation):
    code = "invalid-signature"
    title = "The webhook signature does not verify."


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciled:
    """What a reconciliation run found pending and what it settled."""

    payments: int
    refunds: int
    settled: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingBacklog:
    """Payments and refunds left pending at the provider."""

    stale: int
    oldest_seconds: float


def visible_payment(payments: Payments, actor: Actor, payment_id: int) -> PaymentRecord:
    """Return the payment if the caller may see it; others' payments do not exist."""
    found = payments.find_with_owner(payment_id)
    if found is None or not (actor.is_staff or found.customer_id == actor.user_id):
        raise NotFound(f"Payment {payment_id} does not exist.")
    return found.payment


class PaymentService:
    """Charge orders through the provider and keep every attempt."""

    def __init__(
        self,
        *,
        payments: Payments | None = None,
        refunds: Refunds | None = None,
        orders: Orders | None = None,
        products: Products | None = None,
        events: Events | None = None,
        gateway: PaymentGateway | None = None,
        keys: IdempotencyKeys | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._payments: Payments = payments or PaymentRepository()
        self._refunds: Refunds = refunds or RefundRepository()
        self._orders: Orders = orders or OrderRepository()
        self._gateway: PaymentGateway = gateway or default_gateway()
        self._keys: IdempotencyKeys = keys or IdempotencyRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()
        self._settlement = Settlement(
            payments=self._payments,
            refunds=self._refunds,
            orders=self._orders,
            # Settling a refund that restocks puts its lines back.
            products=products or ProductRepository(),
            events=events or EventRepository(),
            gateway=self._gateway,
            uow=self._uow,
        )

    def pay_order(
        self,
        *,
        actor: Actor,
        order_id: int,
        amount: Decimal,
        token: str,
        keyed: KeyedRequest | None = None,
    ) -> PaymentRecord:
        """Charge an order's total: succeeded (order paid), pending, or declined.

        The pending payment (and the request's key) commit first; the provider is
        asked holding no transaction; its answer is recorded in a second one. A
        retry with the key resumes the same payment.
        """
        if not self._gateway.recognises(token):
            raise RuleViolation.single(
                "payment_token", "invalid", "This payment token is not recognised."
            )
        with atomic(self._uow):
            # A retry resumes what its key made, whatever the breaker says.
            payment = resume_or_record(
                self._keys,
                keyed,
                find=self._payments.find,
                record=lambda: self._record_intent(actor, order_id, amount, token),
            )
        payment = self._settlement.charge(actor, payment)
        if payment.status is PaymentStatus.FAILED:
            raise PaymentDeclined(payment.failure_reason, payment=payment)
        return payment

    def refund_payment(
        self,
        *,
        actor: Actor,
        payment_id: int,
        amount: Decimal | None = None,
        lines: Sequence[RefundLineRequest] | None = None,
        restock: bool = False,
        reason: str = "",
        keyed: KeyedRequest | None = None,
    ) -> RefundRecord:
        """Refund an amount, some lines, or (given neither) what remains (staff).

        The pending refund (and the request's key) commit first, counted against
        what remains under the order's and the payment's row locks; the provider
        is asked holding nothing; its answer settles the refund (and restocks).
        A retry with the key resumes the same refund.
        """
        if not actor.is_staff:
            raise PermissionDenied("Only staff may refund payments.")
        check_refund_request(amount, lines, restock)

        def record() -> RefundRecord:
            self._refuse_while_down()
            return record_refund(
                payments=self._payments,
                refunds=self._refunds,
                orders=self._orders,
                payment_id=payment_id,
                amount=amount,
                lines=lines or (),
                restock=restock,
                reason=reason,
            )

        with atomic(self._uow):
            refund = resume_or_record(
                self._keys, keyed, find=self._refunds.find, record=record
            )
        return self._settlement.refund(actor, refund)

    def list_refunds(
        self, *, actor: Actor, payment_id: int, page: int, page_size: int
    ) -> Page[RefundRecord]:
        """Return one page of a payment's refunds, newest first (owner, staff)."""
        visible_payment(self._payments, actor, payment_id)
        result = self._refunds.list_for_payment(
            payment_id=payment_id, page=page_request(page, page_size)
        )
        return require_page(result)

    def _refuse_while_down(self) -> None:
        wait = self._gateway.retry_after()
        if wait:
            # Raised in the use case's transaction: the key's row goes with it.
            raise ProviderDown(wait)

    def _record_intent(
        self, actor: Actor, order_id: int, amount: Decimal, token: str
    ) -> PaymentRecord:
        self._refuse_while_down()
        # The order's row lock makes concurrent payments of it take turns.
        order = self._orders.lock(order_id)
        if order is None or order.customer_id != actor.user_id:
            raise NotFound(f"Order {order_id} does not exist.")
        if order.status != OrderStatus.CREATED:
            raise OrderNotPayable(
                f"Order {order_id} is '{order.status}'; only "
                f"'{OrderStatus.CREATED}' orders can be paid.",
            )
        if amount != order.total:
            raise RuleViolation.single(
                "amount",
                "mismatch",
                f"The order total is {format_money(order.total)}.",
            )
        try:
            return self._payments.add(
                order_id=order.id,
                amount=order.total,
                currency=order.currency,
                payment_method=token,
            )
        except DuplicateError:
            raise OrderNotPayable(
                f"Order {order_id} has a payment pending at the provider; poll it "
                "rather than paying again.",
            ) from None

    def list_payments(
        self, *, actor: Actor, page: int, page_size: int
    ) -> Page[PaymentRecord]:
        """Return one page of payments, newest first: the caller's, or all for staff."""
        result = self._payments.list_payments(
            customer_id=None if actor.is_staff else actor.user_id,
            page=page_request(page, page_size),
        )
        return require_page(result)

    def get_payment(self, *, actor: Actor, payment_id: int) -> PaymentRecord:
        """Return one payment the caller may see."""
        return visible_payment(self._payments, actor, payment_id)

    def handle_webhook(self, *, actor: Actor, body: bytes, signature: str) -> bool:
        """Settle what a provider event reports; False for an event seen before."""
        try:
            event = self._gateway.verify(body, signature)
        except InvalidSignature:
            raise BadSignature.single(
                "Stripe-Signature", "invalid", "The signature does not verify."
            ) from None
        result = ProviderResult(
            outcome=event.outcome,
            reference=event.reference,
            failure_reason=event.failure_reason,
        )
        with atomic(self._uow):
            if not self._payments.first_sight(event.id, event.subject):
                return False
            # An event about a row we do not have (another system's, or one
            # rolled back before the provider was asked) changes nothing.
            if event.payment_id and self._payments.find(event.payment_id):
                self._settlement.settle_charge_locked(actor, event.payment_id, result)
            elif event.refund_id and self._refunds.find(event.refund_id):
                self._settlement.settle_refund_locked(actor, event.refund_id, result)
        return True

    def reconcile(
        self, *, actor: Actor, older_than: timedelta, dry_run: bool = False
    ) -> Reconciled:
        """Ask the provider about every payment and refund pending longer than
        `older_than`, and settle what it answers; each row is settled once."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff may reconcile payments.")
        before = datetime.now(UTC) - older_than
        payments = refunds = settled = 0
        last = 0
        while ids := self._payments.list_pending(before=before, after_id=last):
            last = ids[-1]
            payments += len(ids)
            for payment_id in [] if dry_run else ids:
                found = self._payments.find(payment_id)
                if found is not None:
                    after = self._settlement.charge(actor, found)
                    settled += after.status is not PaymentStatus.PENDING
        last = 0
        while ids := self._refunds.list_pending(before=before, after_id=last):
            last = ids[-1]
            refunds += len(ids)
            for refund_id in [] if dry_run else ids:
                refund = self._refunds.find(refund_id)
                if refund is not None:
                    after_refund = self._settlement.refund(actor, refund)
                    settled += after_refund.status is not RefundStatus.PENDING
        return Reconciled(payments=payments, refunds=refunds, settled=settled)

    def pending_backlog(self, *, alert_after: int) -> PendingBacklog:
        """Count what has been pending longer than `alert_after` seconds."""
        now = datetime.now(UTC)
        found = self._payments.pending_summary(
            before=now - timedelta(seconds=alert_after)
        )
        oldest = found.oldest
        return PendingBacklog(
            stale=found.stale,
            oldest_seconds=0.0 if oldest is None else (now - oldest).total_seconds(),
        )
