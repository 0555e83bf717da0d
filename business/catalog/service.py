"""Catalog use cases."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from business.actor import Actor
from business.catalog.ports import Products
from business.catalog.rules import clean_product
from business.errors import (
    FieldError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RuleViolation,
)
from business.pagination import Position, keyset_request, page_request, require_page
from business.ports import UnitOfWork
from business.transaction import atomic
from data.catalog.repository import (
    ORDERINGS,
    ProductFilter,
    ProductRecord,
    ProductRepository,
)
from data.errors import DuplicateError
from data.records import CursorPage, Page
from data.unit_of_work import DjangoUnitOfWork

PRODUCT_ORDERINGS = tuple(ORDERINGS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductQuery:
    """What a caller asks of the product list."""

    search: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    is_active: bool | None = None
    ordering: str = "created_at"
    page: int = 1
    page_size: int = 20


def _spec(actor: Actor, query: ProductQuery) -> ProductFilter:
    """Return the filter of a list query; only staff see inactive products."""
    if query.ordering not in ORDERINGS:
        raise RuleViolation.single(
            "ordering", "invalid", f"Use one of {', '.join(PRODUCT_ORDERINGS)}."
        )
    return ProductFilter(
        search=query.search or None,
        min_price=query.min_price,
        max_price=query.max_price,
        in_stock=query.in_stock,
        is_active=query.is_active if actor.is_staff else True,
    )


class CatalogService:
    """Browse the catalog; staff create, change and deactivate products."""

    def __init__(
        self,
        *,
        products: Products | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._products: Products = products or ProductRepository()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    # Reads run in autocommit: one statement needs no transaction around it.
    def list_products(
        self, *, actor: Actor, query: ProductQuery
    ) -> Page[ProductRecord]:
        """Return one page of products; only staff see inactive ones."""
        page = self._products.list_products(
            spec=_spec(actor, query),
            ordering=query.ordering,
            page=page_request(query.page, query.page_size),
        )
        return require_page(page)

    def list_products_by_cursor(
        self, *, actor: Actor, query: ProductQuery, position: Position | None
    ) -> CursorPage[ProductRecord]:
        """Return the products after (or before) a cursor's position, no count."""
        spec = _spec(actor, query)
        width = len(ORDERINGS[query.ordering])
        return self._products.list_products_by_keyset(
            spec=spec,
            ordering=query.ordering,
            keyset=keyset_request(query.page_size, position, width),
        )

    def get_product(self, *, actor: Actor, product_id: int) -> ProductRecord:
        """Return one product; an inactive one only to staff."""
        product = self._products.find(product_id)
        if product is None or not (product.is_active or actor.is_staff):
            raise NotFound(f"Product {product_id} does not exist.")
        return product

    def check_product(
        self, *, fields: Mapping[str, Any], product_id: int | None = None
    ) -> dict[str, Any]:
        """Return the fields normalised, or raise RuleViolation; writes nothing."""
        cleaned = clean_product(fields, partial=product_id is not None)
        sku = cleaned.get("sku")
        if sku and self._products.sku_taken(sku, exclude_id=product_id):
            raise RuleViolation([_sku_taken()])
        return cleaned

    def create_product(
        self, *, actor: Actor, fields: Mapping[str, Any]
    ) -> ProductRecord:
        """Add a product to the catalog."""
        _require_staff(actor)
        cleaned = self.check_product(fields=fields)
        with atomic(self._uow):
            try:
                return self._products.add(**cleaned)
            except DuplicateError as exc:
                raise RuleViolation([_sku_taken()]) from exc

    def update_product(
        self,
        *,
        actor: Actor,
        product_id: int,
        changes: Mapping[str, Any],
        if_match: Collection[str] | None = None,
    ) -> ProductRecord:
        """Change some fields of a product; only if it is at a version in `if_match`.

        `if_match` holds the versions the caller read (`*`: any); None skips the
        check. The row is locked first, so two writers who read the same version
        cannot both pass: the second compares against the first one's write.
        """
        _require_staff(actor)
        cleaned = self.check_product(fields=changes, product_id=product_id)
        with atomic(self._uow):
            if if_match is not None:
                _require_version(self._products, product_id, if_match)
            try:
                product = self._products.update(product_id, **cleaned)
            except DuplicateError as exc:
                raise RuleViolation([_sku_taken()]) from exc
        if product is None:
            raise NotFound(f"Product {product_id} does not exist.")
        return product

    def deactivate_product(self, *, actor: Actor, product_id: int) -> None:
        """Hide a product from customers; its history stays."""
        _require_staff(actor)
        with atomic(self._uow):
            if self._products.update(product_id, is_active=False) is None:
                raise NotFound(f"Product {product_id} does not exist.")


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff may change the catalog.")


def _require_version(
    products: Products, product_id: int, if_match: Collection[str]
) -> None:
    """Lock the product's row and raise unless it is at one of these versions."""
    current = products.lock_many([product_id]).get(product_id)
    if current is None:
        raise NotFound(f"Product {product_id} does not exist.")
    if "*" not in if_match and current.version not in if_match:
        raise PreconditionFailed(
            f"Product {product_id} has changed since you read it; "
            "read it again and retry with its new ETag."
        )


def _sku_taken() -> FieldError:
    return FieldError("sku", "unique", "A product with this sku already exists.")
