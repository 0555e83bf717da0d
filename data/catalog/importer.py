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
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone

from data.catalog.models import Product

STAGE = "orderly_import_stage"
# The stage's columns: the line a row starts on, the fields, its errors (or None).
STAGE_COLUMNS = (
    "line",
    "sku",
    "name",
    "description",
    "price",
    "stock",
    "is_active",
    "errors",
)
VALUE_COLUMNS = ("name", "description", "price", "stock", "is_active")
IMPORT_COLUMNS = ("sku", *VALUE_COLUMNS)
_imported = itemgetter(*IMPORT_COLUMNS)


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

_PG_STAGE = f"""
    CREATE TEMP TABLE {STAGE} (
        line bigint NOT NULL, sku varchar(64), name varchar(200), description text,
        price numeric(8, 2), stock integer, is_active boolean, errors text
    ) ON COMMIT DROP
"""
_PG_TYPES = ["int8", "text", "text", "text", "numeric", "int4", "bool", "text"]
# `line` is the rowid on SQLite, so the ORM path reads the stage in line order.
_SQLITE_STAGE = f"""
    CREATE TEMP TABLE {STAGE} (
        line INTEGER PRIMARY KEY, sku TEXT, name TEXT, description TEXT,
        price TEXT, stock INTEGER, is_active INTEGER, errors TEXT
    )
"""
# Rows with errors, then every later line of a duplicated sku; `kind` orders a
# line's own errors before its duplicate report.
_PROBLEMS = f"""
    SELECT line, errors, NULL AS first_line, 0 AS kind FROM {STAGE}
    WHERE errors IS NOT NULL
    UNION ALL
    SELECT s.line, NULL, d.first_line, 1 FROM {STAGE} AS s
    JOIN (
        SELECT sku, MIN(line) AS first_line FROM {STAGE}
        WHERE sku IS NOT NULL GROUP BY sku HAVING COUNT(*) > 1
    ) AS d ON d.sku = s.sku AND s.line > d.first_line
    ORDER BY 1, 4
"""
_CHUNK = 2000


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


def upsert_statement(
    stage: str, *, now: str = "%(now)s", update: Sequence[str] = VALUE_COLUMNS
) -> str:
    """Return the upsert of a staging table into the products, counting the effect.

    `now` is the SQL of the timestamp written to `created_at` and `updated_at`;
    an existing product takes the `update` columns only. Unchanged rows are not
    rewritten; `xmax = 0` tells an insert from an update.
    """
    table = Product._meta.db_table
    values = ", ".join(VALUE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*update, "updated_at"))
    return f"""
        WITH written AS (
            INSERT INTO {table} AS p (sku, {values}, created_at, updated_at)
            SELECT sku, {values}, {now}, {now} FROM {stage}
            ON CONFLICT (sku) DO UPDATE SET {updates}
            WHERE {_changed_sql(update, "p", "EXCLUDED")}
            RETURNING xmax = 0 AS created
        )
        SELECT COUNT(*) FILTER (WHERE created), COUNT(*) FILTER (WHERE NOT created)
        FROM written
    """


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
            cursor.execute(_PG_STAGE if self._postgres else _SQLITE_STAGE)

    def drop_stage(self) -> None:
        """Drop the staging table, if there is one."""
        schema = "pg_temp" if self._postgres else "temp"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{STAGE}")

    @contextmanager
    def stage_writer(self) -> Iterator[StageWriter]:
        """Yield a function that appends staged rows to the stage."""
        if not self._postgres:
            yield self._insert_rows
            return
        columns = ", ".join(STAGE_COLUMNS)
        # The raw psycopg cursor: COPY streams rows while the caller reads more.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy,
        ):
            copy.set_types(_PG_TYPES)
            write_row = copy.write_row

            def write(rows: Sequence[StagedRow]) -> None:
                for row in rows:
                    write_row(_columns(row))
                self._rows += len(rows)

            yield write

    def problems(self) -> Iterator[StagedProblem]:
        """Yield the bad staged lines in line order, read in chunks."""
        with connection.chunked_cursor() as cursor:
            cursor.execute(_PROBLEMS)
            while rows := cursor.fetchmany(_CHUNK):
                for line, errors, first_line, _kind in rows:
                    yield StagedProblem(
                        line=line, errors=errors, duplicate_of=first_line
                    )

    def preview(self, *, update: Sequence[str] = VALUE_COLUMNS) -> UpsertCounts:
        """Count what `upsert` would do, writing nothing."""
        if not self._postgres:
            return self._merge_with_orm(update, write=False)
        changed = _changed_sql(update, "p", "s")
        sql = f"""
            SELECT COUNT(*) FILTER (WHERE p.id IS NULL),
                   COUNT(*) FILTER (WHERE p.id IS NOT NULL AND {changed})
            FROM {STAGE} AS s LEFT JOIN {Product._meta.db_table} AS p ON p.sku = s.sku
        """
        with connection.cursor() as cursor:
            cursor.execute(sql)
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
        return self._counts(created, updated)

    def _counts(self, created: int, updated: int) -> UpsertCounts:
        return UpsertCounts(
            created=created, updated=updated, unchanged=self._rows - created - updated
        )

    def _insert_rows(self, rows: Sequence[StagedRow]) -> None:
        marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {STAGE} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})",
                [_columns(row) for row in rows],
            )
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
        last = 0
        sql = (
            f"SELECT line, sku, {', '.join(VALUE_COLUMNS)} FROM {STAGE} "
            "WHERE line > %s ORDER BY line LIMIT %s"
        )
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
    name, description, price, stock, is_active = row
    return {
        "name": name,
        "description": description,
        "price": Decimal(str(price)),
        "stock": stock,
        "is_active": bool(is_active),
    }


def _changed_sql(columns: Sequence[str], old: str, new: str) -> str:
    """Return SQL that is true when a product's `columns` differ from the new ones."""
    before = ", ".join(f"{old}.{c}" for c in columns)
    after = ", ".join(f"{new}.{c}" for c in columns)
    return f"({before}) IS DISTINCT FROM ({after})"


def _differs(product: Product, values: dict[str, Any], columns: Sequence[str]) -> bool:
    return any(getattr(product, name) != values[name] for name in columns)


def _changed(
    product: Product, values: dict[str, Any], columns: Sequence[str], now: datetime
) -> Product:
    for name in columns:
        setattr(product, name, values[name])
    product.updated_at = now
    return product
