"""Passwords are hashed with Argon2; older PBKDF2 hashes still verify and upgrade."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from tests.factories import PASSWORD, UserFactory

TOKEN = "/api/v1/auth/token/"


def test_argon2_comes_first_and_pbkdf2_still_verifies():
    assert settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in (
        settings.PASSWORD_HASHERS
    )


def test_registration_stores_an_argon2_hash(api, db):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "erin", "email": "erin@example.com", "password": PASSWORD},
        format="json",
    )

    assert response.status_code == 201
    stored = get_user_model().objects.get(username="erin").password
    assert stored.startswith("argon2$argon2id$")


def test_a_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2(api, db):
    user = UserFactory(username="olduser")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = api.post(
        TOKEN, {"username": "olduser", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_a_wrong_password_against_an_argon2_hash_is_refused(api, db):
    UserFactory(username="newuser")

    response = api.post(
        TOKEN, {"username": "newuser", "password": "not-it-1234"}, format="json"
    )

    assert response.status_code == 401
