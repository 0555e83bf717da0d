"""ProductImportService with an in-memory importer: parsing, rules, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

import pytest

from business.actor import Actor
from business.catalog.importing import (
    BadImportFile,
    ImportProblem,
    ProductImportService,
)
from business.errors import PermissionDenied, RuleViolation
from data.catalog.importer import (
    VALUE_COLUMNS,
    StagedProblem,
    StagedRow,
    StageWriter,
    UpsertCounts,
)
from tests.unit.fakes import FakeUnitOfWork

STAFF = Actor.system(request_id="cmd-test")
HEADER = "sku,name,description,price,stock,is_active\n"


class FakeImporter:
    """The staging table as a list; the products as a dict by sku."""

    def __init__(self, products: dict[str, dict] | None = None) -> None:
        self.products = products or {}
        self.staged: list[StagedRow] = []
        self.batches: list[int] = []
        self.calls: list[str] = []

    def create_stage(self) -> None:
        self.staged = []
        self.calls.append("create_stage")

    def drop_stage(self) -> None:
        self.calls.append("drop_stage")

    @contextmanager
    def stage_writer(self) -> Iterator[StageWriter]:
        def write(rows: Sequence[StagedRow]) -> None:
            self.batches.append(len(rows))
            self.staged.extend(rows)

        yield write

    def problems(self) -> Iterator[StagedProblem]:
        first: dict[str, int] = {}
        found = []
        for row in self.staged:
            line, sku, errors = row.line, row.values["sku"], row.errors
            if errors:
                found.append(StagedProblem(line=line, errors=errors, duplicate_of=None))
            if sku in first:
                found.append(
                    StagedProblem(line=line, errors=None, duplicate_of=first[sku])
                )
            elif sku is not None:
                first[sku] = line
        yield from found

    def preview(self, *, update: Sequence[str] = VALUE_COLUMNS) -> UpsertCounts:
        self.calls.append("preview")
        return self._merge(update, write=False)

    def upsert(self, *, update: Sequence[str] = VALUE_COLUMNS) -> UpsertCounts:
        self.calls.append("upsert")
        return self._merge(update, write=True)

    def _merge(self, update: Sequence[str], *, write: bool) -> UpsertCounts:
        created = updated = 0
        for row in self.staged:
            sku, new = row.values["sku"], {c: row.values[c] for c in VALUE_COLUMNS}
            old = self.products.get(sku)
            if old is None:
                created += 1
            elif any(old[c] != new[c] for c in update):
                updated += 1
                new = {**old, **{c: new[c] for c in update}}
            else:
                continue
            if write:
                self.products[sku] = new
        unchanged = len(self.staged) - created - updated
        return UpsertCounts(created=created, updated=updated, unchanged=unchanged)


def run_import(text: str, importer: FakeImporter | None = None, **options):
    importer = importer or FakeImporter()
    uow = FakeUnitOfWork()
    problems: list[ImportProblem] = []
    service = ProductImportService(importer=importer, uow=uow)
    summary = service.import_products(
        actor=options.pop("actor", STAFF),
        lines=io.StringIO(text, newline=""),
        on_problem=problems.append,
        **options,
    )
    return summary, [str(p) for p in problems], importer


def test_valid_rows_are_created_and_counted():
    summary, problems, importer = run_import(
        HEADER + "ab-1,Widget,Nice,19.9,5,yes\nAB-2,Gadget,,5,0,\n"
    )
    assert problems == []
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    assert importer.products["AB-1"] == {
        "name": "Widget",
        "description": "Nice",
        "price": Decimal("19.90"),
        "stock": 5,
        "is_active": True,
    }
    assert importer.calls == ["create_stage", "upsert", "drop_stage"]


def test_every_bad_line_is_reported_and_nothing_is_written():
    text = HEADER + (
        "OK-1,Fine,,1.00,1,true\nbad sku,,x,1.999,-1,maybe\nOK-2,Fine,,abc,1,true\n"
    )
    summary, problems, importer = run_import(text)
    assert problems == [
        "line 3: sku: Use 1 to 64 of A-Z, 0-9, '-' and '_'.",
        "line 3: name: Use 1 to 200 characters.",
        "line 3: price: Use at most 2 decimal places.",
        "line 3: stock: Use 0 to 2147483647.",
        "line 3: is_active: Use true/false, 1/0 or yes/no.",
        "line 4: price: Use a decimal number such as 19.90.",
    ]
    assert not summary.ok
    assert (summary.bad_lines, summary.problems, summary.rows) == (2, 6, 3)
    assert "upsert" not in importer.calls and importer.products == {}


def test_a_record_over_several_lines_is_reported_at_its_first_line():
    text = HEADER + (
        'A-1,"Two\nlines",x,1,1,\n'
        '"B-1","desc\n\nmore",x,-1,1,\n'
        "C-1,ok,,1,1,\n"
        "D-1,ok,,1,x,\n"
    )
    _, problems, _ = run_import(text)
    assert problems == [
        "line 4: price: Use 0.00 to 999999.99.",
        "line 8: stock: Use a whole number.",
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
        ("", True),
        ("  ", True),
    ],
)
def test_is_active_cells(cell, expected):
    _, problems, importer = run_import(HEADER + f"A-1,Widget,,1.00,1,{cell}\n")
    assert problems == []
    assert importer.products["A-1"]["is_active"] is expected


def test_a_repeated_sku_is_reported_on_the_later_lines():
    text = HEADER + "a-1,One,,1,1,\nB-1,Two,,1,1,\nA-1,Three,,1,1,\nA-1,Four,,x,1,\n"
    _, problems, _ = run_import(text)
    assert problems == [
        "line 4: sku: duplicate of line 2",
        "line 5: price: Use a decimal number such as 19.90.",
        "line 5: sku: duplicate of line 2",
    ]


def test_a_row_of_the_wrong_width_is_reported():
    _, problems, _ = run_import(HEADER + "A-1,Short\n")
    assert problems == ["line 2: row: Expected 6 fields, found 2."]


def test_blank_lines_are_skipped_but_counted():
    summary, problems, _ = run_import(HEADER + "\nA-1,One,,1,1,\n\nB-1,Two,,x,1,\n")
    assert problems == ["line 5: price: Use a decimal number such as 19.90."]
    assert summary.rows == 2


def test_a_record_the_csv_reader_refuses_is_reported():
    old = csv.field_size_limit(50)
    try:
        _, problems, _ = run_import(HEADER + "A-1," + "x" * 60 + ",,1,1,\n")
    finally:
        csv.field_size_limit(old)
    assert problems == ["line 2: row: Field larger than field limit (50)."]


def test_missing_required_columns_refuse_the_file():
    with pytest.raises(BadImportFile) as caught:
        run_import("sku,name,description\nA-1,One,x\n")
    assert caught.value.detail == (
        "Missing required columns price, stock in the header (line 1)."
    )


def test_an_empty_file_is_refused():
    with pytest.raises(BadImportFile, match="no header row"):
        run_import("")


def test_header_names_ignore_case_and_spaces_and_unknown_columns():
    summary, problems, importer = run_import(
        " SKU , Name,Price,STOCK,colour\nA-1,One,2.50,3,red\n"
    )
    assert problems == [] and summary.created == 1
    assert importer.products["A-1"]["price"] == Decimal("2.50")


def test_columns_left_out_keep_their_values_on_update():
    existing = {
        "A-1": {
            "name": "One",
            "description": "kept",
            "price": Decimal("1.00"),
            "stock": 1,
            "is_active": False,
        }
    }
    importer = FakeImporter(existing)
    summary, _, _ = run_import("sku,name,price,stock\nA-1,One,2.00,1\n", importer)
    assert summary.updated == 1
    assert importer.products["A-1"]["description"] == "kept"
    assert importer.products["A-1"]["is_active"] is False


def test_a_dry_run_previews_and_writes_nothing():
    importer = FakeImporter()
    summary, _, _ = run_import(HEADER + "A-1,One,,1,1,\n", importer, dry_run=True)
    assert summary.dry_run and summary.created == 1
    assert "preview" in importer.calls and "upsert" not in importer.calls
    assert importer.products == {}


def test_rows_are_staged_in_batches_with_progress():
    ticks: list[int] = []
    rows = "".join(f"A-{i},N,,1,1,\n" for i in range(7))
    summary, _, importer = run_import(
        HEADER + rows, batch_size=3, on_progress=ticks.append
    )
    assert importer.batches == [3, 3, 1] and ticks == [3, 3, 1]
    assert summary.rows == 7


def test_only_staff_import():
    with pytest.raises(PermissionDenied):
        run_import(HEADER, actor=Actor(user_id=7))


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(RuleViolation):
        run_import(HEADER, batch_size=0)
