"""In-memory stand-ins for the orders, payments and idempotency repositories."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from business.idempotency.ports import IdempotencyKeys
from business.payments.ports import PaymentGateway, Payments, Refunds
from data.catalog.repository import ProductRecord, Reservation, Shortfall
from data.errors import DuplicateError, OutOfStock
from data.idempotency.repository import KeyScope, StoredAnswer, StoredKey
from data.orders.events import EventRecord
from data.orders.repository import OrderLineRecord, OrderRecord
from data.orders.statuses import OrderStatus
from data.payments.provider import (
    InvalidSignature,
    Outcome,
    ProviderEvent,
    ProviderResult,
)
from data.payments.refunds import (
    HOLDING,
    RefundLineRecord,
    RefundRecord,
    RefundTally,
)
from data.payments.repository import OwnedPayment, PaymentRecord, PendingSummary
from data.payments.statuses import LIVE, PaymentStatus, RefundStatus
from data.records import Page, PageRequest
from tests.unit.fakes import EPOCH, FakeProductRepository, FakeUnitOfWork

__all__ = [
    "FakeEventRepository",
    "FakeGateway",
    "FakeIdempotencyRepository",
    "FakeOrderRepository",
    "FakePaymentRepository",
    "FakeRefundRepository",
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
        api_key_id: int | None = None,
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
            api_key_id=api_key_id,
        )
        self.events.append(event)
        return event

    def list_for_order(self, order_id: int) -> list[EventRecord]:
        return [event for event in self.events if event.order_id == order_id]

    def types(self, order_id: int) -> list[str]:
        """Return the types of an order's events, oldest first."""
        return [event.type for event in self.list_for_order(order_id)]


class FakePaymentRepository:
    """PaymentRepository's methods, over dicts; owners come from the orders."""

    def __init__(self, orders: FakeOrderRepository) -> None:
        self.rows: dict[int, PaymentRecord] = {}
        # The refunds' rows, shared with FakeRefundRepository (the gauge counts them).
        self.refunds: dict[int, RefundRecord] = {}
        self.events_seen: set[str] = set()
        self._orders = orders
        self._ids = itertools.count(1)
        # Real time: reconciliation and the pending gauge compare with the clock.
        self._now = lambda: datetime.now(UTC)

    def add(
        self, *, order_id: int, amount: Decimal, currency: str, payment_method: str
    ) -> PaymentRecord:
        # The partial unique index: one live payment per order.
        if self.find_live(order_id) is not None:
            raise DuplicateError("order_id")
        now = self._now()
        payment = PaymentRecord(
            id=next(self._ids),
            order_id=order_id,
            amount=amount,
            amount_refunded=Decimal("0.00"),
            currency=currency,
            status=PaymentStatus.PENDING,
            failure_reason="",
            gateway_reference="",
            payment_method=payment_method,
            created_at=now,
            updated_at=now,
        )
        self.rows[payment.id] = payment
        return payment

    def find(self, payment_id: int) -> PaymentRecord | None:
        return self.rows.get(payment_id)

    def lock(self, payment_id: int) -> PaymentRecord | None:
        return self.rows.get(payment_id)

    def find_with_owner(self, payment_id: int) -> OwnedPayment | None:
        payment = self.rows.get(payment_id)
        if payment is None:
            return None
        owner = self._orders.rows[payment.order_id].customer_id
        return OwnedPayment(payment=payment, customer_id=owner)

    def find_live(self, order_id: int) -> PaymentRecord | None:
        return next(
            (
                p
                for p in self.rows.values()
                if p.order_id == order_id and p.status in LIVE
            ),
            None,
        )

    def settle(
        self,
        payment: PaymentRecord,
        status: PaymentStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
    ) -> PaymentRecord:
        settled = replace(
            payment,
            status=status,
            gateway_reference=gateway_reference or payment.gateway_reference,
            failure_reason=failure_reason,
            updated_at=self._now(),
        )
        self.rows[payment.id] = settled
        return settled

    def add_refunded(self, payment: PaymentRecord, amount: Decimal) -> PaymentRecord:
        refunded = payment.amount_refunded + amount
        assert refunded <= payment.amount, "the CHECK constraint refuses more"
        status = (
            PaymentStatus.REFUNDED
            if refunded == payment.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        changed = replace(payment, amount_refunded=refunded, status=status)
        self.rows[payment.id] = changed
        return changed

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]:
        return sorted(
            p.id
            for p in self.rows.values()
            if p.status is PaymentStatus.PENDING
            and p.updated_at < before
            and p.id > after_id
        )[:limit]

    def pending_summary(self, *, before: datetime) -> PendingSummary:
        payments = [p for p in self.rows.values() if p.status is PaymentStatus.PENDING]
        refunds = [r for r in self.refunds.values() if r.status is RefundStatus.PENDING]
        times = [p.updated_at for p in payments] + [r.updated_at for r in refunds]
        return PendingSummary(
            stale=sum(1 for when in times if when < before),
            oldest=min(times, default=None),
        )

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

    def first_sight(self, event_id: str, event_type: str) -> bool:
        seen = event_id in self.events_seen
        self.events_seen.add(event_id)
        return not seen


