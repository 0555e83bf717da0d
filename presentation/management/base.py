"""What every Orderly command shares: one-line errors, a run id, argument types."""

from __future__ import annotations

import argparse
import logging
import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from business.actor import Actor
from business.errors import BusinessError

logger = logging.getLogger("orderly.commands")

USAGE_ERROR = 2
_DURATION = re.compile(r"^(\d+)([smhd])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class OneLineErrorParser(CommandParser):
    """A parser whose errors are one line (no usage dump) with exit code 2."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")
        raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)


class OrderlyCommand(BaseCommand):
    """A command whose failures end as one CommandError line, never a traceback."""

    # Batch jobs run often (cron); the checks belong to deploys (`manage.py check`).
    requires_system_checks: list[str] = []

    # Subclasses take their own options by keyword (`def run(self, *, file: str,
    # **_: Any)`); a method here would make each of them an incompatible override.
    run: Callable[..., None]

    def create_parser(
        self, prog_name: str, subcommand: str, **kwargs: Any
    ) -> CommandParser:
        """Return Django's parser of this command, but with one-line errors."""
        # argparse's `parents` copies Django's arguments and the command's into
        # our parser: nothing of Django's is rebuilt by hand, no class swapped.
        django = super().create_parser(prog_name, subcommand, add_help=False, **kwargs)
        return OneLineErrorParser(
            prog=django.prog,
            description=django.description,
            formatter_class=django.formatter_class,
            missing_args_message=django.missing_args_message,
            called_from_command_line=django.called_from_command_line,
            parents=[django],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the command; end any failure as one CommandError line."""
        self.request_id = f"cmd-{uuid.uuid4().hex}"
        try:
            self.run(**options)
        except CommandError:
            raise
        except BusinessError as exc:
            raise CommandError(exc.detail) from exc
        except Exception as exc:
            # The log keeps the traceback; the operator reads one line.
            logger.exception("%s failed, run %s", self._name(), self.request_id)
            reason = (str(exc).strip().splitlines() or [""])[0]
            raise CommandError(f"{type(exc).__name__}: {reason}") from exc

    def _name(self) -> str:
        return type(self).__module__.rpartition(".")[2]

    def actor(self) -> Actor:
        """Return the actor of this run: no user, staff rights, one id per run."""
        return Actor.system(request_id=self.request_id)


def usage_error(message: str) -> CommandError:
    """Return the CommandError of a bad argument found after parsing (exit 2)."""
    return CommandError(message, returncode=USAGE_ERROR)


def positive_int(text: str) -> int:
    """Read a whole number of at least 1."""
    return _whole_number(text, minimum=1)


def non_negative_int(text: str) -> int:
    """Read a whole number of at least 0."""
    return _whole_number(text, minimum=0)


def _whole_number(text: str, *, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"use at least {minimum}, not {value}")
    return value


def duration(text: str) -> timedelta:
    """Read an age such as 30s, 15m, 2h or 7d (0m allowed)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a duration; use a number and s, m, h or d, e.g. 30m"
        )
    try:
        return timedelta(**{_UNITS[match[2]]: int(match[1])})
    except OverflowError:
        raise argparse.ArgumentTypeError(f"'{text}' is too long an age") from None


def iso_date(text: str) -> date:
    """Read a calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; use YYYY-MM-DD"
        ) from None
