"""`manage.py purge_idempotency_keys`: forget keys past their retention period."""

from __future__ import annotations

from typing import Any

from business.idempotency.service import KEEP_FOR, IdempotencyService
from presentation.management.base import OrderlyCommand

_HOURS = int(KEEP_FOR.total_seconds() // 3600)


class Command(OrderlyCommand):
    help = (
        f"Delete idempotency keys older than their {_HOURS} h retention period, so "
        "the table stays small; run it from cron (e.g. hourly). Prints how many."
    )

    def run(self, **_: Any) -> None:
        purged = IdempotencyService().purge_expired()
        self.stdout.write(f"Purged {purged} expired idempotency keys.")
