"""The HTTP side: routing, the API key, `Idempotency-Key` replays, acted-out faults.

Stripe's rules for idempotency: a key's first answer (errors included) is
replayed with `Idempotent-Replayed: true`, and the same key with other
parameters is a 400 `idempotency_error`. A request and its key's answer commit
together, so a provider killed mid-request leaves neither.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox_provider.api import Answer, Params, Provider, error
from sandbox_provider.faults import BadFaults, FaultState
from sandbox_provider.ledger import Ledger, StoredAnswer
from sandbox_provider.webhooks import WebhookSender, event

logger = logging.getLogger("sandbox_provider")
MAX_BODY = 64 * 1024
# The writes by path; reads are GET of an object under one of READS.
WRITES = {"/v1/payment_intents": "create_intent", "/v1/refunds": "create_refund"}
READS = ("/v1/payment_intents/", "/v1/refunds/")


class Sandbox:
    """The provider's state: books, faults, webhooks; shared by request threads."""

    def __init__(
        self, *, ledger: Path, api_key: str, webhook_url: str, webhook_secret: str
    ) -> None:
        self.ledger = Ledger(ledger)
        self.api_key = api_key
        self.faults = FaultState()
        self.webhooks = WebhookSender(
            webhook_url, webhook_secret, lambda: self.faults.current
        )
        self._outbox = threading.local()
        self.provider = Provider(
            self.ledger, self._announce, lambda: self.faults.current.settle_ms
        )

    def apply(self, operation: str, params: Params, key: str) -> Answer:
        """Run a write under its idempotency key (if any); committed when it returns."""
        request = json.dumps([operation, sorted(params.items())])
        self._outbox.events = []
        try:
            with self.ledger.transaction():
                stored = self.ledger.answer_for(key) if key else None
                if stored is not None:
                    return _replay(stored, request, key)
                if operation == "create_intent":
                    answer = self.provider.create_intent(params)
                else:
                    answer = self.provider.create_refund(params)
                if key:
                    body = json.dumps(answer.body)
                    self.ledger.keep_answer(key, request, answer.status, body)
            events = self._outbox.events
        finally:
            self._outbox.events = None
        for kind, obj in events:
            self.webhooks.send(event(kind, obj))
        return answer

    def read(self, path: str) -> Answer:
        """Answer GET /v1/payment_intents/{id} or /v1/refunds/{id}."""
        kind, _, object_id = path.removeprefix("/v1/").partition("/")
        with self.ledger.transaction():
            if kind == "payment_intents":
                return self.provider.intent(object_id)
            return self.provider.refund(object_id)

    def _announce(self, kind: str, obj: dict[str, Any]) -> None:
        # Inside a request, events wait for the books to commit: a webhook never
        # tells of a change that was rolled back. A settling timer has no request.
        pending = getattr(self._outbox, "events", None)
        if pending is None:
            self.webhooks.send(event(kind, obj))
        else:
            pending.append((kind, obj))


def _replay(stored: StoredAnswer, request: str, key: str) -> Answer:
    if stored.request != request:
        return error(
            400,
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same "
            "parameters they were first used with. Try using a key other than "
            f"'{key}' if you meant to execute a different request.",
        )
    return Answer(status=stored.status, body=json.loads(stored.body), replayed=True)


class Handler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection to the sandbox (keep-alive, as the SDK uses it)."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without this, Nagle's algorithm and
    # the client's delayed ACK add 40 ms to every answer on a kept-alive socket.
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/_sandbox/health":
            self._send(Answer(status=200, body={"ok": True}))
        elif path == "/_sandbox/ledger":
            self._send(Answer(status=200, body=self.server.sandbox.ledger.everything()))
        elif path == "/_sandbox/faults":
            faults = self.server.sandbox.faults.current.as_json()
            self._send(Answer(status=200, body=faults))
        elif path == "/_sandbox/deliveries":
            deliveries = [
                {"event": d.event_id, "type": d.type, "status": d.status, "at": d.at}
                for d in self.server.sandbox.webhooks.deliveries
            ]
            self._send(Answer(status=200, body={"deliveries": deliveries}))
        elif path.startswith(READS) and path.count("/") == 3:
            self._api(lambda: self.server.sandbox.read(path))
        else:
            self._send(_not_found(path))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if body is None:
            return
        if path == "/_sandbox/faults":
            self._set_faults(body)
        elif path == "/_sandbox/webhooks/flush":
            flushed = self.server.sandbox.webhooks.flush()
            self._send(Answer(status=200, body={"flushed": flushed}))
        elif path in WRITES:
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            key = self.headers.get("Idempotency-Key", "")
            sandbox = self.server.sandbox
            self._api(lambda: sandbox.apply(WRITES[path], params, key))
        else:
            self._send(_not_found(path))

    def _api(self, run: Any) -> None:
        """Check the key, act out the faults in force, run the call, answer."""
        sandbox = self.server.sandbox
        if self.headers.get("Authorization", "") != f"Bearer {sandbox.api_key}":
            self._send(
                error(
                    401,
                    "invalid_request_error",
                    "Invalid API Key provided.",
                    code="api_key_invalid",
                )
            )
            return
        latency = sandbox.faults.current.latency_ms
        if latency:
            time.sleep(latency / 1000)
        failed = sandbox.faults.error_status()
        if failed is not None:
            self._send(error(failed, "api_error", "The sandbox was told to fail."))
            return
        drop = sandbox.faults.take_drop()
        if drop == "before":
            self._drop()
            return
        answer = run()
        if drop == "after":
            self._drop()
            return
        self._send(answer)

    def _set_faults(self, body: bytes) -> None:
        try:
            changes = json.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise BadFaults("a JSON object of fault settings")
            faults = self.server.sandbox.faults.update(changes)
        except (ValueError, BadFaults) as exc:
            self._send(error(400, "invalid_request_error", str(exc)))
            return
        self._send(Answer(status=200, body=faults.as_json()))

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            self._send(error(400, "invalid_request_error", "Bad Content-Length."))
            return None
        return self.rfile.read(int(length))

    def _send(self, answer: Answer) -> None:
        body = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", f"req_{threading.get_ident():x}")
        if answer.replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the connection with no answer, as a network failure would."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def _not_found(path: str) -> Answer:
    return error(
        404, "invalid_request_error", f"Unrecognized request URL (POST: {path})."
    )


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the sandbox's state."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox
