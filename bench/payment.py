"""The bench's payment scenario: wrk paying orders that wait, each once.

    payment.py BASE_URL TOKEN DATABASE_URL [--pid PID] [--orders N]

Tops the bench customer's unpaid orders up to N with the peers' order_create
script (unmeasured), then measures `POST /api/v1/payments/` of each with a good
card, one order per request, and prints one line in the peers' harness format:
`payment rps=… p50_ms=… p99_ms=… [server_cpu_ms=…] errors=…`. Errors (non-2xx
answers and socket errors) are counted, not hidden: a run that paid an order twice
or ran out of orders shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    unpaid = top_up(args)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as lines:
        lines.writelines(f"{order_id} {total}\n" for order_id, total in unpaid)
    before = server_ticks(args.pid)
    out = wrk(
        args,
        "--latency",
        "-s",
        str(HERE / "payment.lua"),
        f"{args.base}/api/v1/payments/",
        "--",
        lines.name,
        str(args.threads),
    )
    spent = server_ticks(args.pid) - before
    os.unlink(lines.name)
    print(summary(out, spent * TICK_MS if args.pid else None))
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("token")
    parser.add_argument("database")
    parser.add_argument("--pid", type=int, default=0, help="the gunicorn master")
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--duration", default=os.environ.get("DURATION", "8s"))
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("CONNECTIONS", "16"))
    )
    parser.add_argument(
        "--threads", type=int, default=int(os.environ.get("THREADS", "2"))
    )
    parser.add_argument(
        "--peers", type=Path, default=HERE.parent.parent / "shared/peers"
    )
    args = parser.parse_args(argv)
    args.base = args.base.rstrip("/")
    return args


def top_up(args: argparse.Namespace) -> list[tuple[int, str]]:
    """Place orders until `args.orders` wait for payment; return (id, total) of each."""
    with urllib.request.urlopen(f"{args.base}/api/v1/products/?page_size=100") as page:
        ids = [str(row["id"]) for row in json.load(page)["results"]]
    for _ in range(20):  # bounded: each round places a few seconds' worth
        unpaid = waiting(args.database)
        if len(unpaid) >= args.orders:
            return unpaid
        wrk(
            args,
            "-d",
            "3s",
            "-s",
            str(args.peers / "bench/order_create.lua"),
            f"{args.base}/api/v1/orders/",
            "--",
            *ids,
            duration=False,
        )
    return waiting(args.database)


def waiting(database: str) -> list[tuple[int, str]]:
    with psycopg.connect(database) as connection:
        rows = connection.execute(
            "SELECT id, total::text FROM orders_order"
            " WHERE status = 'created' ORDER BY id"
        ).fetchall()
    return [(order_id, total) for order_id, total in rows]


def wrk(args: argparse.Namespace, *extra: str, duration: bool = True) -> str:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections)]
    if duration:
        command += ["-d", args.duration]
    command += ["--timeout", "10s", "-H", f"Authorization: Bearer {args.token}"]
    return subprocess.run(
        [*command, *extra], check=True, capture_output=True, text=True
    ).stdout


def server_ticks(pid: int) -> int:
    """Return the CPU ticks the gunicorn master and its workers have used."""
    if not pid:
        return 0
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    total = 0
    for process in [str(pid), *children]:
        try:
            stat = Path(f"/proc/{process}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def summary(out: str, cpu_ms: float | None) -> str:
    """Return the harness's result line for wrk's `--latency` output."""
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)[1])
    requests = int(re.search(r"^\s*(\d+) requests in", out, re.M)[1])
    failed = re.findall(
        r"^\s*(?:Non-2xx or 3xx responses|Socket errors):(.*)$", out, re.M
    )
    errors = sum(int(n) for line in failed for n in re.findall(r"\d+", line))
    line = f"payment rps={rps:.1f} p50_ms={_ms(out, '50')} p99_ms={_ms(out, '99')}"
    if cpu_ms is not None:
        line += f" server_cpu_ms={cpu_ms / requests:.2f}"
    if errors:
        print(f"WARNING [payment]: {errors} failed requests", file=sys.stderr)
    return f"{line} errors={errors}"


def _ms(out: str, percentile: str) -> str:
    value, unit = re.search(
        rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\b", out, re.M
    ).groups()
    return f"{float(value) * UNITS[unit]:.2f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
