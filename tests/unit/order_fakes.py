"""In-memory stand-ins for the orders, payments and idempotency repositories."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from business.idempotency.ports import IdempotencyKeys
from business.payments.ports import Payments
from data.catalog.repository import ProductRecord, Reservation, Shortfall
from data.errors import DuplicateError, OutOfStock
from data.idempotency.repository import ClaimOutcome, StoredKey
from data.orders.events import EventRecord
from data.orders.repository import OrderLineRecord, OrderRecord
from data.orders.statuses import OrderStatus
from data.payments.gateway import ChargeResult
from data.payments.repository import OwnedPayment, PaymentRecord, SucceededPayment
from data.payments.statuses import PaymentStatus
from data.records import Page, PageRequest
from tests.unit.fakes import EPOCH, FakeProductRepository, FakeUnitOfWork

__all__ = [
    "FakeEventRepository",
    "FakeGateway",
    "FakeIdempotencyRepository",
    "FakeOrderRepository",
    "FakePaymentRepository",
    "FakeStockRepository",
    "FakeUnitOfWork",
]


class _Clock:
    """A clock that ticks one second per reading, so records sort by time."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1)

    def __call__(self) -> datetime:
        return EPOCH + timedelta(seconds=next(self._ticks))


class FakeStockRepository(FakeProductRepository):
    """ProductRepository with the stock methods: reserve, lock_many, add_stock."""

    def __init__(self, uow: FakeUnitOfWork | None = None) -> None:
        super().__init__(uow)
        self.lock_calls: list[list[int]] = []

    def lock_many(self, product_ids: list[int]) -> dict[int, ProductRecord]:
        self.lock_calls.append(list(product_ids))
        return {pk: self.rows[pk] for pk in sorted(product_ids) if pk in self.rows}

    def reserve(self, quantities: dict[int, int]) -> Reservation:
        products = self.lock_many(sorted(quantities))
        unavailable = tuple(
            pk for pk in quantities if pk not in products or not products[pk].is_active
        )
        short = tuple(
            Shortfall(product=products[pk], requested=q)
            for pk, q in quantities.items()
            if pk not in unavailable and products[pk].stock < q
        )
        if unavailable or short:
            return Reservation(taken={}, unavailable=unavailable, short=short)
        self.add_stock({pk: -q for pk, q in quantities.items()})
        return Reservation(taken={pk: self.rows[pk] for pk in sorted(quantities)})

    def add_stock(self, deltas: dict[int, int]) -> None:
        self._write()
        # CHECK (stock >= 0): all or nothing, like the one UPDATE it stands for.
        if any(self.rows[pk].stock + delta < 0 for pk, delta in deltas.items()):
            raise OutOfStock()
        for pk, delta in deltas.items():
            self.rows[pk] = replace(self.rows[pk], stock=self.rows[pk].stock + delta)


class FakeOrderRepository:
    """OrderRepository's methods, over a dict."""

    def __init__(self, uow: FakeUnitOfWork | None = None) -> None:
        self.rows: dict[int, OrderRecord] = {}
        self.locked: list[int] = []
        self._ids = itertools.count(1)
        self._now = _Clock()
        self._uow = uow
        self.writes_outside_uow = 0

    def _write(self) -> None:
        if self._uow is not None and not self._uow.active:
            self.writes_outside_uow += 1

    def add(
        self, *, customer_id: int, currency: str, lines: list[OrderLineRecord]
    ) -> OrderRecord:
        self._write()
        now = self._now()
        order = OrderRecord(
            id=next(self._ids),
            customer_id=customer_id,
            status=OrderStatus.CREATED,
            items=tuple(lines),
            total=sum((line.line_total for line in lines), Decimal("0.00")),
            currency=currency,
            created_at=now,
            updated_at=now,
        )
        self.rows[order.id] = order
        return order

    def find(self, order_id: int) -> OrderRecord | None:
        return self.rows.get(order_id)

    def lock(self, order_id: int) -> OrderRecord | None:
        self.locked.append(order_id)
        return self.rows.get(order_id)

    def list_orders(
        self, *, customer_id: int | None, status: OrderStatus | None, page: PageRequest
    ) -> Page[OrderRecord]:
        rows = [
            order
            for order in self.rows.values()
            if customer_id in (None, order.customer_id)
            and status in (None, order.status)
        ]
        rows.sort(key=lambda order: (order.created_at, order.id), reverse=True)
        items = tuple(rows[page.offset : page.offset + page.size])
        return Page(items=items, total=len(rows), number=page.number, size=page.size)

    def update_status(self, order: OrderRecord, status: OrderStatus) -> OrderRecord:
        self._write()
        moved = replace(order, status=status, updated_at=self._now())
        self.rows[order.id] = moved
        return moved

    def seed(
        self,
        *,
        customer_id: int,
        status: OrderStatus = OrderStatus.CREATED,
        lines: Sequence[tuple[ProductRecord, int]] = (),
    ) -> OrderRecord:
        """Store an order of these (product, quantity) lines directly, as test data."""
        counted = self.writes_outside_uow
        order = self.add(
            customer_id=customer_id,
            currency="EUR",
            lines=[line_of(product, quantity) for product, quantity in lines],
        )
        if status != OrderStatus.CREATED:
            order = self.update_status(order, status)
        self.writes_outside_uow = counted
        return order


