"""AccountService.create_superuser: the admin login batch jobs such as the demo make."""

from __future__ import annotations

import pytest

from business.accounts import AccountService
from business.actor import Actor
from business.errors import PermissionDenied, RuleViolation
from tests.unit.fakes import FakePasswordPolicy, FakeUnitOfWork, FakeUserRepository

JOB = Actor.system(request_id="cmd-seed")


class Users(FakeUserRepository):
    """FakeUserRepository that remembers who was made a superuser."""

    def __init__(self) -> None:
        super().__init__()
        self.superusers: set[int] = set()

    def add(self, *, is_superuser: bool = False, **fields):
        user = super().add(is_superuser=is_superuser, **fields)
        if is_superuser:
            self.superusers.add(user.id)
        return user


@pytest.fixture
def world():
    users, uow = Users(), FakeUnitOfWork()
    service = AccountService(users=users, passwords=FakePasswordPolicy(), uow=uow)
    return service, users, uow


def create(service, actor=JOB, **overrides):
    fields = {"username": "admin", "email": "admin@example.com"}
    fields |= {"password": "long-enough-1", **overrides}
    return service.create_superuser(actor=actor, **fields)


def test_creates_a_staff_superuser_in_one_transaction(world):
    service, users, uow = world
    user = create(service)
    assert user.is_staff and users.superusers == {user.id} and uow.commits == 1
    assert users.passwords[user.id] == "long-enough-1"


def test_a_taken_username_is_a_field_error_and_changes_nothing(world):
    service, users, uow = world
    first = create(service)
    with pytest.raises(RuleViolation) as caught:
        create(service, username="ADMIN", email="other@example.com")
    assert [(e.field, e.code) for e in caught.value.errors] == [("username", "unique")]
    assert list(users.rows.values()) == [first] and uow.commits == 1


def test_the_password_rules_apply(world):
    service, _, _ = world
    with pytest.raises(RuleViolation) as caught:
        create(service, password="short")
    assert [e.field for e in caught.value.errors] == ["password"]


def test_a_lost_race_is_a_field_error(world):
    service, users, _ = world
    users.raced.add("admin")
    with pytest.raises(RuleViolation) as caught:
        create(service)
    assert [e.field for e in caught.value.errors] == ["username"]


def test_only_staff_create_staff(world):
    service, users, _ = world
    with pytest.raises(PermissionDenied):
        create(service, actor=Actor(user_id=5))
    assert not users.rows
