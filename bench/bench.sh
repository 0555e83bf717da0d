#!/usr/bin/env bash
# make bench: Orderly against the flat-DRF peer on the same data, same machine,
# same harness (../shared/peers/bench/run.sh), one after the other.
#
# Both serve with gunicorn, 2 sync workers, persistent database connections.
# Prints each scenario's rps/p50/p99 for both, and the Orderly/flat rps ratio.
# Env: PEERS_DIR (default ../shared/peers), PG (server URL), PRODUCTS=10000,
#      ROUNDS=1, ORDERLY_PORT=8201, FLAT_PORT=8101, plus run.sh's DURATION etc.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$(cd "${PEERS_DIR:-$root/../shared/peers}" && pwd)"
work="$root/run/bench"
pg="${PG:-postgres://postgres@127.0.0.1:5432}"
products="${PRODUCTS:-10000}"
rounds="${ROUNDS:-1}"
orderly_port="${ORDERLY_PORT:-8201}"
flat_port="${FLAT_PORT:-8101}"
orderly_db="orderly_bench_api"
flat_db="orderly_bench_flat"
export DURATION="${DURATION:-8s}"
mkdir -p "$work"

command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 1; }

# The peer's own virtualenv, outside the read-only peers folder.
if [[ ! -x "$work/peers-venv/bin/gunicorn" ]]; then
    python3.11 -m venv "$work/peers-venv"
    "$work/peers-venv/bin/pip" install -q --disable-pip-version-check -r "$peers/requirements.txt"
fi

psql_admin() { psql "$pg/postgres" -v ON_ERROR_STOP=1 -q "$@"; }
fresh_db() {
    psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

echo "bench: seeding $products products into both databases" >&2
fresh_db "$flat_db"
fresh_db "$orderly_db"
flat_env=(env DATABASE_URL="$pg/$flat_db" SECRET_KEY=bench-secret-key-0123456789abcdef)
"${flat_env[@]}" "$work/peers-venv/bin/python" "$peers/flat_drf/manage.py" migrate -v 0
"${flat_env[@]}" "$work/peers-venv/bin/python" "$peers/flat_drf/manage.py" seed --products "$products" >&2

# Throttles off: the peer has none, and the anonymous default (120/min) would turn
# the load into 429s. Everything else is the production code path.
orderly_env=(env DATABASE_URL="$pg/$orderly_db" DJANGO_DEBUG=false
    DJANGO_SECRET_KEY=bench-secret-key-0123456789abcdef GUNICORN_ACCESS_LOG=
    LOG_LEVEL=WARNING THROTTLE_ANON= THROTTLE_USER= THROTTLE_AUTH=)
"${orderly_env[@]}" "$root/.venv/bin/python" "$root/manage.py" migrate -v 0
# The same rows (same skus, prices, creation order) as the peer's seed.
psql "$pg/$flat_db" -q -c "\copy (SELECT sku, name, description, price, stock, is_active::text AS is_active FROM shop_product ORDER BY id) TO '$work/products.csv' CSV HEADER"
"${orderly_env[@]}" "$root/.venv/bin/python" "$root/manage.py" import_products "$work/products.csv" -v 0 >&2
serve_orderly() {
    rm -f "$work/orderly.pid"
    (cd "$root" && "${orderly_env[@]}" GUNICORN_BIND="127.0.0.1:$orderly_port" WEB_CONCURRENCY=2 \
        setsid "$root/.venv/bin/gunicorn" --config gunicorn.conf.py --pid "$work/orderly.pid" \
        project.wsgi) </dev/null >>"$work/orderly.log" 2>&1 &
    for _ in $(seq 1 150); do
        curl -sf -o /dev/null "http://127.0.0.1:$orderly_port/api/v1/products/?page_size=1" \
            && [[ -s "$work/orderly.pid" ]] && { cat "$work/orderly.pid"; return; }
        sleep 0.2
    done
    echo "bench: Orderly did not start; see $work/orderly.log" >&2
    [[ -s "$work/orderly.pid" ]] && kill "$(cat "$work/orderly.pid")"
    exit 1
}

token_for() {  # BASE_URL: register the bench customer if needed, print an access token
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d '{"username":"bench","email":"bench@example.com","password":"bench-pass-123"}' \
        "$1/api/v1/auth/register/" || true
    "$peers/bench/token.sh" "$1"
}

# A shop with some order history, measured in its steady state. Against empty
# order tables, PostgreSQL plans the foreign-key checks of the first orders as
# sequential scans and each connection keeps those plans until autovacuum's
# ANALYZE (within a minute in a live shop): a cold-start effect that a short
# round would measure instead of the code. Both servers take the same warm-up.
warm_up() {  # PID BASE_URL
    DURATION=4s WARMUP=1s SCENARIOS=order_create "$peers/bench/run.sh" "$2" "$(token_for "$2")" >/dev/null
    "$peers/bench/stop.sh" "$1" >/dev/null
}
echo "bench: placing warm-up orders on both servers" >&2
warm_up "$(VENV="$work/peers-venv" LOG_DIR="$work" "${flat_env[@]}" "$peers/bench/serve.sh" flat_drf "$flat_port")" \
    "http://127.0.0.1:$flat_port"
warm_up "$(serve_orderly)" "http://127.0.0.1:$orderly_port"
# What autovacuum would do soon after a bulk load: fresh statistics, merged GIN lists.
psql "$pg/$orderly_db" -q -c "VACUUM ANALYZE"
psql "$pg/$flat_db" -q -c "VACUUM ANALYZE"

results="$work/results.txt"
: >"$results"
for round in $(seq 1 "$rounds"); do
    pid="$(VENV="$work/peers-venv" LOG_DIR="$work" "${flat_env[@]}" "$peers/bench/serve.sh" flat_drf "$flat_port")"
    SERVER_PID="$pid" "$peers/bench/run.sh" "http://127.0.0.1:$flat_port" "$(token_for "http://127.0.0.1:$flat_port")" \
        | sed "s/^/flat $round /" | tee -a "$results" >&2
    "$peers/bench/stop.sh" "$pid" >/dev/null

    pid="$(serve_orderly)"
    SERVER_PID="$pid" "$peers/bench/run.sh" "http://127.0.0.1:$orderly_port" "$(token_for "http://127.0.0.1:$orderly_port")" \
        | sed "s/^/orderly $round /" | tee -a "$results" >&2
    "$peers/bench/stop.sh" "$pid" >/dev/null
done

python3 "$root/bench/compare.py" "$results"
