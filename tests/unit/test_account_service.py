"""AccountService with in-memory users: registration rules and credentials."""

from __future__ import annotations

import pytest

from business.accounts import AccountService
from business.actor import Actor
from business.errors import AuthenticationFailed, NotFound, RuleViolation
from tests.unit.fakes import FakePasswordPolicy, FakeUnitOfWork, FakeUserRepository

GOOD_PASSWORD = "correct-horse-battery"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def users() -> FakeUserRepository:
    return FakeUserRepository()


@pytest.fixture
def service(users, uow) -> AccountService:
    return AccountService(users=users, passwords=FakePasswordPolicy(), uow=uow)


def errors_of(violation: RuleViolation) -> list[tuple[str, str]]:
    return [(error.field, error.code) for error in violation.errors]


def register(service, **overrides):
    fields = {"username": "alice", "email": "alice@example.com"}
    fields["password"] = GOOD_PASSWORD
    fields.update(overrides)
    return service.register(**fields)


def test_register_creates_a_customer_in_one_transaction(service, users, uow):
    user = register(service)
    assert (user.username, user.email, user.is_staff) == (
        "alice",
        "alice@example.com",
        False,
    )
    assert users.find(user.id) == user
    assert uow.commits == 1


def test_register_refuses_a_username_taken_in_another_case(service, users):
    register(service)
    with pytest.raises(RuleViolation) as caught:
        register(service, username="ALICE", email="other@example.com")
    assert errors_of(caught.value) == [("username", "unique")]
    assert len(users.rows) == 1


def test_register_refuses_an_email_taken_in_another_case(service):
    register(service)
    with pytest.raises(RuleViolation) as caught:
        register(service, username="bob", email="Alice@Example.COM")
    assert errors_of(caught.value) == [("email", "unique")]


def test_register_requires_an_email(service):
    with pytest.raises(RuleViolation) as caught:
        register(service, email="")
    assert errors_of(caught.value) == [("email", "required")]


@pytest.mark.parametrize("username", ["", "u" * 151, "has space", "semi;colon"])
def test_register_refuses_a_bad_username(service, username):
    with pytest.raises(RuleViolation) as caught:
        register(service, username=username)
    assert errors_of(caught.value) == [("username", "invalid")]


def test_register_reports_every_password_problem(service, users, uow):
    with pytest.raises(RuleViolation) as caught:
        register(service, username="shorty", password="shorty")
    assert errors_of(caught.value) == [
        ("password", "password_invalid"),
        ("password", "password_invalid"),
    ]
    assert users.rows == {}
    assert uow.commits == 0


def test_register_reports_all_fields_at_once(service):
    register(service)
    with pytest.raises(RuleViolation) as caught:
        register(service, username="Alice", email="ALICE@example.com", password="x")
    assert [field for field, _ in errors_of(caught.value)] == [
        "username",
        "email",
        "password",
    ]


@pytest.mark.parametrize("field", ["username", "email"])
def test_register_maps_a_lost_race_to_a_field_error(service, users, uow, field):
    # Another request inserts the same value between the checks and the insert.
    users.raced.add("alice" if field == "username" else "alice@example.com")
    with pytest.raises(RuleViolation) as caught:
        register(service)
    assert errors_of(caught.value) == [(field, "unique")]
    assert uow.rollbacks == 1


def test_authenticate_returns_the_user_of_good_credentials(service):
    user = register(service)
    assert service.authenticate(username="alice", password=GOOD_PASSWORD) == user


def test_authenticate_refuses_a_wrong_password(service):
    register(service)
    with pytest.raises(AuthenticationFailed):
        service.authenticate(username="alice", password="wrong-password")


def test_authenticate_refuses_an_unknown_user(service):
    with pytest.raises(AuthenticationFailed, match="No active account"):
        service.authenticate(username="nobody", password=GOOD_PASSWORD)


def test_get_me_describes_the_calling_user(service):
    user = register(service)
    assert service.get_me(actor=Actor(user_id=user.id)) == user


def test_get_me_of_a_removed_user_is_not_found(service, users):
    user = register(service)
    users.inactive.add(user.id)
    with pytest.raises(NotFound):
        service.get_me(actor=Actor(user_id=user.id))


def test_get_me_of_an_anonymous_actor_is_not_found(service):
    with pytest.raises(NotFound):
        service.get_me(actor=Actor.anonymous())


def test_anonymous_actor_is_not_authenticated():
    assert Actor.anonymous(request_id="r1").is_authenticated is False
    assert Actor(user_id=3).is_authenticated is True


def test_system_actor_is_a_staff_command_without_a_user():
    actor = Actor.system(request_id="run-1")
    assert (actor.user_id, actor.is_staff, actor.source) == (None, True, "command")
    assert actor.is_authenticated is False
