"""`Idempotency-Key` on POST /orders/, /payments/ and cancel: replays and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from business.idempotency.service import fingerprint
from data.catalog.models import Product
from data.idempotency.models import IdempotencyKey
from data.idempotency.repository import IdempotencyRepository, KeyScope
from data.orders.models import Order
from data.payments.gateway import SandboxGateway
from data.payments.models import Payment, Refund
from data.payments.provider import Outcome, ProviderResult
from presentation.idempotency import idempotent
from tests.api.order_support import (
    ORDERS,
    items,
    order_url,
    pay,
    place,
    placed,
    stock_of,
)
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

KEY = "order-7f3c2a"


@pytest.fixture
def mug(db):
    return ProductFactory(sku="MUG-1", price=Decimal("9.90"), stock=10)


def keyed(key: str = KEY) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": key}


def assert_replay_of(replay, first) -> None:
    assert replay.status_code == first.status_code
    assert replay["Idempotent-Replayed"] == "true"
    assert replay["Content-Type"] == first["Content-Type"]
    assert replay.content == first.content


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(customer_api, mug):
    first = place(customer_api, (mug, 2), **keyed())
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    replay = place(customer_api, (mug, 2), **keyed())
    assert_replay_of(replay, first)
    assert Order.objects.count() == 1
    assert stock_of(mug) == 8


def test_equal_json_in_another_key_order_is_the_same_body(customer_api, mug):
    first = place(customer_api, (mug, 1), **keyed())
    reordered = {"items": [{"quantity": 1, "product_id": mug.pk}]}
    replay = customer_api.post(ORDERS, reordered, format="json", **keyed())
    assert_replay_of(replay, first)


def test_the_same_key_with_another_body_is_422(customer_api, mug):
    place(customer_api, (mug, 1), **keyed())
    response = place(customer_api, (mug, 2), **keyed())
    assert_problem(response, 422, "idempotency-key-reused")
    assert Order.objects.count() == 1
    assert stock_of(mug) == 9


def test_requests_without_a_key_are_not_deduplicated(customer_api, mug):
    place(customer_api, (mug, 1))
    place(customer_api, (mug, 1))
    assert Order.objects.count() == 2


def test_a_key_of_256_characters_is_400(customer_api, mug):
    response = place(customer_api, (mug, 1), **keyed("k" * 256))
    assert_problem(response, 400, "validation-error", fields={"Idempotency-Key"})
    assert not Order.objects.exists()


def test_a_key_of_255_characters_is_accepted(customer_api, mug):
    assert place(customer_api, (mug, 1), **keyed("k" * 255)).status_code == 201
    assert IdempotencyKey.objects.get().key == "k" * 255


def test_an_empty_key_is_400(customer_api, mug):
    response = place(customer_api, (mug, 1), **keyed(""))
    assert_problem(response, 400, "validation-error", fields={"Idempotency-Key"})
    assert not Order.objects.exists()


def test_a_validation_failure_is_not_stored_so_a_fixed_body_can_retry(
    customer_api, mug
):
    bad = place(customer_api, (mug, 0), **keyed())
    assert_problem(bad, 400, "validation-error", fields={"items[0].quantity"})
    assert not IdempotencyKey.objects.exists()
    fixed = place(customer_api, (mug, 1), **keyed())
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed


def test_an_insufficient_stock_answer_is_stored_and_replayed(customer_api, mug):
    first = place(customer_api, (mug, 11), **keyed())
    assert_problem(first, 409, "insufficient-stock")
    Product.objects.filter(pk=mug.pk).update(stock=50)
    replay = place(customer_api, (mug, 11), **keyed())
    assert_replay_of(replay, first)
    assert not Order.objects.exists()
    assert stock_of(mug) == 50


def test_keys_are_scoped_per_user(customer_api, other_api, mug):
    mine = place(customer_api, (mug, 1), **keyed())
    theirs = place(other_api, (mug, 1), **keyed())
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != mine.json()["id"]
    assert Order.objects.count() == 2


def test_keys_are_scoped_per_path(customer_api, mug):
    order = placed(customer_api, (mug, 1))
    place(customer_api, (mug, 1), **keyed())
    payment = pay(customer_api, order, **keyed())
    assert payment.status_code == 201
    assert "Idempotent-Replayed" not in payment


def test_a_key_whose_order_committed_without_an_answer_resumes_it(
    customer, customer_api, mug
):
    # The first request committed its order (and the key bound to it), then
    # died before its answer was kept: the retry answers that order, at once.
    first = placed(customer_api, (mug, 1))
    scope = KeyScope(user_id=customer.pk, method="POST", path=ORDERS, key=KEY)
    entered = IdempotencyRepository().enter(
        scope, fingerprint=fingerprint(items((mug, 1)))
    )
    IdempotencyRepository().bind(entered.id, first["id"])
    response = customer_api.post(ORDERS, items((mug, 1)), format="json", **keyed())
    assert response.status_code == 201
    assert response.json()["id"] == first["id"]
    assert Order.objects.count() == 1
    assert stock_of(mug) == 9
    assert IdempotencyKey.objects.get().response_status == 201


def test_a_key_left_by_a_rolled_back_attempt_runs_the_request(
    customer, customer_api, mug
):
    # A key with neither an answer nor what it made: its attempt never committed.
    scope = KeyScope(user_id=customer.pk, method="POST", path=ORDERS, key=KEY)
    IdempotencyRepository().enter(scope, fingerprint=fingerprint(items((mug, 1))))
    response = customer_api.post(ORDERS, items((mug, 1)), format="json", **keyed())
    assert response.status_code == 201
    assert Order.objects.count() == 1


def test_a_payment_retry_replays_without_charging_again(customer_api, mug):
    order = placed(customer_api, (mug, 1))
    first = pay(customer_api, order, **keyed("pay-1"))
    assert first.status_code == 201
    replay = pay(customer_api, order, **keyed("pay-1"))
    assert_replay_of(replay, first)
    assert Payment.objects.count() == 1


def test_a_declined_payment_is_stored_and_replayed(customer_api, mug):
    order = placed(customer_api, (mug, 1))
    first = pay(customer_api, order, "tok_chargeDeclined", **keyed("pay-1"))
    assert_problem(first, 402, "payment-declined")
    replay = pay(customer_api, order, "tok_chargeDeclined", **keyed("pay-1"))
    assert_replay_of(replay, first)
    assert replay.json()["payment"]["status"] == "failed"
    assert Payment.objects.count() == 1


def test_a_not_found_payment_is_stored_and_replayed(other_api, customer_api, mug):
    order = placed(customer_api, (mug, 1))
    first = pay(other_api, order, **keyed("pay-1"))
    assert_problem(first, 404, "not-found")
    assert_replay_of(pay(other_api, order, **keyed("pay-1")), first)


def test_a_bad_token_is_not_stored(customer_api, mug):
    order = placed(customer_api, (mug, 1))
    bad = pay(customer_api, order, "tok_typo", **keyed("pay-1"))
    assert_problem(bad, 400, "validation-error", fields={"payment_token"})
    assert pay(customer_api, order, **keyed("pay-1")).status_code == 201


class AnswerView(APIView):
    """Answer every keyed POST with the status the test chose."""

    permission_classes = [IsAuthenticated]
    status = 201

    @idempotent
    def post(self, request: Request, keyed: object) -> Response:
        return Response({"status": self.status}, status=self.status)


@pytest.mark.parametrize(
    ("status", "kept"),
    [
        (201, True),
        (402, True),
        (404, True),
        (409, True),
        (200, False),
        (400, False),
        (403, False),
        (422, False),
        (500, False),
        (503, False),
    ],
)
def test_presentation_keeps_only_answers_that_say_what_happened(customer, status, kept):
    view = type("Answer", (AnswerView,), {"status": status}).as_view()
    request = APIRequestFactory().post(
        "/answer/", {"a": 1}, format="json", **keyed("answer-1")
    )
    force_authenticate(request, user=customer)
    assert view(request).status_code == status
    stored = list(IdempotencyKey.objects.values_list("response_status", flat=True))
    assert stored == ([status] if kept else [])


def test_a_cancel_retried_with_its_key_resumes_the_refund_left_pending(
    customer_api, mug, monkeypatch
):
    order = placed(customer_api, (mug, 1))
    assert pay(customer_api, order).status_code == 201
    cancel = order_url(order["id"], "cancel")
    # The provider does not answer the first refund (a timeout, or a crash).
    with monkeypatch.context() as patched:
        patched.setattr(SandboxGateway, "refund", no_answer)
        first = customer_api.post(cancel, **keyed("cancel-1"))
    assert first.status_code == 200
    assert Refund.objects.get().status == "pending"
    again = customer_api.post(cancel, **keyed("cancel-1"))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Refund.objects.get().status == "succeeded"
    assert Payment.objects.get().status == "refunded"
    assert stock_of(mug) == 10
    # Without the key, a second cancel is what it always was.
    assert_problem(customer_api.post(cancel), 409, "invalid-transition")


def no_answer(self, **_: object) -> ProviderResult:
    return ProviderResult(outcome=Outcome.PENDING)
