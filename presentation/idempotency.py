"""The `Idempotency-Key` header on POSTs that create things."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from business.idempotency import Claim, IdempotencyService, Replay
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
    "first answer (header `Idempotent-Replayed: true`); another body is 422; a "
    "retry while the first request runs is 409. Kept at least 24 hours.",
)


def idempotent(handler: Callable[..., Response]) -> Callable[..., HttpResponse]:
    """Make a view method honour `Idempotency-Key`."""

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args, **kwargs) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(view, request, *args, **kwargs)
        service = IdempotencyService()
        outcome = service.begin(
            actor=actor_of(request),
            method=str(request.method),
            path=request.path,
            key=key,
            body=request.data,
        )
        if isinstance(outcome, Replay):
            replay = HttpResponse(
                outcome.body, status=outcome.status, content_type=outcome.content_type
            )
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            # Answers to failures are stored too (402, 404, 409), so render them here.
            response = view.handle_exception(exc)
        _keep_or_release(service, outcome, response)
        return response

    return wrapper


def _keep_or_release(
    service: IdempotencyService, claim: Claim, response: Response
) -> None:
    """Keep an answer that says what happened for replays; else free the key."""
    if response.status_code not in STORED_STATUSES:
        service.release(claim)
        return
    service.finish(
        claim,
        status=response.status_code,
        body=dumps(response.data).decode() if response.data is not None else "",
        content_type=response.content_type or "application/json",
    )
