"""PaymentService's refunds with in-memory repositories: amounts, lines, restock."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from business.actor import Actor
from business.errors import NotFound, PermissionDenied, RuleViolation
from business.idempotency.service import KeyedRequest
from business.orders import OrderService, OrderStatus
from business.orders.rules import InvalidTransition
from business.payments import PaymentService, PaymentStatus, RefundLineRequest
from business.payments.refunds import PaymentNotRefundable, RefundExceedsPayment
from business.payments.settlement import ProviderDown
from data.idempotency.repository import KeyScope
from data.payments.provider import Outcome, ProviderEvent
from tests.unit.order_fakes import FakeShop

CAROL = Actor(user_id=1, request_id="req-carol")
DAVE = Actor(user_id=2)
STAFF = Actor(user_id=9, is_staff=True, request_id="req-staff")
SCOPE = KeyScope(user_id=9, method="POST", path="/api/v1/payments/1/refunds/", key="r1")


class World(FakeShop):
    """A paid order of 2 mugs (9.90) and 1 teapot (30.00): 49.80."""

    def __init__(self) -> None:
        super().__init__()
        self.service = PaymentService(**self.services())
        self.mug = self.products.seed(sku="MUG", price=Decimal("9.90"), stock=10)
        self.pot = self.products.seed(sku="POT", price=Decimal("30.00"), stock=4)
        self.order = self.orders.seed(
            customer_id=1,
            status=OrderStatus.PAID,
            lines=[(self.mug, 2), (self.pot, 1)],
        )
        pending = self.payments.add(
            order_id=self.order.id,
            amount=self.order.total,
            currency="EUR",
            payment_method="tok_visa",
        )
        self.payment = self.payments.settle(
            pending, PaymentStatus.SUCCEEDED, gateway_reference="pi_1"
        )
        self.orders.locked.clear()

    def refund(self, actor=STAFF, **request):
        return self.service.refund_payment(
            actor=actor,
            payment_id=request.pop("payment_id", self.payment.id),
            **request,
        )

    def paid(self):
        return self.payments.rows[self.payment.id]

    def stock(self, product) -> int:
        return self.products.rows[product.id].stock

    def lines(self, *pairs):
        return [RefundLineRequest(product_id=p.id, quantity=q) for p, q in pairs]


@pytest.fixture
def world() -> World:
    return World()


def fields_of(raised) -> list[str]:
    return [error.field for error in raised.value.errors]


# --- by amount ---------------------------------------------------------------


def test_a_partial_refund_by_amount_succeeds_at_the_provider(world):
    refund = world.refund(amount=Decimal("10.00"), reason="scratched")
    assert (refund.status, refund.amount, refund.reason, refund.lines) == (
        "succeeded",
        Decimal("10.00"),
        "scratched",
        (),
    )
    assert (world.paid().status, world.paid().amount_refunded) == (
        "partially_refunded",
        Decimal("10.00"),
    )
    assert world.gateway.refunds == [(refund.id, "pi_1", Decimal("10.00"), "EUR")]
    [event] = world.events.list_for_order(world.order.id)
    assert (event.type, event.actor_id, event.request_id) == (
        "payment.refunded",
        9,
        "req-staff",
    )
    assert event.data == {
        "payment_id": world.payment.id,
        "refund_id": refund.id,
        "amount": "10.00",
        "lines": [],
        "restocked": False,
    }
    # Recorded pending and committed, asked for, settled in a second transaction.
    assert (world.uow.commits, world.uow.rollbacks) == (2, 0)
    # The order, then the payment: locked to record, and again to settle.
    assert world.orders.locked == [world.order.id, world.order.id]


def test_the_provider_is_never_asked_inside_a_transaction(world):
    asked = []
    original = world.gateway.refund

    def refund(**call):
        asked.append(world.uow.active)
        return original(**call)

    world.gateway.refund = refund
    world.refund(amount=Decimal("1.00"))
    assert asked == [False]


def test_refunds_up_to_the_amount_make_the_payment_refunded(world):
    world.refund(amount=Decimal("40.00"))
    world.refund(amount=Decimal("9.80"))
    assert (world.paid().status, world.paid().amount_refunded) == (
        "refunded",
        Decimal("49.80"),
    )


def test_an_empty_request_refunds_what_remains(world):
    world.refund(amount=Decimal("0.80"))
    rest = world.refund()
    assert rest.amount == Decimal("49.00")
    assert world.paid().status == "refunded"


def test_more_than_remains_is_refused_and_changes_nothing(world):
    world.refund(amount=Decimal("40.00"))
    with pytest.raises(RefundExceedsPayment) as raised:
        world.refund(amount=Decimal("9.81"))
    assert raised.value.extra == {"amount_refundable": "9.80"}
    assert "9.80" in raised.value.detail
    assert len(world.refunds.rows) == 1
    assert world.paid().amount_refunded == Decimal("40.00")


def test_pending_refunds_count_against_what_remains(world):
    world.gateway.silent = True
    pending = world.refund(amount=Decimal("30.00"))
    assert pending.status == "pending"
    assert world.paid().amount_refunded == Decimal("0.00")
    with pytest.raises(RefundExceedsPayment) as raised:
        world.refund(amount=Decimal("20.00"))
    assert raised.value.extra == {"amount_refundable": "19.80"}
    assert world.refund(amount=Decimal("19.80")).status == "pending"
    with pytest.raises(RefundExceedsPayment) as nothing:
        world.refund()
    assert "Nothing remains" in nothing.value.detail


def test_a_refused_refund_is_failed_and_gives_back_what_it_held(world):
    world.gateway.refusing = "Refund amount is greater than unrefunded amount."
    refund = world.refund(amount=Decimal("49.80"))
    assert (refund.status, refund.failure_reason) == (
        "failed",
        "Refund amount is greater than unrefunded amount.",
    )
    assert (world.paid().status, world.paid().amount_refunded) == (
        "succeeded",
        Decimal("0.00"),
    )
    [event] = world.events.list_for_order(world.order.id)
    assert event.type == "refund.failed"
    assert event.data["failure_reason"] == refund.failure_reason
    world.gateway.refusing = ""
    assert world.refund().amount == Decimal("49.80")


@pytest.mark.parametrize(
    "status",
    [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.REFUNDED],
)
def test_only_succeeded_or_partly_refunded_payments_are_refundable(world, status):
    world.payments.rows[world.payment.id] = replace(world.paid(), status=status)
    with pytest.raises(PaymentNotRefundable) as raised:
        world.refund(amount=Decimal("1.00"))
    assert raised.value.extra == {"payment_status": status}
    assert world.refunds.rows == {}


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
)
def test_a_payment_is_refundable_whatever_its_order_status(world, status):
    world.orders.update_status(world.order, status)
    assert world.refund(amount=Decimal("1.00")).status == "succeeded"


# --- by lines ------------------------------------------------------------------


def test_a_refund_by_lines_with_restock_puts_the_units_back(world):
    world.orders.update_status(world.order, OrderStatus.DELIVERED)
    refund = world.refund(
        lines=world.lines((world.pot, 1), (world.mug, 1)), restock=True
    )
    assert refund.amount == Decimal("39.90")
    assert (refund.restock, refund.restocked) == (True, True)
    assert [(ln.product_id, ln.quantity, ln.unit_price) for ln in refund.lines] == [
        (world.pot.id, 1, Decimal("30.00")),
        (world.mug.id, 1, Decimal("9.90")),
    ]
    assert (world.stock(world.mug), world.stock(world.pot)) == (11, 5)
    assert world.products.lock_calls[-1] == sorted([world.mug.id, world.pot.id])
    [event] = world.events.list_for_order(world.order.id)
    assert event.data == {
        "payment_id": world.payment.id,
        "refund_id": refund.id,
        "amount": "39.90",
        "lines": [
            {"product_id": world.pot.id, "quantity": 1, "unit_price": "30.00"},
            {"product_id": world.mug.id, "quantity": 1, "unit_price": "9.90"},
        ],
        "restocked": True,
    }


def test_a_refund_by_lines_without_restock_leaves_the_stock(world):
    refund = world.refund(lines=world.lines((world.mug, 2)))
    assert (refund.amount, refund.restocked) == (Decimal("19.80"), False)
    assert world.stock(world.mug) == 10


def test_restock_waits_for_the_refund_to_succeed(world):
    world.gateway.silent = True
    refund = world.refund(lines=world.lines((world.mug, 1)), restock=True)
    assert (refund.status, refund.restocked) == ("pending", False)
    assert world.stock(world.mug) == 10
    _file_event(world, refund.id)
    world.service.handle_webhook(
        actor=Actor.system(request_id="hook"), body=b"{}", signature="s1"
    )
    assert world.refunds.rows[refund.id].restocked is True
    assert world.stock(world.mug) == 11
    assert world.events.types(world.order.id) == ["payment.refunded"]


def test_a_refused_refund_restocks_nothing(world):
    world.gateway.refusing = "No."
    refund = world.refund(lines=world.lines((world.mug, 1)), restock=True)
    assert (refund.status, refund.restocked) == ("failed", False)
    assert world.stock(world.mug) == 10


def test_line_quantities_stop_at_what_was_ordered_less_what_was_refunded(world):
    world.refund(lines=world.lines((world.mug, 1)))
    world.gateway.silent = True
    world.refund(lines=world.lines((world.mug, 1)))  # pending: it counts too
    with pytest.raises(RuleViolation) as raised:
        world.refund(lines=world.lines((world.pot, 1), (world.mug, 1)))
    assert fields_of(raised) == ["lines[1].quantity"]
    assert "Only 0" in raised.value.errors[0].message
    assert len(world.refunds.rows) == 2


def test_a_product_not_in_the_order_is_refused_on_its_line(world):
    other = world.products.seed(sku="OTHER")
    with pytest.raises(RuleViolation) as raised:
        world.refund(lines=world.lines((world.mug, 1), (other, 1)))
    assert fields_of(raised) == ["lines[1].product_id"]
    assert world.refunds.rows == {}


def test_lines_worth_more_than_remains_are_refused(world):
    world.refund(amount=Decimal("40.00"))
    with pytest.raises(RefundExceedsPayment):
        world.refund(lines=world.lines((world.mug, 1)))


def test_restock_on_a_cancelled_order_is_refused(world):
    world.orders.update_status(world.order, OrderStatus.CANCELLED)
    with pytest.raises(RuleViolation) as raised:
        world.refund(lines=world.lines((world.mug, 1)), restock=True)
    assert fields_of(raised) == ["restock"]


# --- bad requests ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        ({"amount": Decimal("0")}, ["amount"]),
        ({"amount": Decimal("-1.00")}, ["amount"]),
        ({"amount": Decimal("1.005")}, ["amount"]),
        ({"lines": []}, ["lines"]),
        ({"restock": True}, ["restock"]),
        ({"amount": Decimal("1.00"), "restock": True}, ["restock"]),
        ({"amount": Decimal("1.00"), "lines": "mug"}, ["lines"]),
        ({"lines": "mug,mug"}, ["lines[1].product_id"]),
        ({"lines": "mug0"}, ["lines[0].quantity"]),
    ],
)
def test_a_bad_request_is_refused_before_anything_is_looked_up(world, request_, fields):
    shaped = dict(request_)
    if isinstance(shaped.get("lines"), str):
        quantity = 0 if shaped["lines"] == "mug0" else 1
        shaped["lines"] = world.lines(
            *[(world.mug, quantity) for _ in shaped["lines"].split(",")]
        )
    with pytest.raises(RuleViolation) as raised:
        world.refund(payment_id=999, **shaped)
    assert fields_of(raised) == fields
    assert world.refunds.rows == {}


def test_only_staff_refund(world):
    with pytest.raises(PermissionDenied):
        world.refund(actor=CAROL, amount=Decimal("1.00"))


def test_a_missing_payment_is_not_found(world):
    with pytest.raises(NotFound):
        world.refund(payment_id=999, amount=Decimal("1.00"))


def test_a_provider_known_to_be_down_stores_nothing(world):
    world.gateway.down = 12
    with pytest.raises(ProviderDown) as raised:
        world.refund(amount=Decimal("1.00"))
    assert raised.value.retry_after == 12
    assert world.refunds.rows == {} and world.gateway.refunds == []


# --- idempotency ---------------------------------------------------------------


def test_a_retry_with_the_key_resumes_the_pending_refund(world):
    keyed = KeyedRequest(scope=SCOPE, fingerprint="f")
    world.gateway.silent = True
    first = world.refund(amount=Decimal("5.00"), keyed=keyed)
    assert first.status == "pending"
    world.gateway.silent = False
    again = world.refund(amount=Decimal("5.00"), keyed=keyed)
    assert (again.id, again.status) == (first.id, "succeeded")
    assert len(world.refunds.rows) == 1
    # Asked twice with the same refund id: the provider's key dedupes.
    assert [call[0] for call in world.gateway.refunds] == [first.id, first.id]
    settled = world.refund(amount=Decimal("5.00"), keyed=keyed)
    assert settled == again and len(world.gateway.refunds) == 2


# --- listing ---------------------------------------------------------------------


def test_refunds_are_listed_newest_first_to_the_owner_and_staff(world):
    first = world.refund(amount=Decimal("1.00"))
    second = world.refund(amount=Decimal("2.00"))
    for actor in (CAROL, STAFF):
        page = world.service.list_refunds(
            actor=actor, payment_id=world.payment.id, page=1, page_size=20
        )
        assert [r.id for r in page.items] == [second.id, first.id]
    with pytest.raises(NotFound):
        world.service.list_refunds(
            actor=DAVE, payment_id=world.payment.id, page=1, page_size=20
        )


# --- cancelling after refunds ----------------------------------------------------


def orders(world) -> OrderService:
    return OrderService(**world.services())


def test_cancel_refunds_what_remains_and_restocks_only_the_rest(world):
    world.refund(lines=world.lines((world.mug, 1)), restock=True)
    assert world.stock(world.mug) == 11
    orders(world).cancel_order(actor=CAROL, order_id=world.order.id)
    # One mug came back with the refund; the other and the teapot with the cancel.
    assert (world.stock(world.mug), world.stock(world.pot)) == (12, 5)
    last = list(world.refunds.rows.values())[-1]
    assert (last.amount, last.status) == (Decimal("39.90"), "succeeded")
    assert (world.paid().status, world.paid().amount_refunded) == (
        "refunded",
        Decimal("49.80"),
    )


def test_an_order_with_a_refund_pending_cannot_be_cancelled(world):
    world.gateway.silent = True
    world.refund(amount=Decimal("1.00"))
    with pytest.raises(InvalidTransition) as raised:
        orders(world).cancel_order(actor=CAROL, order_id=world.order.id)
    assert "refund pending" in raised.value.detail
    assert world.orders.find(world.order.id).status == "paid"


# --- helpers -----------------------------------------------------------------------


def _file_event(world, refund_id: int) -> None:
    """File the provider's `refund.updated` (succeeded) under signature `s1`."""
    world.gateway.events["s1"] = ProviderEvent(
        id="evt_1",
        subject="refund",
        outcome=Outcome.SUCCEEDED,
        reference=f"re_{refund_id}",
        refund_id=refund_id,
    )
