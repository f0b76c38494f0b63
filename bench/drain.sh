#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` (MinIO store, signature V4) into
# a loopback destination that answers 200 at once, as a ratio against its limit
# measured in the same run at the same concurrency: the four store requests of a
# delivery (GET, HEAD done/, PUT done/, DELETE) at c = the drain's concurrency, made
# by bench/s3load (minio-go) over the same number of objects. Also the drain's peak
# RSS (/usr/bin/time), which must stay flat as the backlog grows.
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
echo "hookspool drain, concurrency $C ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| backlog | four-request limit /s | deliveries /s | ratio | drain peak RSS MiB |"
echo "|---|---|---|---|---|"
for n in $BACKLOGS; do
    out=$("$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode delivery -c "$C" \
        -objects "$n" -size 1700 -prefix "limit-$n") || exit 1
    limit=$(json_field "$out" rate)
    cat >"$W/config-$n.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool-$n?endpoint=$HS_S3_ENDPOINT&tls=0",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$DEST_PORT/ok" } } ],
  "drain": { "concurrency": $C } }
JSON
    "$BUILD/tests/spool_put" --config "$W/config-$n.json" --source bench --key b \
        --count "$n" --body "$W/body" || exit 1
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$W/rss-$n" "$BUILD/hookspool-drain" --config "$W/config-$n.json" \
        --once 2>"$W/drain-$n.log"
    rc=$?
    end=$(date +%s.%N)
    delivered=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool-$n/done/bench/" | wc -l)
    rate=$(python3 -c "print(round($n / ($end - $start), 1))")
    echo "| $n | $(python3 -c "print(round($limit, 1))") | $rate | **$(ratio "$rate" "$limit")** |" \
        "$(python3 -c "print(round($(cat "$W/rss-$n") / 1024, 1))") |"
    if [ "$rc" -ne 0 ] || [ "$delivered" -ne "$n" ]; then
        echo "bench: drain exit $rc, $delivered of $n in done/" >&2
        status=1
    fi
done
exit $status
