#!/usr/bin/env bash
# Instructions the handler spends per webhook, start-up excluded: one handler
# process (fs store) under callgrind, sent PROFILE_N signed 1 KiB GitHub webhooks
# (bench/fcgi_webhooks.py, one FastCGI connection each, as lighttpd connects).
# Two figures:
#   in intake_handle   instructions collected only inside intake_handle
#                      (--toggle-collect), divided by N
#   whole process      (total for N+1 webhooks - total for 1) / N: the FastCGI
#                      accept, parse and answer included, start-up cancelled out
# Prints both; the callgrind file of the N run is kept in $PROFILE_OUT (default
# /tmp/hookspool-profile) for callgrind_annotate.
#   PROFILE_N (default 200)
#   PROFILE_STORE=s3: into the MinIO that tests/minio.sh started and described in
#   the environment (HS_S3_ENDPOINT, HS_S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY, HS_MC)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=$(cd "${BUILD:-build}" && pwd)
N=${PROFILE_N:-200}
OUT=${PROFILE_OUT:-/tmp/hookspool-profile}
rm -rf "$OUT" && mkdir -p "$OUT"
export BENCH_SECRET=bench-secret

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_callgrind TAG COUNT [callgrind options]: total Ir of a handler that served COUNT webhooks.
run_callgrind() {
    local tag=$1 count=$2 port pid
    shift 2
    local store="\"url\": \"file://$OUT/spool-$tag\""
    local prefix
    prefix=profile-$$-$tag
    mkdir -p "$OUT/spool-$tag"
    [ "${PROFILE_STORE:-fs}" = s3 ] &&
        store="\"url\": \"s3://$HS_S3_BUCKET/$prefix?endpoint=$HS_S3_ENDPOINT&tls=0\",
             \"access_key\": \"env:S3_ACCESS_KEY\", \"secret_key\": \"env:S3_SECRET_KEY\""
    cat >"$OUT/config-$tag.json" <<JSON
{ "store": { $store },
  "sources": [ { "name": "github", "path": "/hooks/github",
                 "verify": { "scheme": "github", "secrets": ["env:BENCH_SECRET"] },
                 "idempotency": { "header": "X-GitHub-Delivery" } } ] }
JSON
    port=$(free_port)
    HOOKSPOOL_CONFIG=$OUT/config-$tag.json valgrind --tool=callgrind \
        --callgrind-out-file="$OUT/callgrind.$tag" "$@" \
        "$BUILD/hookspool-handler" --listen "127.0.0.1:$port" 2>"$OUT/handler-$tag.log" &
    pid=$!
    for _ in $(seq 1 200); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
            2>/dev/null && break
        sleep 0.1
    done
    python3 bench/fcgi_webhooks.py "127.0.0.1:$port" "$count" "$BENCH_SECRET" || {
        kill "$pid"
        return 1
    }
    kill -TERM "$pid"
    wait "$pid"
    if [ "${PROFILE_STORE:-fs}" = s3 ]; then
        stored=$("$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/$prefix/pending/" | wc -l)
    else
        stored=$(find "$OUT/spool-$tag/pending" -type f | wc -l)
    fi
    [ "$stored" -eq "$count" ] || {
        echo "profile: not every webhook was stored" >&2
        return 1
    }
    awk '/^summary:/ {print $2}' "$OUT/callgrind.$tag"
}

one=$(run_callgrind one 1) || exit 1
many=$(run_callgrind many $((N + 1))) || exit 1
inside=$(run_callgrind inside "$N" --toggle-collect=intake_handle) || exit 1
echo "instructions per webhook, whole process: $(((many - one) / N))"
echo "instructions per webhook, in intake_handle: $((inside / N))"
echo "profile: callgrind_annotate $OUT/callgrind.inside"
