"""Metrics under gunicorn: two workers, one sum, whichever worker is scraped."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests import gunicorn_support
from tests.gunicorn_support import call, gunicorn
from tests.live_server import database_url

pytestmark = [pytest.mark.gunicorn, pytest.mark.django_db(transaction=True)]

REQUESTS = 40
READYZ = {"view": "readyz", "method": "GET", "status": "200"}
STALE = """
from prometheus_client import Counter
c = Counter("orderly_http_requests", "", ["view", "method", "status"])
c.labels("readyz", "GET", "200").inc(1000)
"""


def scraped_count(url: str) -> float:
    """Return the readyz request count that one scrape of /metrics reports."""
    answer = call(f"{url}/metrics")
    assert answer.status == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.body)
        for sample in family.samples
        if sample.name == "orderly_http_requests_total" and sample.labels == READYZ
    )


def counts_per_worker(directory: Path, scratch: Path) -> dict[int, float]:
    """Return each worker's own readyz count, read from its file alone."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        pid = int(re.fullmatch(r"counter_(\d+)\.db", path.name).group(1))
        alone = scratch / str(pid)
        alone.mkdir()
        shutil.copy(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts[pid] = (
            registry.get_sample_value("orderly_http_requests_total", READYZ) or 0.0
        )
    return counts


@contextmanager
def held_request(url: str, path: str) -> Iterator[Callable[[], int]]:
    """Start a GET of `path` but hold back its last line; yield what sends it."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=30) as held:
        held.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n".encode())

        def finish() -> int:
            held.sendall(b"Connection: close\r\n\r\n")
            status_line = held.makefile("rb").readline().decode()
            return int(status_line.split()[1])

        yield finish


def test_request_counts_add_up_across_two_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(gunicorn_support, "PORTS", range(8500, 8600))
    directory = tmp_path / "metrics"
    directory.mkdir()
    # A previous run's samples: gunicorn must empty the directory when it starts.
    subprocess.run(
        [sys.executable, "-c", STALE],
        env={"PROMETHEUS_MULTIPROC_DIR": str(directory)},
        check=True,
    )
    assert list(directory.glob("counter_*.db"))
    database = database_url(connection.settings_dict)

    with gunicorn(
        database,
        name="metrics",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    ) as url:
        # A request whose headers are still coming holds one worker (a sync worker
        # serves one connection at a time), so the other serves the rest.
        with held_request(url, "/readyz") as finish:
            with ThreadPoolExecutor(max_workers=4) as pool:
                statuses = list(
                    pool.map(
                        lambda _: call(f"{url}/readyz").status, range(REQUESTS - 1)
                    )
                )
            statuses.append(finish())
        assert statuses == [200] * REQUESTS
        # Each scrape is answered by either worker; each reports the sum.
        assert [scraped_count(url) for _ in range(8)] == [REQUESTS] * 8
        per_worker = counts_per_worker(directory, tmp_path)

    served = {pid: n for pid, n in per_worker.items() if n}
    assert len(served) == 2, per_worker
    assert sum(served.values()) == REQUESTS
