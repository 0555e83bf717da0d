"""Routes of the REST API, version 1."""

from django.urls import path, register_converter

from presentation.accounts import views as accounts
from presentation.catalog import views as catalog


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
    path("products/", catalog.ProductListView.as_view(), name="product-list"),
    path(
        "products/<id:product_id>/",
        catalog.ProductDetailView.as_view(),
        name="product-detail",
    ),
]
