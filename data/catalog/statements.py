"""The catalog's fixed statements, built once from Product's metadata.

Tables and columns come from the model, never spelled here; `names` are field
names, and every statement's result columns are those fields, in that order.
"""

from __future__ import annotations

from functools import cache

from data import sql
from data.catalog.models import Product


def _col(name: str) -> str:
    return sql.quoted(Product, [name])


@cache
def select(names: tuple[str, ...]) -> str:
    """SELECT these fields of every product (add a WHERE)."""
    return f"SELECT {sql.quoted(Product, names)} FROM {sql.table(Product)}"


@cache
def find(names: tuple[str, ...]) -> str:
    """SELECT these fields of the product whose key is the one parameter."""
    return f"{select(names)} WHERE {_col('id')} = %s"


def count(where: str) -> str:
    """COUNT the products `where` selects, up to a limit (the last parameter)."""
    return sql.count_up_to(Product, where)


def page(names: tuple[str, ...], where: str, ordering: tuple[str, ...]) -> str:
    """SELECT one page (LIMIT, OFFSET parameters) in `ordering` ("-name": desc)."""
    return f"{select(names)}{where} ORDER BY {_order_by(ordering)} LIMIT %s OFFSET %s"


@cache
def _order_by(ordering: tuple[str, ...]) -> str:
    return ", ".join(
        f"{_col(name.lstrip('-'))}{' DESC' if name.startswith('-') else ''}"
        for name in ordering
    )


@cache
def take(names: tuple[str, ...], count: int) -> str:
    """Take stock from `count` active products that have enough; RETURN them.

    Parameters: (id, quantity) pairs, the update time, the ids, the pairs again.
    """
    pk, stock = _col("id"), _col("stock")
    wanted = f"CASE {pk} " + " ".join(["WHEN %s THEN CAST(%s AS integer)"] * count)
    return (
        f"UPDATE {sql.table(Product)} SET {stock} = {stock} - {wanted} END, "
        f"{_col('updated_at')} = %s WHERE {pk} IN ({', '.join(['%s'] * count)}) "
        f"AND {_col('is_active')} AND {stock} >= {wanted} END "
        f"RETURNING {sql.quoted(Product, names)}"
    )
