"""The import's staging table and its statements, generated from Product's fields.

The stage has a column for each imported field, of that field's own type, and
two of its own: `line` (where a row starts in the file) and `errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import DecimalField, Field

from data import sql
from data.catalog.models import Product

STAGE = "orderly_import_stage"
# The field an import matches products by, and those a product takes from a row.
KEY_COLUMN = "sku"
VALUE_COLUMNS = ("name", "description", "price", "stock", "is_active")
IMPORT_COLUMNS = (KEY_COLUMN, *VALUE_COLUMNS)
_LINE_TYPE, _ERRORS_TYPE = "bigint", "text"


def imported_fields() -> tuple[Field[Any, Any], ...]:
    """Return Product's fields that an import file fills, in the stage's order."""
    found = (Product._meta.get_field(name) for name in IMPORT_COLUMNS)
    return tuple(field for field in found if isinstance(field, Field))


def create() -> str:
    """CREATE the empty stage, a temporary table of this transaction on PostgreSQL."""
    line, errors = _q("line"), _q("errors")
    imported = ", ".join(
        f"{sql.quoted(Product, [field.name])} {_stage_type(field)}"
        for field in imported_fields()
    )
    if connection.vendor == "postgresql":
        return (
            f"CREATE TEMP TABLE {_q(STAGE)} ({line} {_LINE_TYPE} NOT NULL, "
            f"{imported}, {errors} {_ERRORS_TYPE}) ON COMMIT DROP"
        )
    # `line` is the rowid on SQLite, so the ORM path reads the stage in line order.
    return (
        f"CREATE TEMP TABLE {_q(STAGE)} ({line} INTEGER PRIMARY KEY, "
        f"{imported}, {errors} {_ERRORS_TYPE})"
    )


def drop() -> str:
    """DROP the stage if it exists."""
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"DROP TABLE IF EXISTS {schema}.{_q(STAGE)}"


def copy() -> str:
    """COPY rows of every stage column (`insert`'s order) FROM STDIN."""
    return f"COPY {_q(STAGE)} ({_stage_columns()}) FROM STDIN"


def copy_types() -> list[str]:
    """Return the PostgreSQL type of each column `copy` takes, for its dumpers."""
    # psycopg knows types by name ("varchar", "numeric"), not with modifiers.
    imported = [_stage_type(field).split("(")[0] for field in imported_fields()]
    return [_LINE_TYPE, *imported, _ERRORS_TYPE]


def insert() -> str:
    """INSERT one row: line, the imported fields, errors (the stage's order)."""
    marks = ", ".join(["%s"] * (len(IMPORT_COLUMNS) + 2))
    return f"INSERT INTO {_q(STAGE)} ({_stage_columns()}) VALUES ({marks})"


def problems() -> str:
    """SELECT (line, errors, first line of its sku, kind) of every bad staged line.

    Rows with errors, then every later line of a duplicated sku, in line order;
    `kind` orders a line's own errors before its duplicate report.
    """
    stage, line, errors, key = _q(STAGE), _q("line"), _q("errors"), _key()
    return f"""
        SELECT {line}, {errors}, NULL AS first_line, 0 AS kind FROM {stage}
        WHERE {errors} IS NOT NULL
        UNION ALL
        SELECT s.{line}, NULL, d.first_line, 1 FROM {stage} AS s
        JOIN (
            SELECT {key}, MIN({line}) AS first_line FROM {stage}
            WHERE {key} IS NOT NULL GROUP BY {key} HAVING COUNT(*) > 1
        ) AS d ON d.{key} = s.{key} AND s.{line} > d.first_line
        ORDER BY 1, 4
    """


def chunk() -> str:
    """SELECT line and the imported fields of the rows after a line, in line order.

    Parameters: that line, and how many rows at most.
    """
    line = _q("line")
    return (
        f"SELECT {line}, {sql.quoted(Product, IMPORT_COLUMNS)} FROM {_q(STAGE)} "
        f"WHERE {line} > %s ORDER BY {line} LIMIT %s"
    )


def preview(update: Sequence[str]) -> str:
    """SELECT how many staged products are new, and how many would change."""
    pk, key, differs = _pk(), _key(), changed(update, "p", "s")
    return f"""
        SELECT COUNT(*) FILTER (WHERE p.{pk} IS NULL),
               COUNT(*) FILTER (WHERE p.{pk} IS NOT NULL AND {differs})
        FROM {_q(STAGE)} AS s LEFT JOIN {sql.table(Product)} AS p ON p.{key} = s.{key}
    """


def upsert_statement(
    stage: str, *, now: str = "%(now)s", update: Sequence[str] = VALUE_COLUMNS
) -> str:
    """Return the upsert of a staging table into the products, counting the effect.

    `stage` is the bare name of a table with the imported columns (quoted here).
    `now` is the SQL of the timestamp written to `created_at` and `updated_at`;
    an existing product takes the `update` columns only. Unchanged rows are not
    rewritten; `xmax = 0` tells an insert from an update.
    """
    imported = sql.quoted(Product, IMPORT_COLUMNS)
    stamps = sql.quoted(Product, ("created_at", "updated_at"))
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}"
        for column in _columns_of((*update, "updated_at"))
    )
    return f"""
        WITH written AS (
            INSERT INTO {sql.table(Product)} AS p ({imported}, {stamps})
            SELECT {imported}, {now}, {now} FROM {_q(stage)}
            ON CONFLICT ({_key()}) DO UPDATE SET {updates}
            WHERE {changed(update, "p", "EXCLUDED")}
            RETURNING xmax = 0 AS created
        )
        SELECT COUNT(*) FILTER (WHERE created), COUNT(*) FILTER (WHERE NOT created)
        FROM written
    """


def changed(update: Sequence[str], old: str, new: str) -> str:
    """Return SQL that is true when the `update` columns of `old` and `new` differ."""
    columns = _columns_of(update)
    before = ", ".join(f"{old}.{column}" for column in columns)
    after = ", ".join(f"{new}.{column}" for column in columns)
    return f"({before}) IS DISTINCT FROM ({after})"


def _stage_type(field: Field[Any, Any]) -> str:
    if connection.vendor == "sqlite" and isinstance(field, DecimalField):
        # SQLite has no exact numeric type: a "decimal" column's NUMERIC affinity
        # would turn '0.10' into the REAL 0.1, so a decimal is staged as its text.
        return "text"
    db_type = field.db_type(connection)
    assert db_type is not None  # every imported field is a column
    return db_type


def _stage_columns() -> str:
    return f"{_q('line')}, {sql.quoted(Product, IMPORT_COLUMNS)}, {_q('errors')}"


def _key() -> str:
    return sql.quoted(Product, [KEY_COLUMN])


def _columns_of(names: Sequence[str]) -> list[str]:
    return [sql.quoted(Product, [name]) for name in names]


def _pk() -> str:
    pk = Product._meta.pk
    assert pk is not None
    return sql.quoted(Product, [pk.name])


def _q(name: str) -> str:
    return connection.ops.quote_name(name)
