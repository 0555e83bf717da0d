"""A real gunicorn serving Orderly, for fuzz and browser tests.

The server is a subprocess, as in production: DEBUG off, whitenoise serving the
static files that `collectstatic` put in a temporary STATIC_ROOT, two workers, on a
PostgreSQL database made for the test module beside DATABASE_URL's and seeded with
the demo shop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import environ
import psycopg
import pytest

from tests import gunicorn_support

RUN_DIR = gunicorn_support.RUN_DIR


def database_url(settings_dict: dict[str, Any]) -> str:
    """Return the DATABASE_URL of a Django connection's settings."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def gunicorn(database: str, *, name: str) -> Iterator[str]:
    """Serve Orderly on `database` while the block runs; yield its base URL."""
    static_root = tempfile.mkdtemp(prefix="orderly-static-")
    # Production settings (DEBUG off, throttles off: fuzzing is a flood), and, as a
    # deployment does, whitenoise serving what collectstatic put in STATIC_ROOT.
    env = {"DJANGO_STATIC_ROOT": static_root, "JWT_ACCESS_MINUTES": "60"}
    try:
        manage(
            database,
            "collectstatic",
            "--no-input",
            "-v",
            "0",
            **gunicorn_support.server_env(database, 0, **env),
        )
        with gunicorn_support.gunicorn(database, name=name, **env) as url:
            yield url
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def manage(database: str, *args: str, **env: str) -> str:
    """Run a manage.py command on `database` in a subprocess; return its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=gunicorn_support.ROOT,
        env={**os.environ, **env, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)}:\n{result.stderr}")
    return result.stdout


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """Create and migrate a database of its own beside DATABASE_URL's; drop it after.

    Not pytest-django's test database: the server commits, and Playwright's event
    loop would leave that database's connections in this process open.
    """
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        raise RuntimeError(f"DATABASE_URL must point at PostgreSQL, got {given!r}")
    config = environ.Env.db_url_config(given)
    name = f"{config['NAME']}_{suffix}"
    server = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    settings_dict = {key.upper(): value for key, value in server.items()}

    def admin(statement: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(statement)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    try:
        url = database_url({**settings_dict, "NAME": name})
        manage(url, "migrate", "--no-input", "-v", "0")
        yield url
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live_database(request) -> Iterator[str]:
    """The DATABASE_URL of a migrated database of the module's own."""
    with scratch_database(_module_name(request)) as url:
        yield url


@pytest.fixture(scope="module")
def live_orderly(request, live_database) -> Iterator[str]:
    """Seed the live database with the demo shop and serve it; yield the base URL."""
    manage(live_database, "seed_demo_data")
    with gunicorn(live_database, name=_module_name(request)) as url:
        yield url


def _module_name(request) -> str:
    return request.module.__name__.rsplit(".", 1)[-1]
