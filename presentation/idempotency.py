"""The `Idempotency-Key` header on POSTs that create things."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.idempotency import IdempotencyService, KeyedRequest, Replay
from business.idempotency.service import MAX_KEY_LENGTH
from presentation.actor import actor_of
from presentation.renderers import dumps

# Answers that say what happened (created, declined, not there, in conflict) must
# be the same on a retry; the others (bad input, no right, a failure) may change.
STORED_STATUSES = frozenset({201, 402, 404, 409})

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=False,
    description="1-255 characters. A retry with the same key and body replays the "
    "first answer (header `Idempotent-Replayed: true`), or resumes the first "
    "attempt where a crash or a timeout left it (a pending payment is asked about "
    "again, never charged twice); a retry while the first request runs waits for "
    "it. Another body is 422. Kept at least 24 hours.",
)


def idempotent(handler: Callable[..., Response]) -> Callable[..., HttpResponse]:
    """Make a view method honour `Idempotency-Key`; it gets `keyed` to pass on.

    The use case enters the key in its own transaction (and a retry resumes
    what it made); this wrapper replays a kept answer and keeps new ones.
    """

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args, **kwargs) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(view, request, *args, keyed=None, **kwargs)
        service = IdempotencyService()
        keyed = service.keyed(
            actor=actor_of(request),
            method=str(request.method),
            path=request.path,
            key=key,
            body=request.data,
        )
        replay = service.replay(keyed)
        if replay is not None:
            return _replayed(replay)
        try:
            response = handler(view, request, *args, keyed=keyed, **kwargs)
        except Exception as exc:
            # Answers to failures are kept too (402, 404, 409), so render them here.
            response = view.handle_exception(exc)
        _keep_or_release(service, keyed, response)
        return response

    return wrapper


def _replayed(replay: Replay) -> HttpResponse:
    response = HttpResponse(
        replay.body, status=replay.status, content_type=replay.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def _keep_or_release(
    service: IdempotencyService, keyed: KeyedRequest, response: Response
) -> None:
    """Keep an answer that says what happened for replays; else free the key."""
    if response.status_code not in STORED_STATUSES:
        # A key whose attempt made something (a pending payment) stays bound to
        # it: the retry resumes that attempt rather than starting another.
        service.release(keyed)
        return
    service.keep(
        keyed,
        Replay(
            status=response.status_code,
            body=dumps(response.data).decode() if response.data is not None else "",
            content_type=response.content_type or "application/json",
        ),
    )
