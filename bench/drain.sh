#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` on a MinIO store into a
# loopback destination that answers 200 at once, as a ratio against the raw
# MinIO PUT rate measured in the same run. Each delivery costs four store
# requests (GET, HEAD done/, PUT done/, DELETE), so 0.25 of the raw PUT rate
# is the store's sequential bound; concurrency is how the drain goes past it.
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
cat >"$W/config.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool?endpoint=$HS_S3_ENDPOINT&tls=0",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$DEST_PORT/ok" } } ],
  "drain": { "concurrency": $CONCURRENCY } }
JSON
"$BUILD/tests/spool_put" --config "$W/config.json" --source bench --key b --count "$OBJECTS" \
    --body "$W/body" || exit 1

start=$(date +%s.%N)
"$BUILD/hookspool-drain" --config "$W/config.json" --once 2>"$W/drain.log"
status=$?
end=$(date +%s.%N)
done_objects=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool/done/bench/" | wc -l)
rate=$(python3 -c "print(round($OBJECTS / ($end - $start), 1))")

cat <<EOF
hookspool drain benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, concurrency $CONCURRENCY)
  raw MinIO PUT (1 connection, sequential):  $put_rate /s
  deliveries (--once, $OBJECTS objects):        $rate /s   exit $status, $done_objects in done/
  deliveries / raw PUT:  $(ratio "$rate" "$put_rate")
EOF
[ "$status" -eq 0 ] && [ "$done_objects" -eq "$OBJECTS" ]
