"""What the feature admins share: saves owned by services, actions' summaries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse


class ServiceSavesMixin:
    """A ModelAdmin whose saves go through a service, which owns the transaction."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # Admin's own atomic would nest the service's; Django's private method is
        # the view without its transaction.
        return self._changeform_view(  # type: ignore[attr-defined]
            request, object_id, form_url, extra_context
        )


def report_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    done: tuple[str, list[str]],
    refused: tuple[str, list[str]],
) -> None:
    """Tell the user what an action did and, as a warning, what it was refused."""
    for (heading, items), level in ((done, messages.INFO), (refused, messages.WARNING)):
        if items:
            modeladmin.message_user(request, f"{heading} " + "; ".join(items), level)
