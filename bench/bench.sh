#!/usr/bin/env bash
# make bench: Orderly against the flat-DRF peer on the same data, same machine,
# same harness (../shared/peers/bench/run.sh), one after the other, in rounds.
#
# Every server runs gunicorn, 2 sync workers, persistent database connections.
# Orderly pays through the Stripe adapter and the sandbox provider program (a
# separate process, as deployed). Scenarios: the harness's list50, detail,
# search, order_create, and Orderly's own payment (bench/payment.py).
# BEFORE="REV ..." also measures those git revisions of this repository, each
# from its own worktree and virtualenv under run/bench/trees/, interleaved in
# the same rounds: a before/after in one run.
# Prints each scenario's rps/p50/p99/cpu per server and the ratios.
# Env: PEERS_DIR (default ../shared/peers), PG (server URL), PRODUCTS=10000,
#      ROUNDS=1, BEFORE="", ORDERLY_PORT=8201 (BEFORE trees take the next ports),
#      FLAT_PORT=8101, PROVIDER_PORT=12199, plus run.sh's DURATION etc.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$(cd "${PEERS_DIR:-$root/../shared/peers}" && pwd)"
work="$root/run/bench"
pg="${PG:-postgres://postgres@127.0.0.1:5432}"
products="${PRODUCTS:-10000}"
rounds="${ROUNDS:-1}"
orderly_port="${ORDERLY_PORT:-8201}"
flat_port="${FLAT_PORT:-8101}"
provider_port="${PROVIDER_PORT:-12199}"
flat_db="orderly_bench_flat"
export DURATION="${DURATION:-8s}"
mkdir -p "$work"

command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 1; }

# The peer's own virtualenv, outside the read-only peers folder.
if [[ ! -x "$work/peers-venv/bin/gunicorn" ]]; then
    python3.11 -m venv "$work/peers-venv"
    "$work/peers-venv/bin/pip" install -q --disable-pip-version-check -r "$peers/requirements.txt"
fi

