"""A real gunicorn serving Orderly, for fuzz and browser tests.

The server is a subprocess, as in production: DEBUG off, whitenoise serving the
static files that `collectstatic` put in a temporary STATIC_ROOT, two workers, on a
PostgreSQL database made for the test module beside DATABASE_URL's and seeded with
the demo shop.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / "run"
PORTS = range(8300, 8400)


def free_port() -> int:
    """Return a port of 8300-8399 that nothing listens on."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8300-8399")


def database_url(settings_dict: dict[str, Any]) -> str:
    """Return the DATABASE_URL of a Django connection's settings."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{settings_dict['NAME']}"


# Production settings (DEBUG off), less the throttles: fuzzing is a flood.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "live-test-server-key-not-a-secret-0123456789",
    "JWT_ACCESS_MINUTES": "60",
    "THROTTLE_ANON": "",
    "THROTTLE_USER": "",
    "THROTTLE_AUTH": "",
    "LOG_LEVEL": "WARNING",
}


@contextmanager
def gunicorn(database: str, *, name: str) -> Iterator[str]:
    """Serve Orderly on `database` while the block runs; yield its base URL."""
    port = free_port()
    RUN_DIR.mkdir(exist_ok=True)
    log = RUN_DIR / f"{name}-server.log"
    static_root = tempfile.mkdtemp(prefix="orderly-static-")
    # As a deployment does: whitenoise serves STATIC_ROOT when DEBUG is off.
    manage(
        database,
        "collectstatic",
        "--no-input",
        "-v",
        "0",
        **SERVER_ENV,
        DJANGO_STATIC_ROOT=static_root,
    )
    env = {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": database,
        "DJANGO_STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "project.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(static_root, ignore_errors=True)


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


def manage(database: str, *args: str, **env: str) -> str:
    """Run a manage.py command on `database` in a subprocess; return its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
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
