"""Build the business layer's Actor from an HTTP request."""

from __future__ import annotations

from django.http import HttpRequest

from business.actor import Actor, Source


def actor_of(request: HttpRequest, *, source: Source = "api") -> Actor:
    """Return who is calling, from `request.user` and the request id."""
    user = request.user
    request_id = getattr(request, "request_id", "")
    if not user.is_authenticated:
        return Actor.anonymous(request_id=request_id)
    return Actor(
        user_id=user.pk,
        is_staff=user.is_staff,
        source=source,
        request_id=request_id,
        api_key_id=getattr(user, "api_key_id", None),
    )
