"""Payment use cases: pay an order, read payments."""

from __future__ import annotations

from decimal import Decimal

from business.actor import Actor
from business.errors import NotFound, PaymentDeclined, RuleViolation
from business.money import format_money
from business.orders.audit import record_event
from business.orders.ports import Events, Orders
from business.orders.rules import OrderNotPayable, transition_event
from business.pagination import page_request, require_page
from business.payments.ports import PaymentGateway, Payments
from business.ports import UnitOfWork
from business.transaction import atomic
from data.errors import DuplicateError
from data.orders.events import EventRepository
from data.orders.repository import OrderRecord, OrderRepository
from data.orders.statuses import OrderStatus
from data.payments.gateway import ChargeResult, default_gateway
from data.payments.repository import PaymentRecord, PaymentRepository
from data.payments.statuses import PaymentStatus
from data.records import Page
from data.unit_of_work import DjangoUnitOfWork


class PaymentService:
    """Charge orders through the gateway and keep every attempt."""

    def __init__(
        self,
        *,
        payments: Payments | None = None,
        orders: Orders | None = None,
        events: Events | None = None,
        gateway: PaymentGateway | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._payments: Payments = payments or PaymentRepository()
        self._orders: Orders = orders or OrderRepository()
        self._events: Events = events or EventRepository()
        self._gateway: PaymentGateway = gateway or default_gateway()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    def pay_order(
        self, *, actor: Actor, order_id: int, amount: Decimal, token: str
    ) -> PaymentRecord:
        """Charge an order's total; the order becomes paid, or the attempt is kept."""
        if not self._gateway.recognises(token):
            raise RuleViolation.single(
                "payment_token", "invalid", "This payment token is not recognised."
            )
        with atomic(self._uow):
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
            charge = self._gateway.charge(
                token=token, amount=order.total, currency=order.currency
            )
            payment = self._store(actor, order, charge)
        if payment.status == PaymentStatus.FAILED:
            raise PaymentDeclined(payment.failure_reason, payment=payment)
        return payment

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
        found = self._payments.find_with_owner(payment_id)
        if found is None or not (actor.is_staff or found.customer_id == actor.user_id):
            raise NotFound(f"Payment {payment_id} does not exist.")
        return found.payment

    def _store(
        self, actor: Actor, order: OrderRecord, charge: ChargeResult
    ) -> PaymentRecord:
        status = PaymentStatus.SUCCEEDED if charge.succeeded else PaymentStatus.FAILED
        try:
            payment = self._payments.add(
                order_id=order.id,
                amount=order.total,
                currency=order.currency,
                status=status,
                failure_reason=charge.failure_reason,
                gateway_reference=charge.reference,
            )
        except DuplicateError:  # pragma: no cover - the order lock comes first
            raise OrderNotPayable(f"Order {order.id} is already paid.") from None
        if charge.succeeded:
            event = transition_event(order.status, OrderStatus.PAID)
            self._orders.update_status(order, OrderStatus.PAID)
        else:
            event = "payment.failed"
        data = {"payment_id": payment.id, "amount": format_money(payment.amount)}
        if not charge.succeeded:
            data["failure_reason"] = charge.failure_reason
        record_event(self._events, actor, order.id, event, data)
        return payment
