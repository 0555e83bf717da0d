"""Benchmark `manage.py import_products` against `psql \\copy` plus the same upsert.

For each size, a CSV file of that many products is generated, the products table
is emptied, and two runs are timed end to end as subprocesses:

* baseline: `psql` runs `\\copy` of the file into a temporary table of the same
  shape as the import's staging table, then the importer's own upsert statement;
* command: `manage.py import_products FILE`, whose peak RSS is taken from
  `os.wait4` (that child's own rusage).

Usage: `make bench-import ROWS=1000000`, or DATABASE_URL=postgres://…/orderly_bench
python bench/import_bench.py [--rows 100000 1000000]. The database is created if
missing and migrated; its products are TRUNCATEd, so its name must contain
"bench" (or pass --force). The 2x target is judged at the largest size, the RSS
target (within 10%) across all sizes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

import django  # noqa: E402
import environ  # noqa: E402
import psycopg  # noqa: E402
import psycopg.sql  # noqa: E402

MAX_RATIO = 2.0
MAX_RSS_SPREAD = 0.10
BASELINE_STAGE = "bench_stage"
_BOOLEANS = ("true", "false", "yes", "no", "1", "0", "TRUE", "No")


@dataclass(frozen=True, slots=True)
class Result:
    rows: int
    baseline: float
    command: float
    rss_mib: float

    @property
    def ratio(self) -> float:
        return self.command / self.baseline


def main() -> int:
    """Run the benchmark for every size; exit 1 if a target is missed."""
    args = _arguments()
    url = os.environ.get("DATABASE_URL", "")
    config = environ.Env.db_url_config(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        sys.exit("bench: DATABASE_URL must point at a PostgreSQL database")
    if "bench" not in config["NAME"] and not args.force:
        sys.exit(f"bench: refusing to empty the products of {config['NAME']!r}")
    if shutil.which("psql") is None:
        sys.exit("bench: psql is not on PATH")
    _create_database(config)
    django.setup()
    _manage("migrate", "--no-input", "-v", "0")
    results = []
    with tempfile.TemporaryDirectory(prefix="orderly-bench-") as folder:
        startup = _startup(Path(folder) / "empty.csv")
        for rows in sorted(set(args.rows)):
            path = Path(folder) / f"products-{rows}.csv"
            _write_csv(path, rows)
            results.append(_measure(config, path, rows))
            path.unlink()
    return _report(results, startup)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[100_000, 1_000_000], metavar="N"
    )
    parser.add_argument("--force", action="store_true", help="Any database name.")
    return parser.parse_args()


def _write_csv(path: Path, rows: int) -> None:
    """Write `rows` products with deterministic, varied values."""
    rand = random.Random(rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("sku,name,description,price,stock,is_active\n")
        for i in range(rows):
            price = rand.randrange(0, 100_000_000) / 100
            out.write(
                f'BENCH-{i:09d},Product {i},"A ""bench"" product, number {i}",'
                f"{price:.2f},{rand.randrange(0, 10_000)},{_BOOLEANS[i % 8]}\n"
            )


def _startup(path: Path) -> float:
    """Time the command on a file with a header only: its fixed cost."""
    _write_csv(path, 0)
    return _timed(_import_command(path), os.environ.copy())[0]


def _import_command(path: Path) -> list[str]:
    return [sys.executable, "manage.py", "import_products", str(path), "-v", "1"]


def _measure(config: dict, path: Path, rows: int) -> Result:
    _reset(config)
    baseline = _timed(_psql_command(config, path), _psql_env(config))[0]
    _check_loaded(config, rows)
    _reset(config)
    command, rss_kib = _timed(_import_command(path), os.environ.copy())
    _check_loaded(config, rows)
    return Result(rows, baseline, command, rss_kib / 1024)


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run a child; return its wall time and its own peak RSS in KiB."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench: {' '.join(argv[:3])} exited {child.returncode}")
    return elapsed, usage.ru_maxrss


def _psql_command(config: dict, path: Path) -> list[str]:
    """Write the baseline's psql script beside the CSV; return the psql call."""
    from data.catalog.importer import upsert_statement

    script = path.with_suffix(".sql")
    script.write_text(
        "\n".join(
            [
                "BEGIN;",
                f"CREATE TEMP TABLE {BASELINE_STAGE} (sku varchar(64),"
                " name varchar(200), description text, price numeric(8, 2),"
                " stock integer, is_active boolean) ON COMMIT DROP;",
                f"\\copy {BASELINE_STAGE} FROM '{path}' WITH (FORMAT csv, HEADER)",
                upsert_statement(BASELINE_STAGE, now="now()").strip() + ";",
                "COMMIT;",
            ]
        )
        + "\n"
    )
    quiet = ["-X", "-q", "-v", "ON_ERROR_STOP=1"]
    return ["psql", *quiet, "-d", config["NAME"], "-f", str(script)]


def _psql_env(config: dict) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        {
            "PGHOST": str(config.get("HOST") or ""),
            "PGPORT": str(config.get("PORT") or ""),
            "PGUSER": str(config.get("USER") or ""),
            "PGPASSWORD": str(config.get("PASSWORD") or ""),
        }
    )
    return {name: value for name, value in env.items() if value}


def _connect(config: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname=config["NAME"],
        autocommit=True,
    )


def _create_database(config: dict) -> None:
    """Create the benchmark's database if it does not exist yet."""
    with _connect({**config, "NAME": "postgres"}) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not found:
            conn.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(
                    psycopg.sql.Identifier(config["NAME"])
                )
            )


def _reset(config: dict) -> None:
    """Empty the products (and what refers to them), then flush dirty pages."""
    with _connect(config) as conn:
        conn.execute("TRUNCATE catalog_product CASCADE")
        conn.execute("CHECKPOINT")


def _check_loaded(config: dict, rows: int) -> None:
    with _connect(config) as conn:
        found = conn.execute("SELECT count(*) FROM catalog_product").fetchone()[0]
    if found != rows:
        sys.exit(f"bench: expected {rows} products after a run, found {found}")


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def _report(results: list[Result], startup: float) -> int:
    """Print the table; judge the ratio at the largest size, RSS across sizes."""
    print(
        f"{'rows':>10}  {'psql s':>8}  {'command s':>9}  {'ratio':>5}  {'RSS MiB':>7}"
    )
    for r in results:
        print(
            f"{r.rows:>10}  {r.baseline:>8.2f}  {r.command:>9.2f}  "
            f"{r.ratio:>5.2f}  {r.rss_mib:>7.1f}"
        )
    # Django's start-up is a fixed cost, so the ratio is judged where the rows
    # dominate: the largest file.
    largest = max(results, key=lambda r: r.rows)
    rss = [r.rss_mib for r in results]
    spread = (max(rss) - min(rss)) / min(rss)
    print(f"command start-up (header-only file): {startup:.2f} s")
    print(f"ratio at {largest.rows} rows {largest.ratio:.2f} (target <= {MAX_RATIO})")
    print(f"RSS spread {spread:.1%} (target <= {MAX_RSS_SPREAD:.0%})")
    return 0 if largest.ratio <= MAX_RATIO and spread <= MAX_RSS_SPREAD else 1


if __name__ == "__main__":
    sys.exit(main())