class FakeRefundRepository:
    """RefundRepository's methods, over the payments fake's `refunds` dict."""

    def __init__(self, payments: FakePaymentRepository) -> None:
        self.rows = payments.refunds
        self._payments = payments
        self._ids = itertools.count(1)
        self._now = lambda: datetime.now(UTC)

    def add(
        self,
        *,
        payment_id: int,
        amount: Decimal,
        reason: str = "",
        lines: Sequence[RefundLineRecord] = (),
        restock: bool = False,
    ) -> RefundRecord:
        held = sum(r.amount for r in self._holding(payment_id))
        # The trigger: refunds never add up to more than their payment.
        assert held + amount <= self._payments.rows[payment_id].amount
        now = self._now()
        refund = RefundRecord(
            id=next(self._ids),
            payment_id=payment_id,
            amount=amount,
            status=RefundStatus.PENDING,
            reason=reason,
            failure_reason="",
            gateway_reference="",
            restock=restock,
            restocked=False,
            lines=tuple(lines),
            created_at=now,
            updated_at=now,
        )
        self.rows[refund.id] = refund
        return refund

    def find(self, refund_id: int) -> RefundRecord | None:
        return self.rows.get(refund_id)

    def find_pending(self, payment_id: int) -> RefundRecord | None:
        pending = (
            r
            for r in sorted(self.rows.values(), key=lambda r: r.id)
            if r.payment_id == payment_id and r.status is RefundStatus.PENDING
        )
        return next(pending, None)

    def lock(self, refund_id: int) -> RefundRecord | None:
        return self.rows.get(refund_id)

    def settle(
        self,
        refund: RefundRecord,
        status: RefundStatus,
        *,
        gateway_reference: str = "",
        failure_reason: str = "",
        restocked: bool = False,
    ) -> RefundRecord:
        settled = replace(
            refund,
            status=status,
            gateway_reference=gateway_reference or refund.gateway_reference,
            failure_reason=failure_reason,
            restocked=restocked,
            updated_at=self._now(),
        )
        self.rows[refund.id] = settled
        return settled

    def tally(self, payment_id: int) -> RefundTally:
        quantities: dict[int, int] = {}
        restocked: dict[int, int] = {}
        for refund in self._holding(payment_id):
            for line in refund.lines:
                quantities[line.product_id] = (
                    quantities.get(line.product_id, 0) + line.quantity
                )
                if refund.restocked:
                    restocked[line.product_id] = (
                        restocked.get(line.product_id, 0) + line.quantity
                    )
        pending = sum(
            (r.amount for r in self._holding(payment_id) if r.status == "pending"),
            Decimal("0.00"),
        )
        return RefundTally(pending=pending, quantities=quantities, restocked=restocked)

    def list_for_payment(
        self, *, payment_id: int, page: PageRequest
    ) -> Page[RefundRecord]:
        rows = [r for r in self.rows.values() if r.payment_id == payment_id]
        rows.sort(key=lambda refund: (refund.created_at, refund.id), reverse=True)
        items = tuple(rows[page.offset : page.offset + page.size])
        return Page(items=items, total=len(rows), number=page.number, size=page.size)

    def list_pending(
        self, *, before: datetime, after_id: int = 0, limit: int = 100
    ) -> list[int]:
        return sorted(
            r.id
            for r in self.rows.values()
            if r.status is RefundStatus.PENDING
            and r.updated_at < before
            and r.id > after_id
        )[:limit]

    def _holding(self, payment_id: int) -> list[RefundRecord]:
        return [
            r
            for r in self.rows.values()
            if r.payment_id == payment_id and r.status in HOLDING
        ]


