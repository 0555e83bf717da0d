"""Fixed statements for the hottest paths, with the ORM's own value handling.

The ORM compiles every query anew, and on the hot paths (product list and detail,
placing an order, the user behind a token) that cost more CPU than the database
spent running the statements. These helpers build each statement once from the
models' metadata (tables and columns are never spelled twice) and cache it.
Values still go through each field's `get_db_prep_save` and results through its
converters, so they behave as the ORM does, on PostgreSQL and SQLite
(tests/commands/test_sqlite_paths.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, partial
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Field, Model, QuerySet
from psycopg.types.datetime import TimestamptzLoader


def quoted(model: type[Model], names: Iterable[str]) -> str:
    """Return the quoted columns of these fields, comma-separated."""
    return ", ".join(
        connection.ops.quote_name(_column(field))
        for field in _fields(model, tuple(names))
    )


def _column(field: Field[Any, Any]) -> str:
    # Set once the field belongs to a model, as every field here does.
    assert field.column is not None
    return field.column


def table(model: type[Model]) -> str:
    """Return the model's quoted table name."""
    return connection.ops.quote_name(model._meta.db_table)


def prepared(model: type[Model], values: Mapping[str, Any]) -> list[Any]:
    """Adapt named values as the ORM would when saving them to these fields."""
    names = tuple(values)
    return [
        field.get_db_prep_save(values[name], connection)
        for name, field in zip(names, _fields(model, names), strict=True)
    ]


def fetch(
    model: type[Model],
    names: Sequence[str],
    sql: str,
    params: Sequence[Any],
    *,
    many: bool = False,
) -> list[dict[str, Any]]:
    """Run `sql`, whose columns are these fields; return its rows by field name.

    Values are converted as the ORM converts them.

    With `many` (a page of rows, not one or two), timestamps are read by
    psycopg's C loader.
    """
    names = tuple(names)
    converting = _converting(model, names, connection.vendor)
    with connection.cursor() as cursor:
        if many and connection.vendor == "postgresql":
            # Django's timestamptz loader is pure Python (it pins the tzinfo);
            # psycopg's own, in C, gives the same instants, in the session's
            # time zone, UTC. A list of 50 products spent 12% of its CPU there.
            # Registering copies the cursor's adapters: not worth it for a row.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # `strict` refuses a row whose columns are not these names, one for one;
    # reading `cursor.description` to check it built a Column per column and
    # cost a product's detail 3% of its instructions.
    found = [dict(zip(names, row, strict=True)) for row in rows]
    # Most columns need no conversion (none, on PostgreSQL, for a product):
    # only those that do are touched, in place.
    for name, steps in converting:
        for values in found:
            values[name] = _convert(values[name], steps)
    return found


def scalar(sql: str, params: Sequence[Any]) -> Any:
    """Run `sql` and return the first column of its first row, unconverted."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def where(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    """Return the queryset's filter as SQL (" WHERE ...", or "") and its parameters.

    For a statement on the queryset's own table: the ORM still builds the filter
    (its lookups differ between databases), but only the filter is compiled.
    """
    query = queryset.query
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except FullResultSet:
        return "", []
    except EmptyResultSet:
        return " WHERE 1 = 0", []
    return f" WHERE {sql}", list(params)


def count_up_to(model: type[Model], where: str) -> str:
    """COUNT the rows `where` selects, up to a limit (the statement's last parameter).

    Counting stops at the limit, so it costs the same whatever the table's size.
    """
    return (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {table(model)}{where} LIMIT %s) AS capped"
    )


def insert(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    returning: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Insert rows of named values in one statement; return `returning` of each.

    Every row names the same fields.
    """
    names = tuple(rows[0])
    sql = _insert_sql(model, names, len(rows), tuple(returning))
    params = [value for row in rows for value in prepared(model, row)]
    if returning:
        return fetch(model, returning, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return []


def insert_with_children(
    parent: tuple[type[Model], Mapping[str, Any]],
    children: tuple[type[Model], Sequence[Mapping[str, Any]]],
    *,
    link: str,
) -> int:
    """Insert a row and its children, whose `link` field takes its id; return it.

    Each side is a model and named values. On PostgreSQL this is one statement
    (a data-modifying WITH), elsewhere two.
    """
    model, row = parent
    child, rows = children
    key = _pk_name(model)
    if connection.vendor != "postgresql" or not rows:
        [inserted] = insert(model, [row], returning=(key,))
        if rows:
            insert(child, [{link: inserted[key], **values} for values in rows])
        return int(inserted[key])
    sql = _with_children_sql(model, tuple(row), child, (link, *rows[0]), len(rows))
    params = prepared(model, row)
    params += [value for values in rows for value in prepared(child, values)]
    [inserted] = fetch(model, (key,), sql, params)
    return int(inserted[key])


def _pk_name(model: type[Model]) -> str:
    pk = model._meta.pk
    assert pk is not None
    return pk.name


@cache
def _with_children_sql(
    model: type[Model],
    names: tuple[str, ...],
    child: type[Model],
    child_names: tuple[str, ...],
    count: int,
) -> str:
    key = quoted(model, [_pk_name(model)])
    parent_sql = _insert_sql(model, names, 1, (_pk_name(model),))
    row = f"((SELECT {key} FROM parent), {', '.join(['%s'] * (len(child_names) - 1))})"
    children_sql = (
        f"INSERT INTO {table(child)} ({quoted(child, child_names)}) VALUES "
        + ", ".join([row] * count)
    )
    return (
        f"WITH parent AS ({parent_sql}), children AS ({children_sql}) "
        f"SELECT {key} FROM parent"
    )


@cache
def _insert_sql(
    model: type[Model], names: tuple[str, ...], count: int, returning: tuple[str, ...]
) -> str:
    row = f"({', '.join(['%s'] * len(names))})"
    sql = f"INSERT INTO {table(model)} ({quoted(model, names)}) VALUES "
    sql += ", ".join([row] * count)
    return f"{sql} RETURNING {quoted(model, returning)}" if returning else sql


@cache
def _fields(model: type[Model], names: tuple[str, ...]) -> tuple[Field[Any, Any], ...]:
    """Return the concrete fields of these names (a relation's reverse side is none)."""
    found = (model._meta.get_field(name) for name in names)
    return tuple(field for field in found if isinstance(field, Field))


@cache
def _converting(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[tuple[str, tuple[Callable[[Any], Any], ...]], ...]:
    """Return the columns the ORM converts, each with its steps."""
    steps = _converters(model, names, vendor)
    return tuple((name, step) for name, step in zip(names, steps, strict=True) if step)


@cache
def _converters(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[tuple[Callable[[Any], Any], ...], ...]:
    """Return, per column, what the ORM would apply to a value read from it."""
    del vendor  # part of the cache key: the backend decides which converters apply
    steps = []
    for field in _fields(model, names):
        col = field.cached_col
        found = (
            *connection.ops.get_db_converters(col),
            *col.get_db_converters(connection),
        )
        steps.append(tuple(partial(_apply, convert, col) for convert in found))
    return tuple(steps)


def _apply(convert: Callable[..., Any], col: Any, value: Any) -> Any:
    return convert(value, col, connection)


def _convert(value: Any, steps: Sequence[Callable[[Any], Any]]) -> Any:
    for step in steps:
        value = step(value)
    return value
