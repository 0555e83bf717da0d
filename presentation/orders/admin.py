"""Django admin for orders: read-only records; actions go through OrderService."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from business.errors import BusinessError
from business.orders import OrderService
from data.orders.models import Order, OrderEvent, OrderLine
from presentation.actor import actor_of
from presentation.orders.views import PickMove


class ReadOnlyAdminMixin:
    """Show rows, never add, change or delete them: every change is a use case."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderLine
    fields = ("product", "sku", "name", "unit_price", "quantity", "line_total")
    extra = 0


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    fields = ("created_at", "type", "source", "actor_id", "request_id", "data")
    ordering = ("id",)
    extra = 0


def _order_action(name: str, pick: PickMove, description: str) -> Callable[..., None]:
    """Build an admin action that runs one OrderService use case per order."""

    @admin.action(description=description)
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
        actor = actor_of(request, source="admin")
        service = OrderService()
        done, refused = 0, []
        for order_id in queryset.values_list("pk", flat=True):
            try:
                pick(service)(actor=actor, order_id=order_id)
                done += 1
            except BusinessError as exc:
                refused.append(f"#{order_id}: {exc.detail}")
        if done:
            modeladmin.message_user(request, f"{description}: {done} order(s).")
        if refused:
            modeladmin.message_user(
                request, "Refused " + "; ".join(refused), level=messages.WARNING
            )

    action.__name__ = name
    return action


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "customer", "status", "total", "currency", "created_at")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = ("=id", "customer__username")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = (OrderLineInline, OrderEventInline)
    actions = (
        _order_action(
            "ship_order", lambda service: service.ship_order, "Mark as shipped"
        ),
        _order_action(
            "deliver_order", lambda service: service.deliver_order, "Mark as delivered"
        ),
        _order_action("cancel_order", lambda service: service.cancel_order, "Cancel"),
    )
