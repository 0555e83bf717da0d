"""Production settings: the example env passes Django's deployment checks.

Every setting is read from the environment; these tests load the settings in a
subprocess (the environment is read once, at import) with a chosen environment.
"""

from __future__ import annotations

import ast
import json
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from data.cache.models import CacheEntry
from tests.live_server import database_url

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_EXAMPLE = ROOT / ".env.production.example"
OWN_VARIABLES = ("DJANGO_", "DATABASE_URL", "DB_", "THROTTLE_", "REDIS_URL", "CORS_")
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "hsts_seconds": s.SECURE_HSTS_SECONDS,
    "hsts_subdomains": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "hsts_preload": s.SECURE_HSTS_PRELOAD,
    "session_cookie_secure": s.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": s.CSRF_COOKIE_SECURE,
    "proxy_ssl_header": s.SECURE_PROXY_SSL_HEADER,
    "cors": s.CORS_ALLOWED_ORIGINS,
    "cache": s.CACHES["default"],
    "rates": s.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "num_proxies": s.REST_FRAMEWORK["NUM_PROXIES"],
    "max_fields": s.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    "max_body": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
}))
"""


def read_env_file(path: Path) -> dict[str, str]:
    """Return the NAME=value lines of an env file (comments and blanks skipped)."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(OWN_VARIABLES)
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="project.settings")
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_with(**env: str) -> dict:
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def production_env(django_db_setup, django_db_blocker) -> dict[str, str]:
    """The production example, with a real-looking key and the test database."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    return {
        **read_env_file(PRODUCTION_EXAMPLE),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database,
    }


def test_the_production_example_passes_the_deployment_checks(production_env):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_the_deployment_checks_catch_what_the_example_turns_on(production_env):
    # The test above is meaningful only if the checks see these settings.
    insecure = {**production_env, "DJANGO_SECURE_SSL_REDIRECT": "false"}

    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], insecure
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_tls_settings_are_off_by_default():
    loaded = settings_with()

    assert loaded["ssl_redirect"] is False
    assert loaded["hsts_seconds"] == 0
    assert loaded["hsts_subdomains"] is False
    assert loaded["hsts_preload"] is False
    assert loaded["session_cookie_secure"] is False
    assert loaded["csrf_cookie_secure"] is False
    assert loaded["proxy_ssl_header"] is None
    assert loaded["cors"] == []


def test_the_production_example_turns_tls_on(production_env):
    loaded = settings_with(**production_env)

    assert loaded["debug"] is False
    assert loaded["ssl_redirect"] is True
    assert loaded["hsts_seconds"] >= 31536000
    assert loaded["hsts_subdomains"] is True
    assert loaded["hsts_preload"] is True
    assert loaded["session_cookie_secure"] is True
    assert loaded["csrf_cookie_secure"] is True
    assert loaded["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert loaded["cors"] == ["https://app.example.com"]


def test_without_redis_the_cache_is_the_database_table_migrations_create():
    loaded = settings_with()

    assert loaded["cache"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CacheEntry._meta.db_table,
    }


def test_with_redis_url_the_cache_is_redis():
    loaded = settings_with(REDIS_URL="redis://cache.internal:6379/1")

    assert loaded["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }


def test_throttle_rates_have_defaults_and_come_from_the_env():
    defaults = settings_with()
    chosen = settings_with(
        THROTTLE_ANON="5/second",
        THROTTLE_USER="",
        THROTTLE_AUTH="3/hour",
        THROTTLE_API_KEY="7/min",
    )

    assert defaults["rates"] == {
        "anon": "120/min",
        "user": "600/min",
        "auth": "10/min",
        "api_key": "600/min",
    }
    assert defaults["num_proxies"] is None
    assert chosen["rates"] == {
        "anon": "5/second",
        "user": None,
        "auth": "3/hour",
        "api_key": "7/min",
    }
    assert settings_with(THROTTLE_NUM_PROXIES="1")["num_proxies"] == 1


def test_request_sizes_are_limited():
    loaded = settings_with()

    assert loaded["max_body"] == 1024 * 1024
    assert loaded["max_fields"] == 1000


def test_gunicorn_limits_requests_and_reads_recycling_from_the_env(monkeypatch):
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS_JITTER", "50")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert config["limit_request_line"] == 8190
    assert config["limit_request_fields"] == 50
    assert config["limit_request_field_size"] == 8190
    assert (config["max_requests"], config["max_requests_jitter"]) == (500, 50)
    assert config["graceful_timeout"] > 0


def variables_read(path: Path) -> set[str]:
    """Names a Python file reads with env.<cast>("NAME") or os.environ.get("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) in ("env", "os.environ")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value)
        ):
            names.add(node.args[0].value)
    return names


def configured_variables() -> set[str]:
    return variables_read(ROOT / "project" / "settings.py") | variables_read(
        ROOT / "gunicorn.conf.py"
    )


def test_every_variable_is_in_the_examples_and_the_readme():
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    production = read_env_file(PRODUCTION_EXAMPLE)

    for name in configured_variables():
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name
        assert f"| `{name}` |" in readme, name
        assert name in production or f"# {name}=" in PRODUCTION_EXAMPLE.read_text(), (
            name
        )
