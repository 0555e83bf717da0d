"""Two writers race a PATCH with the same If-Match on real PostgreSQL: one wins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from data.catalog.models import Product
from tests.factories import ProductFactory, UserFactory
from tests.integration.locks import wait_for_lock_waiters
from tests.live_server import database_url

pytestmark = pytest.mark.django_db(transaction=True)

PROBLEMS = "https://orderly.example/problems/"


def test_two_patches_with_the_same_if_match_one_wins_the_other_is_412():
    staff = UserFactory(is_staff=True)
    product = ProductFactory(name="Mug", stock=5)
    path = f"/api/v1/products/{product.pk}/"
    tag = APIClient().get(path)["ETag"]
    token = RefreshToken.for_user(staff).access_token
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        # Keeps both writers waiting on the row lock, so each has read the same
        # tag and neither can pass before the other has started.
        try:
            with transaction.atomic():
                list(Product.objects.select_for_update().filter(pk=product.pk))
                held.set()
                release.wait(30)
        finally:
            connection.close()

    def write(name: str) -> tuple[str, int, Any]:
        try:
            response = APIClient().patch(
                path,
                {"name": name},
                format="json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IF_MATCH=tag,
            )
            return name, response.status_code, response.json()
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            futures = [pool.submit(write, name) for name in ("Cup", "Bowl")]
            wait_for_lock_waiters(database_url(connection.settings_dict), 2)
        finally:
            release.set()
            holder.join(30)
        answers = sorted((f.result(timeout=60) for f in futures), key=lambda a: a[1])

    (winner, won, body), (_, lost, problem) = answers
    assert (won, lost) == (200, 412), answers
    assert body["name"] == winner
    assert problem["type"] == PROBLEMS + "precondition-failed"
    final = Product.objects.get(pk=product.pk)
    assert final.name == winner
    assert APIClient().get(path)["ETag"] != tag
