#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` on a MinIO store into a
# loopback destination that answers 200 at once, as a ratio against the raw
# MinIO PUT rate measured in the same run: per store signature (V4, V2), and
# with one destination per webhook and with three (a source fanned out to
# three destinations). Each webhook costs four store requests (GET, HEAD
# done/, PUT done/, DELETE) whatever its destinations, so 0.25 of the raw PUT
# rate is the store's sequential bound for one destination; concurrency is
# how the drain goes past it, and fan-out adds deliveries without adding
# store requests.
#   BENCH_OBJECTS (default 2000)   webhooks seeded into pending/
#   BENCH_PUTS (default 2000)      PUTs for the raw rate
#   BENCH_CONCURRENCY (default 16) the drain's deliveries in flight
#   SIGS (default "v4 v2 v2 v4")   store signatures to measure with one destination, one
#                                  run each after the other on the same MinIO, each on
#                                  its own prefix (ABBA order, ratio of the means)
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

# run_drain RUN SIG N: seeds OBJECTS webhooks for a source with N destinations (under a
# prefix of the run's own), runs one pass with signature SIG, and sets RATE
# (webhooks/s), DELIVERIES (deliveries/s), STATUS and DONE (objects in done/).
run_drain() {
    local run=$1 sig=$2 n=$3 dests="" start end
    for i in $(seq 1 "$n"); do
        dests="$dests${dests:+, }{ \"name\": \"d$i\", \"url\": \"http://127.0.0.1:$DEST_PORT/ok\" }"
    done
    cat >"$W/config-$run.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool-$run?endpoint=$HS_S3_ENDPOINT&tls=0&sig=$sig",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destinations": [ $dests ] } ],
  "drain": { "concurrency": $CONCURRENCY } }
JSON
    "$BUILD/tests/spool_put" --config "$W/config-$run.json" --source bench --key b \
        --count "$OBJECTS" --body "$W/body" || return 1
    start=$(date +%s.%N)
    "$BUILD/hookspool-drain" --config "$W/config-$run.json" --once 2>"$W/drain-$run.log"
    STATUS=$?
    end=$(date +%s.%N)
    DONE=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool-$run/done/bench/" | wc -l)
    RATE=$(python3 -c "print(round($OBJECTS / ($end - $start), 1))")
    DELIVERIES=$(python3 -c "print(round($n * $OBJECTS / ($end - $start), 1))")
}

status=0
results=""
declare -A sum runs # per signature: the sum of the rates, and the number of runs
run=0
for sig in $SIGS; do
    run=$((run + 1))
    run_drain "$run" "$sig" 1 || exit 1
    sum[$sig]=$(python3 -c "print(${sum[$sig]:-0} + $RATE)")
    runs[$sig]=$((${runs[$sig]:-0} + 1))
    results+="  one destination, sig=$sig: $RATE deliveries/s   exit $STATUS, $DONE in done/
    deliveries / raw PUT:  $(ratio "$RATE" "$put_rate")
"
    { [ "$STATUS" -eq 0 ] && [ "$DONE" -eq "$OBJECTS" ]; } || status=1
done
run=$((run + 1))
run_drain "$run" v4 3 || exit 1
results+="  three destinations, sig=v4: $DELIVERIES deliveries/s ($RATE webhooks/s)   exit $STATUS, $DONE in done/
    deliveries / raw PUT:  $(ratio "$DELIVERIES" "$put_rate")
"
{ [ "$STATUS" -eq 0 ] && [ "$DONE" -eq "$OBJECTS" ]; } || status=1

cat <<EOF
hookspool drain benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, concurrency $CONCURRENCY, $OBJECTS webhooks a run)
  raw MinIO PUT (1 connection, sequential):  $put_rate /s
$results
EOF
[ -n "${runs[v4]:-}" ] && [ -n "${runs[v2]:-}" ] &&
    echo "  sig=v4 / sig=v2 (means of the one-destination runs):  $(ratio "(${sum[v4]} / ${runs[v4]})" \
        "(${sum[v2]} / ${runs[v2]})")"
exit $status
