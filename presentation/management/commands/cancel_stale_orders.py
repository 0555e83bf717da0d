"""`manage.py cancel_stale_orders --older-than 30m`: free stock held by old orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser

from business.orders import OrderService
from presentation.management.base import OrderlyCommand, duration


class Command(OrderlyCommand):
    help = (
        "Cancel orders still 'created' (unpaid) whose created_at is older than the "
        "given age, through the same use case as the API: stock is restored and "
        "each order gets an order.cancelled event (source 'command', this run's "
        "request id). Concurrent runs never cancel an order twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=duration,
            required=True,
            metavar="DURATION",
            help="Age: a number and a unit s, m, h or d, e.g. 30m or 2d (0m: all).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the orders that would be cancelled; change nothing.",
        )

    def run(self, *, older_than: timedelta, dry_run: bool, **_: Any) -> None:
        count = OrderService().cancel_stale_orders(
            actor=self.actor(), older_than=older_than, dry_run=dry_run
        )
        if dry_run:
            self.stdout.write(f"Would cancel {count} orders (dry run).")
        else:
            self.stdout.write(
                f"Cancelled {count} orders (request id {self.request_id})."
            )
