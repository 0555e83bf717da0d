"""`manage.py reconcile_payments --older-than 2m`: settle what stayed pending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser

from business.payments import PaymentService
from presentation.management.base import OrderlyCommand, duration


class Command(OrderlyCommand):
    help = (
        "Ask the payment provider about every payment and refund still pending "
        "after the given age (a timeout, a crash, a webhook that never came) and "
        "settle each as the provider answers, through the same use case as the "
        "webhook. Asking again never charges or refunds twice (the provider "
        "deduplicates by our ids); concurrent runs never settle one twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=duration,
            default=timedelta(minutes=2),
            metavar="DURATION",
            help="Age: a number and a unit s, m, h or d (default 2m; 0m: all).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what is pending; ask the provider nothing, change nothing.",
        )

    def run(self, *, older_than: timedelta, dry_run: bool, **_: Any) -> None:
        found = PaymentService().reconcile(
            actor=self.actor(), older_than=older_than, dry_run=dry_run
        )
        pending = f"{found.payments} payments and {found.refunds} refunds pending"
        if dry_run:
            self.stdout.write(f"Found {pending} (dry run).")
        else:
            self.stdout.write(
                f"Found {pending}; settled {found.settled} "
                f"(request id {self.request_id})."
            )
