"""Signed webhook deliveries, in Stripe's scheme, from a thread of their own.

`Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed
with the endpoint's secret as it is written (`whsec_…`), which is what
`stripe.Webhook.construct_event` verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox_provider.faults import Faults
from sandbox_provider.ledger import new_id

logger = logging.getLogger("sandbox_provider.webhooks")
# A receiver that keeps failing is given up on after this many attempts.
ATTEMPTS = 5
BACKOFF_SECONDS = 0.2
TIMEOUT_SECONDS = 5.0


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """Return the Stripe-Signature header value of a body sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Return a Stripe event of this type about this object."""
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "type": kind,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


@dataclass(slots=True)
class Delivery:
    """One attempt to hand an event over, as the receiver answered it."""

    event_id: str
    type: str
    status: int | None
    at: float = field(default_factory=time.time)


class WebhookSender:
    """Queue events and POST them, signed, to the receiver; retry a few times."""

    def __init__(self, url: str, secret: str, faults: Callable[[], Faults]) -> None:
        self._url = url
        self._secret = secret
        self._faults = faults
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._held: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        if url:
            self._thread.start()

    def send(self, payload: dict[str, Any]) -> None:
        """Queue an event for the receiver (nothing, when no receiver is set)."""
        faults = self._faults()
        if not self._url or faults.webhooks_off:
            return
        with self._lock:
            if faults.webhook_reorder:
                # Hold one event back and send it after the next: out of order.
                held, self._held = self._held, payload if self._held is None else None
                if held is None:
                    return
                self._queue.put(payload)
                self._queue.put(held)
                return
        self._queue.put(payload)
        if faults.webhook_duplicate:
            self._queue.put(payload)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was attempted; True when the queue emptied."""
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            self._queue.put(held)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                if payload is not None:
                    self._deliver(payload)
            finally:
                self._queue.task_done()

    def _deliver(self, payload: dict[str, Any]) -> None:
        delay = self._faults().webhook_delay_ms
        if delay:
            time.sleep(delay / 1000)
        body = json.dumps(payload).encode()
        for attempt in range(ATTEMPTS):
            status = self._post(body)
            self.deliveries.append(Delivery(payload["id"], payload["type"], status))
            if status is not None and 200 <= status < 300:
                return
            time.sleep(BACKOFF_SECONDS * 2**attempt)
        logger.warning("gave up on %s after %d attempts", payload["id"], ATTEMPTS)

    def _post(self, body: bytes) -> int | None:
        request = urllib.request.Request(
            self._url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(body, self._secret, int(time.time())),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return None
