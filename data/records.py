"""Shapes the repositories return instead of model instances, and how a page is read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a list, with the total count of the whole list."""

    items: tuple[T, ...]
    total: int
    number: int
    size: int

    @property
    def has_next(self) -> bool:
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
class Rows(Generic[T]):
    """What a page's read found: its records, and the list's total if it rode along."""

    items: tuple[T, ...]
    total: int | None = None


def read_page(
    request: PageRequest,
    *,
    read: Callable[[int, int], Rows[T]],
    count: Callable[[], int],
) -> Page[T]:
    """Read one page with `read(limit, offset)`; `count()` only if the total is unknown.

    A short page ends the list, so its total is known without counting, unless it
    is empty past the first page: the list may end anywhere before it.
    """
    found = read(request.size, request.offset)
    items, total = found.items, found.total
    if total is None:
        ended = len(items) < request.size and (bool(items) or request.number == 1)
        total = request.offset + len(items) if ended else count()
    return Page(items=items, total=total, number=request.number, size=request.size)


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
