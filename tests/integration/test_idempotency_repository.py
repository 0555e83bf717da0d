"""IdempotencyRepository on PostgreSQL: enter, bind, answer, release, purge."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from data.idempotency.models import IdempotencyKey
from data.idempotency.repository import (
    IdempotencyRepository,
    KeyScope,
    StoredAnswer,
    StoredKey,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ANSWER = StoredAnswer(status=201, body='{"id":1}', content_type="application/json")


@pytest.fixture
def repo() -> IdempotencyRepository:
    return IdempotencyRepository()


@pytest.fixture
def user(db):
    return UserFactory()


def scope(user, key="k-1", path="/api/v1/orders/") -> KeyScope:
    return KeyScope(user_id=user.pk, method="POST", path=path, key=key)


def enter(repo, user, fingerprint="f" * 64, **where) -> StoredKey:
    return repo.enter(scope(user, **where), fingerprint=fingerprint)


def test_entering_a_new_key_inserts_it_without_answer_or_resource(repo, user):
    stored = enter(repo, user)
    assert (stored.fingerprint, stored.resource_id, stored.response_status) == (
        "f" * 64,
        None,
        None,
    )
    assert IdempotencyKey.objects.filter(pk=stored.id, user=user).exists()


def test_entering_an_existing_key_returns_it_as_stored(repo, user):
    first = enter(repo, user)
    repo.bind(first.id, 42)
    again = enter(repo, user, fingerprint="other")
    assert (again.id, again.fingerprint, again.resource_id) == (first.id, "f" * 64, 42)
    assert IdempotencyKey.objects.count() == 1


def test_a_lost_insert_leaves_the_transaction_usable(repo, user):
    enter(repo, user)
    enter(repo, user)
    # A savepoint absorbed the unique violation: the connection still answers.
    assert IdempotencyKey.objects.count() == 1


def test_an_insert_that_lost_to_a_key_deleted_meanwhile_inserts_it(
    repo, user, monkeypatch
):
    real_create = IdempotencyKey.objects.create
    attempts: list[str] = []

    def create_after_losing_once(**fields):
        attempts.append(fields["key"])
        if len(attempts) == 1:
            # Another request held the key at our insert and released it (a 400)
            # before our read: the row we lost to is gone.
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_create(**fields)

    monkeypatch.setattr(IdempotencyKey.objects, "create", create_after_losing_once)
    stored = enter(repo, user)
    assert attempts == ["k-1", "k-1"]
    assert IdempotencyKey.objects.get().pk == stored.id


@pytest.mark.django_db(transaction=True)
def test_a_second_entry_waits_for_the_first_transaction_and_sees_its_work(repo):
    user = UserFactory()
    entered = threading.Event()
    seen: list[int | None] = []

    def first() -> None:
        with transaction.atomic():
            stored = enter(repo, user)
            entered.set()
            time.sleep(0.5)
            repo.bind(stored.id, 7)
        connection.close()

    def second() -> None:
        entered.wait(5)
        with transaction.atomic():
            seen.append(enter(repo, user).resource_id)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [7]


def test_keys_are_scoped_by_user_method_path_and_key(repo, user):
    enter(repo, user)
    enter(repo, UserFactory())
    enter(repo, user, path="/api/v1/payments/")
    enter(repo, user, key="k-2")
    assert IdempotencyKey.objects.count() == 4


def test_find_reads_a_key_as_committed(repo, user):
    assert repo.find(scope(user)) is None
    stored = enter(repo, user)
    assert repo.find(scope(user)) == stored


def test_an_answer_is_kept_once_and_inserts_a_key_rolled_back(repo, user):
    # The use case rolled back (a 404): no row; the answer brings the key.
    repo.answer(scope(user), fingerprint="f", answer=ANSWER)
    stored = repo.find(scope(user))
    assert stored is not None
    assert (stored.response_status, stored.response_body) == (201, '{"id":1}')
    later = StoredAnswer(status=409, body="{}", content_type="application/json")
    repo.answer(scope(user), fingerprint="f", answer=later)
    assert repo.find(scope(user)) == stored


def test_an_answer_fills_a_key_entered_before(repo, user):
    first = enter(repo, user)
    repo.answer(scope(user), fingerprint="f" * 64, answer=ANSWER)
    stored = repo.find(scope(user))
    assert stored is not None
    assert (stored.id, stored.response_status) == (first.id, 201)


def test_release_forgets_only_a_key_that_made_nothing_and_kept_nothing(repo, user):
    enter(repo, user, key="open")
    bound = enter(repo, user, key="bound")
    repo.bind(bound.id, 9)
    repo.answer(scope(user, key="done"), fingerprint="f", answer=ANSWER)
    for key in ("open", "bound", "done"):
        repo.release(scope(user, key=key))
    kept = IdempotencyKey.objects.order_by("key").values_list("key", flat=True)
    assert list(kept) == ["bound", "done"]


def test_purge_deletes_keys_created_before_the_cutoff(repo, user):
    old = enter(repo, user, key="old")
    enter(repo, user, key="new")
    cutoff = timezone.now() - timedelta(hours=24)
    IdempotencyKey.objects.filter(pk=old.id).update(
        created_at=cutoff - timedelta(seconds=1)
    )
    assert repo.purge(before=cutoff) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
