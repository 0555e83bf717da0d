"""The API key admin: keys are made and revoked through ApiKeyService."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from data.accounts.models import ApiKey
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/accounts/apikey/add/"
CHANGELIST = "/admin/accounts/apikey/"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def make_key(client: Client, **overrides) -> str:
    data = {"name": "warehouse", "scopes": ["orders:read", "orders:write"]}
    response = client.post(ADD, {**data, **overrides})
    assert response.status_code == 200
    return response.content.decode()


def test_a_key_made_in_the_admin_shows_its_secret_once_and_it_works(admin_client):
    page = make_key(admin_client)
    secret = re.search(r'id="api-key-secret">(ork_live_[^<]+)<', page).group(1)
    key = ApiKey.objects.get()
    assert key.scopes == ["orders:read", "orders:write"]
    assert secret not in key.secret_hash and key.created_by.username == "root"
    assert secret not in admin_client.get(CHANGELIST).content.decode()
    response = Client().get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_the_admin_refuses_what_the_service_refuses(admin_client):
    past = datetime.now(UTC) - timedelta(days=1)
    # The admin's widget splits a datetime into a date and a time.
    page = make_key(
        admin_client,
        expires_at_0=past.strftime("%Y-%m-%d"),
        expires_at_1=past.strftime("%H:%M:%S"),
    )
    assert "Use a time in the future." in page
    page = make_key(admin_client, scopes=[])
    assert "This field is required." in page
    assert not ApiKey.objects.exists()


def test_revoking_from_the_admin_stops_the_key(admin_client):
    page = make_key(admin_client)
    secret = re.search(r'id="api-key-secret">(ork_live_[^<]+)<', page).group(1)
    key = ApiKey.objects.get()
    response = admin_client.post(
        CHANGELIST, {"action": "revoke_keys", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = Client().get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_keys_are_neither_edited_nor_deleted(admin_client):
    make_key(admin_client)
    key = ApiKey.objects.get()
    page = admin_client.get(f"/admin/accounts/apikey/{key.pk}/change/")
    assert page.status_code == 200  # view only
    assert b'name="_save"' not in page.content
    deleted = admin_client.post(
        f"/admin/accounts/apikey/{key.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert ApiKey.objects.filter(pk=key.pk).exists()
