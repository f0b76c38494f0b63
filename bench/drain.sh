#!/usr/bin/env bash
# Delivery throughput of one `hookspool-drain --once` (MinIO store) into nginx answering
# `return 200;` on 127.0.0.1 (one worker, no access log: a destination that costs next
# to nothing and cannot be what bounds the pass), as a ratio against its limit measured
# in the same run at the same concurrency: the four store requests of a delivery (GET,
# HEAD done/, PUT done/, DELETE) at c = the drain's concurrency, made by bench/s3load
# (minio-go) over the same number of objects. Also the drain's peak RSS
# (/usr/bin/time), which must stay flat as the backlog grows: the script fails when it
# grows more than RSS_GROWTH_MAX_KIB from the smallest backlog to the largest. At the
# first backlog, two more runs: the same source fanned out to three destinations (a
# webhook's store requests do not grow with its destinations, so its rate holds the
# same limit while deliveries triple), and the store signed with V2 (libs3) instead of
# V4. Each backlog is seeded by BENCH_SEEDERS tests/spool_put processes at once, each
# over keys of its own (one process puts about 450 objects/s here, about as fast as
# the drain delivers them: 100000 would take almost 4 minutes).
#   BENCH_DRAIN_OBJECTS (default "10000 100000")  backlogs, one run each
#   BENCH_CONCURRENCY_DRAIN (default 16)  BENCH_SEEDERS (default 8)
#   BENCH_QUICK=1: backlogs of 1000 and 5000
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BACKLOGS=${BENCH_DRAIN_OBJECTS:-10000 100000}
[ -n "${BENCH_QUICK:-}" ] && BACKLOGS=${BENCH_DRAIN_OBJECTS:-1000 5000}
C=${BENCH_CONCURRENCY_DRAIN:-16}
SEEDERS=${BENCH_SEEDERS:-8}
RSS_GROWTH_MAX_KIB=2048
python3 -c 'import json; print(json.dumps({"action": "opened", "pad": "x" * 900}))' | tr -d '\n' \
    >"$W/body"

# start_destination: nginx under $W/nginx, answering 200 to everything; sets DEST_PORT.
# One worker is plenty for a `return` and leaves the two cores to the drain and MinIO;
# keepalive_requests is raised so that nginx never closes the drain's kept connections
# (its default is 1000 requests per connection).
start_destination() {
    local dir=$W/nginx
    DEST_PORT=$(free_port)
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$DEST_PORT;
        location / { return 200; }
    }
}
CONF
    nginx -e "$dir/error.log" -p "$dir/" -c "$dir/nginx.conf" &
    BENCH_PIDS+=($!)
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null -d '{}' "http://127.0.0.1:$DEST_PORT/ok" && return 0
        sleep 0.1
    done
    echo "bench: nginx did not start" >&2
    cat "$dir/error.log" >&2
    return 1
}

# seed CONFIG N: N pending/ webhooks, put by SEEDERS spool_put processes at once over
# disjoint keys (bJ-0 ... for process J); sets SEED_S to the seconds it took.
seed() {
    local config=$1 n=$2 j share start pids=() rc=0
    start=$(date +%s.%N)
    for j in $(seq 0 $((SEEDERS - 1))); do
        share=$((n / SEEDERS + (j < n % SEEDERS ? 1 : 0)))
        # --count 0 would put one object under the bare key: no process for an empty share.
        [ "$share" -gt 0 ] || continue
        "$BUILD/tests/spool_put" --config "$config" --source bench --key "b$j" --count "$share" \
            --body "$W/body" &
        pids+=($!)
    done
    for j in "${pids[@]}"; do
        wait "$j" || rc=1
    done
    SEED_S=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
    [ "$rc" -eq 0 ] || echo "bench: seeding $n objects failed" >&2
    return $rc
}

# run_drain BACKLOG DESTINATIONS SIG LIMIT: seeds BACKLOG webhooks under a prefix of the
# run's own, runs one pass and prints its table row; sets RSS_KIB to the drain's peak RSS.
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
    seed "$W/config-$run.json" "$n" || return 1
    SEEDING+=("seeding $run: $n objects by $SEEDERS spool_put processes in $SEED_S s")
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$W/rss-$run" "$BUILD/hookspool-drain" --config "$W/config-$run.json" \
        --once 2>"$W/drain-$run.log"
    rc=$?
    end=$(date +%s.%N)
    delivered=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/spool-$run/done/bench/" | wc -l)
    rate=$(python3 -c "print(round($n / ($end - $start), 1))")
    RSS_KIB=$(cat "$W/rss-$run")
    echo "| $n | $ndest | $sig | $(python3 -c "print(round($limit, 1))") | $rate |" \
        "$(python3 -c "print(round($ndest * $rate, 1))") | **$(ratio "$rate" "$limit")** |" \
        "$(python3 -c "print(round($RSS_KIB / 1024, 1))") |"
    if [ "$rc" -ne 0 ] || [ "$delivered" -ne "$n" ]; then
        echo "bench: drain exit $rc, $delivered of $n in done/ ($run)" >&2
        return 1
    fi
}

start_destination || exit 1
status=0
SEEDING=()
declare -A RSS # backlog -> peak RSS KiB of its one-destination V4 run
echo "hookspool drain, concurrency $C, into nginx (return 200)" \
    "($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "| backlog | destinations | sig | four-request limit /s | webhooks /s | deliveries /s | webhooks / limit | drain peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
first=1
for n in $BACKLOGS; do
    out=$("$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode delivery -c "$C" \
        -objects "$n" -size 1700 -prefix "limit-$n") || exit 1
    limit=$(json_field "$out" rate)
    if run_drain "$n" 1 v4 "$limit"; then
        RSS[$n]=$RSS_KIB
    else
        status=1
    fi
    if [ "$first" -eq 1 ]; then
        run_drain "$n" 3 v4 "$limit" || status=1
        run_drain "$n" 1 v2 "$limit" || status=1
        first=0
    fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${SEEDING[@]}"

# RSS flat: the one-destination V4 runs of the smallest and the largest backlog.
smallest=$(printf '%s\n' "${!RSS[@]}" | sort -n | head -n 1)
largest=$(printf '%s\n' "${!RSS[@]}" | sort -n | tail -n 1)
if [ -z "$smallest" ] || [ "$smallest" = "$largest" ]; then
    echo "drain peak RSS: one backlog measured, nothing to compare"
else
    growth=$((RSS[$largest] - RSS[$smallest]))
    echo "drain peak RSS: $(python3 -c "print(round(${RSS[$smallest]} / 1024, 1))") MiB at" \
        "$smallest, $(python3 -c "print(round(${RSS[$largest]} / 1024, 1))") MiB at $largest:" \
        "$(python3 -c "print('%+.1f' % ($growth / 1024))") MiB" \
        "(at most +$((RSS_GROWTH_MAX_KIB / 1024)) MiB)"
    if [ "$growth" -gt "$RSS_GROWTH_MAX_KIB" ]; then
        echo "bench: the drain's peak RSS grew by $growth KiB from $smallest to $largest" \
            "objects (more than $RSS_GROWTH_MAX_KIB KiB): not flat" >&2
        status=1
    fi
fi
exit $status
