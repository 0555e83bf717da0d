"""Keyset pagination: the filter and the order of a slice after or before a row."""

from __future__ import annotations

from typing import Any

from django.db.models import Q


def flipped(ordering: tuple[str, ...]) -> tuple[str, ...]:
    """Return the ordering reversed, column by column ("-name" <-> "name")."""
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)


def beyond(ordering: tuple[str, ...], key: tuple[Any, ...]) -> Q:
    """Select the rows that come after the row at `key` in `ordering`.

    Written `a >= x AND (a > x OR (a = x AND b > y))` rather than as a row
    comparison, because an ordering may mix directions ("-price", "id"); the
    leading bound on the first column alone is what lets PostgreSQL start an
    index range scan right at the position, so a slice costs the same at any
    depth.
    """
    names = [name.lstrip("-") for name in ordering]
    ops = ["lt" if name.startswith("-") else "gt" for name in ordering]
    after = Q()
    for index in reversed(range(len(names))):
        equal = {f"{name}": key[i] for i, name in enumerate(names[:index])}
        step = Q(**equal, **{f"{names[index]}__{ops[index]}": key[index]})
        after = step if index == len(names) - 1 else step | after
    return Q(**{f"{names[0]}__{ops[0]}e": key[0]}) & after
