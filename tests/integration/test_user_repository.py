"""UserRepository on PostgreSQL: case-insensitive identity, hashing, credentials."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from data.accounts.repository import PasswordPolicy, UserRecord, UserRepository
from data.errors import DuplicateError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def repo() -> UserRepository:
    return UserRepository()


def test_add_hashes_the_password_and_returns_a_record(repo):
    record = repo.add(username="alice", email="alice@example.com", password=PASSWORD)
    assert record == UserRecord(
        id=record.id, username="alice", email="alice@example.com", is_staff=False
    )
    stored = get_user_model().objects.get(pk=record.id)
    assert stored.password != PASSWORD
    assert stored.check_password(PASSWORD)


@pytest.mark.parametrize("username", ["ALICE", "Alice", "alice"])
def test_database_refuses_a_username_differing_only_in_case(repo, username):
    UserFactory(username="alice", email="a@example.com")
    with pytest.raises(DuplicateError) as caught, transaction.atomic():
        repo.add(username=username, email="b@example.com", password=PASSWORD)
    assert caught.value.field == "username"
    assert get_user_model().objects.count() == 1


def test_database_refuses_an_email_differing_only_in_case(repo):
    UserFactory(username="alice", email="alice@example.com")
    with pytest.raises(DuplicateError) as caught, transaction.atomic():
        repo.add(username="bob", email="ALICE@Example.com", password=PASSWORD)
    assert caught.value.field == "email"


def test_duplicate_username_is_named_even_when_it_mentions_email(repo):
    UserFactory(username="email", email="first@example.com")
    with pytest.raises(DuplicateError) as caught, transaction.atomic():
        repo.add(username="EMAIL", email="second@example.com", password=PASSWORD)
    assert caught.value.field == "username"


def test_users_without_email_may_coexist(repo):
    UserFactory(username="admin1", email="")
    UserFactory(username="admin2", email="")
    assert get_user_model().objects.filter(email="").count() == 2


def test_taken_checks_ignore_case(repo):
    UserFactory(username="Alice", email="Alice@Example.com")
    assert repo.username_taken("aLiCe") is True
    assert repo.email_taken("alice@example.COM") is True
    assert repo.username_taken("bob") is False
    assert repo.email_taken("bob@example.com") is False


def test_find_returns_active_users_only(repo):
    active = UserFactory(username="active", is_staff=True)
    gone = UserFactory(username="gone", is_active=False)
    assert repo.find(active.pk) == UserRecord(
        id=active.pk, username="active", email="active@example.com", is_staff=True
    )
    assert repo.find(gone.pk) is None
    assert repo.find(999999) is None


def test_authenticate_checks_the_password(repo):
    user = UserFactory(username="alice")
    assert repo.authenticate(username="alice", password=PASSWORD).id == user.pk
    assert repo.authenticate(username="alice", password="wrong") is None
    assert repo.authenticate(username="nobody", password=PASSWORD) is None


def test_authenticate_refuses_inactive_users(repo):
    UserFactory(username="gone", is_active=False)
    assert repo.authenticate(username="gone", password=PASSWORD) is None


def test_password_policy_applies_django_validators():
    policy = PasswordPolicy()
    assert policy.problems(PASSWORD, username="alice", email="alice@x.com") == []
    problems = policy.problems("123", username="alice", email="alice@x.com")
    assert any("too short" in message for message in problems)
    assert any("entirely numeric" in message for message in problems)
    similar = policy.problems("alice-in-wonder", username="alice-in-wonder", email="")
    assert any("similar" in message for message in similar)
    assert any(
        "too common" in message
        for message in policy.problems("password", username="x", email="")
    )
