"""OrderService with in-memory repositories: limits, stock, statuses, ownership."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import NotFound, PermissionDenied, RuleViolation
from business.idempotency import KeyedRequest
from business.orders import NewLine, OrderService, OrderStatus
from business.orders.rules import InsufficientStock, InvalidTransition
from business.payments import PaymentStatus
from data.catalog.repository import Reservation, Shortfall
from data.idempotency.repository import KeyScope
from tests.unit.order_fakes import (
    FakeShop,
)

CAROL = Actor(user_id=1, request_id="req-carol")
DAVE = Actor(user_id=2, request_id="req-dave")
STAFF = Actor(user_id=9, is_staff=True, request_id="req-staff")


class World(FakeShop):
    """The fakes one service runs on, side by side for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.service = OrderService(**self.services())

    def stock(self, product) -> int:
        return self.products.rows[product.id].stock

    def place(self, actor=CAROL, *lines):
        return self.service.place_order(
            actor=actor,
            lines=[NewLine(product_id=p.id, quantity=q) for p, q in lines],
        )


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def mug(world):
    return world.products.seed(sku="MUG", price=Decimal("9.90"), stock=10)


@pytest.fixture
def tea(world):
    return world.products.seed(sku="TEA", price=Decimal("4.25"), stock=3)


def fields_of(raised) -> list[str]:
    return [error.field for error in raised.value.errors]


# --- placing orders ---------------------------------------------------------


def test_place_order_copies_prices_and_reserves_stock(world, mug, tea):
    order = world.place(CAROL, (mug, 2), (tea, 3))
    assert order.status == "created"
    assert order.customer_id == CAROL.user_id
    assert order.currency == "EUR"
    assert [(i.sku, i.unit_price, i.quantity, i.line_total) for i in order.items] == [
        ("MUG", Decimal("9.90"), 2, Decimal("19.80")),
        ("TEA", Decimal("4.25"), 3, Decimal("12.75")),
    ]
    assert order.total == Decimal("32.55")
    assert (world.stock(mug), world.stock(tea)) == (8, 0)
    assert world.orders.find(order.id) == order
    assert (world.uow.commits, world.uow.rollbacks) == (1, 0)
    assert world.orders.writes_outside_uow == world.products.writes_outside_uow == 0


def test_place_order_locks_products_in_id_order(world, mug, tea):
    world.place(CAROL, (tea, 1), (mug, 1))
    assert world.products.lock_calls == [sorted([mug.id, tea.id])]


def test_place_order_writes_order_created_with_the_lines(world, mug):
    order = world.place(CAROL, (mug, 2))
    [event] = world.events.list_for_order(order.id)
    assert event.type == "order.created"
    assert (event.actor_id, event.source, event.request_id) == (1, "api", "req-carol")
    assert event.data == {
        "total": "19.80",
        "currency": "EUR",
        "items": [{"product_id": mug.id, "quantity": 2, "unit_price": "9.90"}],
    }


def test_event_money_has_two_decimals_however_the_price_is_written(world):
    lamp = world.products.seed(sku="LAMP", price=Decimal("1E+2"), stock=5)
    [event] = world.events.list_for_order(world.place(CAROL, (lamp, 2)).id)
    assert (event.data["total"], event.data["items"][0]["unit_price"]) == (
        "200.00",
        "100.00",
    )


def test_place_order_needs_a_customer(world, mug):
    with pytest.raises(PermissionDenied):
        world.place(Actor.anonymous(), (mug, 1))
    assert world.orders.rows == {}


def test_an_order_needs_at_least_one_item(world):
    with pytest.raises(RuleViolation) as raised:
        world.service.place_order(actor=CAROL, lines=[])
    assert fields_of(raised) == ["items"]


def test_an_order_has_at_most_fifty_items(world):
    products = [world.products.seed(stock=5) for _ in range(51)]
    with pytest.raises(RuleViolation) as raised:
        world.place(CAROL, *[(p, 1) for p in products])
    assert fields_of(raised) == ["items"]
    assert world.orders.rows == {}


