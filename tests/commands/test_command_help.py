"""Every command explains itself, and refuses bad arguments in one line (exit 2)."""

from __future__ import annotations

import pytest

from tests.commands.support import manage

HELP = {
    "import_products": ["FILE.csv", "--dry-run", "--batch-size", "line N: field"],
    "cancel_stale_orders": ["--older-than", "DURATION", "--dry-run", "created_at"],
    "sales_report": ["--from", "--to", "--format", "--output", "--top", "UTC"],
    "seed_demo_data": ["--products", "--customers", "--orders", "--if-empty"],
    "purge_idempotency_keys": ["retention"],
}
BAD = {
    "import_products": ["a.csv", "--batch-size", "-1"],
    "cancel_stale_orders": ["--older-than", "soon"],
    "sales_report": ["--from", "2024-01-01", "--to", "2024-01-02", "--top", "x"],
    "seed_demo_data": ["--products", "1.5"],
    "purge_idempotency_keys": ["--all"],
}


@pytest.mark.parametrize("command", sorted(HELP))
def test_help_explains_the_command_and_its_arguments(django_db_setup, command):
    result = manage(command, "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for phrase in HELP[command]:
        assert phrase in text


@pytest.mark.parametrize("command", sorted(BAD))
def test_a_bad_argument_is_one_line_and_exit_2(django_db_setup, command):
    result = manage(command, *BAD[command])
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"manage.py {command}: error: ")
    assert "Traceback" not in result.stderr
