"""Contract tests run against a real gunicorn serving the seeded test database."""

from tests.live_server import live_database, live_orderly  # noqa: F401
