"""read_page: one page of any list, counted only when the page cannot tell."""

from __future__ import annotations

from data.records import PageRequest, Rows, read_page

LIST = tuple(range(45))


class Reader:
    """A list of 45 numbers, read by slices; it notes every read and count."""

    def __init__(self, *, total_rides_along: bool = False) -> None:
        self.total_rides_along = total_rides_along
        self.reads: list[tuple[int, int]] = []
        self.counts = 0

    def read(self, limit: int, offset: int) -> Rows[int]:
        self.reads.append((limit, offset))
        items = LIST[offset : offset + limit]
        # As a window count does: the total comes with the rows, so none without.
        total = len(LIST) if self.total_rides_along and items else None
        return Rows(items=items, total=total)

    def count(self) -> int:
        self.counts += 1
        return len(LIST)


def test_a_full_page_is_counted():
    reader = Reader()
    page = read_page(
        PageRequest(number=2, size=20), read=reader.read, count=reader.count
    )
    assert page.items == tuple(range(20, 40))
    assert (page.total, page.number, page.size) == (45, 2, 20)
    assert reader.reads == [(20, 20)] and reader.counts == 1
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


def test_a_page_exactly_at_the_end_is_counted():
    # A full last page cannot tell that no row follows it.
    reader = Reader()
    page = read_page(
        PageRequest(number=1, size=45), read=reader.read, count=reader.count
    )
    assert page.total == 45 and reader.counts == 1 and not page.has_next
