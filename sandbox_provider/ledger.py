"""The provider's own books: payment intents, refunds and idempotency keys, on disk.

One SQLite file, written in a transaction per request, so that a provider killed
at any moment keeps every charge it applied (the tests compare these books with
Orderly's). One lock serialises writers: this is a test double, not a bank.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_intents (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, payment_intent TEXT NOT NULL, body TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, request TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAnswer:
    """What an idempotency key holds: the request it was first used with, and
    its answer."""

    request: str
    status: int
    body: str


def new_id(prefix: str) -> str:
    """Return an object id in Stripe's style (`pi_…`, `re_…`, `evt_…`)."""
    return f"{prefix}_{secrets.token_hex(12)}"


class Ledger:
    """Payment intents and refunds as JSON objects, kept in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the books for one request's reads and writes, committed at the end."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def answer_for(self, key: str) -> StoredAnswer | None:
        """Return the answer stored under an idempotency key, or None."""
        row = self._db.execute(
            "SELECT request, status, body FROM idempotency WHERE key = ?", [key]
        ).fetchone()
        return StoredAnswer(request=row[0], status=row[1], body=row[2]) if row else None

    def keep_answer(self, key: str, request: str, status: int, body: str) -> None:
        """Store the answer a key replays from now on (in the request's transaction)."""
        self._db.execute(
            "INSERT INTO idempotency (key, request, status, body, created) "
            "VALUES (?, ?, ?, ?, ?)",
            [key, request, status, body, time.time()],
        )

    def save_intent(self, intent: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO payment_intents (id, body, created) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            [intent["id"], json.dumps(intent), intent["created"]],
        )

    def intent(self, intent_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT body FROM payment_intents WHERE id = ?", [intent_id]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_refund(self, refund: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO refunds (id, payment_intent, body, created) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            [
                refund["id"],
                refund["payment_intent"],
                json.dumps(refund),
                refund["created"],
            ],
        )

    def refund(self, refund_id: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT body FROM refunds WHERE id = ?", [refund_id]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def refunded(self, intent_id: str) -> int:
        """Return the amount of an intent's refunds that did not fail."""
        rows = self._db.execute(
            "SELECT body FROM refunds WHERE payment_intent = ?", [intent_id]
        ).fetchall()
        refunds = (json.loads(body) for (body,) in rows)
        return sum(r["amount"] for r in refunds if r["status"] != "failed")

    def everything(self) -> dict[str, list[dict[str, Any]]]:
        """Return every intent and refund in the order they were made (the books)."""
        with self._lock:
            intents = self._db.execute(
                "SELECT body FROM payment_intents ORDER BY rowid"
            ).fetchall()
            refunds = self._db.execute(
                "SELECT body FROM refunds ORDER BY rowid"
            ).fetchall()
        return {
            "payment_intents": [json.loads(body) for (body,) in intents],
            "refunds": [json.loads(body) for (body,) in refunds],
        }

    def close(self) -> None:
        self._db.close()
