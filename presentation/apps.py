"""App config of the presentation layer (admin registrations, commands)."""

from django.apps import AppConfig


class PresentationConfig(AppConfig):
    name = "presentation"
    verbose_name = "Orderly"

    def ready(self) -> None:
        # Admin registrations live beside each feature's views.
        from presentation.accounts import admin as _accounts  # noqa: F401
        from presentation.catalog import admin as _catalog  # noqa: F401
        from presentation.orders import admin as _orders  # noqa: F401
        from presentation.payments import admin as _payments  # noqa: F401
