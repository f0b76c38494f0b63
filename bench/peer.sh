#!/usr/bin/env bash
# hookspool against a peer under the same load: a fastify + @aws-sdk/client-s3
# receiver (bench/peers/node, versions pinned in its package-lock.json, installed with
# npm ci into the cache on first use) that checks the same GitHub signature with
# timingSafeEqual, builds an envelope of the same shape and answers 202 after its
# PutObject, one Node.js process. Both into the same MinIO, wrk -c c with the 1024
# pre-signed bodies: accepted/s, p50/p99, CPU per webhook over each one's process tree
# (lighttpd + handlers; node) and its PSS, each server started afresh for its run.
# Runs are interleaved and repeated, in ABBA order: at each c, hookspool then fastify
# in odd repetitions, fastify then hookspool in even ones, so that what a run leaves
# behind (MinIO's dirty pages, its caches) falls on each receiver alike. Prints one
# table of medians with min-max over the repetitions, and per c the ratios
# hookspool / fastify of the medians (the goal for CPU per webhook: at most 0.2), with
# the machine's load before and after.
#   BENCH_CONCURRENCY (default "4 16")  BENCH_SECONDS (10)  BENCH_REPEAT (3)
#   BENCH_QUICK=1: 4 s runs, one repetition
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
CS=${BENCH_CONCURRENCY:-4 16}
SECS=${BENCH_SECONDS:-10}
REPEAT=${BENCH_REPEAT:-3}
if [ -n "${BENCH_QUICK:-}" ]; then
    SECS=4
    REPEAT=1
fi
PEER=$HOOKSPOOL_CACHE/bench-peer-node
if ! cmp -s bench/peers/node/package-lock.json "$PEER/package-lock.json" 2>/dev/null; then
    mkdir -p "$PEER"
    cp bench/peers/node/package.json bench/peers/node/package-lock.json "$PEER/"
    (cd "$PEER" && npm ci --no-audit --no-fund >/dev/null) || { echo "bench: npm ci failed" >&2; exit 1; }
fi
cp bench/peers/node/server.js "$PEER/"
bench_bodies

# measure NAME C PID PORT OBJECTS_PREFIX: one run against the server at PORT, whose
# process tree is PID's; appends a line to $W/results
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
    echo "$name c=$c accepted_per_s=$(python3 -c "print(round($accepted / $SECS, 1))")" \
        "p50_ms=$(wrk_ms "$W/$name.wrk" 50) p99_ms=$(wrk_ms "$W/$name.wrk" 99)" \
        "cpu_ms_per_webhook=$(python3 -c "print(round(($t1 - $t0) * 1000 / $CLK_TCK / max($accepted, 1), 3))")" \
        "pss_mib=$(python3 -c "print(round($pss / 1024, 1))")" >>"$W/results"
}

run_hookspool() { # C REP
    local name=hookspool-$1-$2
    start_lighttpd "$name" "s3://$HS_S3_BUCKET/$name?endpoint=$HS_S3_ENDPOINT&tls=0" "$1" ||
        return 1
    measure "$name" "$1" "$LPID" "$PORT" "$name"
    kill "$LPID"
    wait "$LPID" 2>/dev/null
    return 0 # not the status of the process just stopped
}

run_fastify() { # C REP
    local name=fastify-$1-$2 port pid
    port=$(free_port)
    PORT=$port S3_ENDPOINT=$HS_S3_ENDPOINT S3_BUCKET=$HS_S3_BUCKET S3_PREFIX=$name \
        node "$PEER/server.js" 2>"$W/$name.log" &
    pid=$!
    BENCH_PIDS+=("$pid")
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/hooks/_health" >/dev/null && break
        sleep 0.1
    done
    if ! curl -fs "http://127.0.0.1:$port/hooks/_health" >/dev/null; then
        echo "bench: the fastify peer did not start" >&2
        cat "$W/$name.log" >&2
        return 1
    fi
    measure "$name" "$1" "$pid" "$port" "$name"
    kill "$pid"
    wait "$pid" 2>/dev/null
    return 0 # not the status of the process just stopped (143 for node)
}

STATUS=0
: >"$W/results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_interleaved "run_hookspool run_fastify" "run_fastify run_hookspool" || exit 1
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

PYTHONPATH=bench python3 - "$W/results" "$CS" "$REPEAT" "$SECS" <<'PY'
import sys
import figures
from figures import show
rows = figures.read_rows(sys.argv[1])
def fig(kind, c, field):
    return figures.fig(rows, kind, c, field)
def ratio(c, field):
    return fig("hookspool", c, field)[0] / fig("fastify", c, field)[0]
print("hookspool and a fastify + @aws-sdk/client-s3 peer into MinIO, %s s runs, %s repetition(s)"
      " in ABBA order, medians (min-max)" % (sys.argv[4], sys.argv[3]))
print("| c | receiver | accepted/s | p50 / p99 ms | CPU ms per webhook | PSS MiB |")
print("|---|---|---|---|---|---|")
for c in sys.argv[2].split():
    for kind in ("hookspool", "fastify"):
        print("| %s | %s | %s | %s / %s | %s | %s |" %
              (c, kind, show(fig(kind, c, "accepted_per_s")), show(fig(kind, c, "p50_ms")),
               show(fig(kind, c, "p99_ms")), show(fig(kind, c, "cpu_ms_per_webhook")),
               show(fig(kind, c, "pss_mib"))))
    print("| %s | **hookspool / fastify** | **%.2f** | %.2f / %.2f | **%.2f** (goal: at most 0.2) | %.2f |" %
          (c, ratio(c, "accepted_per_s"), ratio(c, "p50_ms"), ratio(c, "p99_ms"),
           ratio(c, "cpu_ms_per_webhook"), ratio(c, "pss_mib")))
PY
echo "load before: $load_before"
echo "load after: $load_after"
exit $STATUS
