"""`python -m sandbox_provider`: serve the sandbox provider until stopped."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from sandbox_provider.server import Sandbox, SandboxServer


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="python -m sandbox_provider",
        description="Serve a sandbox payment provider that speaks Stripe's API.",
    )
    parser.add_argument("--host", default=env("SANDBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("SANDBOX_PORT", "12111")))
    parser.add_argument(
        "--ledger",
        type=Path,
        default=Path(env("SANDBOX_LEDGER", "run/sandbox_provider.sqlite3")),
        help="SQLite file of the provider's books (created if missing).",
    )
    parser.add_argument(
        "--api-key",
        default=env("SANDBOX_API_KEY", "sk_test_sandbox"),
        help="The secret key clients must send (Authorization: Bearer …).",
    )
    parser.add_argument(
        "--webhook-url",
        default=env("SANDBOX_WEBHOOK_URL", ""),
        help="Where to POST signed events (none when empty).",
    )
    parser.add_argument(
        "--webhook-secret",
        default=env("SANDBOX_WEBHOOK_SECRET", "whsec_sandbox"),
        help="The endpoint secret events are signed with.",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("SANDBOX_LOG_LEVEL", "WARNING"),
        format="%(asctime)s sandbox_provider %(levelname)s %(message)s",
    )
    args.ledger.parent.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(
        ledger=args.ledger,
        api_key=args.api_key,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    try:
        server = SandboxServer((args.host, args.port), sandbox)
    except OSError as exc:
        print(
            f"sandbox_provider: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"sandbox_provider: listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
