"""Products, read and written as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from data.catalog.models import Product
from data.errors import DuplicateError, OutOfStock
from data.records import Page, PageRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRecord:
    """A product as the layers above see one."""

    id: int
    sku: str
    name: str
    description: str
    price: Decimal
    stock: int
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductFilter:
    """Which products a list shows; None means "any"."""

    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    is_active: bool | None = None


_FIELDS = tuple(ProductRecord.__slots__)
# Every ordering ends on a unique column so pages never overlap or skip rows.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "id"),
    "name": ("name", "id"),
}


def _is_duplicate(exc: IntegrityError) -> bool:
    # Only a unique index means "sku taken"; a CHECK violation (negative stock) is
    # a different failure and must not be reported as a duplicate.
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate == "23505" or "UNIQUE constraint" in str(exc)


def _to_record(row: tuple[Any, ...]) -> ProductRecord:
    return ProductRecord(**dict(zip(_FIELDS, row, strict=True)))


def _filtered(spec: ProductFilter):
    qs = Product.objects.all()
    if spec.search:
        qs = qs.filter(Q(sku__icontains=spec.search) | Q(name__icontains=spec.search))
    if spec.min_price is not None:
        qs = qs.filter(price__gte=spec.min_price)
    if spec.max_price is not None:
        qs = qs.filter(price__lte=spec.max_price)
    if spec.in_stock is not None:
        qs = qs.filter(stock__gt=0) if spec.in_stock else qs.filter(stock=0)
    if spec.is_active is not None:
        qs = qs.filter(is_active=spec.is_active)
    return qs


def _can_take(products: dict[int, ProductRecord], quantities: dict[int, int]) -> bool:
    return all(
        pk in products and products[pk].is_active and products[pk].stock >= quantity
        for pk, quantity in quantities.items()
    )


class ProductRepository:
    """Find, list, add and update products."""

    def find(self, product_id: int) -> ProductRecord | None:
        """Return the product with this id, or None."""
        row = Product.objects.filter(pk=product_id).values_list(*_FIELDS).first()
        return _to_record(row) if row else None

    def list_products(
        self, *, spec: ProductFilter, ordering: str, page: PageRequest
    ) -> Page[ProductRecord]:
        """Return one page of the products `spec` selects, in `ordering`."""
        qs = _filtered(spec)
        total = qs.count()
        rows = qs.order_by(*ORDERINGS[ordering]).values_list(*_FIELDS)
        items = tuple(map(_to_record, rows[page.offset : page.offset + page.size]))
        return Page(items=items, total=total, number=page.number, size=page.size)

    def add(self, **fields: Any) -> ProductRecord:
        """Insert a product; raise DuplicateError if its sku exists."""
        now = timezone.now()
        try:
            product = Product.objects.create(created_at=now, updated_at=now, **fields)
        except IntegrityError as exc:
            if not _is_duplicate(exc):
                raise
            raise DuplicateError("sku") from exc
        return self._record_of(product)

    def update(self, product_id: int, **changes: Any) -> ProductRecord | None:
        """Change some fields of a product; return it, or None if it does not exist."""
        try:
            updated = Product.objects.filter(pk=product_id).update(
                updated_at=timezone.now(), **changes
            )
        except IntegrityError as exc:
            if not _is_duplicate(exc):
                raise
            raise DuplicateError("sku") from exc
        return self.find(product_id) if updated else None

    def lock_many(self, product_ids: list[int]) -> dict[int, ProductRecord]:
        """Return these products by id, their rows locked until the transaction ends.

        Rows are locked in primary-key order, so two orders that share products
        wait for each other instead of deadlocking.
        """
        rows = (
            Product.objects.select_for_update()
            .filter(pk__in=product_ids)
            .order_by("pk")
            .values_list(*_FIELDS)
        )
        return {row[0]: _to_record(row) for row in rows}

    def reserve(
        self, quantities: dict[int, int]
    ) -> tuple[dict[int, ProductRecord], bool]:
        """Lock these products in id order; take the quantities if all can be taken.

        Return the products as they were before, and whether the stock was taken:
        only when every product exists, is active and has enough, else none is.
        """
        # Two statements on purpose: a single CTE that locks (FOR UPDATE) and
        # updates oversold under concurrency, caught by tests/integration/
        # test_concurrency.py; the update must see the rows as locked.
        products = self.lock_many(sorted(quantities))
        taken = _can_take(products, quantities)
        if taken:
            self.add_stock({pk: -quantity for pk, quantity in quantities.items()})
        return products, taken

    def add_stock(self, deltas: dict[int, int]) -> None:
        """Add a (possibly negative) amount to the stock of each product, at once."""
        if not deltas:
            return
        try:
            Product.objects.filter(pk__in=deltas).update(
                stock=F("stock")
                + Case(*(When(pk=pk, then=Value(d)) for pk, d in deltas.items())),
                updated_at=timezone.now(),
            )
        except IntegrityError as exc:
            # CHECK (stock >= 0): the database refused to oversell.
            raise OutOfStock() from exc

    def find_by_sku(self, sku: str) -> ProductRecord | None:
        """Return the product with this sku, or None."""
        row = Product.objects.filter(sku=sku).values_list(*_FIELDS).first()
        return _to_record(row) if row else None

    def count(self) -> int:
        """Return how many products there are, active or not."""
        return Product.objects.count()

    def sku_taken(self, sku: str, *, exclude_id: int | None = None) -> bool:
        """Return whether another product has this sku."""
        return Product.objects.filter(sku=sku).exclude(pk=exclude_id).exists()

    @staticmethod
    def _record_of(product: Product) -> ProductRecord:
        return ProductRecord(**{name: getattr(product, name) for name in _FIELDS})
