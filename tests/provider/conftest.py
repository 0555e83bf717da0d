"""The provider tests' shared fixture: Orderly wired to a sandbox provider process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.provider_support import (
    API_KEY,
    WEBHOOK_SECRET,
    SandboxProcess,
    sandbox_provider,
)


@pytest.fixture
def provider(tmp_path: Path, settings) -> Iterator[SandboxProcess]:
    """Run a sandbox provider and pay through it with the Stripe adapter."""
    with sandbox_provider(tmp_path / "books.sqlite3") as running:
        settings.PAYMENTS_PROVIDER = "stripe"
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = running.url
        settings.STRIPE_TIMEOUTS = (1.0, 1.0)
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield running