class FakeGateway:
    """The sandbox's tokens, remembering every call; it can be `silent` (no
    answer), `down` for a count of seconds (the breaker open) or `refusing`
    refunds."""

    TOKENS = {"tok_visa": "", "tok_chargeDeclined": "Your card was declined."}

    def __init__(self) -> None:
        self.charges: list[tuple[int, str, Decimal, str]] = []
        self.refunds: list[tuple[int, str, Decimal, str]] = []
        self.silent = False
        # A reason to refuse every refund with (the provider's answer), if set.
        self.refusing = ""
        self.down = 0
        self.events: dict[str, ProviderEvent] = {}

    def recognises(self, token: str) -> bool:
        return token in self.TOKENS

    def retry_after(self) -> int:
        return self.down

    def charge(
        self, *, payment_id: int, token: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        self.charges.append((payment_id, token, amount, currency))
        if self.silent:
            return ProviderResult(outcome=Outcome.PENDING)
        reason = self.TOKENS[token]
        return ProviderResult(
            outcome=Outcome.FAILED if reason else Outcome.SUCCEEDED,
            reference=f"pi_{payment_id}",
            failure_reason=reason,
        )

    def refund(
        self, *, refund_id: int, reference: str, amount: Decimal, currency: str
    ) -> ProviderResult:
        self.refunds.append((refund_id, reference, amount, currency))
        if self.silent:
            return ProviderResult(outcome=Outcome.PENDING)
        if self.refusing:
            return ProviderResult(outcome=Outcome.FAILED, failure_reason=self.refusing)
        return ProviderResult(outcome=Outcome.SUCCEEDED, reference=f"re_{refund_id}")

    def verify(self, body: bytes, signature: str) -> ProviderEvent:
        """The event filed under `signature`; any other signature is bad."""
        if signature not in self.events:
            raise InvalidSignature("bad signature")
        return self.events[signature]


@dataclass(slots=True, kw_only=True)
class _KeyRow:
    id: int
    fingerprint: str
    created_at: datetime
    resource_id: int | None = None
    response_status: int | None = None
    response_body: str = ""
    response_content_type: str = ""

    def stored(self) -> StoredKey:
        return StoredKey(
            id=self.id,
            fingerprint=self.fingerprint,
            resource_id=self.resource_id,
            response_status=self.response_status,
            response_body=self.response_body,
            response_content_type=self.response_content_type,
        )


def _scope(scope: KeyScope) -> tuple[int, str, str, str]:
    return (scope.user_id, scope.method, scope.path, scope.key)


class FakeIdempotencyRepository:
    """IdempotencyRepository's methods over a dict keyed by (user, method, path, key).

    Times are real (`datetime.now`), as the service compares them with its clock;
    `age` moves a key into the past.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[int, str, str, str], _KeyRow] = {}
        self._ids = itertools.count(1)

    def find(self, scope: KeyScope) -> StoredKey | None:
        row = self.rows.get(_scope(scope))
        return row.stored() if row else None

    def enter(self, scope: KeyScope, *, fingerprint: str) -> StoredKey:
        row = self.rows.get(_scope(scope))
        if row is None:
            row = _KeyRow(
                id=next(self._ids),
                fingerprint=fingerprint,
                created_at=datetime.now(UTC),
            )
            self.rows[_scope(scope)] = row
        return row.stored()

    def bind(self, key_id: int, resource_id: int) -> None:
        self._by_id(key_id).resource_id = resource_id

    def answer(
        self, scope: KeyScope, *, fingerprint: str, answer: StoredAnswer
    ) -> None:
        row = self.rows.get(_scope(scope))
        if row is None:
            row = _KeyRow(
                id=next(self._ids),
                fingerprint=fingerprint,
                created_at=datetime.now(UTC),
            )
            self.rows[_scope(scope)] = row
        if row.response_status is None:
            row.response_status = answer.status
            row.response_body = answer.body
            row.response_content_type = answer.content_type

    def release(self, scope: KeyScope) -> None:
        row = self.rows.get(_scope(scope))
        if row is not None and row.resource_id is None and row.response_status is None:
            del self.rows[_scope(scope)]

    def purge(self, *, before: datetime) -> int:
        kept = {s: r for s, r in self.rows.items() if r.created_at >= before}
        purged = len(self.rows) - len(kept)
        self.rows = kept
        return purged

    def age(self, key_id: int, by: timedelta) -> None:
        """Move a key's creation time `by` into the past."""
        self._by_id(key_id).created_at -= by

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
        self.refunds = FakeRefundRepository(self.payments)
        self.gateway = FakeGateway()
        self.keys = FakeIdempotencyRepository()

    def services(self) -> dict[str, Any]:
        """Return the keyword arguments that wire a service to these fakes."""
        return {
            "orders": self.orders,
            "products": self.products,
            "events": self.events,
            "payments": self.payments,
            "refunds": self.refunds,
            "gateway": self.gateway,
            "keys": self.keys,
            "uow": self.uow,
        }


def _conforming(shop: FakeShop) -> None:
    """Do nothing; for mypy, which checks here that fakes fit the ports they fill."""
    payments: Payments = shop.payments
    refunds: Refunds = shop.refunds
    keys: IdempotencyKeys = shop.keys
    gateway: PaymentGateway = shop.gateway
    del payments, refunds, keys, gateway
