"""The ledger check finds each kind of difference, so the proofs' [] means agreement."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.ledger_check import Books, OurBooks, OurPayment, OurRefund, compare

pytestmark = pytest.mark.provider


def intent(payment_id: str, pi: str, amount: int = 990, **more: Any) -> dict[str, Any]:
    return {
        "id": pi,
        "amount": amount,
        "amount_received": amount,
        "currency": "eur",
        "status": "succeeded",
        "metadata": {"payment_id": payment_id},
        **more,
    }


def agreeing() -> tuple[Books, OurBooks]:
    """A paid and refunded order, a paid one and a declined one, in both books."""
    provider: Books = {
        "payment_intents": [
            intent("1", "pi_1"),
            intent("2", "pi_2", 1980),
            intent("3", "pi_3", status="requires_payment_method", amount_received=0),
        ],
        "refunds": [
            {
                "id": "re_1",
                "amount": 990,
                "payment_intent": "pi_1",
                "status": "succeeded",
                "metadata": {"refund_id": "7"},
            }
        ],
    }
    ours = OurBooks(
        payments=[
            OurPayment(
                id=1,
                reference="pi_1",
                amount=990,
                refunded=990,
                currency="eur",
                status="refunded",
            ),
            OurPayment(
                id=2,
                reference="pi_2",
                amount=1980,
                refunded=0,
                currency="eur",
                status="succeeded",
            ),
            OurPayment(
                id=3,
                reference="pi_3",
                amount=990,
                refunded=0,
                currency="eur",
                status="failed",
            ),
        ],
        refunds=[
            OurRefund(
                id=7, payment_id=1, reference="re_1", amount=990, status="succeeded"
            )
        ],
    )
    return provider, ours


def test_books_that_agree_have_no_difference():
    assert compare(*agreeing()) == []


def _ours(books: OurBooks, payment_id: int = 2, **changes: Any) -> OurBooks:
    """Our books with one payment changed."""
    payments = [
        replace(p, **changes) if p.id == payment_id else p for p in books.payments
    ]
    return replace(books, payments=payments)


def _our_refund(books: OurBooks, **changes: Any) -> OurBooks:
    return replace(books, refunds=[replace(books.refunds[0], **changes)])


def _intents(books: Books, *more: dict[str, Any]) -> Books:
    return {**books, "payment_intents": [*books["payment_intents"], *more]}


def _their_refund(books: Books, **changes: Any) -> Books:
    changed = copy.deepcopy(books)
    changed["refunds"][0].update(changes)
    return changed


Change = Callable[[Books, OurBooks], tuple[Books, OurBooks]]
CHANGES: list[tuple[str, Change, str]] = [
    (
        "a charge with no payment of ours",
        lambda p, o: (_intents(p, intent("99", "pi_x")), o),
        "intent pi_x: no payment of ours",
    ),
    (
        "an intent without our metadata",
        lambda p, o: (_intents(p, intent("", "pi_y")), o),
        "intent pi_y: no payment of ours",
    ),
    (
        "two intents for one payment",
        lambda p, o: (_intents(p, intent("2", "pi_2b")), o),
        "payment 2: 2 intents",
    ),
    (
        "a succeeded payment with no intent",
        lambda p, o: ({**p, "payment_intents": p["payment_intents"][::2]}, o),
        "payment 2: succeeded, no succeeded intent",
    ),
    (
        "a succeeded payment whose intent was declined",
        lambda p, o: (p, _ours(o, 3, status="succeeded")),
        "payment 3: succeeded, no succeeded intent",
    ),
    (
        "a failed payment that was charged",
        lambda p, o: (p, _ours(o, status="failed")),
        "payment 2: failed, but charged",
    ),
    (
        "a payment still pending",
        lambda p, o: (p, _ours(o, status="pending")),
        "payment 2: still pending",
    ),
    ("amounts differing", lambda p, o: (p, _ours(o, amount=1990)), "payment 2: ours"),
    (
        "references differing",
        lambda p, o: (p, _ours(o, reference="pi_other")),
        "payment 2: ours",
    ),
    (
        "currencies differing",
        lambda p, o: (p, _ours(o, currency="usd")),
        "payment 2: ours",
    ),
    (
        "refunded amounts differing",
        lambda p, o: (p, _ours(o, 1, refunded=100)),
        "payment 1: ours",
    ),
    (
        "a refund at the provider only",
        lambda p, o: (p, replace(o, refunds=[])),
        "refund re_1: no refund of ours",
    ),
    (
        "a refund of ours only",
        lambda p, o: ({**p, "refunds": []}, o),
        "refund 7: succeeded",
    ),
    (
        "a refund whose amount differs",
        lambda p, o: (_their_refund(p, amount=500), o),
        "refund 7: ours",
    ),
    (
        "a refund of another intent",
        lambda p, o: (_their_refund(p, payment_intent="pi_2"), o),
        "refund 7: ours",
    ),
    (
        "a refund that failed at the provider",
        lambda p, o: (_their_refund(p, status="failed"), o),
        "refund 7: succeeded",
    ),
    (
        "a refund still pending",
        lambda p, o: (p, _our_refund(o, status="pending")),
        "refund 7: still pending",
    ),
    (
        "two refunds at the provider for one of ours",
        lambda p, o: (
            {**p, "refunds": [*p["refunds"], {**p["refunds"][0], "id": "re_2"}]},
            o,
        ),
        "refund 7: 2 refunds at the provider",
    ),
]


@pytest.mark.parametrize(
    ("change", "found"),
    [pytest.param(change, found, id=name) for name, change, found in CHANGES],
)
def test_each_kind_of_difference_is_found(change: Change, found: str):
    differences = compare(*change(*agreeing()))
    assert any(found in difference for difference in differences), differences
