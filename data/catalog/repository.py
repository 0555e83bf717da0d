"""Products, read and written as frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from data import sql
from data.catalog import statements
from data.catalog.models import Product
from data.errors import DuplicateError, OutOfStock
from data.keyset import beyond, flipped
from data.records import (
    CursorPage,
    KeysetRequest,
    Page,
    PageRequest,
    Rows,
    build,
    field_names,
    ordering_key,
    read_keyset,
    read_page,
)
from data.versions import version_of


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

    @property
    def version(self) -> str:
        """Return the digest of all the fields, for entity tags."""
        return version_of(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductFilter:
    """Which products a list shows; None means "any"."""

    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Shortfall:
    """A line a reservation could not take: the product has less than wanted."""

    product: ProductRecord
    requested: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Reservation:
    """What `reserve` did: the products it took stock from, or why it could not.

    When anything is `unavailable` or `short`, the caller must roll back: the
    lines that could be taken were, and the unit of work's rollback gives them back.
    """

    taken: dict[int, ProductRecord]
    unavailable: tuple[int, ...] = ()
    short: tuple[Shortfall, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.unavailable and not self.short


_FIELDS = field_names(ProductRecord)
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


def _to_record(values: Mapping[str, Any]) -> ProductRecord:
    return build(ProductRecord, values)


def _filtered(spec: ProductFilter) -> QuerySet[Product]:
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


def _read(
    where: str, params: list[Any], ordering: tuple[str, ...], limit: int, offset: int
) -> tuple[ProductRecord, ...]:
    rows = sql.fetch(
        Product,
        _FIELDS,
        statements.page(_FIELDS, where, ordering),
        [*params, limit, offset],
        many=True,
    )
    return tuple(map(_to_record, rows))


def _take(quantities: dict[int, int], ids: list[int]) -> dict[int, ProductRecord]:
    """Take stock from the rows that are active and have enough; return those.

    One conditional UPDATE: under concurrency PostgreSQL re-checks `stock >= n`
    on the newest row version before it writes, so stock never goes negative.
    The records show the stock after the taking.
    """
    deltas = [value for pk in ids for value in (pk, quantities[pk])]
    rows = sql.fetch(
        Product,
        _FIELDS,
        statements.take(_FIELDS, len(ids)),
        [*deltas, timezone.now(), *ids, *deltas],
    )
    return {record.id: record for record in map(_to_record, rows)}


def _locked(product_ids: list[int]) -> QuerySet[Product]:
    """Select these products FOR UPDATE in primary-key order (the lock order)."""
    return Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk")


class ProductRepository:
    """Find, list, add and update products."""

    def find(self, product_id: int) -> ProductRecord | None:
        """Return the product with this id, or None."""
        rows = sql.fetch(Product, _FIELDS, statements.find(_FIELDS), [product_id])
        return _to_record(rows[0]) if rows else None

    def list_products(
        self, *, spec: ProductFilter, ordering: str, page: PageRequest
    ) -> Page[ProductRecord]:
        """Return one page of the products `spec` selects, in `ordering`."""
        # The ORM turns the filter into SQL once; both statements reuse it.
        where, params = sql.where(_filtered(spec))

        def read(limit: int, offset: int) -> Rows[ProductRecord]:
            return Rows(items=_read(where, params, ORDERINGS[ordering], limit, offset))

        def count(limit: int) -> int:
            return int(sql.scalar(statements.count(where), [*params, limit]))

        key = ordering_key(ORDERINGS[ordering])
        return read_page(page, read=read, count=count, key=key)

    def list_products_by_keyset(
        self, *, spec: ProductFilter, ordering: str, keyset: KeysetRequest
    ) -> CursorPage[ProductRecord]:
        """Return the products `spec` selects after (or before) a position."""
        columns = ORDERINGS[ordering]

        def read(
            limit: int, position: tuple[Any, ...] | None, backwards: bool
        ) -> tuple[ProductRecord, ...]:
            order = flipped(columns) if backwards else columns
            found = _filtered(spec)
            if position is not None:
                found = found.filter(beyond(order, position))
            where, params = sql.where(found)
            return _read(where, params, order, limit, 0)

        return read_keyset(keyset, read=read, key=ordering_key(columns))

    def add(self, **fields: Any) -> ProductRecord:
        """Insert a product; raise DuplicateError if its sku exists."""
        now = timezone.now()
        try:
            product = Product.objects.create(created_at=now, updated_at=now, **fields)
        except IntegrityError as exc:
            if not _is_duplicate(exc):
                raise
            raise DuplicateError("sku") from exc
        return _to_record({name: getattr(product, name) for name in _FIELDS})

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
        records = map(_to_record, _locked(product_ids).values(*_FIELDS))
        return {record.id: record for record in records}

    def reserve(self, quantities: dict[int, int]) -> Reservation:
        """Take the quantities from these products' stock; say what was taken.

        Only an active product with enough stock gives; the Reservation names
        the others, and then the caller rolls the transaction back.
        """
        ids = sorted(quantities)
        if len(ids) > 1:
            # Lock in id order first, so two orders that share products wait for
            # each other instead of deadlocking. A single row needs no such care.
            list(_locked(ids).values_list("pk", flat=True))
        taken = _take(quantities, ids)
        if len(taken) == len(ids):
            return Reservation(taken=taken)
        rest = self.lock_many([pk for pk in ids if pk not in taken])
        unavailable = [pk for pk in ids if pk not in taken and not _usable(rest, pk)]
        short = [
            Shortfall(product=product, requested=quantities[pk])
            for pk, product in rest.items()
            if product.is_active
        ]
        return Reservation(
            taken=taken, unavailable=tuple(unavailable), short=tuple(short)
        )

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

    def sku_taken(self, sku: str, *, exclude_id: int | None = None) -> bool:
        """Return whether another product has this sku."""
        others = Product.objects.filter(sku=sku)
        if exclude_id is not None:
            others = others.exclude(pk=exclude_id)
        return others.exists()


def _usable(products: dict[int, ProductRecord], product_id: int) -> bool:
    return product_id in products and products[product_id].is_active
