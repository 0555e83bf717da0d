"""In-memory stand-ins for the data layer, for business tests that need no database."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any

from data.accounts.repository import UserRecord
from data.catalog.repository import ORDERINGS, ProductFilter, ProductRecord
from data.errors import DuplicateError
from data.records import Page, PageRequest, build

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FakeUnitOfWork:
    """Count commits and rollbacks; run on_commit callbacks only after a commit."""

    def __init__(self) -> None:
        self.commits = 0
        self.rollbacks = 0
        self.active = False
        self._callbacks: list[Callable[[], None]] = []

    def __enter__(self) -> FakeUnitOfWork:
        assert not self.active, "a unit of work is never nested"
        self.active = True
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.active = False
        callbacks, self._callbacks = self._callbacks, []
        if exc_type is None:
            self.commits += 1
            for callback in callbacks:
                callback()
        else:
            self.rollbacks += 1

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)


class FakeProductRepository:
    """The methods of ProductRepository, over a dict."""

    def __init__(self, uow: FakeUnitOfWork | None = None) -> None:
        self.rows: dict[int, ProductRecord] = {}
        self._ids = itertools.count(1)
        self._clock = itertools.count(1)
        self._uow = uow
        self.writes_outside_uow = 0
        self.lock_calls: list[list[int]] = []
        self.locks_outside_uow = 0

    def _now(self) -> datetime:
        return EPOCH + timedelta(seconds=next(self._clock))

    def _write(self) -> None:
        if self._uow is not None and not self._uow.active:
            self.writes_outside_uow += 1

    def find(self, product_id: int) -> ProductRecord | None:
        return self.rows.get(product_id)

    def list_products(
        self, *, spec: ProductFilter, ordering: str, page: PageRequest
    ) -> Page[ProductRecord]:
        rows = [row for row in self.rows.values() if _matches(row, spec)]
        for key in reversed(ORDERINGS[ordering]):
            name = key.lstrip("-")
            rows.sort(key=attrgetter(name), reverse=key[0] == "-")
        items = tuple(rows[page.offset : page.offset + page.size])
        return Page(items=items, total=len(rows), number=page.number, size=page.size)

    def add(self, **fields: Any) -> ProductRecord:
        self._write()
        # The unique index, not the check the service makes first.
        if self._sku_exists(fields["sku"], None):
            raise DuplicateError("sku")
        now = self._now()
        record = ProductRecord(
            id=next(self._ids), created_at=now, updated_at=now, **fields
        )
        self.rows[record.id] = record
        return record

    def update(self, product_id: int, **changes: Any) -> ProductRecord | None:
        self._write()
        if product_id not in self.rows:
            return None
        if "sku" in changes and self._sku_exists(changes["sku"], product_id):
            raise DuplicateError("sku")
        record = replace(self.rows[product_id], updated_at=self._now(), **changes)
        self.rows[product_id] = record
        return record

    def sku_taken(self, sku: str, *, exclude_id: int | None = None) -> bool:
        return self._sku_exists(sku, exclude_id)

    def lock_many(self, product_ids: list[int]) -> dict[int, ProductRecord]:
        self.lock_calls.append(list(product_ids))
        if self._uow is not None and not self._uow.active:
            self.locks_outside_uow += 1  # a lock outside a transaction holds nothing
        return {pk: self.rows[pk] for pk in sorted(product_ids) if pk in self.rows}

    def _sku_exists(self, sku: str, exclude_id: int | None) -> bool:
        return any(r.sku == sku and r.id != exclude_id for r in self.rows.values())

    def seed(self, **fields: Any) -> ProductRecord:
        """Store a product directly, as test data."""
        values = {
            "sku": f"SKU-{len(self.rows) + 1:03d}",
            "name": f"Product {len(self.rows) + 1}",
            "description": "",
            "price": Decimal("10.00"),
            "stock": 5,
            "is_active": True,
        }
        values.update(fields)
        now = self._now()
        record = build(
            ProductRecord,
            {"id": next(self._ids), "created_at": now, "updated_at": now, **values},
        )
        self.rows[record.id] = record
        return record


def _matches(row: ProductRecord, spec: ProductFilter) -> bool:
    needle = (spec.search or "").lower()
    return (
        (not needle or needle in row.sku.lower() or needle in row.name.lower())
        and (spec.min_price is None or row.price >= spec.min_price)
        and (spec.max_price is None or row.price <= spec.max_price)
        and (spec.in_stock is None or (row.stock > 0) == spec.in_stock)
        and (spec.is_active is None or row.is_active == spec.is_active)
    )


class FakeUserRepository:
    """The methods of UserRepository, over a dict; passwords kept in clear."""

    def __init__(self) -> None:
        self.rows: dict[int, UserRecord] = {}
        self.passwords: dict[int, str] = {}
        self.inactive: set[int] = set()
        self._ids = itertools.count(1)
        # Names another request registers between the checks and the insert.
        self.raced: set[str] = set()

    def find(self, user_id: int) -> UserRecord | None:
        user = self.rows.get(user_id)
        return None if user is None or user_id in self.inactive else user

    def username_taken(self, username: str) -> bool:
        return any(u.username.lower() == username.lower() for u in self.rows.values())

    def email_taken(self, email: str) -> bool:
        return any(u.email.lower() == email.lower() for u in self.rows.values())

    def add(
        self,
        *,
        username: str,
        email: str,
        password: str,
        is_staff: bool = False,
        is_superuser: bool = False,
    ) -> UserRecord:
        if username in self.raced or self.username_taken(username):
            raise DuplicateError("username")
        if email in self.raced or self.email_taken(email):
            raise DuplicateError("email")
        user = UserRecord(
            id=next(self._ids), username=username, email=email, is_staff=is_staff
        )
        self.rows[user.id] = user
        self.passwords[user.id] = password
        return user

    def authenticate(self, *, username: str, password: str) -> UserRecord | None:
        for user in self.rows.values():
            if (
                user.username == username
                and self.passwords[user.id] == password
                and user.id not in self.inactive
            ):
                return user
        return None


class FakePasswordPolicy:
    """Refuse passwords shorter than 8 characters or equal to the username."""

    def problems(self, password: str, *, username: str, email: str) -> list[str]:
        found = []
        if len(password) < 8:
            found.append("This password is too short.")
        if password.lower() == username.lower():
            found.append("The password is too similar to the username.")
        return found
