"""Waiting, in a test, until other transactions are blocked on a lock."""

from __future__ import annotations

import time

import psycopg


def wait_for_lock_waiters(conninfo: str, count: int = 1) -> None:
    """Return once `count` transactions of this database wait for a lock (bounded)."""
    deadline = time.monotonic() + 20
    with psycopg.connect(conninfo, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row and row[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"fewer than {count} transactions waited for a lock")
