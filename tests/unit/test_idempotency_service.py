"""IdempotencyService with an in-memory repository: scope, replay, refuse, purge.

How a use case enters a key and resumes what it made is proven with the
services that do it (test_payment_service, test_order_service) and for real in
tests/api/test_idempotency.py and the crash proofs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation, Unprocessable
from business.idempotency import IdempotencyService, KeyedRequest, Replay
from business.idempotency.service import KeyReused, enter, fingerprint
from tests.unit.order_fakes import FakeIdempotencyRepository, FakeUnitOfWork

CAROL = Actor(user_id=1)
DAVE = Actor(user_id=2)
BODY = {"items": [{"product_id": 1, "quantity": 2}]}
ANSWER = Replay(status=201, body='{"id":7}', content_type="application/json")


@pytest.fixture
def keys() -> FakeIdempotencyRepository:
    return FakeIdempotencyRepository()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def service(keys, uow) -> IdempotencyService:
    return IdempotencyService(keys=keys, uow=uow)


def keyed(
    service, *, actor=CAROL, key="k-1", body=BODY, path="/api/v1/orders/"
) -> KeyedRequest:
    return service.keyed(actor=actor, method="POST", path=path, key=key, body=body)


def test_a_new_key_has_nothing_to_replay(service, keys):
    assert service.replay(keyed(service)) is None
    assert keys.rows == {}


def test_a_kept_answer_is_replayed(service, uow):
    service.keep(keyed(service), ANSWER)
    assert service.replay(keyed(service)) == ANSWER
    assert uow.commits == 1


def test_the_first_kept_answer_wins(service):
    service.keep(keyed(service), ANSWER)
    service.keep(keyed(service), Replay(status=409, body="{}", content_type="x"))
    assert service.replay(keyed(service)) == ANSWER


def test_equal_json_is_the_same_body_whatever_the_key_order(service):
    service.keep(keyed(service, body={"a": 1, "b": [1, 2]}), ANSWER)
    assert service.replay(keyed(service, body={"b": [1, 2], "a": 1})) == ANSWER
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_the_same_key_with_another_body_is_refused(service):
    service.keep(keyed(service), ANSWER)
    with pytest.raises(KeyReused) as raised:
        service.replay(keyed(service, body={"items": []}))
    assert isinstance(raised.value, Unprocessable)
    assert raised.value.code == "idempotency-key-reused"


def test_another_body_is_refused_even_while_the_first_runs(service, keys):
    enter(keys, keyed(service))  # a first attempt in its transaction
    with pytest.raises(KeyReused):
        service.replay(keyed(service, body={"items": []}))
    with pytest.raises(KeyReused):
        enter(keys, keyed(service, body={"items": []}))


def test_an_attempt_in_flight_has_no_answer_yet_but_what_it_made(service, keys):
    entry = enter(keys, keyed(service))
    keys.bind(entry.key_id, 42)
    assert service.replay(keyed(service)) is None
    assert enter(keys, keyed(service)).made == 42


def test_keys_are_scoped_per_user_and_path(service):
    service.keep(keyed(service), ANSWER)
    assert service.replay(keyed(service, actor=DAVE)) is None
    assert service.replay(keyed(service, path="/api/v1/payments/")) is None


def test_an_anonymous_caller_cannot_use_a_key(service):
    with pytest.raises(PermissionDenied):
        keyed(service, actor=Actor.anonymous())


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_a_key_of_zero_or_over_255_characters_is_refused(service, keys, key):
    with pytest.raises(RuleViolation) as raised:
        keyed(service, key=key)
    assert [e.field for e in raised.value.errors] == ["Idempotency-Key"]


@pytest.mark.parametrize("key", ["k", "k" * 255])
def test_keys_of_one_to_255_characters_are_accepted(service, key):
    assert keyed(service, key=key).scope.key == key


@pytest.mark.parametrize("status", [201, 402, 404, 409, 500])
def test_an_answer_is_kept_whatever_its_status(service, status):
    # Which answers to keep is presentation's choice; business keeps what it is given.
    service.keep(keyed(service), Replay(status=status, body="{}", content_type="x"))
    replay = service.replay(keyed(service))
    assert replay is not None and replay.status == status


def test_a_released_key_is_free_for_a_retry(service, keys, uow):
    enter(keys, keyed(service))
    service.release(keyed(service))
    assert keys.rows == {}
    assert uow.commits == 1


def test_releasing_keeps_a_key_bound_to_what_it_made(service, keys):
    entry = enter(keys, keyed(service))
    keys.bind(entry.key_id, 42)
    service.release(keyed(service))
    assert enter(keys, keyed(service)).made == 42


def test_releasing_keeps_an_answer(service):
    service.keep(keyed(service), ANSWER)
    service.release(keyed(service))
    assert service.replay(keyed(service)) == ANSWER


def test_purge_deletes_only_keys_older_than_a_day(service, keys):
    old = enter(keys, keyed(service, key="old"))
    enter(keys, keyed(service, key="new"))
    keys.age(old.key_id, timedelta(hours=24, minutes=1))
    assert service.purge_expired() == 1
    assert [scope[3] for scope in keys.rows] == ["new"]
