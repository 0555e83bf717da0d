"""Failures end in one clear line: business errors, surprises, absurd arguments."""

from __future__ import annotations

import pytest

from business.idempotency.service import IdempotencyService
from tests.commands.support import call


def fail(*_args, **_kwargs):
    raise RuntimeError("the disk caught fire\nsecond line of detail")


@pytest.mark.django_db
def test_an_unexpected_error_is_one_line_without_traceback(monkeypatch):
    monkeypatch.setattr(IdempotencyService, "purge_expired", fail)
    result = call("purge_idempotency_keys")
    assert result.code == 1
    assert result.err == "CommandError: RuntimeError: the disk caught fire\n"


def test_an_age_too_long_for_the_calendar_is_a_usage_error():
    result = call("cancel_stale_orders", "--older-than", "99999999999d")
    assert result.code == 2
    assert result.err == (
        "CommandError: Error: argument --older-than: '99999999999d' is too long "
        "an age\n"
    )
