"""`manage.py publish_events`: relay order events from the outbox to RabbitMQ."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError, CommandParser
from prometheus_client import start_http_server

from business.orders.relay import EventRelayService, RelayReport
from presentation.management.base import OrderlyCommand, positive_int
from presentation.management.relay_loop import LoopReport, run_relay
from presentation.orders import metrics

DEFAULT_BATCH_SIZE = 100
DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_METRICS_ADDR = "127.0.0.1"


def seconds(text: str) -> float:
    """Read a positive number of seconds, e.g. 0.5 or 2."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"use more than 0 and at most 3600, not {text}"
        )
    return value


def port(text: str) -> int:
    """Read a TCP port number, 1 to 65535."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"use a port from 1 to 65535, not {text}")
    return int(text)


@contextmanager
def metrics_server(addr: str, port: int | None) -> Iterator[None]:
    """Serve the relay's Prometheus metrics on addr:port while the block runs."""
    if port is None:
        yield
        return
    try:
        server, thread = start_http_server(port, addr, registry=metrics.RELAY_REGISTRY)
    except OSError as exc:
        raise CommandError(f"cannot serve metrics on {addr}:{port}: {exc}") from exc
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def counted(write: Callable[[RelayReport], None]) -> Callable[[RelayReport], None]:
    """Update the relay's Prometheus metrics from each report, then `write` it."""

    def on_report(report: RelayReport) -> None:
        metrics.record(report)
        write(report)

    return on_report


def metrics_line(report: RelayReport) -> str:
    """Return the relay's metrics as one key=value line, for logs and scrapers."""
    return (
        f"events_published_total={report.published_total} "
        f"publish_failures_total={report.failures_total} "
        f"outbox_pending={report.pending} "
        f"outbox_lag_seconds={report.lag_seconds:.3f}"
    )


class Command(OrderlyCommand):
    help = (
        "Publish pending order events to RabbitMQ (AMQP_URL), oldest first and in "
        "order per order: durable topic exchange EVENTS_EXCHANGE (orderly.events), "
        "routing key = event type, persistent JSON messages with message_id = "
        "event id. An event leaves the outbox only once the broker confirmed it, so "
        "it may arrive twice after a crash; consumers deduplicate by message_id. "
        "Several relays may run at once. Without --once it runs until stopped "
        "(SIGTERM/SIGINT), retrying with backoff while the broker is down. With "
        "--metrics-port it serves Prometheus metrics (orderly_events_published_total, "
        "orderly_event_publish_failures_total, orderly_outbox_pending, "
        "orderly_outbox_lag_seconds) at http://ADDR:PORT/metrics."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Publish what is pending, then exit; exit 1 if the broker fails.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"Events per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--poll-interval",
            type=seconds,
            default=DEFAULT_POLL_INTERVAL,
            metavar="S",
            help="Seconds to wait when nothing is pending "
            f"(default {DEFAULT_POLL_INTERVAL:g}).",
        )
        parser.add_argument(
            "--metrics-port",
            type=port,
            default=None,
            metavar="PORT",
            help="Serve Prometheus metrics on this port (default: not served).",
        )
        parser.add_argument(
            "--metrics-addr",
            default=DEFAULT_METRICS_ADDR,
            metavar="ADDR",
            help="Address of the metrics server, e.g. 0.0.0.0 in a container "
            f"(default {DEFAULT_METRICS_ADDR}).",
        )

    def run(
        self,
        *,
        once: bool,
        batch_size: int,
        poll_interval: float,
        metrics_port: int | None = None,
        metrics_addr: str = DEFAULT_METRICS_ADDR,
        **_: Any,
    ) -> None:
        with metrics_server(metrics_addr, metrics_port):
            self._relay(once=once, batch_size=batch_size, poll_interval=poll_interval)

    def _relay(self, *, once: bool, batch_size: int, poll_interval: float) -> None:
        service = EventRelayService()
        if once:
            self._publish_once(service, batch_size=batch_size)
            return
        stop = threading.Event()
        self._stop_on_signals(stop)
        self.stdout.write(f"relay: started, batch size {batch_size}")
        self.stdout.flush()
        run_relay(
            service,
            batch_size=batch_size,
            poll_interval=poll_interval,
            should_stop=stop.is_set,
            on_report=self._write_report,
            # Waiting on the event, not time.sleep: a signal ends the wait at once.
            sleep=stop.wait,
        )
        self.stdout.write("relay: stopped")

    def _publish_once(self, service: EventRelayService, *, batch_size: int) -> None:
        """Publish what is pending; a broker failure ends the run with exit 1."""
        report = service.publish_pending(
            batch_size=batch_size, on_report=counted(self._write_failure)
        )
        if report.batch.failed:
            raise CommandError(report.batch.error)
        self.stdout.write(
            f"Published {report.published_total} events. {metrics_line(report)}"
        )

    def _write_report(self, looped: LoopReport) -> None:
        report = looped.report
        metrics.record(report)
        if report.batch.published:
            published = f"published {report.batch.published}"
            self.stdout.write(f"relay: {published}; {metrics_line(report)}")
            self.stdout.flush()
        self._write_failure(report, retry_in=looped.retry_in)

    def _write_failure(self, report: RelayReport, *, retry_in: float = 0.0) -> None:
        if report.batch.failed:
            retry = f"; retrying in {retry_in:g}s" if retry_in else ""
            self.stderr.write(f"relay: {report.batch.error}{retry}")
            self.stderr.write(f"relay: {metrics_line(report)}")
            self.stderr.flush()

    def _stop_on_signals(self, stop: threading.Event) -> None:
        """Finish the current batch, then stop, on SIGTERM (docker stop) or SIGINT."""
        if threading.current_thread() is not threading.main_thread():
            return  # Only the main thread may set handlers (tests run elsewhere).
        # set() from another thread: the handler may interrupt this thread inside
        # stop.wait() while it holds the event's lock.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: threading.Thread(target=stop.set).start())
