"""Order use cases: place, read, cancel, ship, deliver."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from business import config
from business.actor import Actor
from business.catalog.ports import Products
from business.catalog.stock import return_to_stock
from business.errors import FieldError, NotFound, PermissionDenied, RuleViolation
from business.idempotency.ports import IdempotencyKeys
from business.idempotency.service import KeyedRequest, enter, resume_or_record
from business.money import format_money
from business.orders.audit import record_event
from business.orders.ports import Events, Orders
from business.orders.rules import (
    MAX_ITEMS,
    InsufficientStock,
    InvalidTransition,
    line_errors,
    parse_status,
    transition_event,
)
from business.pagination import Position, keyset_request, page_request, require_page
from business.payments.ports import PaymentGateway, Payments, Refunds
from business.payments.settlement import Settlement
from business.ports import UnitOfWork
from business.transaction import atomic
from data.catalog.repository import ProductRecord, ProductRepository, Reservation
from data.idempotency.repository import IdempotencyRepository
from data.orders.events import EventRecord, EventRepository
from data.orders.repository import (
    NEWEST_FIRST,
    OrderLineRecord,
    OrderRecord,
    OrderRepository,
)
from data.orders.statuses import OrderStatus
from data.payments.gateway import default_gateway
from data.payments.refunds import RefundRecord, RefundRepository
from data.payments.repository import PaymentRecord, PaymentRepository
from data.payments.statuses import PaymentStatus
from data.records import CursorPage, Page
from data.unit_of_work import DjangoUnitOfWork

# A cursor of the orders list holds the values of its ordering, nothing else.
ORDER_KEY_WIDTH = len(NEWEST_FIRST)


@dataclass(frozen=True, slots=True, kw_only=True)
class NewLine:
    """One line a customer asks for."""

    product_id: int
    quantity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Cancelled:
    """A cancelled order and the refund it owes, to ask the provider for."""

    order: OrderRecord
    refund: RefundRecord | None


class OrderService:
    """Everything that happens to an order, from any door (API, admin, commands)."""

    def __init__(
        self,
        *,
        orders: Orders | None = None,
        products: Products | None = None,
        events: Events | None = None,
        payments: Payments | None = None,
        refunds: Refunds | None = None,
        gateway: PaymentGateway | None = None,
        keys: IdempotencyKeys | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._orders: Orders = orders or OrderRepository()
        self._products: Products = products or ProductRepository()
        self._events: Events = events or EventRepository()
        self._payments: Payments = payments or PaymentRepository()
        self._refunds: Refunds = refunds or RefundRepository()
        self._keys: IdempotencyKeys = keys or IdempotencyRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()
        self._settlement = Settlement(
            payments=self._payments,
            refunds=self._refunds,
            orders=self._orders,
            products=self._products,
            events=self._events,
            gateway=gateway or default_gateway(),
            uow=self._uow,
        )

    def place_order(
        self,
        *,
        actor: Actor,
        lines: list[NewLine],
        keyed: KeyedRequest | None = None,
    ) -> OrderRecord:
        """Place an order and reserve stock for every line, or for none.

        With a key, the key and the order commit together: a retry finds the
        order and answers it, whatever happened to the first request.
        """
        customer_id = actor.user_id
        if customer_id is None:
            raise PermissionDenied("Only customers place orders.")
        _check_lines(lines)

        def place() -> OrderRecord:
            reservation = self._products.reserve(
                {line.product_id: line.quantity for line in lines}
            )
            # Raising rolls back whatever the reservation did take.
            _check_reservation(lines, reservation)
            priced = _price_lines(lines, reservation.taken)
            order = self._orders.add(
                customer_id=customer_id, currency=config.currency(), lines=priced
            )
            self._record(actor, order, "order.created", _created_data(order))
            return order

        with atomic(self._uow):
            return resume_or_record(
                self._keys, keyed, find=self._orders.find, record=place
            )

    def list_orders(
        self, *, actor: Actor, status: str | None, page: int, page_size: int
    ) -> Page[OrderRecord]:
        """Return one page of orders, newest first: the caller's, or all for staff."""
        wanted = None if status is None else parse_status(status)
        result = self._orders.list_orders(
            customer_id=None if actor.is_staff else actor.user_id,
            status=wanted,
            page=page_request(page, page_size),
        )
        return require_page(result)

    def list_orders_by_cursor(
        self,
        *,
        actor: Actor,
        status: str | None,
        page_size: int,
        position: Position | None,
    ) -> CursorPage[OrderRecord]:
        """Return orders after (or before) a cursor's position, newest first."""
        wanted = None if status is None else parse_status(status)
        return self._orders.list_orders_by_keyset(
            customer_id=None if actor.is_staff else actor.user_id,
            status=wanted,
            keyset=keyset_request(page_size, position, ORDER_KEY_WIDTH),
        )

    def get_order(self, *, actor: Actor, order_id: int) -> OrderRecord:
        """Return one order the caller may see."""
        return _visible(actor, self._orders.find(order_id), order_id)

    def list_events(self, *, actor: Actor, order_id: int) -> list[EventRecord]:
        """Return an order's audit trail, oldest first."""
        _visible(actor, self._orders.find(order_id), order_id)
        return self._events.list_for_order(order_id)

    def cancel_order(
        self, *, actor: Actor, order_id: int, keyed: KeyedRequest | None = None
    ) -> OrderRecord:
        """Cancel an order: restore its stock and refund what its payment holds.

        The refund is recorded pending with the cancellation; the provider is
        asked after the commit, and its answer settles the refund. With a key,
        the key and the cancellation commit together: a retry resumes the
        refund its first attempt left pending, whatever happened to it.
        """
        with atomic(self._uow):
            entry = enter(self._keys, keyed) if keyed else None
            if entry is not None and entry.made is not None:
                done = self._resumed(actor, entry.made)
            else:
                order = _visible(actor, self._orders.lock(order_id), order_id)
                done = self._cancel_locked(actor, order)
                if entry is not None:
                    self._keys.bind(entry.key_id, order.id)
        if done.refund is not None:
            self._settlement.refund(actor, done.refund)
        return done.order

    def _resumed(self, actor: Actor, order_id: int) -> _Cancelled:
        """What a keyed cancel that committed left: its order, its pending refund."""
        order = _visible(actor, self._orders.find(order_id), order_id)
        live = self._payments.find_live(order_id)
        refund = None if live is None else self._refunds.find_pending(live.id)
        return _Cancelled(order=order, refund=refund)

    def cancel_stale_orders(
        self, *, actor: Actor, older_than: timedelta, dry_run: bool = False
    ) -> int:
        """Cancel `created` orders placed longer ago than `older_than`; count them.

        Each order is cancelled in its own transaction, so a long run holds few
        locks; an order another run holds or already moved on is skipped.
        """
        if not actor.is_staff:
            raise PermissionDenied("Only staff may cancel stale orders.")
        before = _cutoff(older_than)
        done = last_id = 0
        while ids := self._orders.list_stale_ids(before=before, after_id=last_id):
            last_id = ids[-1]
            if dry_run:
                done += len(ids)
                continue
            for order_id in ids:
                done += self._cancel_if_stale(actor, order_id, before)
        return done

    def _cancel_if_stale(self, actor: Actor, order_id: int, before: datetime) -> bool:
        with atomic(self._uow):
            order = self._orders.lock_stale(order_id, before=before)
            if order is None or self._payments.find_live(order.id) is not None:
                # A payment pending at the provider may yet succeed: leave it be.
                return False
            self._cancel_locked(actor, order)
        return True

    def ship_order(self, *, actor: Actor, order_id: int) -> OrderRecord:
        """Mark a paid order shipped (staff)."""
        return self._staff_move(actor, order_id, OrderStatus.SHIPPED)

    def deliver_order(self, *, actor: Actor, order_id: int) -> OrderRecord:
        """Mark a shipped order delivered (staff)."""
        return self._staff_move(actor, order_id, OrderStatus.DELIVERED)

    def _staff_move(
        self, actor: Actor, order_id: int, target: OrderStatus
    ) -> OrderRecord:
        if not actor.is_staff:
            raise PermissionDenied("Only staff may do this.")
        with atomic(self._uow):
            order = _visible(actor, self._orders.lock(order_id), order_id)
            return self._move(actor, order, target, {"from": order.status})

    def _cancel_locked(self, actor: Actor, order: OrderRecord) -> _Cancelled:
        transition_event(order.status, OrderStatus.CANCELLED)
        live = self._payments.find_live(order.id)
        restocked = self._check_settled(order, live)
        # What refunds put back in stock already is not put back twice.
        return_to_stock(
            self._products,
            {
                line.product_id: line.quantity - restocked.get(line.product_id, 0)
                for line in order.items
            },
        )
        cancelled = self._move(
            actor, order, OrderStatus.CANCELLED, {"from": order.status}
        )
        refund = None
        if live is not None and live.amount_refunded < live.amount:
            payment = self._payments.lock(live.id)
            assert payment is not None
            refund = self._refunds.add(
                payment_id=payment.id,
                amount=payment.amount - payment.amount_refunded,
                reason="order cancelled",
            )
        return _Cancelled(order=cancelled, refund=refund)

    def _check_settled(
        self, order: OrderRecord, live: PaymentRecord | None
    ) -> Mapping[int, int]:
        """Refuse to cancel while the provider has not answered about the order's
        payment or one of its refunds; return the units refunds restocked."""
        if live is None:
            return {}
        if live.status is PaymentStatus.PENDING:
            raise InvalidTransition(
                f"Order {order.id} has a payment pending at the provider; cancel it "
                "once the payment is settled.",
            )
        tally = self._refunds.tally(live.id)
        if tally.pending:
            raise InvalidTransition(
                f"Order {order.id} has a refund pending at the provider; cancel it "
                "once the refund is settled.",
            )
        return tally.restocked

    def _move(
        self,
        actor: Actor,
        order: OrderRecord,
        target: OrderStatus,
        data: dict[str, Any],
    ) -> OrderRecord:
        event = transition_event(order.status, target)
        moved = self._orders.update_status(order, target)
        self._record(actor, order, event, data)
        return moved

    def _record(
        self, actor: Actor, order: OrderRecord, type: str, data: dict[str, Any]
    ) -> None:
        record_event(self._events, actor, order.id, type, data)


