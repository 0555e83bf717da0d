"""API keys: made by staff, shown once, stored as a hash, revoked, expired, used."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from data.accounts.models import ApiKey
from data.orders.models import OrderEvent
from tests.api.key_support import API_KEYS, key_client, make_key
from tests.api.order_support import order_url, paid, placed
from tests.api.problems import assert_problem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def future(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def test_a_new_key_shows_its_secret_once_and_keeps_only_a_hash(staff_api, staff):
    created = make_key(staff_api, "orders:read", expires_at=future(days=30))

    key = created["key"]
    assert key.startswith(created["prefix"] + "_")
    assert created["prefix"].startswith("ork_live_")
    assert created["scopes"] == ["orders:read"]
    assert created["created_by_id"] == staff.pk
    assert created["revoked_at"] is None and created["last_used_at"] is None
    stored = ApiKey.objects.get(pk=created["id"])
    secret = key.removeprefix(created["prefix"] + "_")
    assert len(secret) >= 40  # 256 bits, URL-safe base64
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiKey.objects.values_list()))
    listed = staff_api.get(API_KEYS).json()
    assert key not in str(listed) and secret not in str(listed)


def test_the_list_is_paginated_newest_first_without_secrets(staff_api):
    made = [make_key(staff_api, "orders:read", name=f"k{i}") for i in range(3)]

    first = staff_api.get(API_KEYS, {"page_size": 2}).json()
    second = staff_api.get(API_KEYS, {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3 and first["next"] and first["previous"] is None
    assert [k["name"] for k in first["results"] + second["results"]] == [
        "k2",
        "k1",
        "k0",
    ]
    assert all("key" not in k for k in first["results"] + second["results"])
    assert first["results"][0]["prefix"] == made[2]["prefix"]
    assert_problem(
        staff_api.get(API_KEYS, {"page": 3, "page_size": 2}), 404, "not-found"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["orders:delete"]}, "scopes[0]"),
        ({"name": "x", "scopes": ["orders:read", "admin"]}, "scopes[1]"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"name": "", "scopes": ["orders:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["orders:read"]}, "name"),
        (
            {"name": "x", "scopes": ["orders:read"], "expires_at": "2020-01-01T00:00Z"},
            "expires_at",
        ),
        ({"name": "x", "scopes": ["orders:read"], "expires_at": "soon"}, "expires_at"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_makes_no_key(staff_api, body, field):
    response = staff_api.post(API_KEYS, body, format="json")

    assert_problem(response, 400, "validation-error", fields={field})
    assert not ApiKey.objects.exists()


def test_only_staff_manage_keys(api, customer_api, staff_api):
    created = make_key(staff_api, "orders:read")
    body = {"name": "x", "scopes": ["orders:read"]}

    assert_problem(api.get(API_KEYS), 401, "not-authenticated")
    assert_problem(api.post(API_KEYS, body, format="json"), 401, "not-authenticated")
    assert_problem(customer_api.get(API_KEYS), 403, "permission-denied")
    assert_problem(
        customer_api.post(API_KEYS, body, format="json"), 403, "permission-denied"
    )
    assert_problem(
        customer_api.delete(f"{API_KEYS}{created['id']}/"), 403, "permission-denied"
    )
    assert ApiKey.objects.count() == 1


def test_a_key_cannot_list_make_or_revoke_keys(staff_api):
    every_scope = make_key(
        staff_api,
        "products:write",
        "orders:read",
        "orders:write",
        "payments:read",
        "refunds:write",
        "webhooks:manage",
    )
    client = key_client(every_scope["key"])
    body = {"name": "child", "scopes": ["orders:read"]}

    assert_problem(client.get(API_KEYS), 403, "permission-denied")
    assert_problem(client.post(API_KEYS, body, format="json"), 403, "permission-denied")
    assert_problem(
        client.delete(f"{API_KEYS}{every_scope['id']}/"), 403, "permission-denied"
    )
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1


def test_revoking_is_204_then_the_key_is_401_and_a_second_revoke_404(staff_api):
    created = make_key(staff_api, "orders:read")
    client = key_client(created["key"])
    assert client.get(ORDERS).status_code == 200

    assert staff_api.delete(f"{API_KEYS}{created['id']}/").status_code == 204

    refused = assert_problem(client.get(ORDERS), 401, "not-authenticated")
    assert "revoked" in refused["detail"]
    assert client.get(ORDERS)["WWW-Authenticate"].startswith("Bearer")
    assert_problem(staff_api.delete(f"{API_KEYS}{created['id']}/"), 404, "not-found")
    assert_problem(staff_api.delete(f"{API_KEYS}999999/"), 404, "not-found")
    [listed] = staff_api.get(API_KEYS).json()["results"]
    assert listed["revoked_at"] is not None


def test_an_expired_key_is_401(staff_api):
    created = make_key(staff_api, "orders:read", expires_at=future(hours=1))
    client = key_client(created["key"])
    assert client.get(ORDERS).status_code == 200

    ApiKey.objects.filter(pk=created["id"]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    refused = assert_problem(client.get(ORDERS), 401, "not-authenticated")
    assert "expired" in refused["detail"]


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"is_staff": False}], ids=["inactive", "demoted"]
)
def test_a_key_whose_creator_may_no_longer_act_is_401(staff_api, staff, change):
    client = key_client(make_key(staff_api, "orders:read")["key"])
    assert client.get(ORDERS).status_code == 200

    get_user_model().objects.filter(pk=staff.pk).update(**change)

    assert_problem(client.get(ORDERS), 401, "not-authenticated")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
        lambda key: key.replace("ork_live_", "ork_live_0", 1),  # unknown id
        lambda key: key.split("_")[0] + "_live_",  # prefix only
        lambda key: "ork_live_" + "x" * 80,  # no separator
    ],
    ids=["wrong-secret", "unknown-id", "prefix-only", "garbled"],
)
def test_a_bad_key_is_401(staff_api, mangle):
    key = make_key(staff_api, "orders:read")["key"]

    response = key_client(mangle(key)).get(ORDERS)

    body = assert_problem(response, 401, "not-authenticated")
    assert body["detail"] == "The API key is not valid."


def test_other_bearer_credentials_are_left_to_jwt(staff_api, customer_api):
    make_key(staff_api, "orders:read")

    assert customer_api.get(ORDERS).status_code == 200
    assert staff_api.get(API_KEYS).status_code == 200
    assert_problem(key_client("not-a-jwt").get(ORDERS), 401, "not-authenticated")


def test_a_key_reads_every_order_staff_wide(staff_api, customer_api, other_api):
    product = ProductFactory()
    mine, theirs = placed(customer_api, (product, 1)), placed(other_api, (product, 1))
    client = key_client(make_key(staff_api, "orders:read")["key"])

    listed = client.get(ORDERS).json()

    assert {o["id"] for o in listed["results"]} == {mine["id"], theirs["id"]}
    assert client.get(order_url(theirs["id"])).status_code == 200


def test_a_keys_events_carry_source_api_and_its_id(staff_api, customer_api):
    order = paid(customer_api, (ProductFactory(), 1))
    created = make_key(staff_api, "orders:write", "orders:read")
    client = key_client(created["key"])

    shipped = client.post(order_url(order["id"], "ship"))

    assert shipped.status_code == 200, shipped.content
    events = client.get(order_url(order["id"], "events")).json()
    assert [(e["type"], e["api_key_id"]) for e in events] == [
        ("order.created", None),
        ("order.paid", None),
        ("order.shipped", created["id"]),
    ]
    assert events[-1]["source"] == "api"
    assert events[-1]["actor_id"] == created["created_by_id"]
    stored = OrderEvent.objects.get(order_id=order["id"], type="order.shipped")
    assert stored.api_key_id == created["id"]


def test_a_key_records_when_it_was_last_used(staff_api):
    created = make_key(staff_api, "orders:read")
    before = datetime.now(UTC)

    key_client(created["key"]).get(ORDERS)

    [listed] = staff_api.get(API_KEYS).json()["results"]
    used = datetime.fromisoformat(listed["last_used_at"])
    assert before <= used <= datetime.now(UTC)
