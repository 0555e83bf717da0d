"""Fixtures shared by every test: the SQL-origin guard, users and API clients."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory
from tests.sql_guard import SqlOriginGuard


@pytest.fixture(autouse=True)
def sql_guard():
    """Fail the test if any SQL statement came from project code outside `data/`."""
    guard = SqlOriginGuard()
    with connection.execute_wrapper(guard):
        yield guard
    if guard.violations:
        pytest.fail("SQL issued outside data/:\n" + "\n".join(guard.violations))


@pytest.fixture
def api() -> APIClient:
    """Return an anonymous API client."""
    return APIClient()


def client_for(user) -> APIClient:
    """Return an API client that sends a real JWT of `user`."""
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}"
    )
    return client


@pytest.fixture
def customer(db):
    return UserFactory(username="carol")


@pytest.fixture
def other_customer(db):
    return UserFactory(username="dave")


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", is_staff=True)


@pytest.fixture
def customer_api(customer) -> APIClient:
    return client_for(customer)


@pytest.fixture
def other_api(other_customer) -> APIClient:
    return client_for(other_customer)


@pytest.fixture
def staff_api(staff) -> APIClient:
    return client_for(staff)