def _cutoff(age: timedelta) -> datetime:
    """Return the time `age` ago; an age beyond the calendar matches no order."""
    try:
        return datetime.now(UTC) - age
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _visible(actor: Actor, order: OrderRecord | None, order_id: int) -> OrderRecord:
    """Return the order if the caller may see it; others' orders do not exist."""
    if order is None or not (actor.is_staff or order.customer_id == actor.user_id):
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def _check_lines(lines: list[NewLine]) -> None:
    errors: list[FieldError] = []
    if not 1 <= len(lines) <= MAX_ITEMS:
        errors.append(FieldError("items", "invalid", f"Order 1 to {MAX_ITEMS} items."))
    errors += line_errors(lines, field="items", of="order")
    if errors:
        raise RuleViolation(errors)


def _check_reservation(lines: list[NewLine], reservation: Reservation) -> None:
    """Raise why a reservation could not take every line, if it could not."""
    unknown = [
        FieldError(f"items[{i}].product_id", "invalid", "No such active product.")
        for i, line in enumerate(lines)
        if line.product_id in reservation.unavailable
    ]
    if unknown:
        raise RuleViolation(unknown)
    shortfalls = {s.product.id: s for s in reservation.short}
    short = [
        {
            "product_id": s.product.id,
            "sku": s.product.sku,
            "requested": s.requested,
            "available": s.product.stock,
        }
        for line in lines
        if (s := shortfalls.get(line.product_id))
    ]
    if short:
        names = ", ".join(f"{s['sku']} (product {s['product_id']})" for s in short)
        raise InsufficientStock(f"Not enough stock of {names}.", products=short)


def _price_lines(
    lines: list[NewLine], products: dict[int, ProductRecord]
) -> list[OrderLineRecord]:
    """Copy today's prices of the products taken onto the lines."""
    return [
        OrderLineRecord(
            product_id=line.product_id,
            sku=products[line.product_id].sku,
            name=products[line.product_id].name,
            unit_price=products[line.product_id].price,
            quantity=line.quantity,
            line_total=products[line.product_id].price * line.quantity,
        )
        for line in lines
    ]


def _created_data(order: OrderRecord) -> dict[str, Any]:
    return {
        "total": format_money(order.total),
        "currency": order.currency,
        "items": [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": format_money(line.unit_price),
            }
            for line in order.items
        ],
    }