# The Orderly servers: label, source tree, database, port. The working tree is
# "orderly"; each BEFORE revision is checked out (once) beside it.
labels=(orderly) trees=("$root") dbs=(orderly_bench_api) ports=("$orderly_port")
for rev in ${BEFORE:-}; do
    short="$(git -C "$root" rev-parse --short "$rev")"
    tree="$work/trees/$short"
    if [[ ! -d "$tree" ]]; then
        git -C "$root" worktree add --detach "$tree" "$short" >&2
    fi
    make -C "$tree" install >&2
    labels+=("before-$short") trees+=("$tree") dbs+=("orderly_bench_$short")
    ports+=($((orderly_port + ${#ports[@]})))
done

psql_admin() { psql "$pg/postgres" -v ON_ERROR_STOP=1 -q "$@"; }
fresh_db() {
    psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

# The payment provider, as deployed: the sandbox program, its books on disk,
# webhooks to the working tree's server. Revisions from before it pay in-process.
provider_key=sk_test_bench webhook_secret=whsec_bench
rm -f "$work/provider.sqlite3"*
(cd "$root" && setsid "$root/.venv/bin/python" -m sandbox_provider --port "$provider_port" \
    --ledger "$work/provider.sqlite3" --api-key "$provider_key" \
    --webhook-url "http://127.0.0.1:$orderly_port/api/v1/webhooks/payments/" \
    --webhook-secret "$webhook_secret") </dev/null >>"$work/provider.log" 2>&1 &
provider_pid=$!
trap 'kill "$provider_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$provider_port/_sandbox/health" && break
    sleep 0.2
done

# Throttles off: the peer has none, and the anonymous default (120/min) would turn
# the load into 429s. Everything else is the production code path.
orderly_env() {  # INDEX
    echo env DATABASE_URL="$pg/${dbs[$1]}" DJANGO_DEBUG=false \
        DJANGO_SECRET_KEY=bench-secret-key-0123456789abcdef GUNICORN_ACCESS_LOG= \
        LOG_LEVEL=WARNING THROTTLE_ANON= THROTTLE_USER= THROTTLE_AUTH= \
        PAYMENTS_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$provider_port" \
        STRIPE_SECRET_KEY="$provider_key" STRIPE_WEBHOOK_SECRET="$webhook_secret"
}

echo "bench: seeding $products products into every database" >&2
fresh_db "$flat_db"
flat_env=(env DATABASE_URL="$pg/$flat_db" SECRET_KEY=bench-secret-key-0123456789abcdef)
"${flat_env[@]}" "$work/peers-venv/bin/python" "$peers/flat_drf/manage.py" migrate -v 0
"${flat_env[@]}" "$work/peers-venv/bin/python" "$peers/flat_drf/manage.py" seed --products "$products" >&2
# The same rows (same skus, prices, creation order) as the peer's seed.
psql "$pg/$flat_db" -q -c "\copy (SELECT sku, name, description, price, stock, is_active::text AS is_active FROM shop_product ORDER BY id) TO '$work/products.csv' CSV HEADER"
for i in "${!labels[@]}"; do
    fresh_db "${dbs[$i]}"
    (cd "${trees[$i]}" && $(orderly_env "$i") .venv/bin/python manage.py migrate -v 0 \
        && $(orderly_env "$i") .venv/bin/python manage.py import_products "$work/products.csv" -v 0 >&2)
done

serve_orderly() {  # INDEX: start that tree's server, print its master's PID
    local tree="${trees[$1]}" port="${ports[$1]}" pidfile="$work/orderly-$1.pid"
    rm -f "$pidfile"
    (cd "$tree" && $(orderly_env "$1") GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY=2 \
        setsid "$tree/.venv/bin/gunicorn" --config gunicorn.conf.py --pid "$pidfile" \
        project.wsgi) </dev/null >>"$work/orderly-$1.log" 2>&1 &
    for _ in $(seq 1 150); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/products/?page_size=1" \
            && [[ -s "$pidfile" ]] && { cat "$pidfile"; return; }
        sleep 0.2
    done
    echo "bench: ${labels[$1]} did not start; see $work/orderly-$1.log" >&2
    [[ -s "$pidfile" ]] && kill "$(cat "$pidfile")"
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
# round would measure instead of the code. Every server takes the same warm-up.
warm_up() {  # PID BASE_URL
    DURATION=4s WARMUP=1s SCENARIOS=order_create "$peers/bench/run.sh" "$2" "$(token_for "$2")" >/dev/null
    "$peers/bench/stop.sh" "$1" >/dev/null
}
echo "bench: placing warm-up orders on every server" >&2
warm_up "$(VENV="$work/peers-venv" LOG_DIR="$work" "${flat_env[@]}" "$peers/bench/serve.sh" flat_drf "$flat_port")" \
    "http://127.0.0.1:$flat_port"
psql "$pg/$flat_db" -q -c "VACUUM ANALYZE"
for i in "${!labels[@]}"; do
    warm_up "$(serve_orderly "$i")" "http://127.0.0.1:${ports[$i]}"
    # What autovacuum would do soon after a bulk load: fresh statistics, merged GIN lists.
    psql "$pg/${dbs[$i]}" -q -c "VACUUM ANALYZE"
done

measure_flat() {  # ROUND
    local pid
    pid="$(VENV="$work/peers-venv" LOG_DIR="$work" "${flat_env[@]}" "$peers/bench/serve.sh" flat_drf "$flat_port")"
    SERVER_PID="$pid" "$peers/bench/run.sh" "http://127.0.0.1:$flat_port" "$(token_for "http://127.0.0.1:$flat_port")" \
        | sed "s/^/flat $1 /" | tee -a "$results" >&2
    "$peers/bench/stop.sh" "$pid" >/dev/null
}

measure_orderly() {  # INDEX ROUND
    local base="http://127.0.0.1:${ports[$1]}" pid token
    pid="$(serve_orderly "$1")"
    token="$(token_for "$base")"
    {
        SERVER_PID="$pid" "$peers/bench/run.sh" "$base" "$token"
        "$root/.venv/bin/python" "$root/bench/payment.py" "$base" "$token" \
            "$pg/${dbs[$1]}" --pid "$pid" --peers "$peers"
    } | sed "s/^/${labels[$1]} $2 /" | tee -a "$results" >&2
    "$peers/bench/stop.sh" "$pid" >/dev/null
}

# Each round starts one server later than the one before, so no server is
# always measured first or right after the same neighbour.
results="$work/results.txt"
: >"$results"
servers=(flat "${!labels[@]}")
for round in $(seq 1 "$rounds"); do
    for k in "${!servers[@]}"; do
        server="${servers[$(((k + round - 1) % ${#servers[@]}))]}"
        if [[ "$server" == flat ]]; then
            measure_flat "$round"
        else
            measure_orderly "$server" "$round"
        fi
    done
done

python3 "$root/bench/compare.py" "$results"
