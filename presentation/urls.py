"""Routes of the REST API, version 1."""

from django.urls import path, register_converter

from presentation.accounts import views as accounts
from presentation.catalog import views as catalog
from presentation.orders import views as orders
from presentation.payments import views as payments


class IdConverter:
    """Positive ids that fit a bigint; anything longer is an unknown route (404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("auth/register/", accounts.RegisterView.as_view(), name="register"),
    path("auth/token/", accounts.TokenObtainView.as_view(), name="token"),
    path(
        "auth/token/refresh/", accounts.TokenRefreshView.as_view(), name="token-refresh"
    ),
    path("auth/me/", accounts.MeView.as_view(), name="me"),
    path("api-keys/", accounts.ApiKeyListView.as_view(), name="api-key-list"),
    path(
        "api-keys/<id:key_id>/",
        accounts.ApiKeyDetailView.as_view(),
        name="api-key-detail",
    ),
    path("products/", catalog.ProductListView.as_view(), name="product-list"),
    path(
        "products/<id:product_id>/",
        catalog.ProductDetailView.as_view(),
        name="product-detail",
    ),
    path("orders/", orders.OrderListView.as_view(), name="order-list"),
    path(
        "orders/<id:order_id>/", orders.OrderDetailView.as_view(), name="order-detail"
    ),
    path(
        "orders/<id:order_id>/events/",
        orders.OrderEventsView.as_view(),
        name="order-events",
    ),
    path(
        "orders/<id:order_id>/cancel/",
        orders.OrderCancelView.as_view(),
        name="order-cancel",
    ),
    path(
        "orders/<id:order_id>/ship/", orders.OrderShipView.as_view(), name="order-ship"
    ),
    path(
        "orders/<id:order_id>/deliver/",
        orders.OrderDeliverView.as_view(),
        name="order-deliver",
    ),
    path("payments/", payments.PaymentListView.as_view(), name="payment-list"),
    path(
        "webhooks/payments/",
        payments.PaymentWebhookView.as_view(),
        name="payment-webhook",
    ),
    path(
        "payments/<id:payment_id>/",
        payments.PaymentDetailView.as_view(),
        name="payment-detail",
    ),
    path(
        "payments/<id:payment_id>/refunds/",
        payments.RefundListView.as_view(),
        name="payment-refunds",
    ),
]
