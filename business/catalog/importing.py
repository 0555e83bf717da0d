"""Importing products from CSV: every row checked by the catalog rules, all or none.

The file is read as a stream: valid and invalid rows alike go to the data layer's
staging table in batches, so memory stays flat whatever the size of the file, and
duplicates are found there rather than in a set of every sku.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from business.actor import Actor
from business.catalog.ports import ProductImport
from business.catalog.rules import clean_product
from business.errors import BusinessError, PermissionDenied, RuleViolation
from business.ports import UnitOfWork
from business.transaction import atomic
from data.catalog.importer import (
    IMPORT_COLUMNS,
    VALUE_COLUMNS,
    ProductImporter,
    StagedRow,
    StageWriter,
)
from data.unit_of_work import DjangoUnitOfWork

REQUIRED_COLUMNS = ("sku", "name", "price", "stock")
# The data layer knows which columns a file may have; these rules, which must be.
# An empty optional cell means "not given", so the catalog default applies.
OPTIONAL_COLUMNS = tuple(
    name for name in IMPORT_COLUMNS if name not in REQUIRED_COLUMNS
)
DEFAULT_BATCH_SIZE = 5000


class BadImportFile(BusinessError):
    code = "bad-import-file"
    title = "The file cannot be imported."


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One reason a line of the file was refused."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    """What an import found and did; nothing is written when `problems` > 0."""

    rows: int
    bad_lines: int = 0
    problems: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.problems == 0


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each known column sits in a row, and how wide rows must be."""

    index: tuple[tuple[str, int], ...]
    optional: tuple[str, ...]
    values: tuple[str, ...]
    width: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    """How many problems the stage holds, on how many lines."""

    bad_lines: int
    problems: int


def _ignore(_: int) -> None:
    return None


class ProductImportService:
    """Validate a CSV file of products and upsert it by sku, all or nothing."""

    def __init__(
        self,
        *,
        importer: ProductImport | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._importer: ProductImport = importer or ProductImporter()
        self._uow: UnitOfWork = uow or DjangoUnitOfWork()

    def import_products(
        self,
        *,
        actor: Actor,
        lines: Iterable[str],
        on_problem: Callable[[ImportProblem], None],
        on_progress: Callable[[int], None] = _ignore,
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> ImportSummary:
        """Stage every row of the file, report each bad line, then upsert or not."""
        if not actor.is_staff:
            raise PermissionDenied("Only staff may change the catalog.")
        if batch_size < 1:
            raise RuleViolation.single("batch_size", "invalid", "Use at least 1.")
        reader = csv.reader(lines)
        columns = _read_header(reader)
        with atomic(self._uow):
            self._importer.create_stage()
            with self._importer.stage_writer() as write:
                rows = _stage(reader, columns, write, batch_size, on_progress)
            summary = self._conclude(rows, columns, on_problem, dry_run)
            self._importer.drop_stage()
        return summary

    def _conclude(
        self,
        rows: int,
        columns: _Columns,
        on_problem: Callable[[ImportProblem], None],
        dry_run: bool,
    ) -> ImportSummary:
        """Report the problems; with none, upsert (or only count, on a dry run)."""
        found = self._report(on_problem)
        if found.problems:
            return ImportSummary(
                rows=rows,
                bad_lines=found.bad_lines,
                problems=found.problems,
                dry_run=dry_run,
            )
        apply = self._importer.preview if dry_run else self._importer.upsert
        counts = apply(update=columns.values)
        return ImportSummary(
            rows=rows,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            dry_run=dry_run,
        )

    def _report(self, on_problem: Callable[[ImportProblem], None]) -> _Found:
        """Hand every problem over in line order; count them and their lines."""
        bad_lines = problems = last_line = 0
        for staged in self._importer.problems():
            if staged.duplicate_of is not None:
                found = [
                    ImportProblem(
                        staged.line, "sku", f"duplicate of line {staged.duplicate_of}"
                    )
                ]
            else:
                found = [
                    ImportProblem(staged.line, *entry.split(": ", 1))
                    for entry in (staged.errors or "").splitlines()
                ]
            for problem in found:
                on_problem(problem)
            problems += len(found)
            bad_lines += staged.line != last_line
            last_line = staged.line
        return _Found(bad_lines=bad_lines, problems=problems)


def _read_header(reader: Iterator[list[str]]) -> _Columns:
    """Map the header's column names; raise BadImportFile if one is missing."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise BadImportFile(f"line 1: the header cannot be read ({exc}).") from None
    if not header:
        raise BadImportFile(
            f"The file has no header row; expected {', '.join(REQUIRED_COLUMNS)}."
        )
    names = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise BadImportFile(
            f"Missing required column{plural} {', '.join(missing)} in the header "
            "(line 1)."
        )
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    return _Columns(
        index=tuple((name, names.index(name)) for name in known if name in names),
        optional=tuple(name for name in OPTIONAL_COLUMNS if name in names),
        # A column the file leaves out keeps its value on existing products.
        values=tuple(name for name in VALUE_COLUMNS if name in names),
        width=len(names),
    )


def _stage(
    reader: Iterator[list[str]],
    columns: _Columns,
    write: StageWriter,
    batch_size: int,
    on_progress: Callable[[int], None],
) -> int:
    """Check every record and write them all to the stage in batches; count them."""
    batch: list[StagedRow] = []
    rows = 0
    for line, record in _records(reader):
        batch.append(_staged_row(line, record, columns))
        if len(batch) >= batch_size:
            write(batch)
            rows += len(batch)
            on_progress(len(batch))
            batch = []
    if batch:
        write(batch)
        rows += len(batch)
        on_progress(len(batch))
    return rows


def _records(reader: Any) -> Iterator[tuple[int, list[str] | str]]:  # a csv.reader
    """Yield (first physical line, cells) per record, or the CSV error's text."""
    last = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader resumes after the broken record; report it and go on.
            yield last + 1, str(exc)
            last = reader.line_num
            continue
        first, last = last + 1, reader.line_num
        if record:  # blank lines are not records
            yield first, record


def _staged_row(line: int, record: list[str] | str, columns: _Columns) -> StagedRow:
    """Clean one record with the catalog rules, or describe what is wrong with it."""
    if isinstance(record, str):
        return _bad(line, None, f"row: {record[:1].upper()}{record[1:]}.")
    if len(record) != columns.width:
        return _bad(
            line, None, f"row: Expected {columns.width} fields, found {len(record)}."
        )
    fields: dict[str, str | None] = {name: record[i] for name, i in columns.index}
    for name in columns.optional:
        if not (fields[name] or "").strip():
            fields[name] = None
    try:
        cleaned = clean_product(fields, partial=False)
    except RuleViolation as exc:
        text = "\n".join(f"{e.field}: {e.message}" for e in exc.errors)
        return _bad(line, _sku_of(fields), text)
    return StagedRow(line=line, values=cleaned)


def _bad(line: int, sku: str | None, errors: str) -> StagedRow:
    return StagedRow(line=line, values={"sku": sku}, errors=errors)


def _sku_of(fields: dict[str, str | None]) -> str | None:
    """Return the row's sku if it is valid: a bad row can still repeat a sku."""
    try:
        return clean_product({"sku": fields.get("sku")}, partial=True).get("sku")
    except RuleViolation:
        return None
