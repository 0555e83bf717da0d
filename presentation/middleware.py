"""Middleware that every request passes: request ids and a body size limit."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from presentation.problems import problem_http_response

# Ids from a proxy or client are kept only when they are safe to log and echo.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}\Z")


class RequestIdMiddleware:
    """Give every request an id (the caller's `X-Request-ID` when sane) and echo it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex
        # Not an attribute HttpRequest declares; the logs and problems read it.
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over `DATA_UPLOAD_MAX_MEMORY_SIZE` with 413, unread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return problem_http_response(
                request,
                status=413,
                slug="payload-too-large",
                detail=f"Bodies are limited to {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                "bytes.",
            )
        return self.get_response(request)
