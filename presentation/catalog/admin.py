"""Django admin for products; every save goes through CatalogService."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from business.catalog import CatalogService
from business.errors import RuleViolation
from data.catalog.models import Product
from presentation.actor import actor_of
from presentation.admin_support import ServiceSavesMixin

FIELDS = ("sku", "name", "description", "price", "stock", "is_active")


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        given = {name: cleaned[name] for name in FIELDS if name in cleaned}
        try:
            cleaned.update(
                CatalogService().check_product(
                    fields=given, product_id=self.instance.pk
                )
            )
        except RuleViolation as exc:
            for error in exc.errors:
                field = error.field if error.field in self.fields else None
                # A field the form already refused is missing from `given`; the
                # service's "required" would contradict what the user typed.
                if field not in self.errors:
                    self.add_error(field, error.message)
        return cleaned


@admin.register(Product)
class ProductAdmin(ServiceSavesMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ("sku", "name", "price", "stock", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("sku", "name")
    ordering = ("sku",)
    readonly_fields = ("created_at", "updated_at")

    def save_model(
        self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool
    ) -> None:
        actor = actor_of(request, source="admin")
        fields = {name: form.cleaned_data[name] for name in FIELDS}
        service = CatalogService()
        if change:
            service.update_product(actor=actor, product_id=obj.pk, changes=fields)
        else:
            obj.pk = service.create_product(actor=actor, fields=fields).id

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Products are deactivated, never deleted: orders keep pointing at them.
        return False