def line_of(product: ProductRecord, quantity: int) -> OrderLineRecord:
    """Return the order line that `quantity` of `product` makes today."""
    return OrderLineRecord(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        unit_price=product.price,
        quantity=quantity,
        line_total=product.price * quantity,
    )


class FakeEventRepository:
    """EventRepository's methods, over a list."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []
        self._now = _Clock()

    def add(
        self,
        *,
        order_id: int,
        type: str,
        data: dict[str, Any],
        actor_id: int | None,
        source: str,
        request_id: str,
    ) -> EventRecord:
        event = EventRecord(
            id=len(self.events) + 1,
            order_id=order_id,
            type=type,
            data=data,
            actor_id=actor_id,
            source=source,
            request_id=request_id,
            created_at=self._now(),
        )
        self.events.append(event)
        return event

    def list_for_order(self, order_id: int) -> list[EventRecord]:
        return [event for event in self.events if event.order_id == order_id]

    def types(self, order_id: int) -> list[str]:
        """Return the types of an order's events, oldest first."""
        return [event.type for event in self.list_for_order(order_id)]


class FakePaymentRepository:
    """PaymentRepository's methods, over a dict; owners come from the orders."""

    def __init__(self, orders: FakeOrderRepository) -> None:
        self.rows: dict[int, PaymentRecord] = {}
        self.references: dict[int, str] = {}
        self._orders = orders
        self._ids = itertools.count(1)
        self._now = _Clock()

    def add(
        self,
        *,
        order_id: int,
        amount: Decimal,
        currency: str,
        status: PaymentStatus,
        failure_reason: str = "",
        gateway_reference: str = "",
    ) -> PaymentRecord:
        # The partial unique index: one succeeded payment per order.
        if (
            status == PaymentStatus.SUCCEEDED
            and self.find_succeeded(order_id) is not None
        ):
            raise DuplicateError("order_id")
        payment = PaymentRecord(
            id=next(self._ids),
            order_id=order_id,
            amount=amount,
            currency=currency,
            status=status,
            failure_reason=failure_reason,
            created_at=self._now(),
        )
        self.rows[payment.id] = payment
        self.references[payment.id] = gateway_reference
        return payment

    def find_with_owner(self, payment_id: int) -> OwnedPayment | None:
        payment = self.rows.get(payment_id)
        if payment is None:
            return None
        owner = self._orders.rows[payment.order_id].customer_id
        return OwnedPayment(payment=payment, customer_id=owner)

    def find_succeeded(self, order_id: int) -> SucceededPayment | None:
        for payment in self.rows.values():
            if (
                payment.order_id == order_id
                and payment.status == PaymentStatus.SUCCEEDED
            ):
                reference = self.references[payment.id]
                return SucceededPayment(payment=payment, gateway_reference=reference)
        return None

    def list_payments(
        self, *, customer_id: int | None, page: PageRequest
    ) -> Page[PaymentRecord]:
        rows = [
            payment
            for payment in self.rows.values()
            if customer_id in (None, self._orders.rows[payment.order_id].customer_id)
        ]
        rows.sort(key=lambda payment: (payment.created_at, payment.id), reverse=True)
        items = tuple(rows[page.offset : page.offset + page.size])
        return Page(items=items, total=len(rows), number=page.number, size=page.size)

    def mark_refunded(self, payment: PaymentRecord) -> PaymentRecord:
        refunded = replace(payment, status=PaymentStatus.REFUNDED)
        self.rows[payment.id] = refunded
        return refunded


