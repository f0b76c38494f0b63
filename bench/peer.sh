#!/usr/bin/env bash
# hookspool against a peer under the same load: a fastify + @aws-sdk/client-s3
# receiver (bench/peers/node, versions pinned in its package-lock.json, installed with
# npm ci into the cache on first use) that checks the same GitHub signature with
# timingSafeEqual, builds an envelope of the same shape and answers 202 after its
# PutObject, one Node.js process. Both into the same MinIO, wrk -c c with the 1024
# pre-signed bodies, interleaved: accepted/s, p50/p99, CPU per webhook over each
# one's process tree (lighttpd + handlers; node) and its PSS.
#   BENCH_CONCURRENCY (default "4 16")  BENCH_SECONDS (10)  BENCH_QUICK=1: 4 s
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
CS=${BENCH_CONCURRENCY:-4 16}
SECS=${BENCH_SECONDS:-10}
[ -n "${BENCH_QUICK:-}" ] && SECS=4
PEER=$HOOKSPOOL_CACHE/bench-peer-node
if ! cmp -s bench/peers/node/package-lock.json "$PEER/package-lock.json" 2>/dev/null; then
    mkdir -p "$PEER"
    cp bench/peers/node/package.json bench/peers/node/package-lock.json "$PEER/"
    (cd "$PEER" && npm ci --no-audit --no-fund >/dev/null) || { echo "bench: npm ci failed" >&2; exit 1; }
fi
cp bench/peers/node/server.js "$PEER/"
bench_bodies

# measure NAME C PID PORT OBJECTS_PREFIX: one run against the server at PORT, whose
# process tree is PID's
measure() {
    local name=$1 c=$2 pids t0 t1 pss before after requests non2xx accepted
    wrk -t2 -c"$c" -d1s -s "$W/accept.lua" "http://127.0.0.1:$4/hooks/bench" >/dev/null
    sync
    sleep 1
    pids=$(tree_pids "$3")
    before=$("$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/$5/pending/bench/" | wc -l)
    t0=$(cpu_ticks $pids)
    wrk -t2 -c"$c" -d"${SECS}s" --latency -s "$W/accept.lua" "http://127.0.0.1:$4/hooks/bench" \
        >"$W/$name.wrk"
    t1=$(cpu_ticks $pids)
    pss=$(pss_kib $pids)
    after=$("$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/$5/pending/bench/" | wc -l)
    requests=$(wrk_requests "$W/$name.wrk")
    non2xx=$(wrk_non2xx "$W/$name.wrk")
    accepted=$((requests - non2xx))
    if [ "$((after - before))" -lt "$accepted" ]; then
        echo "bench: $name: $accepted answers 202, $((after - before)) objects" >&2
        STATUS=1
    fi
    echo "| $c | ${name%%-*} | $(python3 -c "print(round($accepted / $SECS, 1))") |" \
        "$(wrk_ms "$W/$name.wrk" 50) / $(wrk_ms "$W/$name.wrk" 99) |" \
        "$(python3 -c "print(round(($t1 - $t0) * 1000 / $CLK_TCK / max($accepted, 1), 3))") |" \
        "$(python3 -c "print(round($pss / 1024, 1))") |"
}

STATUS=0
echo "hookspool and a fastify + @aws-sdk/client-s3 peer into MinIO, $SECS s runs" \
    "(load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| c | receiver | accepted/s | p50 / p99 ms | CPU ms per webhook | PSS MiB |"
echo "|---|---|---|---|---|---|"
for c in $CS; do
    start_lighttpd "hookspool-$c" "s3://$HS_S3_BUCKET/hs-$c?endpoint=$HS_S3_ENDPOINT&tls=0" "$c" ||
        exit 1
    measure "hookspool-$c" "$c" "$LPID" "$PORT" "hs-$c"
    kill "$LPID"
    wait "$LPID" 2>/dev/null
    NPORT=$(free_port)
    PORT=$NPORT S3_ENDPOINT=$HS_S3_ENDPOINT S3_BUCKET=$HS_S3_BUCKET S3_PREFIX=node-$c \
        node "$PEER/server.js" 2>"$W/node-$c.log" &
    NPID=$!
    BENCH_PIDS+=("$NPID")
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$NPORT/hooks/_health" >/dev/null && break
        sleep 0.1
    done
    measure "fastify-$c" "$c" "$NPID" "$NPORT" "node-$c"
    kill "$NPID"
    wait "$NPID" 2>/dev/null
done
exit $STATUS
