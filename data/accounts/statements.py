"""The accounts' fixed statement, built once from the user model's metadata."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model

from data import sql


@cache
def find_active(names: tuple[str, ...]) -> str:
    """SELECT these fields of the active user whose key is the one parameter."""
    user = get_user_model()
    pk, active = sql.quoted(user, ["id"]), sql.quoted(user, ["is_active"])
    return (
        f"SELECT {sql.quoted(user, names)} FROM {sql.table(user)} "
        f"WHERE {pk} = %s AND {active}"
    )
