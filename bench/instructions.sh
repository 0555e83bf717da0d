#!/usr/bin/env bash
# make bench-instructions: CPU instructions per request, counted by callgrind,
# for the bench's scenarios, in this tree and each BEFORE revision.
#
# Run after `make bench` (with the same BEFORE): it seeds a database per tree
# from the products that left (run/bench/products.csv) and uses the revisions'
# worktrees. Each tree serves N requests per scenario in-process through
# its WSGI application, under valgrind, after WARM unmeasured ones; PostgreSQL's
# and the provider's work are not counted. Unlike rps, the counts are the same
# whatever else the machine runs. Env: BEFORE="REV ...", N=100, WARM=20, PG.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/run/bench"
pg="${PG:-postgres://postgres@127.0.0.1:5432}"
provider_port="${PROVIDER_PORT:-12199}"
export N="${N:-100}" WARM="${WARM:-20}"
command -v valgrind >/dev/null || { echo "bench: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
[[ -s "$work/products.csv" ]] || { echo "bench: run make bench first (it leaves run/bench/products.csv)" >&2; exit 1; }

gcc -O2 -shared -fPIC -o "$work/callgrind_marks.so" "$root/bench/callgrind_marks.c"
rm -f "$work/provider-i.sqlite3"*
(cd "$root" && setsid "$root/.venv/bin/python" -m sandbox_provider --port "$provider_port" \
    --ledger "$work/provider-i.sqlite3" --api-key sk_test_bench \
    --webhook-secret whsec_bench) </dev/null >>"$work/provider.log" 2>&1 &
provider_pid=$!
trap 'kill "$provider_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$provider_port/_sandbox/health" && break
    sleep 0.2
done

seed() {  # TREE DATABASE
    psql "$pg/postgres" -q -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2"
    (cd "$1" && DATABASE_URL="$pg/$2" .venv/bin/python manage.py migrate -v 0 \
        && DATABASE_URL="$pg/$2" .venv/bin/python manage.py import_products \
            "$work/products.csv" -v 0 >/dev/null)
    psql "$pg/$2" -q -c "VACUUM ANALYZE"
}

count() {  # LABEL TREE DATABASE
    local out="$work/callgrind-$1"
    rm -rf "$out" && mkdir -p "$out"
    seed "$2" "$3"
    (cd "$2" && env DATABASE_URL="$pg/$3" DJANGO_DEBUG=false \
        DJANGO_SECRET_KEY=bench-secret-key-0123456789abcdef LOG_LEVEL=WARNING \
        THROTTLE_ANON= THROTTLE_USER= THROTTLE_AUTH= CALLGRIND_MARKS="$work/callgrind_marks.so" \
        PAYMENTS_PROVIDER=stripe STRIPE_API_BASE="http://127.0.0.1:$provider_port" \
        STRIPE_SECRET_KEY=sk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench \
        valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
        .venv/bin/python "$root/bench/instructions_driver.py") 2>"$out/valgrind.log"
    # Each dump file names its mark ("desc: Trigger: Client Request: NAME") and
    # carries the instructions since the previous dump ("summary: N").
    for dump in "$out"/callgrind.out.*; do
        awk -v label="$1" -v n="$N" '
            /^desc: Trigger: Client Request: / { name = $NF }
            /^summary: / { total = $2 }
            END { if (name !~ /^(warm-|more-)/) printf "%s %s %.0f\n", label, name, total / n }
        ' "$dump"
    done
}

# The trees run side by side: their counts do not depend on sharing the cores.
labels=(orderly) trees=("$root") dbs=(orderly_instructions) counting=()
for rev in ${BEFORE:-}; do
    short="$(git -C "$root" rev-parse --short "$rev")"
    labels+=("before-$short") trees+=("$work/trees/$short") dbs+=("orderly_instructions_$short")
done
for i in "${!labels[@]}"; do
    count "${labels[$i]}" "${trees[$i]}" "${dbs[$i]}" >"$work/instructions-${labels[$i]}.txt" &
    counting+=($!)
done
wait "${counting[@]}"
results="$work/instructions.txt"
for label in "${labels[@]}"; do cat "$work/instructions-$label.txt"; done >"$results"

python3 - "$results" <<'PY'
import sys
from collections import defaultdict
counts = defaultdict(dict)
for line in open(sys.argv[1]):
    label, scenario, n = line.split()
    counts[scenario][label] = int(n)
labels = list(dict.fromkeys(l for c in counts.values() for l in c))
print(f"{'scenario':<14}" + "".join(f"{l:>16}" for l in labels) + "   (instructions per request)")
for scenario in ["list50", "detail", "search", "order_create", "payment"]:
    row = counts.get(scenario, {})
    cells = "".join(f"{row.get(l, 0):>16,}" for l in labels)
    ratios = " ".join(f"{row['orderly'] / row[l]:.2f}x" for l in labels[1:] if row.get(l))
    print(f"{scenario:<14}{cells}   orderly/before: {ratios}")
PY
