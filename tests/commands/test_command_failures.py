"""Failures end in one clear line: business errors, surprises, absurd arguments."""

from __future__ import annotations

import logging

import pytest

from business.errors import Conflict
from business.idempotency.service import IdempotencyService
from presentation.management.base import OneLineErrorParser
from presentation.management.commands.cancel_stale_orders import (
    Command as CancelStaleOrders,
)
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


@pytest.mark.django_db
def test_an_unexpected_error_logs_its_traceback(monkeypatch, caplog):
    monkeypatch.setattr(IdempotencyService, "purge_expired", fail)
    with caplog.at_level(logging.ERROR, logger="orderly.commands"):
        result = call("purge_idempotency_keys")
    assert result.err.count("\n") == 1
    [record] = [r for r in caplog.records if r.name == "orderly.commands"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "purge_idempotency_keys" in record.getMessage()


@pytest.mark.django_db
def test_a_business_error_logs_no_traceback(monkeypatch, caplog):
    def refuse(*_args, **_kwargs):
        raise Conflict("not now")

    monkeypatch.setattr(IdempotencyService, "purge_expired", refuse)
    with caplog.at_level(logging.ERROR, logger="orderly.commands"):
        result = call("purge_idempotency_keys")
    assert result.err == "CommandError: not now\n"
    assert [r for r in caplog.records if r.name == "orderly.commands"] == []


def test_the_parser_is_built_as_ours_with_djangos_arguments_and_the_commands():
    parser = CancelStaleOrders().create_parser("manage.py", "cancel_stale_orders")
    assert type(parser) is OneLineErrorParser
    options = {option for action in parser._actions for option in action.option_strings}
    assert {"--verbosity", "--traceback", "--help", "--version"} <= options
    assert {"--older-than", "--dry-run"} <= options
    assert parser.prog == "manage.py cancel_stale_orders"
