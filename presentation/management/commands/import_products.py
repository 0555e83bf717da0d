"""`manage.py import_products FILE.csv`: upsert products by sku, all or nothing."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from business.catalog.importing import (
    DEFAULT_BATCH_SIZE,
    BadImportFile,
    ImportProblem,
    ImportSummary,
    ProductImportService,
)
from presentation.management.base import OrderlyCommand, positive_int


class Command(OrderlyCommand):
    help = (
        "Import products from a CSV file and upsert them by sku. The header names "
        "the columns: sku, name, price, stock (required), description, is_active "
        "(optional; true/false, 1/0, yes/no, empty means true). Every row is checked "
        "with the catalog's rules first; if any is bad, each bad line is reported as "
        "'line N: field: message', nothing is written and the exit code is 1. "
        "An optional column left out of the file keeps its value on existing "
        "products. A progress bar shows on a terminal (not with -v 0)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", metavar="FILE.csv", help="UTF-8 CSV file; its header is line 1."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and count what would change; write nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"Rows sent to the database at a time (default {DEFAULT_BATCH_SIZE}).",
        )

    def run(
        self, *, file: str, dry_run: bool, batch_size: int, verbosity: int, **_: Any
    ) -> None:
        started = time.monotonic()
        with self._open(file) as handle, self._progress(handle, verbosity) as tick:
            try:
                summary = ProductImportService().import_products(
                    actor=self.actor(),
                    lines=handle,
                    on_problem=self._report,
                    on_progress=tick,
                    dry_run=dry_run,
                    batch_size=batch_size,
                )
            except BadImportFile as exc:
                raise CommandError(f"{file}: {exc.detail}") from exc
            except UnicodeDecodeError as exc:
                raise CommandError(f"{file}: not UTF-8 text ({exc.reason}).") from exc
        if not summary.ok:
            lines = "line" if summary.bad_lines == 1 else "lines"
            raise CommandError(
                f"{file}: {summary.bad_lines} bad {lines}; nothing was written."
            )
        self.stdout.write(_summary_line(summary, time.monotonic() - started))

    def _report(self, problem: ImportProblem) -> None:
        self.stderr.write(str(problem))

    @contextmanager
    def _open(self, file: str) -> Iterator[TextIO]:
        try:
            # utf-8-sig drops the byte order mark spreadsheets like to write.
            handle = open(file, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}.") from exc
        with handle:
            yield handle

    @contextmanager
    def _progress(
        self, handle: TextIO, verbosity: int
    ) -> Iterator[Callable[[int], None]]:
        """Yield a progress callback: a bar on a terminal, else one doing nothing."""
        if verbosity < 1 or not self.stderr.isatty():
            yield lambda _rows: None
            return
        size = os.fstat(handle.fileno()).st_size
        with tqdm(
            total=size, unit="B", unit_scale=True, file=sys.stderr, leave=False
        ) as bar:

            def advance(_rows: int) -> None:
                # The byte offset read so far, which the bar compares with the size.
                bar.update(handle.buffer.tell() - bar.n)

            yield advance


def _summary_line(summary: ImportSummary, seconds: float) -> str:
    counts = (
        f"created {summary.created}, updated {summary.updated}, "
        f"unchanged {summary.unchanged}"
    )
    prefix = "dry run, nothing written: " if summary.dry_run else ""
    return f"{prefix}{counts} ({summary.rows} rows in {seconds:.2f} s)"
