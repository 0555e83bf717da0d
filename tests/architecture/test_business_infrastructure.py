"""Business holds rules, not infrastructure: it never sleeps, polls or opens sockets."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Waiting, retrying and talking to the network belong to presentation and data.
INFRASTRUCTURE = {"time", "threading", "asyncio", "socket", "signal", "pika"}


def imported_roots(path: Path) -> set[str]:
    """Return the top-level packages one source file imports."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_business_imports_no_clock_threads_or_sockets():
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in (ROOT / "business").rglob("*.py")
        if (found := imported_roots(path) & INFRASTRUCTURE)
    }
    assert offenders == {}


def test_the_check_catches_a_sleep(tmp_path):
    sample = tmp_path / "relay.py"
    sample.write_text("import time\nfrom threading import Event\nimport business\n")
    assert imported_roots(sample) & INFRASTRUCTURE == {"time", "threading"}
