"""Run commands in-process (call_command) and as real `manage.py` subprocesses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Outcome:
    """Exit code and output of one command run."""

    code: int
    out: str
    err: str


def call(name: str, *args: str) -> Outcome:
    """Run a command through call_command; a CommandError becomes its exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return Outcome(exc.returncode, out.getvalue(), err.getvalue())
    return Outcome(0, out.getvalue(), err.getvalue())


def database_url() -> str:
    """Return a DATABASE_URL of the database the tests run on (the test database)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


def manage(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python manage.py ARGS` as a child process against the test database."""
    env = {**os.environ, "DATABASE_URL": url or database_url()}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
