#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` on a MinIO store into a
# loopback destination that answers 200 at once, as a ratio against the raw
# MinIO PUT rate measured in the same run. Each delivery costs four store
# requests (GET, HEAD done/, PUT done/, DELETE), so 0.25 of the raw PUT rate
# is the store's sequential bound; concurrency is how the drain goes past it.
#   BENCH_OBJECTS (default 2000)   webhooks seeded into pending/
#   BENCH_PUTS (default 2000)      PUTs for the raw rate
#   BENCH_CONCURRENCY (default 16) the drain's deliveries in flight
#   SIGS (default "v4 v2 v2 v4")   store signatures to measure, one run each after the
#                                  other on the same MinIO, each on its own prefix
#                                  (ABBA order, ratio of the means)
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
OBJECTS=${BENCH_OBJECTS:-2000}
PUTS=${BENCH_PUTS:-2000}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
SIGS=${SIGS:-v4 v2 v2 v4}

write_body "$W/body"
put_rate=$(raw_put_rate "$PUTS" "$W/body") || exit 1

DEST_PORT=$(free_port)
python3 tests/dest.py serve --port "$DEST_PORT" &
BENCH_PIDS+=($!)
status=0
results=""
declare -A sum runs # per signature: the sum of the rates, and the number of runs
run=0
for sig in $SIGS; do
    run=$((run + 1))
    cat >"$W/config-$run.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool-$run?endpoint=$HS_S3_ENDPOINT&tls=0&sig=$sig",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$DEST_PORT/ok" } } ],
  "drain": { "concurrency": $CONCURRENCY } }
JSON
    "$BUILD/tests/spool_put" --config "$W/config-$run.json" --source bench --key b \
        --count "$OBJECTS" --body "$W/body" || exit 1
    start=$(date +%s.%N)
    "$BUILD/hookspool-drain" --config "$W/config-$run.json" --once 2>"$W/drain-$run.log"
    rc=$?
    end=$(date +%s.%N)
    done_objects=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool-$run/done/bench/" | wc -l)
    rate=$(python3 -c "print(round($OBJECTS / ($end - $start), 1))")
    sum[$sig]=$(python3 -c "print(${sum[$sig]:-0} + $rate)")
    runs[$sig]=$((${runs[$sig]:-0} + 1))
    results+="  deliveries, sig=$sig (--once, $OBJECTS objects): $rate /s   exit $rc, $done_objects in done/
  deliveries, sig=$sig / raw PUT:  $(ratio "$rate" "$put_rate")
"
    { [ "$rc" -eq 0 ] && [ "$done_objects" -eq "$OBJECTS" ]; } || status=1
done

cat <<EOF
hookspool drain benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, concurrency $CONCURRENCY)
  raw MinIO PUT (1 connection, sequential):  $put_rate /s
$results
EOF
[ -n "${runs[v4]:-}" ] && [ -n "${runs[v2]:-}" ] &&
    echo "  sig=v4 / sig=v2 (means of the runs above):  $(ratio "(${sum[v4]} / ${runs[v4]})" \
        "(${sum[v2]} / ${runs[v2]})")"
exit $status
