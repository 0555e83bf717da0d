"""AccountService.ensure_user, used by batch jobs such as seed_demo_data."""

from __future__ import annotations

import pytest

from business.accounts import AccountService
from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation
from tests.unit.fakes import FakePasswordPolicy, FakeUnitOfWork, FakeUserRepository

JOB = Actor.system(request_id="cmd-seed")


class Users(FakeUserRepository):
    """FakeUserRepository with the lookup by username."""

    def find_by_username(self, username: str):
        return next(
            (u for u in self.rows.values() if u.username.lower() == username.lower()),
            None,
        )


@pytest.fixture
def world():
    users, uow = Users(), FakeUnitOfWork()
    service = AccountService(users=users, passwords=FakePasswordPolicy(), uow=uow)
    return service, users, uow


def ensure(service, actor=JOB, **overrides):
    fields = {"username": "admin", "email": "admin@example.com"}
    fields |= {"password": "long-enough-1", **overrides}
    return service.ensure_user(actor=actor, **fields)


def test_creates_a_missing_user_in_one_transaction(world):
    service, users, uow = world
    user, created = ensure(service, is_staff=True)
    assert created and user.is_staff and uow.commits == 1
    assert users.passwords[user.id] == "long-enough-1"


def test_an_existing_user_is_returned_untouched(world):
    service, users, uow = world
    first, _ = ensure(service)
    again, created = ensure(service, username="ADMIN", password="other-password")
    assert (again, created) == (first, False)
    assert users.passwords[first.id] == "long-enough-1" and uow.commits == 1


def test_the_password_rules_apply(world):
    service, _, _ = world
    with pytest.raises(RuleViolation) as caught:
        ensure(service, password="short")
    assert [e.field for e in caught.value.errors] == ["password"]


def test_a_lost_race_is_a_field_error(world):
    service, users, _ = world
    users.raced.add("admin")
    with pytest.raises(RuleViolation) as caught:
        ensure(service)
    assert [e.field for e in caught.value.errors] == ["username"]


def test_only_staff_create_staff(world):
    service, _, _ = world
    with pytest.raises(PermissionDenied):
        ensure(service, actor=Actor(user_id=5), is_staff=True)
