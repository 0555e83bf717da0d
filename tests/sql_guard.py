"""Fail a test whose SQL was issued from project code outside `data/`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("presentation", "business", "project", "data")
# Lookups the frameworks make on their own: loading the user that authenticates a
# request (DRF's authenticators, Django's lazy request.user) and the session.
FRAMEWORK_ALLOW_LIST = (
    ("rest_framework/request.py", "_authenticate"),
    ("django/contrib/auth/__init__.py", "get_user"),
    ("django/contrib/sessions/backends/db.py", "load"),
)
# Django admin is bound to models: its own queries (changelists, inlines) are allowed.
ADMIN_PACKAGE = "/django/contrib/admin/"


class SqlOriginGuard:
    """A `connection.execute_wrapper` that records statements issued out of place."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, execute, sql: str, params: Any, many: bool, context: Any):
        culprit = offending_frame(sys._getframe(1))
        if culprit:
            self.violations.append(f"{culprit}: {sql[:120]}")
        return execute(sql, params, many, context)


def offending_frame(frame) -> str | None:
    """Return `file:line` of the innermost project frame if it may not run SQL."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if ADMIN_PACKAGE in filename:
            return None
        if any(
            filename.endswith(suffix) and frame.f_code.co_name == function
            for suffix, function in FRAMEWORK_ALLOW_LIST
        ):
            return None
        verdict = _judge(Path(filename))
        if verdict is not None:
            return f"{filename}:{frame.f_lineno}" if verdict is False else None
        frame = frame.f_back
    return None


def _judge(path: Path) -> bool | None:
    """True: project code allowed to run SQL; False: not allowed; None: not ours."""
    try:
        parts = path.relative_to(ROOT).parts
    except ValueError:
        return None
    if not parts or parts[0] not in LAYERS:
        return None
    if parts[0] == "data" or "migrations" in parts:
        return True
    # Django admin is bound to models; its own queries are allowed.
    return parts[0] == "presentation" and parts[-1] == "admin.py"
