"""Request logs: one JSON line per request, and the request id on every log record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

# The id of the request being served, for log records made anywhere below the view.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

logger = logging.getLogger("orderly.request")


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (empty outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    """Log one line per request: method, path, status, duration, request and user id.

    Runs just inside `RequestIdMiddleware`, whose id it makes current for the
    records logged while the request is served.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = getattr(request, "request_id", "")
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "request_id": request_id,
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            current_request_id.reset(token)


def _user_id(request: HttpRequest) -> int | None:
    """Return the authenticated user's id, never loading a user just to log it."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return None
    return user.pk if user.is_authenticated else None
