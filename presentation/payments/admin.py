"""Django admin for payments: read-only, the gateway's answers as they were."""

from __future__ import annotations

from django.contrib import admin

from data.payments.models import Payment
from presentation.orders.admin import ReadOnlyAdminMixin


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "order", "amount", "currency", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
