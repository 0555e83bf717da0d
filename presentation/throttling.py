"""DRF throttles whose rates are read at each request, counted in the shared cache.

Each throttle that applies to a request records its quota on it, and
RateLimitHeadersMiddleware sends them as `RateLimit-Policy` and `RateLimit` (IETF
httpapi rate-limit headers draft), on every answer, 429 included.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    """One throttle's policy and where a request left it."""

    name: str
    limit: int
    window: int
    remaining: int
    reset: int

    @property
    def policy(self) -> str:
        return f'"{self.name}";q={self.limit};w={self.window}'

    @property
    def state(self) -> str:
        return f'"{self.name}";r={self.remaining};t={self.reset}'


def _quotas(request: HttpRequest) -> list[Quota]:
    quotas: list[Quota] = request.__dict__.setdefault("rate_limits", [])
    return quotas


class RateLimitHeadersMiddleware:
    """Send the quotas the throttles recorded as `RateLimit-Policy` and `RateLimit`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if quotas := _quotas(request):
            response["RateLimit-Policy"] = ", ".join(q.policy for q in quotas)
            response["RateLimit"] = ", ".join(q.state for q in quotas)
        return response


class _LiveRates(SimpleRateThrottle):
    """Read `DEFAULT_THROTTLE_RATES` now, not when DRF's module was imported.

    DRF binds the rates to its classes at import time, so a changed setting (a test's
    `override_settings`) would be ignored.
    """

    def get_rate(self) -> str | None:
        # The stubs type the setting loosely; its values are rates like "60/min".
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return super().get_rate()

    def allow_request(self, request: Request, view: Any) -> bool:
        allowed = super().allow_request(request, view)
        # No key: the throttle is off (no rate) or not for this request.
        if getattr(self, "key", None) is not None:
            _quotas(request._request).append(self._quota())
        return allowed

    def _quota(self) -> Quota:
        # Parsed again: the stubs do not declare the attributes DRF keeps them in.
        limit, window = (value or 0 for value in self.parse_rate(self.rate))
        # The oldest request in the window leaves it first; then one unit is back.
        oldest = self.history[-1] if self.history else self.now
        return Quota(
            name=str(self.scope),
            limit=limit,
            window=window,
            remaining=max(0, limit - len(self.history)),
            reset=max(0, math.ceil(window - (self.now - oldest))),
        )


class AnonThrottle(_LiveRates, AnonRateThrottle):
    """Limit anonymous clients by address (`THROTTLE_ANON`)."""


class UserThrottle(_LiveRates, UserRateThrottle):
    """Limit authenticated users by id (`THROTTLE_USER`); keys have their own."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "api_key_id", None) is not None:
            return None
        return super().get_cache_key(request, view)


class ApiKeyThrottle(_LiveRates):
    """Limit each API key by its id (`THROTTLE_API_KEY`), whoever made it."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key_id = getattr(request.user, "api_key_id", None)
        if key_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key_id}


class ScopedThrottle(_LiveRates, ScopedRateThrottle):
    """Limit the views that name a `throttle_scope` (`auth`: `THROTTLE_AUTH`)."""