def test_fifty_items_are_allowed(world):
    products = [world.products.seed(stock=5) for _ in range(50)]
    order = world.place(CAROL, *[(p, 1) for p in products])
    assert len(order.items) == 50


@pytest.mark.parametrize("quantity", [0, 1001, -1])
def test_quantity_outside_one_to_a_thousand_is_refused(world, mug, tea, quantity):
    with pytest.raises(RuleViolation) as raised:
        world.place(CAROL, (mug, 1), (tea, quantity))
    assert fields_of(raised) == ["items[1].quantity"]
    assert raised.value.errors[0].code == "out_of_range"


@pytest.mark.parametrize("quantity", [1, 1000])
def test_quantity_bounds_are_allowed(world, quantity):
    product = world.products.seed(stock=1000)
    order = world.place(CAROL, (product, quantity))
    assert order.items[0].quantity == quantity


def test_the_same_product_twice_is_refused_on_the_later_line(world, mug, tea):
    with pytest.raises(RuleViolation) as raised:
        world.place(CAROL, (mug, 1), (tea, 1), (mug, 2))
    assert fields_of(raised) == ["items[2].product_id"]
    assert raised.value.errors[0].code == "duplicate"
    assert world.stock(mug) == 10


def test_every_bad_line_is_reported_at_once(world, mug):
    with pytest.raises(RuleViolation) as raised:
        world.place(CAROL, (mug, 0), (mug, 1001))
    assert fields_of(raised) == [
        "items[0].quantity",
        "items[1].quantity",
        "items[1].product_id",
    ]


def test_an_unknown_product_is_a_rule_violation_on_its_line(world, mug):
    with pytest.raises(RuleViolation) as raised:
        world.service.place_order(
            actor=CAROL,
            lines=[
                NewLine(product_id=mug.id, quantity=1),
                NewLine(product_id=999, quantity=1),
            ],
        )
    assert fields_of(raised) == ["items[1].product_id"]
    assert world.stock(mug) == 10
    assert world.orders.rows == {}


def test_an_inactive_product_cannot_be_ordered(world, mug):
    retired = world.products.seed(sku="OLD", is_active=False, stock=9)
    with pytest.raises(RuleViolation) as raised:
        world.place(CAROL, (retired, 1), (mug, 1))
    assert fields_of(raised) == ["items[0].product_id"]
    assert (world.stock(retired), world.stock(mug)) == (9, 10)


def test_a_shortfall_names_the_product_and_takes_nothing(world, mug, tea):
    with pytest.raises(InsufficientStock) as raised:
        world.place(CAROL, (mug, 5), (tea, 4))
    assert "TEA" in raised.value.detail
    assert raised.value.extra["products"] == [
        {"product_id": tea.id, "sku": "TEA", "requested": 4, "available": 3}
    ]
    assert (world.stock(mug), world.stock(tea)) == (10, 3)
    assert world.orders.rows == {}
    assert world.events.events == []
    assert (world.uow.commits, world.uow.rollbacks) == (0, 1)


def test_every_short_product_is_named(world, mug, tea):
    with pytest.raises(InsufficientStock) as raised:
        world.place(CAROL, (mug, 11), (tea, 4))
    assert "MUG" in raised.value.detail and "TEA" in raised.value.detail


def test_the_last_units_can_be_ordered(world, tea):
    world.place(CAROL, (tea, 3))
    assert world.stock(tea) == 0
    with pytest.raises(InsufficientStock):
        world.place(DAVE, (tea, 1))


def test_a_reservation_the_repository_refuses_is_insufficient_stock(
    world, mug, monkeypatch
):
    # The rows read as locked look sufficient, yet the reservation took nothing.
    shortfall = Shortfall(product=replace(mug, stock=50), requested=20)
    refused = Reservation(taken={}, short=(shortfall,))
    monkeypatch.setattr(world.products, "reserve", lambda quantities: refused)
    with pytest.raises(InsufficientStock):
        world.place(CAROL, (mug, 20))
    assert world.stock(mug) == 10
    assert world.orders.rows == {}
    assert world.uow.rollbacks == 1


