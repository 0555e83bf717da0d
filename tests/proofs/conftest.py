"""Fixtures of the proofs: a real stack per module, without faults in each test.

Each module gets a PostgreSQL database of its own beside DATABASE_URL's (made
and migrated by `tests.live_server.scratch_database`, dropped after), a sandbox
provider process and a production gunicorn on the Stripe adapter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox_provider.faults import Faults
from tests.live_server import scratch_database
from tests.proofs.stack import Stack, running_stack

NO_FAULTS = Faults().as_json()


@pytest.fixture(scope="module")
def server_options() -> dict[str, object]:
    """How the module's gunicorn runs (`running_stack`'s options); a module may
    override this fixture."""
    return {}


@pytest.fixture(scope="module")
def running(request, tmp_path_factory, server_options) -> Iterator[Stack]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    with (
        scratch_database(f"proofs_{name}") as database,
        running_stack(
            database, tmp_path_factory.mktemp(name), name=name, **server_options
        ) as stack,
    ):
        yield stack


@pytest.fixture
def stack(running: Stack) -> Iterator[Stack]:
    """The module's stack, its provider without faults; its webhooks sent after."""
    running.provider.faults(**NO_FAULTS)
    yield running
    running.provider.faults(**NO_FAULTS)
    running.provider.control("POST", "/_sandbox/webhooks/flush")
    # A crash point a failed test left armed would kill the next test's request.
    for left in running.crash_dir.glob("*-*"):
        left.unlink()
