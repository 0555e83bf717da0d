"""Stop `make test` with one clear line when PostgreSQL cannot be reached."""

import os
import sys

import environ
import psycopg


def main() -> int:
    """Try to connect to the server of DATABASE_URL; say why not in one line."""
    url = os.environ.get("DATABASE_URL", "")
    config = environ.Env.db_url_config(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        print(f"make test: DATABASE_URL must point at PostgreSQL, got {url!r}")
        return 1
    where = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}"
    try:
        # The maintenance database: the test database does not exist yet.
        psycopg.connect(
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            dbname="postgres",
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0]
        print(f"make test: PostgreSQL is not reachable at {where} ({reason})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