# --- reading orders ---------------------------------------------------------


def test_customers_list_their_own_orders_newest_first(world, mug):
    first = world.place(CAROL, (mug, 1))
    world.place(DAVE, (mug, 1))
    second = world.place(CAROL, (mug, 1))
    page = world.service.list_orders(actor=CAROL, status=None, page=1, page_size=20)
    assert [o.id for o in page.items] == [second.id, first.id]
    assert page.total == 2


def test_staff_list_every_order(world, mug):
    world.place(CAROL, (mug, 1))
    world.place(DAVE, (mug, 1))
    page = world.service.list_orders(actor=STAFF, status=None, page=1, page_size=20)
    assert page.total == 2


def test_list_filters_by_status(world, mug):
    kept = world.place(CAROL, (mug, 1))
    world.service.cancel_order(actor=CAROL, order_id=world.place(CAROL, (mug, 1)).id)
    page = world.service.list_orders(
        actor=CAROL, status="created", page=1, page_size=20
    )
    assert [o.id for o in page.items] == [kept.id]


def test_list_refuses_an_unknown_status(world):
    with pytest.raises(RuleViolation) as raised:
        world.service.list_orders(actor=CAROL, status="lost", page=1, page_size=20)
    assert fields_of(raised) == ["status"]


def test_a_page_past_the_last_is_not_found(world, mug):
    world.place(CAROL, (mug, 1))
    with pytest.raises(NotFound):
        world.service.list_orders(actor=CAROL, status=None, page=2, page_size=20)


def test_another_customers_order_does_not_exist(world, mug):
    order = world.place(CAROL, (mug, 1))
    with pytest.raises(NotFound):
        world.service.get_order(actor=DAVE, order_id=order.id)
    with pytest.raises(NotFound):
        world.service.list_events(actor=DAVE, order_id=order.id)
    assert world.service.get_order(actor=STAFF, order_id=order.id) == order


def test_a_missing_order_is_not_found(world):
    with pytest.raises(NotFound):
        world.service.get_order(actor=STAFF, order_id=404)


def test_events_come_oldest_first(world, mug):
    order = world.place(CAROL, (mug, 1))
    world.service.cancel_order(actor=CAROL, order_id=order.id)
    events = world.service.list_events(actor=CAROL, order_id=order.id)
    assert [e.type for e in events] == ["order.created", "order.cancelled"]


# --- moving orders ----------------------------------------------------------


def test_cancel_restores_stock(world, mug, tea):
    order = world.place(CAROL, (mug, 4), (tea, 3))
    cancelled = world.service.cancel_order(actor=CAROL, order_id=order.id)
    assert cancelled.status == "cancelled"
    assert world.orders.find(order.id).status == "cancelled"
    assert (world.stock(mug), world.stock(tea)) == (10, 3)
    assert world.products.lock_calls[-1] == sorted([mug.id, tea.id])
    assert world.events.types(order.id) == ["order.created", "order.cancelled"]
    assert world.events.events[-1].data == {"from": "created"}


def paid_payment(world, order, reference="pi_ok"):
    """A payment of `order` that succeeded at the provider as `reference`."""
    payment = world.payments.add(
        order_id=order.id, amount=order.total, currency="EUR", payment_method="tok_visa"
    )
    return world.payments.settle(
        payment, PaymentStatus.SUCCEEDED, gateway_reference=reference
    )


