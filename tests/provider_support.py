"""The sandbox payment provider as a real process, for tests that need one.

Each provider runs `python -m sandbox_provider` in its own process group on a
port of 12100-12199, with its books in a file of the test's own, and is always
stopped when the block ends. `kill()` is SIGKILL: the books must survive it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import stripe

from sandbox_provider.webhooks import sign
from tests.gunicorn_support import ROOT, free_port, release

PORTS = range(12100, 12200)
API_KEY = "sk_test_orderly_sandbox"
WEBHOOK_SECRET = "whsec_orderly_sandbox"
WEBHOOK = "/api/v1/webhooks/payments/"


class SandboxProcess:
    """A running sandbox provider: its URL, its controls, and a Stripe client."""

    def __init__(self, ledger: Path, webhook_url: str = "") -> None:
        self.ledger = ledger
        self.webhook_url = webhook_url
        self.port = free_port(PORTS)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the program and wait until it answers.

        Another test run on this machine may take the port between the check and
        the bind: then the next free port is tried.
        """
        for _ in range(3):
            if self._started():
                return
            release(self.port)
            self.port = free_port(PORTS)
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("sandbox provider did not start on three ports")

    def _started(self) -> bool:
        command = [
            sys.executable,
            "-m",
            "sandbox_provider",
            f"--port={self.port}",
            f"--ledger={self.ledger}",
            f"--api-key={API_KEY}",
            f"--webhook-url={self.webhook_url}",
            f"--webhook-secret={WEBHOOK_SECRET}",
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, start_new_session=True, env={**os.environ}
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # it could not listen on the port
            try:
                self.control("GET", "/_sandbox/health")
                return True
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sandbox provider did not start in 15 s")

    def kill(self) -> None:
        """SIGKILL the provider's process group and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call one of the provider's `/_sandbox/` controls; return its JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            return {"status": error.code, **json.load(error)}

    def faults(self, **changes: Any) -> Any:
        return self.control("POST", "/_sandbox/faults", changes)

    def books(self) -> dict[str, list[dict[str, Any]]]:
        return self.control("GET", "/_sandbox/ledger")

    def client(self, *, timeout: float = 5.0, retries: int = 0) -> stripe.StripeClient:
        """Return the official SDK's client, pointed at this provider."""
        return stripe.StripeClient(
            API_KEY,
            base_addresses={"api": self.url},
            max_network_retries=retries,
            http_client=stripe.RequestsClient(timeout=(2.0, timeout)),
        )


def hook(api, payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> Any:
    """POST a provider event to Orderly's webhook, signed as the provider signs."""
    body = json.dumps(payload).encode()
    signature = sign(body, secret, int(time.time()))
    return api.post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@contextmanager
def sandbox_provider(ledger: Path, webhook_url: str = "") -> Iterator[SandboxProcess]:
    """Run a sandbox provider for the block; stop it however the block ends."""
    provider = SandboxProcess(ledger, webhook_url)
    provider.start()
    try:
        yield provider
    finally:
        provider.kill()
        release(provider.port)
