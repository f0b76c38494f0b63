#!/usr/bin/env bash
# Latency against a store across a network: toxiproxy (v2.5.0, built into the cache)
# between the S3 client and MinIO adds BENCH_LATENCY_MS (default 5) to everything
# MinIO sends. One request at a time, p50 of each:
#   raw PUT      bench/s3load PutObject through the proxy (minio-go sends no Expect)
#   hookspool    wrk -c1 through lighttpd (one handler) into MinIO through the same
#                proxy, signature V4 and V2: a put that waited for "100 Continue"
#                would pay the added latency twice
# The goal: hookspool's p50 at most the raw PUT's p50 + 1 ms.
#   BENCH_SECONDS (default 10), BENCH_QUICK=1: 4 s
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
SECS=${BENCH_SECONDS:-10}
[ -n "${BENCH_QUICK:-}" ] && SECS=4
LAT=${BENCH_LATENCY_MS:-5}
TOXI=$HOOKSPOOL_CACHE/bin/toxiproxy-v2.5.0/server
if [ ! -x "$TOXI" ]; then
    GOBIN=$(dirname "$TOXI") go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0 ||
        { echo "bench: toxiproxy does not build" >&2; exit 1; }
fi
API=$(free_port)
PROXY=127.0.0.1:$(free_port)
"$TOXI" -host 127.0.0.1 -port "$API" >"$W/toxiproxy.log" 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$API/version" >/dev/null && break
    sleep 0.1
done
curl -fs -X POST "http://127.0.0.1:$API/proxies" \
    -d "{\"name\":\"minio\",\"listen\":\"$PROXY\",\"upstream\":\"$HS_S3_ENDPOINT\"}" >/dev/null &&
    curl -fs -X POST "http://127.0.0.1:$API/proxies/minio/toxics" \
        -d "{\"type\":\"latency\",\"stream\":\"downstream\",\"attributes\":{\"latency\":$LAT}}" \
        >/dev/null || { echo "bench: toxiproxy setup failed" >&2; exit 1; }
bench_bodies

"$S3LOAD" -endpoint "$PROXY" -bucket "$HS_S3_BUCKET" -mode put -c 1 -seconds 1 \
    -size "$ENVELOPE_SIZE" -prefix warm >/dev/null || exit 1
out=$("$S3LOAD" -endpoint "$PROXY" -bucket "$HS_S3_BUCKET" -mode put -c 1 -seconds "$SECS" \
    -size "$ENVELOPE_SIZE" -prefix raw) || exit 1
raw=$(json_field "$out" p50_ms)
echo "latency through toxiproxy (+$LAT ms from MinIO), one request at a time, $SECS s each"
echo "| path | p50 ms | p99 ms | p50 - raw PUT p50 |"
echo "|---|---|---|---|"
echo "| raw PUT (minio-go) | $raw | $(json_field "$out" p99_ms) | |"
status=0
for sig in v4 v2; do
    start_lighttpd "lat-$sig" \
        "s3://$HS_S3_BUCKET/lat-$sig?endpoint=$PROXY&tls=0&sig=$sig" 1 || exit 1
    wrk -t1 -c1 -d1s -s "$W/accept.lua" "http://127.0.0.1:$PORT/hooks/bench" >/dev/null
    wrk -t1 -c1 -d"${SECS}s" --latency -s "$W/accept.lua" "http://127.0.0.1:$PORT/hooks/bench" \
        >"$W/lat-$sig/wrk.txt"
    p50=$(wrk_ms "$W/lat-$sig/wrk.txt" 50)
    [ "$(wrk_non2xx "$W/lat-$sig/wrk.txt")" -eq 0 ] || status=1
    echo "| hookspool, sig=$sig | $p50 | $(wrk_ms "$W/lat-$sig/wrk.txt" 99) |" \
        "$(python3 -c "print(round($p50 - $raw, 2))") |"
    kill "$LPID"
    wait "$LPID" 2>/dev/null
done
exit $status