def test_cancel_refunds_a_succeeded_payment_after_the_cancel_event(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 2)])
    failed = world.payments.add(
        order_id=order.id, amount=order.total, currency="EUR", payment_method="x"
    )
    world.payments.settle(failed, PaymentStatus.FAILED, failure_reason="declined")
    paid = paid_payment(world, order)
    world.service.cancel_order(actor=CAROL, order_id=order.id)
    assert world.payments.rows[paid.id].status == "refunded"
    assert world.payments.rows[paid.id].amount_refunded == Decimal("19.80")
    [refund] = world.payments.refunds.values()
    assert (refund.status, refund.amount, refund.payment_id) == (
        "succeeded",
        Decimal("19.80"),
        paid.id,
    )
    assert world.gateway.refunds == [(refund.id, "pi_ok", Decimal("19.80"), "EUR")]
    cancelled, refunded = world.events.list_for_order(order.id)
    assert (cancelled.type, refunded.type) == ("order.cancelled", "payment.refunded")
    assert cancelled.request_id == refunded.request_id == "req-carol"
    assert refunded.data == {
        "payment_id": paid.id,
        "refund_id": refund.id,
        "amount": "19.80",
        # A refund by amount: no lines; the cancel itself restored the stock.
        "lines": [],
        "restocked": False,
    }
    assert world.stock(mug) == 12
    # The refund is recorded with the cancel, asked for after it committed, then
    # settled in a transaction of its own.
    assert (world.uow.commits, world.uow.rollbacks) == (2, 0)


def test_a_refund_without_an_answer_stays_pending(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 2)])
    paid = paid_payment(world, order)
    world.gateway.silent = True
    assert world.service.cancel_order(actor=CAROL, order_id=order.id).status == (
        "cancelled"
    )
    [refund] = world.payments.refunds.values()
    assert refund.status == "pending"
    assert world.payments.rows[paid.id].status == "succeeded"
    assert world.events.types(order.id) == ["order.cancelled"]


def test_an_order_with_a_payment_pending_cannot_be_cancelled(world, mug):
    order = world.place(CAROL, (mug, 1))
    world.payments.add(
        order_id=order.id, amount=order.total, currency="EUR", payment_method="x"
    )
    with pytest.raises(InvalidTransition) as raised:
        world.service.cancel_order(actor=CAROL, order_id=order.id)
    assert "pending" in raised.value.detail
    assert world.orders.find(order.id).status == "created"


def test_cancel_without_a_payment_refunds_nothing(world, mug):
    order = world.place(CAROL, (mug, 1))
    world.service.cancel_order(actor=CAROL, order_id=order.id)
    assert world.gateway.refunds == []


def cancel_key(order) -> KeyedRequest:
    path = f"/api/v1/orders/{order.id}/cancel/"
    scope = KeyScope(user_id=1, method="POST", path=path, key="c1")
    return KeyedRequest(scope=scope, fingerprint="f")


def test_a_keyed_retry_of_a_cancel_resumes_the_refund_it_left_pending(world, mug):
    # As after a crash between the cancel's commit and the provider's answer.
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 2)])
    paid = paid_payment(world, order)
    world.gateway.silent = True
    keyed = cancel_key(order)
    world.service.cancel_order(actor=CAROL, order_id=order.id, keyed=keyed)
    world.gateway.silent = False
    again = world.service.cancel_order(actor=CAROL, order_id=order.id, keyed=keyed)
    assert again.status == "cancelled"
    [refund] = world.payments.refunds.values()
    assert refund.status == "succeeded"
    # The same refund asked for twice (the provider dedupes by its id), once made.
    assert [call[0] for call in world.gateway.refunds] == [refund.id, refund.id]
    assert world.payments.rows[paid.id].status == "refunded"
    assert world.stock(mug) == 12
    assert world.events.types(order.id) == ["order.cancelled", "payment.refunded"]


def test_a_keyed_retry_of_a_finished_cancel_changes_nothing(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 2)])
    paid_payment(world, order)
    keyed = cancel_key(order)
    first = world.service.cancel_order(actor=CAROL, order_id=order.id, keyed=keyed)
    again = world.service.cancel_order(actor=CAROL, order_id=order.id, keyed=keyed)
    assert again == first
    assert len(world.gateway.refunds) == 1
    assert world.stock(mug) == 12
    assert world.events.types(order.id) == ["order.cancelled", "payment.refunded"]


