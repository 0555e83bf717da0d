"""What the sandbox can be told to get wrong, set over `/_sandbox/faults`."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

DROPS = ("", "before", "after")


class BadFaults(ValueError):
    """A fault setting that does not exist or has a value of the wrong kind."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """The failures the provider acts out; all off by default.

    `error_rate` of API calls are answered with one of `error_statuses` before
    anything is applied; `drop` closes the connection without an answer,
    `before` or `after` the request is applied, for the next `drop_count`
    calls (-1: every call). `settle_ms` > 0 leaves charges and refunds
    `processing`/`pending` and settles them that much later, by webhook.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502)
    drop: str = ""
    drop_count: int = 0
    settle_ms: int = 0
    webhook_duplicate: bool = False
    webhook_delay_ms: int = 0
    webhook_reorder: bool = False
    webhooks_off: bool = False
    seed: int | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parse(changes: dict[str, Any], current: Faults) -> Faults:
    """Return `current` with these changes; raise BadFaults for a wrong one."""
    known = {field.name: field for field in fields(Faults)}
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in known:
            raise BadFaults(f"unknown fault {name!r}")
        default = getattr(Faults(), name)
        if name == "error_statuses":
            if not isinstance(value, list) or not all(
                isinstance(status, int) and 400 <= status <= 599 for status in value
            ):
                raise BadFaults("error_statuses: a list of HTTP error statuses")
            value = tuple(value)
        elif name == "seed":
            if value is not None and not isinstance(value, int):
                raise BadFaults("seed: an integer or null")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise BadFaults(f"{name}: true or false")
        elif isinstance(default, float):
            if not isinstance(value, int | float) or not 0 <= value <= 1:
                raise BadFaults(f"{name}: a number from 0 to 1")
            value = float(value)
        elif isinstance(default, int):
            if not isinstance(value, int) or isinstance(value, bool) or value < -1:
                raise BadFaults(f"{name}: an integer")
        elif name == "drop" and value not in DROPS:
            raise BadFaults(f"drop: one of {', '.join(map(repr, DROPS))}")
        values[name] = value
    return replace(current, **values)


class FaultState:
    """The faults in force and the random numbers they draw, shared by threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = Faults()
        self._random = random.Random()

    @property
    def current(self) -> Faults:
        return self._faults

    def update(self, changes: dict[str, Any]) -> Faults:
        with self._lock:
            self._faults = parse(changes, self._faults)
            if "seed" in changes:
                self._random.seed(self._faults.seed)
            return self._faults

    def error_status(self) -> int | None:
        """Draw whether this call fails: the status to answer, or None."""
        with self._lock:
            faults = self._faults
            if faults.error_rate and self._random.random() < faults.error_rate:
                return self._random.choice(faults.error_statuses)
            return None

    def take_drop(self) -> str:
        """Return `before`, `after` or "" for this call, counting a drop used."""
        with self._lock:
            faults = self._faults
            if not faults.drop or faults.drop_count == 0:
                return ""
            if faults.drop_count > 0:
                self._faults = replace(faults, drop_count=faults.drop_count - 1)
            return faults.drop
