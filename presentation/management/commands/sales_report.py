"""`manage.py sales_report --from DATE --to DATE`: revenue per day, top products."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from business.orders.reports import DEFAULT_TOP, SalesReportService
from presentation.management.base import (
    OrderlyCommand,
    iso_date,
    positive_int,
    usage_error,
)
from presentation.orders.sales_formats import FORMATS, render


class Command(OrderlyCommand):
    help = (
        "Report sales over paid, shipped and delivered orders: revenue and orders "
        "per UTC day of payment, and the products with the most revenue (ties by "
        "sku). Totals are computed by the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="start",
            type=iso_date,
            required=True,
            metavar="DATE",
            help="First day, YYYY-MM-DD (UTC).",
        )
        parser.add_argument(
            "--to",
            dest="end",
            type=iso_date,
            required=True,
            metavar="DATE",
            help="Last day, YYYY-MM-DD (UTC), included.",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="table",
            help="Output format (default table).",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="Write the report to FILE instead of standard output.",
        )
        parser.add_argument(
            "--top",
            type=positive_int,
            default=DEFAULT_TOP,
            metavar="N",
            help=f"How many top products to list (default {DEFAULT_TOP}).",
        )

    def run(
        self,
        *,
        start: date,
        end: date,
        format: str,
        output: str | None,
        top: int,
        **_: Any,
    ) -> None:
        if start > end:
            raise usage_error(f"--from {start} is after --to {end}.")
        report = SalesReportService().sales_report(
            actor=self.actor(), start=start, end=end, top=top
        )
        text = render(report, format)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as out:
                out.write(text)
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror or exc}.") from exc
        self.stdout.write(f"Wrote the {format} report to {output}.")
