"""The message broker adapter: publish to RabbitMQ with publisher confirms."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import pika
import pika.exceptions
from django.conf import settings

CONTENT_TYPE = "application/json"
_PERSISTENT = pika.DeliveryMode.Persistent


class BrokerError(Exception):
    """The broker could not be reached or did not confirm a message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMessage:
    """One message for the events exchange: who it is, where it goes, what it says."""

    message_id: str
    routing_key: str
    body: dict[str, Any]


class RabbitPublisher:
    """Publish persistent JSON messages to a durable topic exchange, confirmed."""

    def __init__(
        self,
        *,
        url: str | None = None,
        exchange: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._parameters = pika.URLParameters(url or settings.AMQP_URL)
        # A dead broker must fail a publish quickly, not hang the relay.
        self._parameters.socket_timeout = timeout
        self._parameters.blocked_connection_timeout = timeout
        self._parameters.connection_attempts = 1
        self.exchange = exchange or settings.EVENTS_EXCHANGE
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None

    def publish(self, message: OutgoingMessage) -> None:
        """Send one message; return only once the broker has confirmed it."""
        properties = pika.BasicProperties(
            content_type=CONTENT_TYPE,
            delivery_mode=_PERSISTENT,
            message_id=message.message_id,
            type=message.routing_key,
        )
        body = json.dumps(message.body, separators=(",", ":")).encode()
        try:
            # With confirms on, basic_publish blocks until the broker acks (or nacks).
            self._open().basic_publish(
                self.exchange, message.routing_key, body, properties
            )
        except (pika.exceptions.AMQPError, OSError) as exc:
            self.close()
            where = f"{self._parameters.host}:{self._parameters.port}"
            raise BrokerError(
                f"broker unavailable at {where}: {_describe(exc)}"
            ) from exc

    def close(self) -> None:
        """Release the connection, if any."""
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            # Already broken: nothing is left to release.
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()

    def _open(self) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        self._connection = pika.BlockingConnection(self._parameters)
        channel = self._connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(self.exchange, "topic", durable=True)
        self._channel = channel
        return channel


def _describe(exc: BaseException) -> str:
    """Return the innermost reason in one line; pika nests the socket's error."""
    while True:
        inner = exc.args[0] if exc.args else getattr(exc, "exception", None)
        if not isinstance(inner, BaseException):
            break
        exc = inner
    text = (str(exc).strip() or repr(exc)).splitlines()[0]
    return f"{type(exc).__name__}: {text}"
