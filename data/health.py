"""Probes the readiness check uses."""

from django.db import DatabaseError, connection


class DatabaseProbe:
    """Ask the database a trivial question."""

    def ping(self) -> bool:
        """Return whether the database answers a `SELECT 1`."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError:
            # A dead connection must not stay cached for the next request.
            connection.close_if_unusable_or_obsolete()
            return False
        return True
