"""Paging rules shared by every list use case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from business.errors import NotFound, RuleViolation
from data.records import CursorPage, KeysetRequest, Page, PageRequest

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# No table holds more rows than a bigint counts, and PostgreSQL refuses a larger
# OFFSET: a page beyond that cannot exist.
MAX_ROWS = 2**63 - 1
T = TypeVar("T")
__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CursorPage",
    "Page",
    "Position",
    "keyset_request",
    "page_request",
    "require_page",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """Where a cursor points: one row's ordering values, and which way to read."""

    key: tuple[Any, ...]
    backwards: bool = False


def page_request(number: int, size: int) -> PageRequest:
    """Check a page number and size; sizes above the maximum are clamped."""
    if number < 1:
        raise RuleViolation.single("page", "invalid", "Use a positive integer.")
    if size < 1:
        raise RuleViolation.single("page_size", "invalid", "Use a positive integer.")
    size = min(size, MAX_PAGE_SIZE)
    if number * size > MAX_ROWS:
        raise NotFound(f"Page {number} does not exist.")
    return PageRequest(number=number, size=size)


def require_page(page: Page[T]) -> Page[T]:
    """Return the page, or raise NotFound if it lies past the last one."""
    if page.number > 1 and not page.items:
        raise NotFound(f"Page {page.number} does not exist.")
    return page


def keyset_request(size: int, position: Position | None, width: int) -> KeysetRequest:
    """Check a slice's size and position (`width` values, as the ordering has)."""
    if size < 1:
        raise RuleViolation.single("page_size", "invalid", "Use a positive integer.")
    size = min(size, MAX_PAGE_SIZE)
    if position is None:
        return KeysetRequest(size=size)
    if len(position.key) != width:
        raise RuleViolation.single(
            "cursor", "invalid", "Use a cursor from a Link or next/previous URL."
        )
    if position.backwards:
        return KeysetRequest(size=size, before=position.key)
    return KeysetRequest(size=size, after=position.key)
