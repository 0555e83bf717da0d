"""Print the bench table: each scenario's numbers for both servers and the rps ratio."""

import sys
from collections import defaultdict
from statistics import median


def main(path: str) -> int:
    """Read `<app> <round> <scenario> k=v ...` lines; print medians over rounds."""
    runs: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    with open(path) as lines:
        for line in lines:
            app, _round, scenario, *fields = line.split()
            runs[(app, scenario)].append(
                {k: float(v) for k, v in (f.split("=") for f in fields)}
            )
    scenarios = sorted(
        {s for _, s in runs}, key=["list50", "detail", "search", "order_create"].index
    )
    print(
        f"{'scenario':<14}{'orderly rps':>12}{'p50':>8}{'p99':>8}{'cpu':>7}"
        f"{'flat rps':>11}{'p50':>8}{'p99':>8}{'cpu':>7}{'ratio':>8}"
    )
    worst = float("inf")
    for scenario in scenarios:
        o = {
            k: median(r[k] for r in runs[("orderly", scenario)])
            for k in runs[("orderly", scenario)][0]
        }
        f = {
            k: median(r[k] for r in runs[("flat", scenario)])
            for k in runs[("flat", scenario)][0]
        }
        ratio = o["rps"] / f["rps"] if f["rps"] else float("nan")
        worst = min(worst, ratio)
        print(
            f"{scenario:<14}{o['rps']:>12.1f}{o['p50_ms']:>8.1f}{o['p99_ms']:>8.1f}"
            f"{o.get('server_cpu_ms', 0):>7.2f}{f['rps']:>11.1f}{f['p50_ms']:>8.1f}"
            f"{f['p99_ms']:>8.1f}{f.get('server_cpu_ms', 0):>7.2f}{ratio:>7.2f}x"
        )
    print(f"worst ratio orderly/flat: {worst:.2f}x (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
