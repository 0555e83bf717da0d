"""The Stripe adapter against the sandbox provider, a real process over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from data.payments.breaker import CircuitBreaker
from data.payments.provider import InvalidSignature, Outcome, ProviderUnavailable
from data.payments.stripe_gateway import StripeGateway, minor_units
from sandbox_provider.webhooks import event, sign
from tests.provider_support import (
    API_KEY,
    WEBHOOK_SECRET,
    SandboxProcess,
    sandbox_provider,
)

pytestmark = pytest.mark.provider
EUR = "EUR"


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[SandboxProcess]:
    with sandbox_provider(tmp_path / "books.sqlite3") as running:
        yield running


def gateway_for(
    provider: SandboxProcess, *, read_timeout: float = 5.0, **options
) -> StripeGateway:
    return StripeGateway(
        secret_key=API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=provider.url,
        read_timeout=read_timeout,
        max_retries=options.pop("max_retries", 0),
        **options,
    )


def pay(gateway: StripeGateway, payment_id: int = 1, token: str = "tok_visa"):
    return gateway.charge(
        payment_id=payment_id, token=token, amount=Decimal("12.30"), currency=EUR
    )


def test_a_charge_succeeds_with_the_intent_as_reference(provider):
    result = pay(gateway_for(provider), payment_id=7)
    assert result.outcome is Outcome.SUCCEEDED
    [intent] = provider.books()["payment_intents"]
    assert result.reference == intent["id"]
    assert (intent["amount"], intent["currency"]) == (1230, "eur")
    assert intent["metadata"] == {"payment_id": "7"}


def test_a_declined_card_fails_with_the_providers_reason(provider):
    result = pay(gateway_for(provider), token="tok_chargeDeclined")
    assert result.outcome is Outcome.FAILED
    assert result.failure_reason == "Your card was declined."
    assert result.reference == provider.books()["payment_intents"][0]["id"]


def test_a_payment_method_the_provider_does_not_know_fails(provider):
    result = pay(gateway_for(provider), token="pm_unknown")
    assert result.outcome is Outcome.FAILED
    assert "pm_unknown" in result.failure_reason


def test_charging_one_payment_twice_charges_once(provider):
    gateway = gateway_for(provider)
    first, again = pay(gateway, payment_id=3), pay(gateway, payment_id=3)
    assert again == first
    assert len(provider.books()["payment_intents"]) == 1


def test_no_answer_after_the_charge_is_pending_and_asking_again_learns_it(provider):
    gateway = gateway_for(provider)
    provider.faults(drop="after", drop_count=1)
    assert pay(gateway, payment_id=4).outcome is Outcome.PENDING
    [charged] = provider.books()["payment_intents"]
    again = pay(gateway, payment_id=4)
    assert (again.outcome, again.reference) == (Outcome.SUCCEEDED, charged["id"])
    assert len(provider.books()["payment_intents"]) == 1


def test_a_slow_provider_is_pending_after_the_read_timeout(provider):
    provider.faults(latency_ms=1500)
    started = time.monotonic()
    assert pay(gateway_for(provider, read_timeout=0.3)).outcome is Outcome.PENDING
    assert time.monotonic() - started < 1.4


def test_a_5xx_is_pending(provider):
    provider.faults(error_rate=1.0)
    assert pay(gateway_for(provider)).outcome is Outcome.PENDING
    assert provider.books()["payment_intents"] == []


def test_the_sdk_retries_a_lost_answer_with_the_same_key(provider):
    provider.faults(drop="after", drop_count=1)
    result = pay(gateway_for(provider, max_retries=1))
    [charged] = provider.books()["payment_intents"]
    assert (result.outcome, result.reference) == (Outcome.SUCCEEDED, charged["id"])


def test_the_breaker_opens_and_then_nothing_is_sent(provider):
    gateway = gateway_for(provider, breaker=CircuitBreaker(threshold=2, cooldown=60))
    provider.faults(drop="before", drop_count=-1)
    assert pay(gateway, 1).outcome is Outcome.PENDING
    assert pay(gateway, 2).outcome is Outcome.PENDING
    provider.faults(drop="", drop_count=0)
    with pytest.raises(ProviderUnavailable) as raised:
        pay(gateway, 3)
    assert 55 <= raised.value.retry_after <= 60
    assert gateway.retry_after() > 0
    assert provider.books()["payment_intents"] == []


def test_refunds_are_partial_or_whole_and_never_more(provider):
    gateway = gateway_for(provider)
    charged = pay(gateway)

    def refund(refund_id: int, amount: str):
        return gateway.refund(
            refund_id=refund_id,
            reference=charged.reference,
            amount=Decimal(amount),
            currency=EUR,
        )

    part = refund(1, "2.30")
    assert part.outcome is Outcome.SUCCEEDED and part.reference.startswith("re_")
    assert refund(1, "2.30") == part  # the same refund, asked again
    too_much = refund(2, "10.01")
    assert too_much.outcome is Outcome.FAILED
    assert "greater than" in too_much.failure_reason
    assert refund(3, "10.00").outcome is Outcome.SUCCEEDED
    assert [r["amount"] for r in provider.books()["refunds"]] == [230, 1000]
    assert [r["metadata"] for r in provider.books()["refunds"]] == [
        {"refund_id": "1"},
        {"refund_id": "3"},
    ]


def test_a_refund_without_an_answer_is_pending(provider):
    gateway = gateway_for(provider)
    charged = pay(gateway)
    provider.faults(drop="after", drop_count=1)
    result = gateway.refund(
        refund_id=9, reference=charged.reference, amount=Decimal("1"), currency=EUR
    )
    assert result.outcome is Outcome.PENDING
    assert len(provider.books()["refunds"]) == 1


# -- webhooks ---------------------------------------------------------------------


def signed(payload: dict, secret: str = WEBHOOK_SECRET, age: int = 0):
    body = json.dumps(payload).encode()
    return body, sign(body, secret, int(time.time()) - age)


def test_a_verified_charge_event_names_our_payment(provider):
    intent = {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}
    intent["metadata"] = {"payment_id": "12"}
    found = gateway_for(provider).verify(
        *signed(event("payment_intent.succeeded", intent))
    )
    assert (found.subject, found.outcome, found.reference, found.payment_id) == (
        "charge",
        Outcome.SUCCEEDED,
        "pi_1",
        12,
    )
    assert found.id.startswith("evt_")


def test_a_verified_refund_event_names_our_refund(provider):
    refund = {"id": "re_1", "object": "refund", "status": "succeeded"}
    refund["metadata"] = {"refund_id": "5"}
    found = gateway_for(provider).verify(*signed(event("refund.updated", refund)))
    assert (found.subject, found.outcome, found.refund_id) == (
        "refund",
        Outcome.SUCCEEDED,
        5,
    )


def test_an_event_about_something_else_is_other(provider):
    customer = {"id": "cus_1", "object": "customer"}
    found = gateway_for(provider).verify(*signed(event("customer.created", customer)))
    assert found.subject == "other"


@pytest.mark.parametrize(
    "make",
    [
        lambda payload: signed(payload, secret="whsec_other"),
        lambda payload: signed(payload, age=600),
        lambda payload: (json.dumps(payload).encode(), ""),
        lambda payload: (
            b"not json",
            sign(b"not json", WEBHOOK_SECRET, int(time.time())),
        ),
        lambda payload: (b"{}", sign(b"{}", WEBHOOK_SECRET, int(time.time()))),
    ],
    ids=["other-secret", "too-old", "unsigned", "not-json", "not-an-event"],
)
def test_a_webhook_that_does_not_verify_is_refused(provider, make):
    payload = event("payment_intent.succeeded", {"id": "pi_1", "object": "x"})
    with pytest.raises(InvalidSignature):
        gateway_for(provider).verify(*make(payload))


# -- amounts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("12.30", "EUR", 1230),
        ("0.01", "eur", 1),
        ("100", "JPY", 100),
        ("999999.99", "USD", 99999999),
    ],
)
def test_amounts_go_in_the_currencys_minor_unit(amount, currency, units):
    assert minor_units(Decimal(amount), currency) == units


def test_an_amount_finer_than_the_currency_is_refused():
    with pytest.raises(ValueError):
        minor_units(Decimal("0.001"), "EUR")
    with pytest.raises(ValueError):
        minor_units(Decimal("1.5"), "JPY")
