"""Products, read and written as frozen records."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import IntegrityError
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from data import sql
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


def _take(quantities: dict[int, int], ids: list[int]) -> dict[int, ProductRecord]:
    """Take stock from the rows that are active and have enough; return those.

    One conditional UPDATE: under concurrency PostgreSQL re-checks `stock >= n`
    on the newest row version before it writes, so stock never goes negative.
    """
    deltas = [value for pk in ids for value in (pk, quantities[pk])]
    rows = sql.fetch(
        Product,
        _FIELDS,
        _take_sql(len(ids)),
        [*deltas, timezone.now(), *ids, *deltas],
    )
    taken = map(_to_record, rows)
    return {p.id: replace(p, stock=p.stock + quantities[p.id]) for p in taken}


def _locked(product_ids: list[int]):
    """Select these products FOR UPDATE in primary-key order (the lock order)."""
    return Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")


@cache
def _select_sql() -> str:
    return f"SELECT {sql.quoted(Product, _FIELDS)} FROM {sql.table(Product)}"


@cache
def _find_sql() -> str:
    return f"{_select_sql()} WHERE id = %s"


@cache
def _order_by(ordering: str) -> str:
    return ", ".join(
        f"{sql.quoted(Product, [name.lstrip('-')])}{' DESC' if name[0] == '-' else ''}"
        for name in ORDERINGS[ordering]
    )


@cache
def _take_sql(count: int) -> str:
    wanted = "CASE id " + " ".join(["WHEN %s THEN CAST(%s AS integer)"] * count)
    return (
        f"UPDATE {sql.table(Product)} SET stock = stock - {wanted} END, "
        f"updated_at = %s WHERE id IN ({', '.join(['%s'] * count)}) "
        f"AND is_active AND stock >= {wanted} END "
        f"RETURNING {sql.quoted(Product, _FIELDS)}"
    )


class ProductRepository:
    """Find, list, add and update products."""

    def find(self, product_id: int) -> ProductRecord | None:
        """Return the product with this id, or None."""
        rows = sql.fetch(Product, _FIELDS, _find_sql(), [product_id])
        return _to_record(rows[0]) if rows else None

    def list_products(
        self, *, spec: ProductFilter, ordering: str, page: PageRequest
    ) -> Page[ProductRecord]:
        """Return one page of the products `spec` selects, in `ordering`."""
        # The ORM turns the filter into SQL once; both statements reuse it.
        where, params = sql.where(_filtered(spec))
        total = sql.scalar(f"SELECT COUNT(*) FROM {sql.table(Product)}{where}", params)
        rows = sql.fetch(
            Product,
            _FIELDS,
            f"{_select_sql()}{where} ORDER BY {_order_by(ordering)} LIMIT %s OFFSET %s",
            [*params, page.size, page.offset],
            many=True,
        )
        items = tuple(map(_to_record, rows))
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
        rows = _locked(product_ids).values_list(*_FIELDS)
        return {row[0]: _to_record(row) for row in rows}

    def reserve(
        self, quantities: dict[int, int]
    ) -> tuple[dict[int, ProductRecord], bool]:
        """Take the quantities from these products' stock if all can be taken.

        Return the products, with the stock they had before, and whether it was
        taken: only when every product exists, is active and has enough, else
        none is.
        """
        ids = sorted(quantities)
        if len(ids) > 1:
            # Lock in id order first, so two orders that share products wait for
            # each other instead of deadlocking. A single row needs no such care.
            list(_locked(ids).values_list("pk", flat=True))
        taken = _take(quantities, ids)
        if len(taken) == len(ids):
            return taken, True
        # A line cannot be taken: give back what the others took, report as is.
        self.add_stock({pk: quantities[pk] for pk in taken})
        return self.lock_many(ids), False

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
