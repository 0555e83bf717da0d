"""Do Orderly's books and the payment provider's agree? List every difference.

Ours are the Payment and Refund rows in PostgreSQL; the provider's are the
sandbox's PaymentIntents and Refunds (`SandboxProcess.books()`), tied to ours by
the `metadata` every call carries (`payment_id`, `refund_id`). Amounts are
compared in the currency's minor unit, as the provider counts them. A row still
pending is a difference too: its outcome is in one book only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db.models import Model

from data.payments.models import Payment, Refund
from data.payments.stripe_gateway import minor_units

Books = dict[str, list[dict[str, Any]]]
# Our statuses of a payment that took the money (some may have gone back since).
CHARGED = frozenset({"succeeded", "partially_refunded", "refunded"})


@dataclass(frozen=True, slots=True, kw_only=True)
class OurPayment:
    id: int
    reference: str
    amount: int
    refunded: int
    currency: str
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OurRefund:
    id: int
    payment_id: int
    reference: str
    amount: int
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OurBooks:
    payments: list[OurPayment]
    refunds: list[OurRefund]


def read_books(database: str) -> OurBooks:
    """Read every payment and refund of the database at this URL."""
    payments = _rows(
        database,
        Payment,
        ["id", "gateway_reference", "amount", "amount_refunded", "currency", "status"],
    )
    currency = {row["id"]: row["currency"] for row in payments}
    refunds = _rows(
        database, Refund, ["id", "payment_id", "gateway_reference", "amount", "status"]
    )
    return OurBooks(
        payments=[
            OurPayment(
                id=row["id"],
                reference=row["gateway_reference"],
                amount=minor_units(row["amount"], row["currency"]),
                refunded=minor_units(row["amount_refunded"], row["currency"]),
                currency=row["currency"].lower(),
                status=row["status"],
            )
            for row in payments
        ],
        refunds=[
            OurRefund(
                id=row["id"],
                payment_id=row["payment_id"],
                reference=row["gateway_reference"],
                amount=minor_units(row["amount"], currency[row["payment_id"]]),
                status=row["status"],
            )
            for row in refunds
        ],
    )


def _rows(database: str, model: type[Model], names: list[str]) -> list[dict[str, Any]]:
    # Tables and columns from the models' metadata, as data/ names them.
    columns = ", ".join(f'"{model._meta.get_field(n).column}"' for n in names)
    query = f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY 1'
    with psycopg.connect(database) as conn:
        return [dict(zip(names, row, strict=True)) for row in conn.execute(query)]


def compare(provider: Books, ours: OurBooks) -> list[str]:
    """Return every difference between the provider's books and ours; [] if none."""
    return _compare_payments(provider, ours) + _compare_refunds(provider, ours)


def _by(objects: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        grouped[(obj.get("metadata") or {}).get(key, "")].append(obj)
    return grouped


def _compare_payments(provider: Books, ours: OurBooks) -> list[str]:
    intents = _by(provider["payment_intents"], "payment_id")
    refunded: dict[str, int] = defaultdict(int)
    for refund in provider["refunds"]:
        if refund["status"] == "succeeded":
            refunded[refund["payment_intent"]] += refund["amount"]
    found = [f"intent {i['id']}: no payment of ours" for i in _orphans(intents, ours)]
    for payment in ours.payments:
        mine = intents.get(str(payment.id), [])
        if len(mine) > 1:
            found.append(f"payment {payment.id}: {len(mine)} intents")
        charged = [i for i in mine if i["status"] == "succeeded"]
        if payment.status == "pending":
            found.append(f"payment {payment.id}: still pending")
        elif payment.status in CHARGED and not charged:
            found.append(f"payment {payment.id}: {payment.status}, no succeeded intent")
        elif payment.status not in CHARGED and charged:
            found.append(f"payment {payment.id}: {payment.status}, but charged")
        for intent in charged:
            found += _same_charge(payment, intent, refunded[intent["id"]])
    return found


def _orphans(
    intents: dict[str, list[dict[str, Any]]], ours: OurBooks
) -> list[dict[str, Any]]:
    known = {str(payment.id) for payment in ours.payments}
    return [i for key, group in intents.items() if key not in known for i in group]


def _same_charge(
    payment: OurPayment, intent: dict[str, Any], refunded: int
) -> list[str]:
    theirs = (intent["id"], intent["amount_received"], intent["currency"], refunded)
    mine = (payment.reference, payment.amount, payment.currency, payment.refunded)
    if theirs == mine:
        return []
    return [f"payment {payment.id}: ours {mine}, provider's {theirs}"]


def _compare_refunds(provider: Books, ours: OurBooks) -> list[str]:
    refunds = _by(provider["refunds"], "refund_id")
    known = {str(refund.id) for refund in ours.refunds}
    found = [
        f"refund {r['id']}: no refund of ours"
        for key, group in refunds.items()
        if key not in known
        for r in group
    ]
    intent_of = {payment.id: payment.reference for payment in ours.payments}
    for refund in ours.refunds:
        mine = refunds.get(str(refund.id), [])
        if len(mine) > 1:
            found.append(f"refund {refund.id}: {len(mine)} refunds at the provider")
        done = [r for r in mine if r["status"] == "succeeded"]
        if refund.status == "pending":
            found.append(f"refund {refund.id}: still pending")
        elif (refund.status == "succeeded") != bool(done):
            found.append(f"refund {refund.id}: {refund.status}, provider's {done}")
        for theirs in done:
            expected = (refund.reference, refund.amount, intent_of[refund.payment_id])
            given = (theirs["id"], theirs["amount"], theirs["payment_intent"])
            if expected != given:
                found.append(f"refund {refund.id}: ours {expected}, provider's {given}")
    return found
