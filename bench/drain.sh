#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` on a MinIO store into a
# loopback destination that answers 200 at once, as a ratio against the raw
# MinIO PUT rate measured in the same run: once with one destination per
# webhook, once with three (a source fanned out to three destinations). Each
# webhook costs four store requests (GET, HEAD done/, PUT done/, DELETE)
# whatever its destinations, so 0.25 of the raw PUT rate is the store's
# sequential bound for one destination; concurrency is how the drain goes
# past it, and fan-out adds deliveries without adding store requests.
#   BENCH_OBJECTS (default 2000)   webhooks seeded into pending/
#   BENCH_PUTS (default 2000)      PUTs for the raw rate
#   BENCH_CONCURRENCY (default 16) the drain's deliveries in flight
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
OBJECTS=${BENCH_OBJECTS:-2000}
PUTS=${BENCH_PUTS:-2000}
CONCURRENCY=${BENCH_CONCURRENCY:-16}

write_body "$W/body"
put_rate=$(raw_put_rate "$PUTS" "$W/body") || exit 1

DEST_PORT=$(free_port)
python3 tests/dest.py serve --port "$DEST_PORT" &
BENCH_PIDS+=($!)

# run_drain N: seeds OBJECTS webhooks for a source with N destinations (under a prefix
# of its own), runs one pass, and sets RATE (webhooks/s), DELIVERIES (deliveries/s),
# STATUS and DONE (objects in done/).
run_drain() {
    local n=$1 dests="" start end
    for i in $(seq 1 "$n"); do
        dests="$dests${dests:+, }{ \"name\": \"d$i\", \"url\": \"http://127.0.0.1:$DEST_PORT/ok\" }"
    done
    cat >"$W/config$n.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool$n?endpoint=$HS_S3_ENDPOINT&tls=0",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destinations": [ $dests ] } ],
  "drain": { "concurrency": $CONCURRENCY } }
JSON
    "$BUILD/tests/spool_put" --config "$W/config$n.json" --source bench --key b \
        --count "$OBJECTS" --body "$W/body" || return 1
    start=$(date +%s.%N)
    "$BUILD/hookspool-drain" --config "$W/config$n.json" --once 2>"$W/drain$n.log"
    STATUS=$?
    end=$(date +%s.%N)
    DONE=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool$n/done/bench/" | wc -l)
    RATE=$(python3 -c "print(round($OBJECTS / ($end - $start), 1))")
    DELIVERIES=$(python3 -c "print(round($n * $OBJECTS / ($end - $start), 1))")
}

run_drain 1 || exit 1
status1=$STATUS done1=$DONE rate1=$RATE
run_drain 3 || exit 1
status3=$STATUS done3=$DONE rate3=$RATE deliveries3=$DELIVERIES

cat <<EOF
hookspool drain benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, concurrency $CONCURRENCY)
  raw MinIO PUT (1 connection, sequential):  $put_rate /s
  one destination per webhook ($OBJECTS webhooks):
    deliveries:  $rate1 /s   exit $status1, $done1 in done/
    deliveries / raw PUT:  $(ratio "$rate1" "$put_rate")
  three destinations per webhook ($OBJECTS webhooks):
    deliveries:  $deliveries3 /s   ($rate3 webhooks/s)   exit $status3, $done3 in done/
    deliveries / raw PUT:  $(ratio "$deliveries3" "$put_rate")
EOF
[ "$status1" -eq 0 ] && [ "$done1" -eq "$OBJECTS" ] && [ "$status3" -eq 0 ] &&
    [ "$done3" -eq "$OBJECTS" ]
