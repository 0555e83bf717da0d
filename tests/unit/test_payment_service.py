"""PaymentService with in-memory repositories: the order of checks, declines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import NotFound, PaymentDeclined, RuleViolation
from business.orders import OrderStatus
from business.orders.rules import OrderNotPayable
from business.payments import PaymentService, PaymentStatus
from tests.unit.order_fakes import (
    FakeShop,
)

CAROL = Actor(user_id=1, request_id="req-pay")
DAVE = Actor(user_id=2)
STAFF = Actor(user_id=9, is_staff=True)


class World(FakeShop):
    def __init__(self) -> None:
        super().__init__()
        wiring = self.services()
        del wiring["products"]  # paying touches no stock
        self.service = PaymentService(**wiring)
        product = self.products.seed(price=Decimal("12.50"))
        self.order = self.orders.seed(customer_id=1, lines=[(product, 2)])

    def pay(self, actor=CAROL, order_id=None, amount="25.00", token="tok_visa"):
        return self.service.pay_order(
            actor=actor,
            order_id=self.order.id if order_id is None else order_id,
            amount=Decimal(amount),
            token=token,
        )


@pytest.fixture
def world() -> World:
    return World()


def test_a_good_token_pays_the_order(world):
    payment = world.pay()
    assert (payment.status, payment.amount, payment.currency) == (
        "succeeded",
        Decimal("25.00"),
        "EUR",
    )
    assert world.orders.find(world.order.id).status == "paid"
    assert world.gateway.charges == [("tok_visa", Decimal("25.00"), "EUR")]
    assert world.orders.locked == [world.order.id]
    [event] = world.events.list_for_order(world.order.id)
    assert event.type == "order.paid"
    assert event.data == {"payment_id": payment.id, "amount": "25.00"}
    assert (event.actor_id, event.source, event.request_id) == (1, "api", "req-pay")
    assert (world.uow.commits, world.uow.rollbacks) == (1, 0)


def test_a_decline_keeps_the_failed_payment_and_the_order_created(world):
    with pytest.raises(PaymentDeclined) as raised:
        world.pay(token="tok_chargeDeclined")
    payment = raised.value.extra["payment"]
    assert payment.status == "failed"
    assert payment.failure_reason == raised.value.detail == "Your card was declined."
    assert world.payments.rows == {payment.id: payment}
    assert world.orders.find(world.order.id).status == "created"
    [event] = world.events.list_for_order(world.order.id)
    assert event.type == "payment.failed"
    assert event.data["failure_reason"] == "Your card was declined."
    # The attempt is kept: the transaction committed before the decline was raised.
    assert (world.uow.commits, world.uow.rollbacks) == (1, 0)


def test_a_declined_order_can_be_paid_afterwards(world):
    with pytest.raises(PaymentDeclined):
        world.pay(token="tok_chargeDeclined")
    assert world.pay().status == "succeeded"
    assert [p.status for p in world.payments.rows.values()] == ["failed", "succeeded"]


def test_an_unknown_token_is_refused_before_anything_else(world):
    with pytest.raises(RuleViolation) as raised:
        world.pay(actor=DAVE, order_id=404, amount="1.00", token="tok_bogus")
    assert [e.field for e in raised.value.errors] == ["payment_token"]
    assert world.gateway.charges == []
    assert world.orders.locked == []


def test_a_missing_order_is_not_found(world):
    with pytest.raises(NotFound):
        world.pay(order_id=404)


def test_paying_another_customers_order_is_not_found(world):
    with pytest.raises(NotFound):
        world.pay(actor=DAVE, amount="1.00")
    assert world.gateway.charges == []
    assert world.orders.find(world.order.id).status == "created"


def test_not_found_comes_before_not_payable_and_amount(world):
    world.orders.update_status(world.order, OrderStatus.PAID)
    with pytest.raises(NotFound):
        world.pay(actor=DAVE, amount="1.00")


@pytest.mark.parametrize("status", [s for s in OrderStatus if s != OrderStatus.CREATED])
def test_only_created_orders_can_be_paid(world, status):
    world.orders.update_status(world.order, status)
    with pytest.raises(OrderNotPayable) as raised:
        world.pay()
    assert status in raised.value.detail
    assert world.gateway.charges == []
    assert world.payments.rows == {}


def test_not_payable_comes_before_the_amount_check(world):
    world.orders.update_status(world.order, OrderStatus.PAID)
    with pytest.raises(OrderNotPayable):
        world.pay(amount="1.00")


@pytest.mark.parametrize("amount", ["24.99", "25.01", "0.00"])
def test_the_amount_must_equal_the_total(world, amount):
    with pytest.raises(RuleViolation) as raised:
        world.pay(amount=amount)
    assert [e.field for e in raised.value.errors] == ["amount"]
    assert "25.00" in raised.value.detail
    assert world.gateway.charges == []


def test_a_second_payment_of_a_paid_order_is_not_payable(world):
    world.pay()
    with pytest.raises(OrderNotPayable):
        world.pay()
    assert len(world.gateway.charges) == 1


def test_a_payment_the_unique_index_refuses_is_not_payable(world):
    # Another succeeded payment exists although the order still reads `created`.
    world.payments.add(
        order_id=world.order.id,
        amount=Decimal("25.00"),
        currency="EUR",
        status=PaymentStatus.SUCCEEDED,
    )
    with pytest.raises(OrderNotPayable):
        world.pay()
    assert world.events.events == []
    assert world.uow.rollbacks == 1


def test_customers_list_their_own_payments_newest_first(world):
    with pytest.raises(PaymentDeclined):
        world.pay(token="tok_chargeDeclined")
    world.pay()
    other = world.orders.seed(customer_id=2)
    world.payments.add(
        order_id=other.id,
        amount=Decimal("0"),
        currency="EUR",
        status=PaymentStatus.FAILED,
    )
    page = world.service.list_payments(actor=CAROL, page=1, page_size=20)
    assert [p.status for p in page.items] == ["succeeded", "failed"]
    assert page.total == 2
    assert world.service.list_payments(actor=STAFF, page=1, page_size=20).total == 3


def test_a_payment_is_visible_to_its_owner_and_staff_only(world):
    payment = world.pay()
    assert world.service.get_payment(actor=CAROL, payment_id=payment.id) == payment
    assert world.service.get_payment(actor=STAFF, payment_id=payment.id) == payment
    with pytest.raises(NotFound):
        world.service.get_payment(actor=DAVE, payment_id=payment.id)
    with pytest.raises(NotFound):
        world.service.get_payment(actor=STAFF, payment_id=404)
