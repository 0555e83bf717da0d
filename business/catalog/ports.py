"""What catalog use cases need of the data layer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from data.catalog.importer import StagedProblem, StageWriter, UpsertCounts
from data.catalog.repository import (
    ProductFilter,
    ProductRecord,
    Reservation,
)
from data.records import CursorPage, KeysetRequest, Page, PageRequest


class Products(Protocol):
    """Products, found, listed, added, changed and reserved."""

    def find(self, product_id: int) -> ProductRecord | None: ...

    def list_products(
        self, *, spec: ProductFilter, ordering: str, page: PageRequest
    ) -> Page[ProductRecord]: ...

    def list_products_by_keyset(
        self, *, spec: ProductFilter, ordering: str, keyset: KeysetRequest
    ) -> CursorPage[ProductRecord]: ...

    def add(self, **fields: Any) -> ProductRecord: ...

    def update(self, product_id: int, **changes: Any) -> ProductRecord | None: ...

    def lock_many(self, product_ids: list[int]) -> dict[int, ProductRecord]: ...

    def reserve(self, quantities: dict[int, int]) -> Reservation: ...

    def add_stock(self, deltas: dict[int, int]) -> None: ...

    def sku_taken(self, sku: str, *, exclude_id: int | None = None) -> bool: ...


class ProductImport(Protocol):
    """A staging table of import rows, checked and upserted by sku."""

    def create_stage(self) -> None: ...

    def drop_stage(self) -> None: ...

    def stage_writer(self) -> AbstractContextManager[StageWriter]: ...

    def problems(self) -> Iterator[StagedProblem]: ...

    def preview(self, *, update: Sequence[str] = ...) -> UpsertCounts: ...

    def upsert(self, *, update: Sequence[str] = ...) -> UpsertCounts: ...
