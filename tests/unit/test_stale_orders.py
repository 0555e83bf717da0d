"""OrderService.cancel_stale_orders with in-memory repositories."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import PermissionDenied
from business.orders import OrderService, OrderStatus
from tests.unit.order_fakes import (
    FakeOrderRepository,
    FakePaymentRepository,
    FakeShop,
    FakeUnitOfWork,
)

JOB = Actor.system(request_id="cmd-run-1")


class StaleOrderRepository(FakeOrderRepository):
    """FakeOrderRepository plus the batch job's reads; `held` rows are locked."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow)
        self.held: set[int] = set()
        self.pages = 0

    def list_stale_ids(self, *, before, after_id=0, limit=500) -> list[int]:
        self.pages += 1
        ids = sorted(
            order.id
            for order in self.rows.values()
            if order.status == OrderStatus.CREATED
            and order.created_at < before
            and order.id > after_id
        )
        return ids[:2]  # small pages, so the paging is exercised

    def lock_stale(self, order_id: int, *, before):
        order = self.rows.get(order_id)
        if (
            order_id in self.held
            or order is None
            or order.status != OrderStatus.CREATED
        ):
            return None
        return order if order.created_at < before else None


class World(FakeShop):
    def __init__(self) -> None:
        super().__init__()
        self.orders = StaleOrderRepository(self.uow)
        self.payments = FakePaymentRepository(self.orders)
        self.service = OrderService(**self.services())
        self.mug = self.products.add(
            sku="MUG",
            name="Mug",
            description="",
            price=Decimal("5.00"),
            stock=10,
            is_active=True,
        )

    def order(
        self, status: OrderStatus = OrderStatus.CREATED, quantity: int = 2
    ) -> int:
        self.products.add_stock({self.mug.id: -quantity})
        return self.orders.seed(
            customer_id=1, status=status, lines=[(self.mug, quantity)]
        ).id

    def cancel(self, **options) -> int:
        options.setdefault("older_than", timedelta(minutes=30))
        return self.service.cancel_stale_orders(actor=JOB, **options)


@pytest.fixture
def world() -> World:
    return World()


def test_old_created_orders_are_cancelled_with_stock_and_events(world):
    stale = [world.order(), world.order(), world.order()]
    paid = world.order(status=OrderStatus.PAID)
    assert world.cancel() == 3
    assert [world.orders.rows[pk].status for pk in stale] == ["cancelled"] * 3
    assert world.orders.rows[paid].status == "paid"
    assert world.products.rows[world.mug.id].stock == 8
    events = [e for pk in stale for e in world.events.list_for_order(pk)]
    assert {(e.type, e.source, e.actor_id, e.request_id) for e in events} == {
        ("order.cancelled", "command", None, "cmd-run-1")
    }
    assert world.orders.pages == 3
    assert world.uow.commits == 3


def test_recent_orders_are_kept(world):
    recent = world.order()
    row = world.orders.rows[recent]
    world.orders.rows[recent] = replace(row, created_at=datetime.now(UTC))
    assert world.cancel() == 0
    assert world.orders.rows[recent].status == "created"


def test_orders_another_run_holds_are_skipped(world):
    held, free = world.order(), world.order()
    world.orders.held.add(held)
    assert world.cancel() == 1
    assert world.orders.rows[held].status == "created"
    assert world.orders.rows[free].status == "cancelled"


def test_a_dry_run_counts_and_changes_nothing(world):
    ids = [world.order(), world.order(), world.order()]
    assert world.cancel(dry_run=True) == 3
    assert {world.orders.rows[pk].status for pk in ids} == {"created"}
    assert world.uow.commits == 0


def test_an_age_beyond_the_calendar_matches_nothing(world):
    world.order()
    assert world.cancel(older_than=timedelta.max) == 0


def test_only_staff_cancel_stale_orders(world):
    with pytest.raises(PermissionDenied):
        world.service.cancel_stale_orders(
            actor=Actor(user_id=1), older_than=timedelta(0)
        )
