"""Print the bench table: each scenario's medians per server, and Orderly's ratios."""

import sys
from collections import defaultdict
from statistics import median

SCENARIOS = ["list50", "detail", "search", "order_create", "payment"]


def main(path: str) -> int:
    """Read `<server> <round> <scenario> k=v ...` lines; print medians over rounds."""
    runs: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    with open(path) as lines:
        for line in lines:
            server, _round, scenario, *fields = line.split()
            runs[(server, scenario)].append(
                {k: float(v) for k, v in (f.split("=") for f in fields)}
            )
    # Orderly first, the revisions it is compared with next, the peer last.
    servers = sorted(
        {s for s, _ in runs}, key=lambda s: (s != "orderly", s == "flat", s)
    )
    print(
        f"{'scenario':<14}{'server':<16}{'rps':>9}{'p50':>8}{'p99':>8}{'cpu':>7}"
        f"{'orderly/this':>14}"
    )
    worst = float("inf")
    for scenario in [s for s in SCENARIOS if any(k[1] == s for k in runs)]:
        medians = {
            server: {k: median(r[k] for r in rows) for k in rows[0]}
            for server in servers
            if (rows := runs.get((server, scenario)))
        }
        orderly = medians.get("orderly", {}).get("rps", float("nan"))
        for n, (server, m) in enumerate(medians.items()):
            ratio = "" if server == "orderly" else f"{orderly / m['rps']:.2f}x"
            if server == "flat":
                worst = min(worst, orderly / m["rps"])
            print(
                f"{scenario if n == 0 else '':<14}{server:<16}{m['rps']:>9.1f}"
                f"{m['p50_ms']:>8.1f}{m['p99_ms']:>8.1f}"
                f"{m.get('server_cpu_ms', 0):>7.2f}"
                f"{ratio:>14}"
            )
    print(f"worst ratio orderly/flat: {worst:.2f}x (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