class FakeGateway:
    """The sandbox's tokens, remembering every charge and refund."""

    TOKENS = {"tok_visa": "", "tok_chargeDeclined": "Your card was declined."}

    def __init__(self) -> None:
        self.charges: list[tuple[str, Decimal, str]] = []
        self.refunds: list[tuple[str, Decimal, str]] = []

    def recognises(self, token: str) -> bool:
        return token in self.TOKENS

    def charge(self, *, token: str, amount: Decimal, currency: str) -> ChargeResult:
        self.charges.append((token, amount, currency))
        reason = self.TOKENS[token]
        reference = f"ref_{len(self.charges)}"
        return ChargeResult(
            succeeded=not reason, reference=reference, failure_reason=reason
        )

    def refund(self, *, reference: str, amount: Decimal, currency: str) -> None:
        self.refunds.append((reference, amount, currency))


@dataclass(slots=True, kw_only=True)
class _KeyRow:
    id: int
    fingerprint: str
    created_at: datetime
    locked_at: datetime
    response_status: int | None = None
    response_body: str = ""
    response_content_type: str = ""

    def stored(self) -> StoredKey:
        return StoredKey(
            id=self.id,
            fingerprint=self.fingerprint,
            locked_at=self.locked_at,
            response_status=self.response_status,
            response_body=self.response_body,
            response_content_type=self.response_content_type,
        )


class FakeIdempotencyRepository:
    """IdempotencyRepository's methods over a dict keyed by (user, method, path, key).

    Times are real (`datetime.now`), as the service compares them with its clock;
    `age` moves a key into the past.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str, str, str], _KeyRow] = {}
        self._ids = itertools.count(1)

    def claim(
        self, *, user_id: int, method: str, path: str, key: str, fingerprint: str
    ) -> ClaimOutcome:
        scope = (user_id, method, path, key)
        if scope in self.rows:
            return ClaimOutcome(claimed=False, key=self.rows[scope].stored())
        now = datetime.now(UTC)
        row = _KeyRow(
            id=next(self._ids), fingerprint=fingerprint, created_at=now, locked_at=now
        )
        self.rows[scope] = row
        return ClaimOutcome(claimed=True, key=row.stored())

    def take_over(self, key_id: int, *, fingerprint: str) -> None:
        row = self._by_id(key_id)
        row.fingerprint = fingerprint
        row.locked_at = datetime.now(UTC)

    def finish(self, key_id: int, *, status: int, body: str, content_type: str) -> None:
        row = self._by_id(key_id)
        row.response_status = status
        row.response_body = body
        row.response_content_type = content_type

    def release(self, key_id: int) -> None:
        self.rows = {
            scope: row
            for scope, row in self.rows.items()
            if row.id != key_id or row.response_status is not None
        }

    def purge(self, *, before: datetime) -> int:
        kept = {s: r for s, r in self.rows.items() if r.created_at >= before}
        purged = len(self.rows) - len(kept)
        self.rows = kept
        return purged

    def age(self, key_id: int, by: timedelta) -> None:
        """Move a key's creation and lock times `by` into the past."""
        row = self._by_id(key_id)
        row.created_at -= by
        row.locked_at -= by

    def _by_id(self, key_id: int) -> _KeyRow:
        return next(row for row in self.rows.values() if row.id == key_id)


class FakeShop:
    """Every fake the order and payment services run on, sharing one unit of work."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.products = FakeStockRepository(self.uow)
        self.orders = FakeOrderRepository(self.uow)
        self.events = FakeEventRepository()
        self.payments = FakePaymentRepository(self.orders)
        self.gateway = FakeGateway()

    def services(self) -> dict[str, Any]:
        """Return the keyword arguments that wire a service to these fakes."""
        return {
            "orders": self.orders,
            "products": self.products,
            "events": self.events,
            "payments": self.payments,
            "gateway": self.gateway,
            "uow": self.uow,
        }


def _conforming(shop: FakeShop) -> None:
    """Do nothing; for mypy, which checks here that fakes fit the ports they fill."""
    payments: Payments = shop.payments
    keys: IdempotencyKeys = FakeIdempotencyRepository()
    del payments, keys
