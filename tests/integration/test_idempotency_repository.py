"""IdempotencyRepository on PostgreSQL: claim, take over, finish, release, purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from data.idempotency.models import IdempotencyKey
from data.idempotency.repository import ClaimOutcome, IdempotencyRepository, StoredKey
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def repo() -> IdempotencyRepository:
    return IdempotencyRepository()


@pytest.fixture
def user(db):
    return UserFactory()


def claim(repo, user, key="k-1", fingerprint="f" * 64, path="/api/v1/orders/"):
    return repo.claim(
        user_id=user.pk, method="POST", path=path, key=key, fingerprint=fingerprint
    )


def test_claiming_a_new_key_inserts_it_unfinished(repo, user):
    outcome = claim(repo, user)
    assert isinstance(outcome, ClaimOutcome)
    claimed, stored = outcome.claimed, outcome.key
    assert claimed is True
    assert isinstance(stored, StoredKey)
    assert (stored.fingerprint, stored.response_status) == ("f" * 64, None)
    assert IdempotencyKey.objects.filter(pk=stored.id, user=user).exists()


def test_claiming_an_existing_key_returns_the_stored_one(repo, user):
    first = claim(repo, user).key
    repo.finish(first.id, status=201, body='{"id":1}', content_type="application/json")
    outcome = claim(repo, user, fingerprint="other")
    claimed, stored = outcome.claimed, outcome.key
    assert claimed is False
    assert stored.id == first.id
    assert (stored.fingerprint, stored.response_status, stored.response_body) == (
        "f" * 64,
        201,
        '{"id":1}',
    )
    assert stored.response_content_type == "application/json"
    assert IdempotencyKey.objects.count() == 1


def test_a_lost_claim_leaves_the_transaction_usable(repo, user):
    claim(repo, user)
    claim(repo, user)
    # A savepoint absorbed the unique violation: the connection still answers.
    assert IdempotencyKey.objects.count() == 1


def test_a_claim_that_lost_to_a_key_released_meanwhile_claims_it(
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
    outcome = claim(repo, user)
    claimed, stored = outcome.claimed, outcome.key
    assert claimed is True
    assert attempts == ["k-1", "k-1"]
    assert IdempotencyKey.objects.get().pk == stored.id


def test_keys_are_scoped_by_user_method_path_and_key(repo, user):
    claim(repo, user)
    assert claim(repo, UserFactory()).claimed is True
    assert claim(repo, user, path="/api/v1/payments/").claimed is True
    assert claim(repo, user, key="k-2").claimed is True
    assert IdempotencyKey.objects.count() == 4


def test_take_over_relocks_the_key_with_the_new_fingerprint(repo, user):
    stored = claim(repo, user).key
    old = timezone.now() - timedelta(minutes=10)
    IdempotencyKey.objects.filter(pk=stored.id).update(locked_at=old)
    repo.take_over(stored.id, fingerprint="new")
    row = IdempotencyKey.objects.get(pk=stored.id)
    assert row.fingerprint == "new"
    assert row.locked_at > old + timedelta(minutes=9)


def test_release_forgets_an_unfinished_key_but_never_a_finished_one(repo, user):
    open_key = claim(repo, user, key="open").key
    done = claim(repo, user, key="done").key
    repo.finish(done.id, status=409, body="{}", content_type="application/json")
    repo.release(open_key.id)
    repo.release(done.id)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["done"]


def test_purge_deletes_keys_created_before_the_cutoff(repo, user):
    old = claim(repo, user, key="old").key
    claim(repo, user, key="new")
    cutoff = timezone.now() - timedelta(hours=24)
    IdempotencyKey.objects.filter(pk=old.id).update(
        created_at=cutoff - timedelta(seconds=1)
    )
    assert repo.purge(before=cutoff) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
