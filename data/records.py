"""Shapes the repositories return instead of model instances, and how a page is read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")


# A page-number answer counts its list up to this many rows and no further: a
# count is exact below it, and beyond it costs the same at any size of table.
COUNT_CAP = 10_000
Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list, with the count of the whole list (capped at COUNT_CAP).

    `first_key` and `last_key` are the keyset positions of the first and last
    items, so a client can go on from this page by cursor.
    """

    items: tuple[T, ...]
    total: int
    number: int
    size: int
    total_is_capped: bool = False
    more: bool | None = None
    first_key: Key | None = None
    last_key: Key | None = None

    @property
    def has_next(self) -> bool:
        if self.more is not None:
            return self.more
        return self.number * self.size < self.total

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """Which page of a list to read; `number` counts from 1."""

    number: int = 1
    size: int = 20

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True, kw_only=True)
class KeysetRequest:
    """Which slice of a list to read by keyset: after or before a position.

    A position is the values of the list's ordering columns (ending on the id) of
    one row; with neither, the slice starts at the beginning of the list.
    """

    size: int = 20
    after: Key | None = None
    before: Key | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorPage(Generic[T]):
    """A slice of a list read by keyset: no count, the positions to go on from."""

    items: tuple[T, ...]
    next_key: Key | None
    previous_key: Key | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rows(Generic[T]):
    """What a page's read found: its records, and the list's total if it rode along.

    A total that rides along is counted as `count` is: up to COUNT_CAP + 1.
    """

    items: tuple[T, ...]
    total: int | None = None


def read_page(
    request: PageRequest,
    *,
    read: Callable[[int, int], Rows[T]],
    count: Callable[[int], int],
    key: Callable[[T], Key] | None = None,
) -> Page[T]:
    """Read one page with `read(limit, offset)`; `count(limit)` only if needed.

    One row more than the page is read, so whether a next page exists is known
    without counting. A list that ends on this page has its total without
    counting, unless the page is empty past the first: the list may end anywhere
    before it. `count(limit)` counts at most `limit` rows (COUNT_CAP + 1), and a
    total above COUNT_CAP is reported as COUNT_CAP, capped. `key` gives a record's
    keyset position, for the cursors of the first and last items.
    """
    found = read(request.size + 1, request.offset)
    items, total = found.items[: request.size], found.total
    more = len(found.items) > request.size
    if total is None:
        ended = not more and (bool(items) or request.number == 1)
        total = request.offset + len(items) if ended else count(COUNT_CAP + 1)
    return Page(
        items=items,
        total=min(total, COUNT_CAP),
        number=request.number,
        size=request.size,
        total_is_capped=total > COUNT_CAP,
        more=more,
        first_key=key(items[0]) if key and items else None,
        last_key=key(items[-1]) if key and items else None,
    )


def read_keyset(
    request: KeysetRequest,
    *,
    read: Callable[[int, Key | None, bool], tuple[T, ...]],
    key: Callable[[T], Key],
) -> CursorPage[T]:
    """Read one slice with `read(limit, position, backwards)`, in the scan's order.

    Backwards, `read` returns the rows before the position nearest first; the
    slice is put back in the list's order. One row more than the slice tells
    whether the list goes on in the direction read.
    """
    backwards = request.before is not None
    position = request.before if backwards else request.after
    found = read(request.size + 1, position, backwards)
    more = len(found) > request.size
    items = found[: request.size]
    if backwards:
        items = items[::-1]
    if not items:
        return CursorPage(items=(), next_key=None, previous_key=None)
    first, last = key(items[0]), key(items[-1])
    if backwards:
        # The position itself lies after this slice, so the list goes on there.
        return CursorPage(
            items=items, next_key=last, previous_key=first if more else None
        )
    return CursorPage(
        items=items,
        next_key=last if more else None,
        previous_key=first if position is not None else None,
    )


def ordering_key(ordering: tuple[str, ...]) -> Callable[[Any], Key]:
    """Return a function giving a record's values of these ordering fields."""
    names = tuple(name.lstrip("-") for name in ordering)
    return lambda record: tuple(getattr(record, name) for name in names)


R = TypeVar("R", bound="DataclassInstance")


def build(record_type: type[R], values: Mapping[str, Any]) -> R:
    """Build a record from named values; names the record lacks are ignored."""
    names = field_names(record_type)
    if len(values) == len(names):
        # As many values as fields: passed as they are, by name. A name the
        # record lacks then fails loudly (TypeError), it never shifts a value.
        return record_type(**values)
    return record_type(**{name: values[name] for name in names})


@cache
def field_names(record_type: type[DataclassInstance]) -> tuple[str, ...]:
    """Return the names of a record's fields (their order means nothing)."""
    return tuple(field.name for field in fields(record_type))
