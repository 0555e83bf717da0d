"""Settings come from the environment and refuse unsafe production setups."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRINT_DATABASE = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
    "'project.settings'); django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(db['ENGINE'], db.get('CONN_MAX_AGE'), db.get('CONN_HEALTH_CHECKS'), "
    "db['OPTIONS'].get('server_side_binding'), db['OPTIONS'].get('prepare_threshold'))"
)


def run(args: list[str], **env: str | None) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "DB_"))
    }
    for key, value in env.items():
        if value is not None:
            environment[key] = value
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_refuses_to_start_saying_why():
    # An empty value, so that a developer's .env cannot supply a key either.
    result = run(["manage.py", "check"], DJANGO_DEBUG="false", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_production_with_a_secret_key_passes_the_checks():
    result = run(
        ["manage.py", "check"],
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-test-key-" + "x" * 40,
    )
    assert result.returncode == 0, result.stderr


def test_without_database_url_the_database_is_sqlite():
    result = run(["-c", PRINT_DATABASE])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.db.backends.sqlite3"


def test_a_postgres_url_keeps_connections_and_checks_them():
    result = run(
        ["-c", PRINT_DATABASE],
        DATABASE_URL="postgres://user:pw@db.example:5432/orderly",
    )
    assert result.returncode == 0, result.stderr
    engine, max_age, health_checks, server_binding, threshold = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert int(max_age) > 0
    assert health_checks == "True"
    assert (server_binding, threshold) == ("True", "5")


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    result = run(
        ["-c", PRINT_DATABASE],
        DATABASE_URL="postgres://user:pw@db.example:5432/orderly?sslmode=require",
        DB_PREPARED_STATEMENTS="false",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[3:] == ["None", "None"]


def test_connection_age_is_configurable():
    result = run(
        ["-c", PRINT_DATABASE],
        DATABASE_URL="postgres://user:pw@db.example:5432/orderly",
        DB_CONN_MAX_AGE="5",
    )
    assert result.stdout.split()[1] == "5"
