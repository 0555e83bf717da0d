"""Root URLs: the API, its docs, the admin and the probes."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from presentation import health
from presentation.metrics import metrics_view
from presentation.problems import not_found_view

urlpatterns = [
    path("api/v1/", include("presentation.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Prometheus scrapes this; deployments keep it off the public side (README).
    path("metrics", metrics_view, name="metrics"),
    # Unknown API routes answer with a problem even when DEBUG shows HTML pages.
    re_path(r"^api/", not_found_view),
]

handler404 = "presentation.problems.not_found_view"
handler500 = "presentation.problems.server_error_view"
