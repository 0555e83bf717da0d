"""The stack a proof runs on: PostgreSQL, the sandbox provider and gunicorn, all real.

Two processes that must know each other's URL: the provider posts its webhooks
to gunicorn, gunicorn calls the provider. So gunicorn's port is taken first, the
provider is started with the webhook URL on it, then gunicorn with the
provider's. Both are stopped when the block ends, however it ends.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.contrib.auth import get_user_model

from data.orders.models import Order, OrderEvent
from data.payments.models import Payment, ProviderEvent, Refund
from tests import gunicorn_support
from tests.factories import PASSWORD
from tests.gunicorn_support import Answer, call, gunicorn, server_env
from tests.ledger_check import compare, read_books
from tests.live_server import manage
from tests.provider_support import (
    API_KEY,
    WEBHOOK_SECRET,
    SandboxProcess,
    sandbox_provider,
)

WEBHOOK = "/api/v1/webhooks/payments/"
ORDERS = "/api/v1/orders/"
PAYMENTS = "/api/v1/payments/"
PROBLEMS = "https://orderly.example/problems/"
# Short enough that a held call is seen as no answer within the test's patience.
READ_TIMEOUT = "1.5"


@dataclass
class Stack:
    """A running Orderly and provider, and what a proof does with them."""

    url: str
    provider: SandboxProcess
    database: str
    crash_dir: Path
    env: dict[str, str]
    staff: dict[str, str] = field(default_factory=dict)
    _names: Iterator[int] = field(default_factory=itertools.count)

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Answer:
        """Call the API (timeout 10 s: nothing here should take longer)."""
        return call(self.url + path, method, body, headers, timeout=10)

    def login(self, username: str, password: str) -> dict[str, str]:
        answer = self.call(
            "POST", "/api/v1/auth/token/", {"username": username, "password": password}
        )
        assert answer.status == 200, answer.body
        return {"Authorization": f"Bearer {answer.body['access']}"}

    def customer(self) -> dict[str, str]:
        """Register a new customer; return the headers that authenticate as it."""
        return self.login(self.register(), PASSWORD)

    def register(self) -> str:
        name = f"proof{next(self._names)}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        answer = self.call("POST", "/api/v1/auth/register/", body)
        assert answer.status == 201, answer.body
        return name

    def product(self, *, stock: int = 10, price: str = "9.90") -> dict[str, Any]:
        """Create a product as staff; return it."""
        sku = f"PROOF-{next(self._names)}"
        body = {"sku": sku, "name": sku, "price": price, "stock": stock}
        answer = self.call("POST", "/api/v1/products/", body, **self.staff)
        assert answer.status == 201, answer.body
        return answer.body

    def stock(self, product: dict[str, Any]) -> int:
        return self.call("GET", f"/api/v1/products/{product['id']}/").body["stock"]

    def place(
        self,
        who: dict[str, str],
        product: dict[str, Any],
        quantity: int = 1,
        **key: str,
    ) -> Answer:
        body = {"items": [{"product_id": product["id"], "quantity": quantity}]}
        return self.call("POST", ORDERS, body, **who, **key)

    def placed(
        self, who: dict[str, str], product: dict[str, Any], quantity: int = 1
    ) -> dict[str, Any]:
        answer = self.place(who, product, quantity)
        assert answer.status == 201, answer.body
        return answer.body

    def pay(self, who: dict[str, str], order: dict[str, Any], **key: str) -> Answer:
        body = {
            "order_id": order["id"],
            "amount": order["total"],
            "payment_token": "tok_visa",
        }
        return self.call("POST", PAYMENTS, body, **who, **key)

    def paid(self, who: dict[str, str], order: dict[str, Any]) -> dict[str, Any]:
        answer = self.pay(who, order)
        assert answer.status == 201, answer.body
        return answer.body

    def get(self, who: dict[str, str], path: str) -> Any:
        answer = self.call("GET", path, **who)
        assert answer.status == 200, answer.body
        return answer.body

    def settled(
        self, who: dict[str, str], payment_id: int, seconds: float = 10
    ) -> dict[str, Any]:
        """Poll a payment until it is not pending (bounded); return it."""
        deadline = time.monotonic() + seconds
        while True:
            payment = self.get(who, f"{PAYMENTS}{payment_id}/")
            if payment["status"] != "pending" or time.monotonic() > deadline:
                return payment
            time.sleep(0.1)

    def intents_of(self, payment_id: int) -> list[dict[str, Any]]:
        """Return the provider's PaymentIntents made for our payment `payment_id`."""
        return [
            intent
            for intent in self.provider.books()["payment_intents"]
            if intent["metadata"].get("payment_id") == str(payment_id)
        ]

    def event_types(self, who: dict[str, str], order_id: int) -> Counter[str]:
        """Count an order's audit events by type."""
        events = self.get(who, f"{ORDERS}{order_id}/events/")
        return Counter(event["type"] for event in events)

    def reconcile(self) -> str:
        """Run `reconcile_payments --older-than 0s` as a deployment would."""
        return manage(
            self.database, "reconcile_payments", "--older-than", "0s", **self.env
        )

    def differences(self) -> list[str]:
        """Compare the provider's books with ours (tests/ledger_check.py)."""
        return compare(self.provider.books(), read_books(self.database))


