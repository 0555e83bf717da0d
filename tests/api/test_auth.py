"""Registration, JWT tokens and the current user, over HTTP."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.api.problems import assert_problem
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/auth/me/"


def registration(**overrides) -> dict[str, str]:
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    body.update(overrides)
    return body


def test_register_creates_a_customer(api):
    response = api.post(REGISTER, registration(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "username": "alice", "email": "alice@example.com"}
    user = get_user_model().objects.get(pk=body["id"])
    assert user.check_password(PASSWORD)
    assert not user.is_staff


def test_registered_user_can_obtain_tokens(api):
    api.post(REGISTER, registration(), format="json")
    response = api.post(
        TOKEN, {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.parametrize(
    "password", ["short1!", "12345678901", "password123", "alice-example"]
)
def test_register_applies_django_password_validators(api, password):
    response = api.post(REGISTER, registration(password=password), format="json")
    body = assert_problem(response, 400, "validation-error", fields={"password"})
    assert all(error["code"] == "password_invalid" for error in body["errors"])
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ALICE", "email": "new@example.com"}, "username"),
        ({"username": "bob", "email": "Alice@EXAMPLE.com"}, "email"),
    ],
)
def test_register_refuses_duplicates_ignoring_case(api, overrides, field):
    UserFactory(username="alice", email="alice@example.com")
    response = api.post(REGISTER, registration(**overrides), format="json")
    body = assert_problem(response, 400, "validation-error", fields={field})
    assert body["errors"][0]["code"] == "unique"
    assert get_user_model().objects.count() == 1


def test_register_requires_an_email(api):
    body = registration()
    del body["email"]
    response = api.post(REGISTER, body, format="json")
    problem = assert_problem(response, 400, "validation-error", fields={"email"})
    assert problem["errors"][0]["code"] == "required"


def test_register_refuses_an_invalid_email(api):
    response = api.post(REGISTER, registration(email="not-an-email"), format="json")
    assert_problem(response, 400, "validation-error", fields={"email"})


def test_register_refuses_a_username_with_spaces(api):
    response = api.post(REGISTER, registration(username="a b"), format="json")
    assert_problem(response, 400, "validation-error", fields={"username"})


def test_register_refuses_unknown_fields(api):
    response = api.post(REGISTER, registration(is_staff=True), format="json")
    body = assert_problem(response, 400, "validation-error", fields={"is_staff"})
    assert body["errors"][0]["message"] == "Unknown field."
    assert not get_user_model().objects.exists()


def test_register_lists_every_bad_field(api):
    response = api.post(REGISTER, {"username": ""}, format="json")
    assert_problem(
        response, 400, "validation-error", fields={"username", "email", "password"}
    )


def test_token_pair_authenticates_requests(api, customer):
    tokens = api.post(
        TOKEN, {"username": customer.username, "password": PASSWORD}, format="json"
    ).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get(ME).json()["username"] == customer.username


def test_token_with_a_wrong_password_is_401_with_bearer_challenge(api, customer):
    response = api.post(
        TOKEN, {"username": customer.username, "password": "wrong"}, format="json"
    )
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_for_an_unknown_user_is_401(api):
    response = api.post(TOKEN, {"username": "ghost", "password": "x"}, format="json")
    assert_problem(response, 401, "not-authenticated")


def test_token_for_an_inactive_user_is_401(api):
    UserFactory(username="gone", is_active=False)
    response = api.post(
        TOKEN, {"username": "gone", "password": PASSWORD}, format="json"
    )
    assert_problem(response, 401, "not-authenticated")


def test_token_requires_username_and_password(api):
    response = api.post(TOKEN, {}, format="json")
    assert_problem(response, 400, "validation-error", fields={"username", "password"})


def test_refresh_returns_a_new_access_token(api, customer):
    tokens = api.post(
        TOKEN, {"username": customer.username, "password": PASSWORD}, format="json"
    ).json()
    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get(ME).status_code == 200


def test_refresh_with_a_bad_token_is_401(api):
    response = api.post(REFRESH, {"refresh": "not.a.token"}, format="json")
    body = assert_problem(response, 401, "not-authenticated")
    assert "token" in body["detail"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_refresh_refuses_an_access_token(api, customer):
    tokens = api.post(
        TOKEN, {"username": customer.username, "password": PASSWORD}, format="json"
    ).json()
    response = api.post(REFRESH, {"refresh": tokens["access"]}, format="json")
    assert_problem(response, 401, "not-authenticated")


def test_refresh_requires_the_refresh_field(api):
    response = api.post(REFRESH, {}, format="json")
    assert_problem(response, 400, "validation-error", fields={"refresh"})


def test_me_describes_the_customer(customer_api, customer):
    response = customer_api.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": customer.pk,
        "username": "carol",
        "email": "carol@example.com",
        "is_staff": False,
    }


def test_me_tells_staff_they_are_staff(staff_api):
    assert staff_api.get(ME).json()["is_staff"] is True


def test_me_without_credentials_is_401_with_bearer_challenge(api):
    response = api.get(ME)
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_with_a_garbage_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    response = api.get(ME)
    body = assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    # A readable sentence, not the repr of a nested error structure.
    assert "ErrorDetail" not in body["detail"]
    assert "{" not in body["detail"]


def test_me_with_a_session_works_too(customer):
    client = APIClient()
    client.force_login(customer)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == customer.username


def test_me_of_a_user_deactivated_after_login_is_401(customer, api):
    token_client = APIClient()
    tokens = token_client.post(
        TOKEN, {"username": customer.username, "password": PASSWORD}, format="json"
    ).json()
    get_user_model().objects.filter(pk=customer.pk).update(is_active=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert_problem(api.get(ME), 401, "not-authenticated")


@pytest.mark.parametrize("user_id", ["not-a-number", None])
def test_a_signed_token_without_a_usable_user_id_is_401(api, user_id):
    token = AccessToken()
    token["user_id"] = user_id
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(api.get(ME), 401, "not-authenticated")


def test_a_token_user_is_read_in_one_statement(
    customer, api, django_assert_num_queries
):
    tokens = APIClient().post(
        TOKEN, {"username": customer.username, "password": PASSWORD}, format="json"
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    with django_assert_num_queries(2) as captured:  # the user, then /me's own read
        response = api.get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == customer.username
    assert "is_active" in captured.captured_queries[0]["sql"]
