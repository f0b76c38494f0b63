#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` (MinIO store) into a loopback
# destination that answers 200 at once, as a ratio against its limit measured in the
# same run at the same concurrency: the four store requests of a delivery (GET, HEAD
# done/, PUT done/, DELETE) at c = the drain's concurrency, made by bench/s3load
# (minio-go) over the same number of objects. Also the drain's peak RSS
# (/usr/bin/time), which must stay flat as the backlog grows. At the first backlog,
# two more runs: the same source fanned out to three destinations (a webhook's store
# requests do not grow with its destinations, so its rate holds the same limit while
# deliveries triple), and the store signed with V2 (libs3) instead of V4.
#   BENCH_DRAIN_OBJECTS (default "2000 10000")  backlogs, one run each
#   BENCH_CONCURRENCY_DRAIN (default 16)
#   BENCH_QUICK=1: one backlog of 1000
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BACKLOGS=${BENCH_DRAIN_OBJECTS:-2000 10000}
C=${BENCH_CONCURRENCY_DRAIN:-16}
[ -n "${BENCH_QUICK:-}" ] && BACKLOGS=1000
python3 -c 'import json; print(json.dumps({"action": "opened", "pad": "x" * 900}))' | tr -d '\n' \
    >"$W/body"

DEST_PORT=$(free_port)
python3 tests/dest.py serve --port "$DEST_PORT" &
BENCH_PIDS+=($!)
status=0

# run_drain BACKLOG DESTINATIONS SIG LIMIT: seeds BACKLOG webhooks under a prefix of the
# run's own, runs one pass and prints its table row.
run_drain() {
    local n=$1 ndest=$2 sig=$3 limit=$4 run="$1-$2-$3" dests="" start end rc delivered rate
    for i in $(seq 1 "$ndest"); do
        dests="$dests${dests:+, }{ \"name\": \"d$i\", \"url\": \"http://127.0.0.1:$DEST_PORT/ok\" }"
    done
    cat >"$W/config-$run.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool-$run?endpoint=$HS_S3_ENDPOINT&tls=0&sig=$sig",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destinations": [ $dests ] } ],
  "drain": { "concurrency": $C } }
JSON
    "$BUILD/tests/spool_put" --config "$W/config-$run.json" --source bench --key b \
        --count "$n" --body "$W/body" || return 1
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$W/rss-$run" "$BUILD/hookspool-drain" --config "$W/config-$run.json" \
        --once 2>"$W/drain-$run.log"
    rc=$?
    end=$(date +%s.%N)
    delivered=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool-$run/done/bench/" | wc -l)
    rate=$(python3 -c "print(round($n / ($end - $start), 1))")
    echo "| $n | $ndest | $sig | $(python3 -c "print(round($limit, 1))") | $rate |" \
        "$(python3 -c "print(round($ndest * $rate, 1))") | **$(ratio "$rate" "$limit")** |" \
        "$(python3 -c "print(round($(cat "$W/rss-$run") / 1024, 1))") |"
    if [ "$rc" -ne 0 ] || [ "$delivered" -ne "$n" ]; then
        echo "bench: drain exit $rc, $delivered of $n in done/ ($run)" >&2
        return 1
    fi
}

echo "hookspool drain, concurrency $C ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| backlog | destinations | sig | four-request limit /s | webhooks /s | deliveries /s | webhooks / limit | drain peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
first=1
for n in $BACKLOGS; do
    out=$("$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode delivery -c "$C" \
        -objects "$n" -size 1700 -prefix "limit-$n") || exit 1
    limit=$(json_field "$out" rate)
    run_drain "$n" 1 v4 "$limit" || status=1
    if [ "$first" -eq 1 ]; then
        run_drain "$n" 3 v4 "$limit" || status=1
        run_drain "$n" 1 v2 "$limit" || status=1
        first=0
    fi
done
exit $status
