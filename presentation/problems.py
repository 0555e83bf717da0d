"""RFC 9457 problem responses: the one place errors become HTTP answers."""

from __future__ import annotations

import logging
from dataclasses import asdict, is_dataclass
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response

from business.errors import (
    AuthenticationFailed,
    BusinessError,
    Conflict,
    NotFound,
    PaymentDeclined,
    PermissionDenied,
    PreconditionFailed,
    RuleViolation,
    Unavailable,
    Unprocessable,
)
from presentation.renderers import dumps

logger = logging.getLogger("orderly.errors")

PROBLEM_BASE = "https://orderly.example/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# Most specific class first: the first match wins.
_BUSINESS_STATUS: tuple[tuple[type[BusinessError], int], ...] = (
    (RuleViolation, 400),
    (AuthenticationFailed, 401),
    (PaymentDeclined, 402),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (Unprocessable, 422),
    (Unavailable, 503),
)
_DRF_SLUG: dict[type[drf.APIException], str] = {
    drf.ValidationError: "validation-error",
    drf.ParseError: "validation-error",
    drf.AuthenticationFailed: "not-authenticated",
    drf.NotAuthenticated: "not-authenticated",
    drf.PermissionDenied: "permission-denied",
    drf.NotFound: "not-found",
    drf.MethodNotAllowed: "method-not-allowed",
    drf.NotAcceptable: "not-acceptable",
    drf.UnsupportedMediaType: "unsupported-media-type",
    drf.Throttled: "throttled",
}
# The one table of titles for problems not raised by business (whose errors carry
# their own): every code that answers a status outside DRF takes its title here.
TITLES: dict[int, str] = {
    400: "The request is invalid.",
    401: "Authentication is required.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    406: "Not acceptable.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Too many requests.",
    500: "Internal server error.",
}


def problem_body(
    request: HttpRequest | None,
    *,
    status: int,
    slug: str,
    detail: str,
    title: str | None = None,
) -> dict[str, Any]:
    """Build the body every error answer shares; the title defaults to TITLES'."""
    return {
        "type": PROBLEM_BASE + slug,
        "title": TITLES[status] if title is None else title,
        "status": status,
        "detail": detail,
        "request_id": getattr(request, "request_id", ""),
    }


def problem_http_response(request: HttpRequest, **fields: Any) -> HttpResponse:
    """Return a plain Django problem response, for code that runs outside DRF."""
    body = problem_body(request, **fields)
    return HttpResponse(
        dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Turn any exception raised in a DRF view into a problem response."""
    request = context.get("request")
    if isinstance(exc, BusinessError):
        return _business_problem(request, exc)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return _response(request, 413, "payload-too-large", TITLES[413], str(exc))
    if isinstance(exc, drf.APIException):
        return _drf_problem(request, exc, context.get("view"))
    return _server_error(request)


def _server_error(request: Any) -> Response:
    """Report an unknown error as Django would, and answer a problem without it."""
    # Django's own 500 path sends this signal; error reporters listen to it.
    got_request_exception.send(sender=None, request=getattr(request, "_request", None))
    request_id = getattr(request, "request_id", "")
    # The id goes in the message too, so the plain log format shows it.
    logger.exception(
        "Unhandled error, request_id=%s", request_id, extra={"request_id": request_id}
    )
    return _response(
        request, 500, "server-error", TITLES[500], "The error has been logged."
    )


def _business_problem(request: Any, exc: BusinessError) -> Response:
    status = next(code for cls, code in _BUSINESS_STATUS if isinstance(exc, cls))
    # Records (e.g. the stored payment of a decline) travel as plain objects.
    extra = {
        name: asdict(value)
        if is_dataclass(value) and not isinstance(value, type)
        else value
        for name, value in exc.extra.items()
    }
    if isinstance(exc, RuleViolation):
        extra["errors"] = [
            {"field": e.field, "code": e.code, "message": e.message} for e in exc.errors
        ]
    response = _response(request, status, exc.code, exc.title, exc.detail, extra)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(retry_after := exc.extra.get("retry_after"), int):
        response["Retry-After"] = str(max(1, retry_after))
    return response


def _drf_problem(request: Any, exc: drf.APIException, view: Any) -> Response:
    status = exc.status_code
    slug = next(
        (s for cls, s in _DRF_SLUG.items() if isinstance(exc, cls)), "server-error"
    )
    extra: dict[str, Any] = {}
    if slug == "validation-error":
        extra["errors"] = _field_errors(exc.detail, "")
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in extra["errors"])
    elif isinstance(exc.detail, dict):
        # simplejwt's InvalidToken nests its sentence under "detail".
        detail = str(exc.detail.get("detail") or exc.default_detail)
    else:
        detail = str(exc.detail)
    response = _response(
        request,
        status,
        slug,
        TITLES.get(status, str(exc.default_detail)),
        detail,
        extra,
    )
    # Set by DRF on 401s and 429s; its stubs declare neither attribute.
    if auth_header := getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = auth_header
    if (wait := getattr(exc, "wait", None)) is not None:
        response["Retry-After"] = str(max(1, int(wait)))
    if isinstance(exc, drf.MethodNotAllowed) and view is not None:
        response["Allow"] = ", ".join(view.allowed_methods)
    return response


def _field_errors(detail: Any, path: str) -> list[dict[str, str]]:
    """Flatten DRF's nested error details into `{field, code, message}` items."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _field_errors(value, _join(path, key))
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [error for item in detail for error in _field_errors(item, path)]
        return [
            error
            for index, item in enumerate(detail)
            for error in _field_errors(item, f"{path}[{index}]")
        ]
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": path or "body", "code": code, "message": str(detail)}]


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        # A ListField reports its children's errors by index: `items[0].quantity`.
        return f"{path}[{key}]"
    key = str(key)
    if key in ("non_field_errors", "detail"):
        return path
    return f"{path}.{key}" if path else key


def _response(
    request: Any,
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = problem_body(request, status=status, slug=slug, title=title, detail=detail)
    body.update(extra or {})
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


# It changes nothing, so CSRF does not apply: a POST with a session cookie to an
# unknown route is a 404 problem, not Django's HTML "CSRF verification failed".
@csrf_exempt
def not_found_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Answer Django's 404s (unknown routes) with a problem."""
    return problem_http_response(
        request,
        status=404,
        slug="not-found",
        detail=f"No route matches {request.path}.",
    )


def server_error_view(request: HttpRequest) -> HttpResponse:
    """Answer Django's 500s with a problem that shows no internals."""
    return problem_http_response(
        request,
        status=500,
        slug="server-error",
        detail="The error has been logged.",
    )
