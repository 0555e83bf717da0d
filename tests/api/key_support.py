"""Helpers the API-key tests share: make a key through the API, call with it."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

API_KEYS = "/api/v1/api-keys/"


def make_key(staff_api: APIClient, *scopes: str, **fields: Any) -> dict[str, Any]:
    """Create a key through the API (it must succeed); return the answer's body."""
    body = {"name": "warehouse", "scopes": list(scopes), **fields}
    response = staff_api.post(API_KEYS, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def key_client(key: str) -> APIClient:
    """Return an API client that sends `key` as its bearer credential."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client
