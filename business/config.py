"""Plain settings values for the services; the one business module that reads Django."""

from django.conf import settings


def currency() -> str:
    """Return the service's one currency code, e.g. `EUR`."""
    return str(settings.CURRENCY)
