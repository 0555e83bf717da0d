"""Real gunicorn instances (the project's gunicorn.conf.py) for tests that need one.

Each server is a subprocess in its own process group with production settings
(`project.settings`, DEBUG off) on ports 8400-8499; it is always stopped, by the
process group of the PID started here, when the block ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / "run"
PORTS = range(8400, 8500)
_claimed: set[int] = set()


def free_port(ports: range | None = None) -> int:
    """Return a port of `ports` (default PORTS, 8400-8499) that nothing listens on
    and no test here took; `release` gives it back."""
    ports = PORTS if ports is None else ports
    for port in ports:
        if port in _claimed:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _claimed.add(port)
        return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def release(port: int) -> None:
    """Give back a port `free_port` returned."""
    _claimed.discard(port)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Make one HTTP request; return status, headers (lower-cased) and JSON body.

    A `bytes` body is sent as it is (a body that is not JSON, or one signed).
    """
    data = (
        body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    )
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return _answer(error.code, error.headers, error.read())


def _answer(status: int, headers: Any, raw: bytes) -> Answer:
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Answer(status, {k.lower(): v for k, v in headers.items()}, parsed)


def server_env(database: str, port: int, **overrides: str) -> dict[str, str]:
    """Return a production environment for one server, without the caller's DJANGO_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "DB_", "THROTTLE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="deployment-test-key-" + "k7Qz9" * 8,
        DATABASE_URL=database,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_ACCESS_LOG="",
        LOG_LEVEL="WARNING",
        # Throttles off unless a test sets a rate (an empty rate is no limit).
        THROTTLE_ANON="",
        THROTTLE_USER="",
        THROTTLE_AUTH="",
        THROTTLE_API_KEY="",
    )
    env.update(overrides)
    return env


@contextmanager
def gunicorn(
    database: str,
    *,
    name: str,
    port: int | None = None,
    app: str = "project.wsgi",
    **env: str,
) -> Iterator[str]:
    """Serve Orderly on `database` while the block runs; yield its base URL.

    `port` is one the caller took with `free_port()` (to tell another process
    the URL first); `app` is the WSGI module to serve.
    """
    port = port or free_port()
    RUN_DIR.mkdir(exist_ok=True)
    log = RUN_DIR / f"{name}-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                app,
            ],
            cwd=ROOT,
            env=server_env(database, port, **env),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, url, log)
        yield url
    finally:
        stop(process)
        release(port)


def wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    """Return once `/healthz` answers 200; fail with the server's log if not."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (master and workers): TERM, then KILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
