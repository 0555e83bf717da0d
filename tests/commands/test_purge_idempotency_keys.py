"""`manage.py purge_idempotency_keys`: keys past retention go, recent ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from data.idempotency.models import IdempotencyKey
from tests.commands.support import call, manage
from tests.factories import UserFactory


def key(user, name: str, age: timedelta) -> None:
    IdempotencyKey.objects.create(
        user=user,
        method="POST",
        path="/api/v1/orders/",
        key=name,
        fingerprint="f" * 64,
        created_at=timezone.now() - age,
    )


@pytest.mark.django_db
def test_purges_expired_keys_and_says_how_many():
    user = UserFactory()
    key(user, "old-1", timedelta(hours=25))
    key(user, "old-2", timedelta(days=3))
    key(user, "fresh", timedelta(hours=1))
    result = call("purge_idempotency_keys")
    assert result.out == "Purged 2 expired idempotency keys.\n"
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert call("purge_idempotency_keys").out == "Purged 0 expired idempotency keys.\n"


@pytest.mark.django_db(transaction=True)
def test_runs_as_a_subprocess():
    key(UserFactory(), "old", timedelta(days=2))
    result = manage("purge_idempotency_keys")
    assert (result.returncode, result.stdout) == (
        0,
        "Purged 1 expired idempotency keys.\n",
    )
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_an_unexpected_argument_is_a_usage_error():
    result = call("purge_idempotency_keys", "now")
    assert result.code == 2 and len(result.err.splitlines()) == 1
