"""Shapes the repositories return instead of model instances, built by name."""

from __future__ import annotations

from collections.abc import Mapping
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


R = TypeVar("R", bound="DataclassInstance")


def build(record_type: type[R], values: Mapping[str, Any]) -> R:
    """Build a record from named values; names the record lacks are ignored."""
    return record_type(**{name: values[name] for name in field_names(record_type)})


@cache
def field_names(record_type: type[DataclassInstance]) -> tuple[str, ...]:
    """Return the names of a record's fields (their order means nothing)."""
    return tuple(field.name for field in fields(record_type))
