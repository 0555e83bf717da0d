"""Bulk product import: rows go to a temporary staging table, then one upsert.

On PostgreSQL rows are streamed in with COPY and written by one set-based
`INSERT … ON CONFLICT (sku) DO UPDATE`; other databases (SQLite for `make run`)
take a plain path through the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from data.catalog import staging
from data.catalog.models import Product
from data.catalog.staging import (
    IMPORT_COLUMNS,
    STAGE,
    VALUE_COLUMNS,
    upsert_statement,
)

__all__ = [
    "IMPORT_COLUMNS",
    "VALUE_COLUMNS",
    "ProductImporter",
    "StageWriter",
    "StagedProblem",
    "StagedRow",
    "UpsertCounts",
    "upsert_statement",
]
_CHUNK = 2000
_imported = itemgetter(*IMPORT_COLUMNS)
# `staging.chunk` gives back line, sku, then these fields.
_VALUE_FIELDS = tuple(f for f in staging.imported_fields() if f.name in VALUE_COLUMNS)


@dataclass(frozen=True, slots=True, kw_only=True)
class StagedRow:
    """A record of the import file as staged: its cleaned fields, or its errors.

    `values` holds the cleaned fields by name (`IMPORT_COLUMNS`); a bad row's,
    at most its sku, so that the lines repeating it are still reported.
    """

    line: int
    values: Mapping[str, Any]
    errors: str | None = None


StageWriter = Callable[[Sequence[StagedRow]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class StagedProblem:
    """A staged line that is bad: its own errors, or the line its sku repeats."""

    line: int
    errors: str | None
    duplicate_of: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpsertCounts:
    """How many staged products were (or would be) created, updated, unchanged."""

    created: int
    updated: int
    unchanged: int


class ProductImporter:
    """Stage import rows, report their problems, upsert them by sku.

    Use it inside one unit of work: the staging table lives in that transaction.
    """

    def __init__(self) -> None:
        self._rows = 0

    @property
    def _postgres(self) -> bool:
        return connection.vendor == "postgresql"

    def create_stage(self) -> None:
        """Create an empty staging table for this transaction."""
        self._rows = 0
        self.drop_stage()
        with connection.cursor() as cursor:
            cursor.execute(staging.create())

    def drop_stage(self) -> None:
        """Drop the staging table, if there is one."""
        with connection.cursor() as cursor:
            cursor.execute(staging.drop())

    @contextmanager
    def stage_writer(self) -> Iterator[StageWriter]:
        """Yield a function that appends staged rows to the stage."""
        if not self._postgres:
            yield self._insert_rows
            return
        # The raw psycopg cursor: COPY streams rows while the caller reads more.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(staging.copy()) as copy,
        ):
            copy.set_types(staging.copy_types())
            write_row = copy.write_row

            def write(rows: Sequence[StagedRow]) -> None:
                for row in rows:
                    write_row(_columns(row))
                self._rows += len(rows)

            yield write

    def problems(self) -> Iterator[StagedProblem]:
        """Yield the bad staged lines in line order, read in chunks."""
        with connection.chunked_cursor() as cursor:
            cursor.execute(staging.problems())
            while rows := cursor.fetchmany(_CHUNK):
                for line, errors, first_line, _kind in rows:
                    yield StagedProblem(
                        line=line, errors=errors, duplicate_of=first_line
                    )

    def preview(self, *, update: Sequence[str] = VALUE_COLUMNS) -> UpsertCounts:
        """Count what `upsert` would do, writing nothing."""
        if not self._postgres:
            return self._merge_with_orm(update, write=False)
        with connection.cursor() as cursor:
            cursor.execute(staging.preview(update))
            created, updated = cursor.fetchone()
        return self._counts(created, updated)

    def upsert(self, *, update: Sequence[str] = VALUE_COLUMNS) -> UpsertCounts:
        """Insert new skus and update changed products; leave equal ones alone.

        An existing product takes only the `update` columns from its staged row.
        """
        if not self._postgres:
            return self._merge_with_orm(update, write=True)
        with connection.cursor() as cursor:
            sql = upsert_statement(STAGE, update=update)
            cursor.execute(sql, {"now": timezone.now()})
            created, updated = cursor.fetchone()
            if created or updated:
                _make_ready(cursor)
        return self._counts(created, updated)

    def _counts(self, created: int, updated: int) -> UpsertCounts:
        return UpsertCounts(
            created=created, updated=updated, unchanged=self._rows - created - updated
        )

    def _insert_rows(self, rows: Sequence[StagedRow]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(staging.insert(), [_columns(row) for row in rows])
        self._rows += len(rows)

    def _merge_with_orm(self, update: Sequence[str], *, write: bool) -> UpsertCounts:
        """The portable path: compare chunks of the stage with the products."""
        created = updated = 0
        now = timezone.now()
        for chunk in self._staged_chunks():
            existing = {
                product.sku: product
                for product in Product.objects.filter(sku__in=list(chunk))
            }
            new = [
                Product(sku=sku, created_at=now, updated_at=now, **values)
                for sku, values in chunk.items()
                if sku not in existing
            ]
            changed = [
                _changed(existing[sku], values, update, now)
                for sku, values in chunk.items()
                if sku in existing and _differs(existing[sku], values, update)
            ]
            if write:
                Product.objects.bulk_create(new)
                Product.objects.bulk_update(changed, [*update, "updated_at"])
            created, updated = created + len(new), updated + len(changed)
        return self._counts(created, updated)

    def _staged_chunks(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Yield the staged rows in line order, by chunk: values by field, by sku."""
        last = 0
        sql = staging.chunk()
        while True:
            with connection.cursor() as cursor:
                cursor.execute(sql, [last, _CHUNK])
                rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield {row[1]: _values(row[2:]) for row in rows}


def _columns(row: StagedRow) -> tuple[Any, ...]:
    """Return a staged row's values in the stage's column order."""
    if row.errors is None:
        # A clean row has every field: one itemgetter call (in C) reads them all,
        # which counts when a file has millions of rows.
        return (row.line, *_imported(row.values), None)
    return (row.line, *map(row.values.get, IMPORT_COLUMNS), row.errors)


def _values(row: Sequence[Any]) -> dict[str, Any]:
    """Return the value fields of a row the stage gave back, as Python values."""
    # SQLite gives booleans as 0 and 1, and the staged price as its text.
    return {
        field.name: field.to_python(value)
        for field, value in zip(_VALUE_FIELDS, row, strict=True)
    }


def _differs(product: Product, values: dict[str, Any], columns: Sequence[str]) -> bool:
    return any(getattr(product, name) != values[name] for name in columns)


def _changed(
    product: Product, values: dict[str, Any], columns: Sequence[str], now: datetime
) -> Product:
    for name in columns:
        setattr(product, name, values[name])
    product.updated_at = now
    return product


# The trigram GIN indexes of `?search=` (data/catalog/migrations/0002).
TRIGRAM_INDEXES = ("catalog_product_sku_trgm", "catalog_product_name_trgm")


def _make_ready(cursor: Any) -> None:
    """Leave the table as fast to search as after a VACUUM ANALYZE.

    Without fresh statistics the planner misjudges the new rows, and entries
    still in a GIN index's pending list are scanned linearly by every search
    until autovacuum gets round to them. Both run in the import's transaction,
    so they commit, or roll back, with it.
    """
    cursor.execute("ANALYZE catalog_product")
    for index in TRIGRAM_INDEXES:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