def test_a_retry_of_a_cancel_without_its_key_is_an_invalid_transition(world, mug):
    order = world.place(CAROL, (mug, 1))
    world.service.cancel_order(actor=CAROL, order_id=order.id, keyed=cancel_key(order))
    with pytest.raises(InvalidTransition):
        world.service.cancel_order(actor=CAROL, order_id=order.id)


def test_staff_may_cancel_any_order(world, mug):
    order = world.place(CAROL, (mug, 1))
    world.service.cancel_order(actor=STAFF, order_id=order.id)
    event = world.events.list_for_order(order.id)[-1]
    assert (event.type, event.actor_id) == ("order.cancelled", STAFF.user_id)


def test_cancelling_another_customers_order_is_not_found(world, mug):
    order = world.place(CAROL, (mug, 1))
    with pytest.raises(NotFound):
        world.service.cancel_order(actor=DAVE, order_id=order.id)
    assert world.orders.find(order.id).status == "created"
    assert world.stock(mug) == 9


@pytest.mark.parametrize(
    "status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED]
)
def test_only_created_or_paid_orders_can_be_cancelled(world, mug, status):
    order = world.orders.seed(customer_id=1, status=status, lines=[(mug, 2)])
    with pytest.raises(InvalidTransition):
        world.service.cancel_order(actor=CAROL, order_id=order.id)
    assert world.stock(mug) == 10
    assert world.events.events == []


def test_staff_ship_a_paid_order_then_deliver_it(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 1)])
    shipped = world.service.ship_order(actor=STAFF, order_id=order.id)
    delivered = world.service.deliver_order(actor=STAFF, order_id=order.id)
    assert (shipped.status, delivered.status) == ("shipped", "delivered")
    assert world.events.types(order.id) == ["order.shipped", "order.delivered"]
    assert [e.data for e in world.events.events] == [
        {"from": "paid"},
        {"from": "shipped"},
    ]
    assert {e.actor_id for e in world.events.events} == {STAFF.user_id}


@pytest.mark.parametrize("move", ["ship_order", "deliver_order"])
def test_customers_may_not_ship_or_deliver_even_their_own_order(world, mug, move):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 1)])
    with pytest.raises(PermissionDenied):
        getattr(world.service, move)(actor=CAROL, order_id=order.id)
    assert world.orders.find(order.id).status == "paid"


def test_shipping_a_created_order_is_an_invalid_transition(world, mug):
    order = world.place(CAROL, (mug, 1))
    with pytest.raises(InvalidTransition):
        world.service.ship_order(actor=STAFF, order_id=order.id)
    assert world.orders.find(order.id).status == "created"


def test_delivering_a_paid_order_is_an_invalid_transition(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 1)])
    with pytest.raises(InvalidTransition):
        world.service.deliver_order(actor=STAFF, order_id=order.id)


def test_a_delivered_order_cannot_be_cancelled(world, mug):
    order = world.orders.seed(
        customer_id=1, status=OrderStatus.DELIVERED, lines=[(mug, 1)]
    )
    with pytest.raises(InvalidTransition):
        world.service.cancel_order(actor=STAFF, order_id=order.id)


def test_shipping_a_missing_order_is_not_found(world):
    with pytest.raises(NotFound):
        world.service.ship_order(actor=STAFF, order_id=404)


def test_moves_lock_the_order_in_one_transaction(world, mug):
    order = world.orders.seed(customer_id=1, status=OrderStatus.PAID, lines=[(mug, 1)])
    commits = world.uow.commits
    world.service.ship_order(actor=STAFF, order_id=order.id)
    assert world.orders.locked == [order.id]
    assert world.uow.commits == commits + 1
    assert world.orders.writes_outside_uow == 0