def stripe_env(provider_url: str, *, retries: int) -> dict[str, str]:
    """The settings that put Orderly on the Stripe adapter and this provider."""
    return {
        "PAYMENTS_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": provider_url,
        "STRIPE_CONNECT_TIMEOUT": "1",
        "STRIPE_READ_TIMEOUT": READ_TIMEOUT,
        "STRIPE_MAX_NETWORK_RETRIES": str(retries),
        "JWT_ACCESS_MINUTES": "60",
    }


def snapshot(database: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the orders' and payments' tables, to compare before and after."""
    found = {}
    with psycopg.connect(database) as conn:
        for model in (Order, OrderEvent, Payment, Refund, ProviderEvent):
            fields = model._meta.concrete_fields
            columns = ", ".join(f'"{field.column}"' for field in fields)
            query = f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY 1'
            found[model.__name__] = conn.execute(query).fetchall()
    return found


@contextmanager
def running_stack(
    database: str,
    run_dir: Path,
    *,
    name: str,
    app: str = "project.wsgi",
    retries: int = 0,
    workers: int = 2,
) -> Iterator[Stack]:
    """Serve Orderly on `database` with a sandbox provider of its own."""
    port = gunicorn_support.free_port()
    crash_dir = run_dir / "crash"
    crash_dir.mkdir(parents=True, exist_ok=True)
    webhook_url = f"http://127.0.0.1:{port}{WEBHOOK}"
    with sandbox_provider(run_dir / "books.sqlite3", webhook_url) as provider:
        env = stripe_env(provider.url, retries=retries)
        with gunicorn(
            database,
            name=name,
            port=port,
            app=app,
            ORDERLY_CRASH_DIR=str(crash_dir),
            WEB_CONCURRENCY=str(workers),
            **env,
        ) as url:
            stack = Stack(
                url=url,
                provider=provider,
                database=database,
                crash_dir=crash_dir,
                env=server_env(database, 0, **env),
            )
            staff = stack.register()
            make_staff(database, staff)
            stack.staff = stack.login(staff, PASSWORD)
            yield stack


def make_staff(database: str, username: str) -> None:
    """Make a registered user staff, as an administrator would in the admin.

    (Here rather than by a command: each manage.py run costs seconds.)
    """
    users = get_user_model()._meta
    update = f'UPDATE "{users.db_table}" SET "is_staff" = true WHERE "username" = %s'
    with psycopg.connect(database) as conn:
        conn.execute(update, [username])
