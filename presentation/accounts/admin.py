"""Django admin for API keys: made and revoked through ApiKeyService, never edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from business.accounts import ApiKeyService, Scope
from business.accounts.api_keys import KEY_PREFIX
from business.errors import BusinessError, RuleViolation
from data.accounts.models import ApiKey
from presentation.actor import actor_of
from presentation.admin_support import ServiceSavesMixin, report_action


class ApiKeyAdminForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope.value, scope.value) for scope in Scope],
        widget=forms.CheckboxSelectMultiple,
        help_text="What the key may do; see the scope table in the README.",
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "expires_at")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            ApiKeyService().check_key(
                name=cleaned["name"],
                scopes=cleaned["scopes"],
                expires_at=cleaned.get("expires_at"),
            )
        except RuleViolation as exc:
            for error in exc.errors:
                field = error.field.split("[")[0]
                self.add_error(field if field in self.fields else None, error.message)
        return cleaned


@admin.action(description="Revoke")
def revoke_keys(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> None:
    """Revoke each selected key through the service; revoked keys are skipped."""
    actor = actor_of(request, source="admin")
    service = ApiKeyService()
    done, refused = [], []
    for key_id in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            service.revoke_key(actor=actor, key_id=key_id)
            done.append(f"#{key_id}")
        except BusinessError as exc:
            refused.append(f"#{key_id}: {exc.detail}")
    report_action(
        modeladmin, request, done=("Revoked", done), refused=("Not revoked", refused)
    )


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceSavesMixin, admin.ModelAdmin):
    form = ApiKeyAdminForm
    list_display = (
        "name",
        "prefix",
        "scope_list",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_select_related = ("created_by",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "public_id")
    ordering = ("-created_at", "-id")
    actions = (revoke_keys,)

    @admin.display(description="scopes")
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # Every save answers with the secret page: one button says so.
        context.update(show_save_and_add_another=False, show_save_and_continue=False)
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="key starts")
    def prefix(self, key: ApiKey) -> str:
        return f"{KEY_PREFIX}{key.public_id}"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A key is made whole and revoked, never edited: its holder relies on it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, never deleted: the events a key caused name it.
        return False

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool
    ) -> None:
        created = ApiKeyService().create_key(
            actor=actor_of(request, source="admin"),
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data["expires_at"],
        )
        # The service saved the key; the admin's history entry names it.
        obj.pk, obj.public_id = created.record.id, created.record.public_id
        # Kept on the object for response_add only: the secret is never stored.
        obj._secret = created.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None
    ) -> HttpResponse:
        # Rendered, not redirected: a message would carry the secret through the
        # session; this answer is the only place it ever appears.
        context = {
            **self.admin_site.each_context(request),
            "title": "API key made",
            "opts": self.model._meta,
            "key": ApiKey.objects.select_related("created_by").get(pk=obj.pk),
            "secret": obj._secret,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/accounts/apikey_created.html", context)
