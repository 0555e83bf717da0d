"""read_page and read_keyset: one page of any list, counted only when needed."""

from __future__ import annotations

import pytest

from data.records import (
    COUNT_CAP,
    KeysetRequest,
    PageRequest,
    Rows,
    read_keyset,
    read_page,
)

LIST = tuple(range(45))


class Reader:
    """A list of 45 numbers, read by slices; it notes every read and count."""

    def __init__(self, *, total_rides_along: bool = False, rows: int = 45) -> None:
        self.total_rides_along = total_rides_along
        self.rows = tuple(range(rows))
        self.reads: list[tuple[int, int]] = []
        self.counts = 0
        self.limits: list[int] = []

    def read(self, limit: int, offset: int) -> Rows[int]:
        self.reads.append((limit, offset))
        items = self.rows[offset : offset + limit]
        # As a counting subquery does: the total comes with the rows, none without.
        total = len(self.rows) if self.total_rides_along and items else None
        return Rows(items=items, total=total)

    def count(self, limit: int) -> int:
        self.counts += 1
        self.limits.append(limit)
        return min(len(self.rows), limit)


def test_a_full_page_is_counted():
    reader = Reader()
    page = read_page(
        PageRequest(number=2, size=20), read=reader.read, count=reader.count
    )
    assert page.items == tuple(range(20, 40))
    assert (page.total, page.number, page.size) == (45, 2, 20)
    # One row more than the page tells whether another page follows.
    assert reader.reads == [(21, 20)] and reader.counts == 1
    assert page.has_next and page.has_previous


def test_a_short_page_ends_the_list_without_a_count():
    reader = Reader()
    page = read_page(
        PageRequest(number=3, size=20), read=reader.read, count=reader.count
    )
    assert page.items == tuple(range(40, 45))
    assert page.total == 45 and reader.counts == 0
    assert not page.has_next


def test_an_empty_first_page_is_an_empty_list_without_a_count():
    reader = Reader()
    page = read_page(
        PageRequest(number=1, size=20),
        read=lambda *_: Rows(items=()),
        count=reader.count,
    )
    assert (page.items, page.total) == ((), 0)
    assert reader.counts == 0


def test_an_empty_page_past_the_end_is_counted():
    reader = Reader()
    page = read_page(
        PageRequest(number=4, size=20), read=reader.read, count=reader.count
    )
    assert (page.items, page.total) == ((), 45)
    assert reader.counts == 1


def test_a_total_that_rode_along_is_taken_without_a_count():
    reader = Reader(total_rides_along=True)
    for number in (1, 3):
        page = read_page(
            PageRequest(number=number, size=20), read=reader.read, count=reader.count
        )
        assert page.total == 45
    assert reader.counts == 0


def test_a_page_exactly_at_the_end_needs_no_count():
    # The row read beyond the page is not there: the list ends here.
    reader = Reader()
    page = read_page(
        PageRequest(number=1, size=45), read=reader.read, count=reader.count
    )
    assert page.total == 45 and reader.counts == 0 and not page.has_next


def test_a_count_stops_past_the_cap_and_says_it_is_capped():
    reader = Reader(rows=COUNT_CAP + 500)
    page = read_page(
        PageRequest(number=1, size=20), read=reader.read, count=reader.count
    )
    assert reader.limits == [COUNT_CAP + 1]
    assert (page.total, page.total_is_capped, page.has_next) == (COUNT_CAP, True, True)


def test_a_count_of_exactly_the_cap_is_exact():
    reader = Reader(rows=COUNT_CAP)
    page = read_page(
        PageRequest(number=1, size=20), read=reader.read, count=reader.count
    )
    assert (page.total, page.total_is_capped) == (COUNT_CAP, False)


def test_pages_past_a_capped_count_still_know_their_neighbours():
    reader = Reader(rows=COUNT_CAP + 500)
    page = read_page(
        PageRequest(number=510, size=20), read=reader.read, count=reader.count
    )
    assert page.items == tuple(range(10_180, 10_200))
    assert page.has_next and page.has_previous and page.total_is_capped


def test_a_page_gives_the_keys_of_its_first_and_last_items():
    reader = Reader()
    page = read_page(
        PageRequest(number=2, size=20),
        read=reader.read,
        count=reader.count,
        key=lambda n: (n,),
    )
    assert (page.first_key, page.last_key) == ((20,), (39,))


def read_numbers(limit: int, position: tuple[int, ...] | None, backwards: bool):
    """Scan 0..44 after (or, backwards, before) a position, as an index would."""
    if backwards:
        assert position is not None
        return tuple(n for n in reversed(LIST) if n < position[0])[:limit]
    start = -1 if position is None else position[0]
    return tuple(n for n in LIST if n > start)[:limit]


def keyset(**request: object):
    return read_keyset(
        KeysetRequest(**request),  # type: ignore[arg-type]
        read=read_numbers,
        key=lambda n: (n,),
    )


def test_the_first_slice_has_a_next_and_no_previous():
    first = keyset(size=20)
    assert first.items == tuple(range(20))
    assert (first.next_key, first.previous_key) == ((19,), None)


def test_a_slice_after_a_position_goes_both_ways():
    middle = keyset(size=20, after=(19,))
    assert middle.items == tuple(range(20, 40))
    assert (middle.next_key, middle.previous_key) == ((39,), (20,))


def test_the_last_slice_has_no_next():
    last = keyset(size=20, after=(39,))
    assert last.items == tuple(range(40, 45))
    assert (last.next_key, last.previous_key) == (None, (40,))


@pytest.mark.parametrize(
    ("before", "items", "previous_key"),
    [((40,), tuple(range(20, 40)), (20,)), ((20,), tuple(range(20)), None)],
)
def test_a_slice_before_a_position_is_in_list_order(before, items, previous_key):
    back = keyset(size=20, before=before)
    assert back.items == items
    assert (back.next_key, back.previous_key) == ((items[-1],), previous_key)
