"""PaymentService with in-memory repositories: the order of checks, declines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import NotFound, PaymentDeclined, PermissionDenied, RuleViolation
from business.idempotency.service import KeyedRequest, KeyReused
from business.orders import OrderStatus
from business.orders.rules import OrderNotPayable
from business.payments import PaymentService, PaymentStatus
from business.payments.service import BadSignature
from business.payments.settlement import ProviderDown
from data.idempotency.repository import KeyScope
from data.payments.provider import Outcome, ProviderEvent
from tests.unit.order_fakes import (
    FakeShop,
)

CAROL = Actor(user_id=1, request_id="req-pay")
DAVE = Actor(user_id=2)
STAFF = Actor(user_id=9, is_staff=True)
SYSTEM = Actor.system(request_id="req-hook")
SCOPE = KeyScope(user_id=1, method="POST", path="/api/v1/payments/", key="k1")
SCOPE2 = KeyScope(user_id=1, method="POST", path="/api/v1/payments/", key="k2")


class World(FakeShop):
    def __init__(self) -> None:
        super().__init__()
        wiring = self.services()
        del wiring["products"]  # paying touches no stock
        self.service = PaymentService(**wiring)
        product = self.products.seed(price=Decimal("12.50"))
        self.order = self.orders.seed(customer_id=1, lines=[(product, 2)])

    def pay(
        self, actor=CAROL, order_id=None, amount="25.00", token="tok_visa", keyed=None
    ):
        return self.service.pay_order(
            actor=actor,
            order_id=self.order.id if order_id is None else order_id,
            amount=Decimal(amount),
            token=token,
            keyed=keyed,
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
    assert world.gateway.charges == [(payment.id, "tok_visa", Decimal("25.00"), "EUR")]
    # Locked to record the pending payment, and again to record the outcome.
    assert world.orders.locked == [world.order.id, world.order.id]
    [event] = world.events.list_for_order(world.order.id)
    assert event.type == "order.paid"
    assert event.data == {"payment_id": payment.id, "amount": "25.00"}
    assert (event.actor_id, event.source, event.request_id) == (1, "api", "req-pay")
    # The pending payment commits before the provider is asked; its answer after.
    assert (world.uow.commits, world.uow.rollbacks) == (2, 0)


def test_the_provider_is_never_asked_inside_a_transaction(world):
    world.gateway.charge = _outside(world, world.gateway.charge)
    world.pay()
    assert world.gateway.charges


def _outside(world, call):
    def checked(**kwargs):
        assert not world.uow.active, "the provider was called inside a transaction"
        return call(**kwargs)

    return checked


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
    # The attempt is kept: both transactions committed before the decline was raised.
    assert (world.uow.commits, world.uow.rollbacks) == (2, 0)


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
    # A pending payment exists (another request, in flight at the provider).
    world.payments.add(
        order_id=world.order.id,
        amount=Decimal("25.00"),
        currency="EUR",
        payment_method="tok_visa",
    )
    with pytest.raises(OrderNotPayable) as raised:
        world.pay()
    assert "pending" in raised.value.detail
    assert world.gateway.charges == []
    assert world.events.events == []
    assert world.uow.rollbacks == 1


def test_no_answer_leaves_the_payment_pending_and_the_order_created(world):
    world.gateway.silent = True
    payment = world.pay()
    assert payment.status is PaymentStatus.PENDING
    assert world.orders.find(world.order.id).status == "created"
    assert world.events.events == []


def test_a_provider_known_to_be_down_stores_and_charges_nothing(world):
    world.gateway.down = 30
    with pytest.raises(ProviderDown) as raised:
        world.pay()
    assert raised.value.retry_after == 30
    assert world.payments.rows == {}
    assert world.gateway.charges == []
    assert world.orders.locked == []


def test_a_keyed_retry_resumes_its_payment_while_the_provider_is_down(world):
    # Found by tests/proofs: the breaker was asked before the key was entered.
    keyed = KeyedRequest(scope=SCOPE, fingerprint="f")
    first = world.pay(keyed=keyed)
    world.gateway.down = 30
    assert world.pay(keyed=keyed) == first
    with pytest.raises(ProviderDown):
        world.pay(keyed=KeyedRequest(scope=SCOPE2, fingerprint="f"))
    assert len(world.payments.rows) == 1  # the new request stored nothing
    assert world.uow.rollbacks == 1  # and its transaction (the key's row) rolled back


def test_a_retry_with_the_key_resumes_the_pending_payment(world):
    keyed = KeyedRequest(scope=SCOPE, fingerprint="f")
    world.gateway.silent = True
    first = world.pay(keyed=keyed)
    world.gateway.silent = False
    again = world.pay(keyed=keyed)
    assert again.id == first.id
    assert again.status is PaymentStatus.SUCCEEDED
    # Asked twice about one payment (its key dedupes at the provider), charged once.
    assert [charge[0] for charge in world.gateway.charges] == [first.id, first.id]
    assert len(world.payments.rows) == 1


def test_a_retry_with_the_key_of_a_settled_payment_asks_nothing(world):
    keyed = KeyedRequest(scope=SCOPE, fingerprint="f")
    first = world.pay(keyed=keyed)
    assert world.pay(keyed=keyed) == first
    assert len(world.gateway.charges) == 1


def test_a_retry_with_the_key_of_a_decline_declines_the_same_payment(world):
    keyed = KeyedRequest(scope=SCOPE, fingerprint="f")
    with pytest.raises(PaymentDeclined) as first:
        world.pay(keyed=keyed, token="tok_chargeDeclined")
    with pytest.raises(PaymentDeclined) as again:
        world.pay(keyed=keyed, token="tok_chargeDeclined")
    assert again.value.extra["payment"] == first.value.extra["payment"]
    assert len(world.gateway.charges) == 1


def test_the_key_with_another_body_is_refused(world):
    world.pay(keyed=KeyedRequest(scope=SCOPE, fingerprint="f"))
    with pytest.raises(KeyReused):
        world.pay(keyed=KeyedRequest(scope=SCOPE, fingerprint="other"))


# -- webhooks and reconciliation ---------------------------------------------------


def event(**values) -> ProviderEvent:
    fields = {"id": "evt_1", "subject": "charge", "outcome": Outcome.SUCCEEDED}
    return ProviderEvent(**{**fields, "reference": "pi_x", **values})


def webhook(world, found: ProviderEvent, signature="good"):
    world.gateway.events[signature] = found
    return world.service.handle_webhook(actor=SYSTEM, body=b"{}", signature="good")


def test_a_webhook_settles_a_pending_payment(world):
    world.gateway.silent = True
    payment = world.pay()
    assert webhook(world, event(payment_id=payment.id)) is True
    settled = world.payments.rows[payment.id]
    assert (settled.status, settled.gateway_reference) == ("succeeded", "pi_x")
    assert world.orders.find(world.order.id).status == "paid"


def test_a_webhook_seen_before_changes_nothing(world):
    world.gateway.silent = True
    payment = world.pay()
    webhook(world, event(payment_id=payment.id, outcome=Outcome.FAILED))
    assert webhook(world, event(payment_id=payment.id)) is False
    assert world.payments.rows[payment.id].status is PaymentStatus.FAILED


def test_a_late_webhook_never_moves_a_payment_backwards(world):
    payment = world.pay()
    webhook(world, event(id="evt_late", payment_id=payment.id, outcome=Outcome.FAILED))
    assert world.payments.rows[payment.id].status is PaymentStatus.SUCCEEDED
    assert world.orders.find(world.order.id).status == "paid"


def test_a_webhook_about_no_payment_of_ours_changes_nothing(world):
    assert webhook(world, event(payment_id=404)) is True
    assert world.events.events == []


def test_a_bad_signature_is_refused_and_changes_nothing(world):
    world.gateway.silent = True
    payment = world.pay()
    world.gateway.events["good"] = event(payment_id=payment.id)
    with pytest.raises(BadSignature):
        world.service.handle_webhook(actor=SYSTEM, body=b"{}", signature="forged")
    assert world.payments.rows[payment.id].status is PaymentStatus.PENDING
    assert world.payments.events_seen == set()


def test_reconciliation_settles_what_stayed_pending(world):
    world.gateway.silent = True
    payment = world.pay()
    world.gateway.silent = False
    found = world.service.reconcile(actor=STAFF, older_than=timedelta(0))
    assert (found.payments, found.refunds, found.settled) == (1, 0, 1)
    assert world.payments.rows[payment.id].status is PaymentStatus.SUCCEEDED
    again = world.service.reconcile(actor=STAFF, older_than=timedelta(0))
    assert (again.payments, again.settled) == (0, 0)


def test_a_dry_run_reconciliation_only_counts(world):
    world.gateway.silent = True
    payment = world.pay()
    found = world.service.reconcile(actor=STAFF, older_than=timedelta(0), dry_run=True)
    assert (found.payments, found.settled) == (1, 0)
    assert len(world.gateway.charges) == 1
    assert world.payments.rows[payment.id].status is PaymentStatus.PENDING


def test_reconciliation_leaves_younger_pending_payments(world):
    world.gateway.silent = True
    world.pay()
    found = world.service.reconcile(actor=STAFF, older_than=timedelta(hours=1))
    assert found.payments == 0


def test_only_staff_reconcile(world):
    with pytest.raises(PermissionDenied):
        world.service.reconcile(actor=CAROL, older_than=timedelta(0))


def test_customers_list_their_own_payments_newest_first(world):
    with pytest.raises(PaymentDeclined):
        world.pay(token="tok_chargeDeclined")
    world.pay()
    other = world.orders.seed(customer_id=2)
    world.payments.add(
        order_id=other.id, amount=Decimal("0"), currency="EUR", payment_method="x"
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
