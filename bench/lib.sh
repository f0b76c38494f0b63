# Shared by bench/*.sh: a MinIO of their own on 127.0.0.1, a work dir, and the
# raw PUT rate every benchmark is a ratio against. Sourced after `cd` to the
# top of the tree; BUILD names the build directory (default build).
set -uo pipefail
TOP=$PWD
BUILD=$(cd "${BUILD:-build}" && pwd)
W=$(mktemp -d /tmp/hookspool-bench.XXXXXX)
BENCH_PIDS=()

bench_cleanup() {
    for p in "${BENCH_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    tests/minio.sh stop "$W/minio"
    rm -rf "$W"
}
trap bench_cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

tests/minio.sh start "$W/minio" || exit 1
. "$W/minio/env"

# put_batch N FILE PREFIX: N sequential signed PUTs of FILE over one keep-alive
# connection with curl (not hookspool's code).
put_batch() {
    for i in $(seq 1 "$1"); do
        printf 'url = "http://%s/%s/%s/%d"\nupload-file = "%s"\n' "$HS_S3_ENDPOINT" \
            "$HS_S3_BUCKET" "$3" "$i" "$2"
    done >"$W/curl.cfg"
    curl -s -o /dev/null --fail --aws-sigv4 "aws:amz:us-east-1:s3" \
        --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        -K "$W/curl.cfg" || { echo "raw PUTs failed" >&2; return 1; }
}

# raw_put_rate N FILE: the PUT rate of put_batch after a warm-up batch (a
# fresh MinIO is slower for its first requests); prints PUTs per second and
# checks with mc that all N landed.
raw_put_rate() {
    local n=$1 body=$2 start end stored
    put_batch 200 "$body" warmup || return 1
    start=$(date +%s.%N)
    put_batch "$n" "$body" raw || return 1
    end=$(date +%s.%N)
    stored=$("$HS_MC" --quiet ls "t/$HS_S3_BUCKET/raw/" | wc -l)
    [ "$stored" -ge "$n" ] || { echo "raw PUTs: $stored of $n stored" >&2; return 1; }
    python3 -c "print(round($n / ($end - $start), 1))"
}

# write_body FILE: a webhook body of a typical size (about 1 KiB).
write_body() {
    python3 -c 'import json; print(json.dumps({"action": "opened", "number": 1, "pad": "x" * 900}))' \
        | tr -d '\n' >"$1"
}

ratio() { python3 -c "print(round($1 / $2, 2))"; }
