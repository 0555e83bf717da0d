"""Django admin for payments: read-only records; refunds go through PaymentService."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse

from business.errors import BusinessError
from business.payments import PaymentService
from data.payments.models import Payment, Refund
from presentation.actor import actor_of
from presentation.admin_support import report_action
from presentation.orders.admin import ReadOnlyAdminMixin


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    fk_name = "payment"
    fields = (
        "id",
        "created_at",
        "amount",
        "status",
        "given_back",
        "restock",
        "restocked",
        "reason",
        "failure_reason",
        "gateway_reference",
    )
    readonly_fields = ("given_back",)
    ordering = ("-id",)
    extra = 0

    @admin.display(description="lines")
    def given_back(self, refund: Refund) -> str:
        lines = refund.lines.order_by("product_id")
        return (
            ", ".join(
                f"{line.quantity} x product {line.product_id} at {line.unit_price}"
                for line in lines
            )
            or "(by amount)"
        )


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text="Empty: what remains of each payment.",
    )
    reason = forms.CharField(required=False, max_length=200)


@admin.action(description="Refund")
def refund_payments(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any
) -> TemplateResponse | None:
    """Ask for an amount and a reason, then refund each payment through the service."""
    form = RefundForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Refund payments",
            "form": form,
            # Read here: the template renders later, outside admin.py.
            "payments": list(queryset.order_by("pk")),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/payments/refund.html", context)
    actor = actor_of(request, source="admin")
    service = PaymentService()
    done, refused = [], []
    for payment_id in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            refund = service.refund_payment(
                actor=actor,
                payment_id=payment_id,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
            done.append(f"#{payment_id}: {refund.amount} {refund.status}")
        except BusinessError as exc:
            refused.append(f"#{payment_id}: {exc.detail}")
    report_action(
        modeladmin, request, done=("Refunded", done), refused=("Refused", refused)
    )
    return None


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "order",
        "amount",
        "amount_refunded",
        "currency",
        "status",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    inlines = (RefundInline,)
    actions = (refund_payments,)
