"""DRF throttles whose rates are read at each request, counted in the shared cache."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)


class _LiveRates(SimpleRateThrottle):
    """Read `DEFAULT_THROTTLE_RATES` now, not when DRF's module was imported.

    DRF binds the rates to its classes at import time, so a changed setting (a test's
    `override_settings`) would be ignored.
    """

    def get_rate(self) -> str | None:
        # The stubs type the setting loosely; its values are rates like "60/min".
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        return super().get_rate()


class AnonThrottle(_LiveRates, AnonRateThrottle):
    """Limit anonymous clients by address (`THROTTLE_ANON`)."""


class UserThrottle(_LiveRates, UserRateThrottle):
    """Limit authenticated users by id (`THROTTLE_USER`)."""


class ScopedThrottle(_LiveRates, ScopedRateThrottle):
    """Limit the views that name a `throttle_scope` (`auth`: `THROTTLE_AUTH`)."""
