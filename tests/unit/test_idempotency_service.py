"""IdempotencyService with an in-memory repository: claim, replay, refuse, purge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from business.actor import Actor
from business.errors import Conflict, RuleViolation, Unprocessable
from business.idempotency import Claim, IdempotencyService, Replay
from business.idempotency.service import (
    KeyReused,
    RequestInProgress,
    fingerprint,
)
from tests.unit.order_fakes import FakeIdempotencyRepository, FakeUnitOfWork

CAROL = Actor(user_id=1)
DAVE = Actor(user_id=2)
BODY = {"items": [{"product_id": 1, "quantity": 2}]}


@pytest.fixture
def keys() -> FakeIdempotencyRepository:
    return FakeIdempotencyRepository()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def service(keys, uow) -> IdempotencyService:
    return IdempotencyService(keys=keys, uow=uow)


def begin(service, *, actor=CAROL, key="k-1", body=BODY, path="/api/v1/orders/"):
    return service.begin(actor=actor, method="POST", path=path, key=key, body=body)


def finish(service, claim, status=201, body='{"id":1}'):
    service.finish(claim, status=status, body=body, content_type="application/json")


def test_a_new_key_is_claimed(service, keys, uow):
    claim = begin(service)
    assert isinstance(claim, Claim)
    assert len(keys.rows) == 1
    assert uow.commits == 1


def test_a_finished_key_replays_its_answer(service):
    finish(service, begin(service), status=201, body='{"id":7}')
    replay = begin(service)
    assert replay == Replay(
        status=201, body='{"id":7}', content_type="application/json"
    )


def test_equal_json_is_the_same_body_whatever_the_key_order(service):
    finish(service, begin(service, body={"a": 1, "b": [1, 2]}))
    assert isinstance(begin(service, body={"b": [1, 2], "a": 1}), Replay)
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_the_same_key_with_another_body_is_refused(service):
    finish(service, begin(service))
    with pytest.raises(KeyReused) as raised:
        begin(service, body={"items": []})
    assert isinstance(raised.value, Unprocessable)
    assert raised.value.code == "idempotency-key-reused"


def test_another_body_is_refused_even_while_the_first_runs(service):
    begin(service)
    with pytest.raises(KeyReused):
        begin(service, body={"items": []})


def test_a_key_still_in_progress_is_a_conflict(service):
    begin(service)
    with pytest.raises(RequestInProgress) as raised:
        begin(service)
    assert isinstance(raised.value, Conflict)
    assert raised.value.code == "idempotency-request-in-progress"


def test_a_key_abandoned_for_over_five_minutes_is_taken_over(service, keys):
    first = begin(service)
    keys.age(first.key_id, timedelta(minutes=5, seconds=1))
    second = begin(service)
    assert second == Claim(key_id=first.key_id)
    with pytest.raises(RequestInProgress):
        begin(service)


def test_a_key_locked_under_five_minutes_ago_is_still_in_progress(service, keys):
    first = begin(service)
    keys.age(first.key_id, timedelta(minutes=4, seconds=50))
    with pytest.raises(RequestInProgress):
        begin(service)


def test_keys_are_scoped_per_user_and_path(service):
    begin(service)
    assert isinstance(begin(service, actor=DAVE), Claim)
    assert isinstance(begin(service, path="/api/v1/payments/"), Claim)


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_a_key_of_zero_or_over_255_characters_is_refused(service, keys, key):
    with pytest.raises(RuleViolation) as raised:
        begin(service, key=key)
    assert [e.field for e in raised.value.errors] == ["Idempotency-Key"]
    assert keys.rows == {}


@pytest.mark.parametrize("key", ["k", "k" * 255])
def test_keys_of_one_to_255_characters_are_accepted(service, key):
    assert isinstance(begin(service, key=key), Claim)


@pytest.mark.parametrize("status", [201, 402, 404, 409, 500])
def test_a_finished_answer_is_kept_whatever_its_status(service, status):
    # Which answers to keep is presentation's choice; business keeps what it is given.
    finish(service, begin(service), status=status, body='{"s":1}')
    replay = begin(service)
    assert isinstance(replay, Replay) and replay.status == status


def test_a_released_key_is_free_for_a_retry(service, keys, uow):
    service.release(begin(service))
    assert keys.rows == {}
    assert uow.commits == 2
    assert isinstance(begin(service), Claim)


def test_releasing_a_finished_key_keeps_its_answer(service):
    claim = begin(service)
    finish(service, claim, status=201)
    service.release(claim)
    assert isinstance(begin(service), Replay)


def test_purge_deletes_only_keys_older_than_a_day(service, keys):
    old = begin(service, key="old")
    begin(service, key="new")
    keys.age(old.key_id, timedelta(hours=24, minutes=1))
    assert service.purge_expired() == 1
    assert [scope[3] for scope in keys.rows] == ["new"]
