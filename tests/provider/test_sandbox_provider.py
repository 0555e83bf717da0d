"""The sandbox provider, as a real process, through Stripe's official SDK.

What the adapter and the payment proofs rely on: Stripe's shapes and errors,
`Idempotency-Key` replays, books that survive SIGKILL, signed webhooks that
`stripe.Webhook.construct_event` accepts, and every fault it can act out.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from sandbox_provider.webhooks import sign
from tests.provider_support import (
    WEBHOOK_SECRET,
    SandboxProcess,
    sandbox_provider,
)

pytestmark = pytest.mark.provider


def charge(client: stripe.StripeClient, key: str = "", **params: Any) -> Any:
    """Create and confirm a PaymentIntent, as the adapter does."""
    values = {
        "amount": 1230,
        "currency": "eur",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "metadata": {"payment_id": "1"},
        **params,
    }
    options: Any = {"idempotency_key": key} if key else {}
    return client.v1.payment_intents.create(params=values, options=options)


class Receiver:
    """A webhook endpoint: verifies each delivery with the SDK, keeps the events."""

    def __init__(self, answer: int = 200) -> None:
        self.events: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.answer = answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = stripe.Webhook.construct_event(
                        body, self.headers["Stripe-Signature"], WEBHOOK_SECRET
                    )
                except stripe.SignatureVerificationError as exc:
                    receiver.rejected.append(str(exc))
                    self.send_response(400)
                else:
                    receiver.events.append(json.loads(str(event)))
                    self.send_response(receiver.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        # Port 0: the system picks a free one, never one of the provider's range.
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def provider(tmp_path: Path, receiver: Receiver) -> Iterator[SandboxProcess]:
    with sandbox_provider(tmp_path / "books.sqlite3", receiver.url) as running:
        yield running


# -- the API ------------------------------------------------------------------


def test_a_confirmed_charge_succeeds_and_is_in_the_books(provider):
    intent = charge(provider.client(), metadata={"payment_id": "42"})
    assert intent.object == "payment_intent"
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.amount_received) == (
        "succeeded",
        1230,
        1230,
    )
    assert intent.currency == "eur"
    assert intent.metadata["payment_id"] == "42"
    assert provider.client().v1.payment_intents.retrieve(intent.id).status == (
        "succeeded"
    )
    [kept] = provider.books()["payment_intents"]
    assert kept["id"] == intent.id


def test_a_declined_card_is_a_card_error_carrying_the_intent(provider):
    with pytest.raises(stripe.CardError) as raised:
        charge(provider.client(), payment_method="pm_card_chargeDeclined")
    assert raised.value.http_status == 402
    assert raised.value.code == "card_declined"
    assert raised.value.user_message == "Your card was declined."
    intent = raised.value.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.amount_received == 0


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"payment_method": "pm_unknown"}, "payment_method"),
        ({"amount": 0}, "amount"),
        ({"currency": "euro"}, "currency"),
        ({"confirm": False}, "confirm"),
    ],
)
def test_bad_parameters_are_invalid_request_errors_that_charge_nothing(
    provider, params, param
):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        charge(provider.client(), **params)
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert provider.books()["payment_intents"] == []


def test_an_unknown_object_is_404_resource_missing(provider):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        provider.client().v1.payment_intents.retrieve("pi_missing")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError):
        provider.client().v1.refunds.retrieve("re_missing")


def test_a_wrong_api_key_is_refused(provider):
    client = stripe.StripeClient(
        "sk_test_wrong", base_addresses={"api": provider.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        charge(client)
    assert provider.books()["payment_intents"] == []


# -- idempotency --------------------------------------------------------------


def test_a_key_replays_its_first_answer_and_charges_once(provider):
    first = charge(provider.client(), key="payment-1")
    again = charge(provider.client(), key="payment-1")
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(provider.books()["payment_intents"]) == 1


def test_a_key_replays_a_decline_too(provider):
    with pytest.raises(stripe.CardError) as first:
        charge(provider.client(), "payment-2", payment_method="pm_card_chargeDeclined")
    with pytest.raises(stripe.CardError) as again:
        charge(provider.client(), "payment-2", payment_method="pm_card_chargeDeclined")
    assert again.value.error.payment_intent.id == first.value.error.payment_intent.id
    assert len(provider.books()["payment_intents"]) == 1


def test_a_key_with_other_parameters_is_an_idempotency_error(provider):
    charge(provider.client(), key="payment-3")
    with pytest.raises(stripe.IdempotencyError):
        charge(provider.client(), key="payment-3", amount=999)
    assert len(provider.books()["payment_intents"]) == 1


def test_concurrent_requests_with_one_key_charge_once(provider):
    results: list[str] = []

    def pay() -> None:
        results.append(charge(provider.client(), key="payment-4").id)

    threads = [threading.Thread(target=pay) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 10
    assert len(set(results)) == 1
    assert len(provider.books()["payment_intents"]) == 1


# -- refunds ------------------------------------------------------------------


def test_refunds_add_up_to_the_charge_and_never_more(provider):
    client = provider.client()
    intent = charge(client)
    part = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 230},
        options={"idempotency_key": "refund-1"},
    )
    assert (part.object, part.status, part.amount) == ("refund", "succeeded", 230)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1001})
    assert raised.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert rest.amount == 1000
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})
    assert raised.value.code == "charge_already_refunded"
    assert client.v1.refunds.retrieve(part.id).amount == 230
    assert [r["amount"] for r in provider.books()["refunds"]] == [230, 1000]


def test_a_refund_key_refunds_once(provider):
    client = provider.client()
    intent = charge(client)
    params = {"payment_intent": intent.id, "amount": 100}
    first = client.v1.refunds.create(params=params, options={"idempotency_key": "r"})
    again = client.v1.refunds.create(params=params, options={"idempotency_key": "r"})
    assert again.id == first.id
    assert len(provider.books()["refunds"]) == 1


def test_a_declined_charge_cannot_be_refunded(provider):
    client = provider.client()
    with pytest.raises(stripe.CardError) as declined:
        charge(client, payment_method="pm_card_chargeDeclined")
    intent_id = declined.value.error.payment_intent.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent_id})
    assert raised.value.code == "charge_not_refundable"


# -- the books survive a crash --------------------------------------------------


def test_the_books_and_the_keys_survive_sigkill(tmp_path):
    books = tmp_path / "books.sqlite3"
    with sandbox_provider(books) as first:
        intent = charge(first.client(), key="payment-5")
        first.kill()
    with sandbox_provider(books) as second:
        again = charge(second.client(), key="payment-5")
        assert again.id == intent.id
        assert [i["id"] for i in second.books()["payment_intents"]] == [intent.id]


# -- faults ---------------------------------------------------------------------


def test_told_to_fail_it_answers_5xx_and_applies_nothing(provider):
    provider.faults(error_rate=1.0, error_statuses=[502])
    with pytest.raises(stripe.APIError) as raised:
        charge(provider.client(), key="payment-6")
    assert raised.value.http_status == 502
    assert provider.books()["payment_intents"] == []
    provider.faults(error_rate=0.0)
    assert charge(provider.client(), key="payment-6").status == "succeeded"


def test_a_random_share_of_calls_fails(provider):
    provider.faults(error_rate=0.5, seed=7)
    outcomes = []
    for n in range(40):
        try:
            charge(provider.client(), key=f"random-{n}")
            outcomes.append(True)
        except stripe.APIError:
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35
    assert len(provider.books()["payment_intents"]) == outcomes.count(True)


def test_a_drop_before_applying_charges_nothing(provider):
    provider.faults(drop="before", drop_count=1)
    with pytest.raises(stripe.APIConnectionError):
        charge(provider.client(), key="payment-7")
    assert provider.books()["payment_intents"] == []
    assert charge(provider.client(), key="payment-7").status == "succeeded"
    assert len(provider.books()["payment_intents"]) == 1


def test_a_drop_after_applying_charges_once_and_the_key_replays_it(provider):
    provider.faults(drop="after", drop_count=1)
    with pytest.raises(stripe.APIConnectionError):
        charge(provider.client(), key="payment-8")
    [applied] = provider.books()["payment_intents"]
    assert applied["status"] == "succeeded"
    assert charge(provider.client(), key="payment-8").id == applied["id"]
    assert len(provider.books()["payment_intents"]) == 1


def test_latency_beyond_the_read_timeout_is_a_connection_error(provider):
    provider.faults(latency_ms=1500)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        charge(provider.client(timeout=0.3), key="payment-9")
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize(
    "changes",
    [
        {"error_rate": 2},
        {"drop": "sideways"},
        {"unknown": 1},
        {"webhook_duplicate": "yes"},
        {"error_statuses": [200]},
        {"latency_ms": "slow"},
    ],
)
def test_a_bad_fault_setting_is_refused_and_changes_nothing(provider, changes):
    before = provider.control("GET", "/_sandbox/faults")
    answer = provider.faults(**changes)
    assert answer["status"] == 400
    assert provider.control("GET", "/_sandbox/faults") == before


# -- webhooks -------------------------------------------------------------------


def flush(provider: SandboxProcess) -> None:
    assert provider.control("POST", "/_sandbox/webhooks/flush", {})["flushed"]


def test_events_are_signed_so_that_the_sdk_verifies_them(provider, receiver):
    intent = charge(provider.client())
    with pytest.raises(stripe.CardError):
        charge(provider.client(), payment_method="pm_card_chargeDeclined")
    provider.client().v1.refunds.create(params={"payment_intent": intent.id})
    flush(provider)
    assert receiver.types() == [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "refund.created",
    ]
    assert receiver.events[0]["data"]["object"]["id"] == intent.id
    assert receiver.rejected == []


def test_a_replayed_request_sends_no_second_event(provider, receiver):
    charge(provider.client(), key="payment-10")
    charge(provider.client(), key="payment-10")
    flush(provider)
    assert receiver.types() == ["payment_intent.succeeded"]


def test_another_secret_or_an_old_signature_does_not_verify(provider, receiver):
    charge(provider.client())
    flush(provider)
    body = json.dumps(receiver.events[0]).encode()
    now = int(time.time())
    stripe.Webhook.construct_event(
        body, sign(body, WEBHOOK_SECRET, now), WEBHOOK_SECRET
    )
    for header in (
        sign(body, "whsec_other", now),
        sign(body, WEBHOOK_SECRET, now - 600),  # past the 5-minute tolerance
        "t=1,v1=00",
    ):
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET)


def test_events_can_come_twice(provider, receiver):
    provider.faults(webhook_duplicate=True)
    charge(provider.client())
    flush(provider)
    assert receiver.types() == ["payment_intent.succeeded"] * 2
    assert receiver.events[0]["id"] == receiver.events[1]["id"]


def test_events_can_come_out_of_order(provider, receiver):
    provider.faults(webhook_reorder=True)
    intent = charge(provider.client())
    provider.client().v1.refunds.create(params={"payment_intent": intent.id})
    flush(provider)
    assert receiver.types() == ["refund.created", "payment_intent.succeeded"]


def test_events_can_come_late(provider, receiver):
    provider.faults(webhook_delay_ms=400)
    charge(provider.client())
    time.sleep(0.1)
    assert receiver.events == []
    flush(provider)
    assert receiver.types() == ["payment_intent.succeeded"]


def test_events_can_be_withheld(provider, receiver):
    provider.faults(webhooks_off=True)
    charge(provider.client())
    flush(provider)
    assert receiver.events == []


def test_a_failing_receiver_gets_the_event_again(provider, receiver):
    receiver.answer = 500
    charge(provider.client())
    time.sleep(0.3)
    receiver.answer = 200
    flush(provider)
    assert len(receiver.events) >= 2
    assert {event["id"] for event in receiver.events} == {receiver.events[0]["id"]}
    statuses = [
        d["status"]
        for d in provider.control("GET", "/_sandbox/deliveries")["deliveries"]
    ]
    assert statuses[0] == 500 and statuses[-1] == 200


def test_settling_later_leaves_a_charge_processing_then_sends_success(
    provider, receiver
):
    provider.faults(settle_ms=300)
    client = provider.client()
    intent = charge(client)
    assert intent.status == "processing"
    settled = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        settled = client.v1.payment_intents.retrieve(intent.id)
        if settled.status == "succeeded":
            break
        time.sleep(0.05)
    assert settled is not None and settled.status == "succeeded"
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "pending"
    time.sleep(0.5)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    flush(provider)
    assert receiver.types() == [
        "payment_intent.succeeded",
        "refund.created",
        "refund.updated",
    ]
