# Shared by bench/*.sh: a MinIO of their own on 127.0.0.1, a work dir, the load
# tools, and the helpers that read figures off /proc and wrk. Sourced after `cd`
# to the top of the tree; BUILD names the build directory (default build).
#   BENCH_QUICK=1   shorter runs, one repetition (about two minutes in all)
set -uo pipefail
TOP=$PWD
BUILD=$(cd "${BUILD:-build}" && pwd)
HOOKSPOOL_CACHE=${HOOKSPOOL_CACHE:-$HOME/.cache/hookspool}
W=$(mktemp -d /tmp/hookspool-bench.XXXXXX)
BENCH_PIDS=()
CLK_TCK=$(getconf CLK_TCK)

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

# The limits' programs: s3load (Go, minio-go pinned in bench/s3load/go.mod) built
# into the cache, fsync_limit (C) into the build directory; rebuilt when older
# than their source.
S3LOAD=$HOOKSPOOL_CACHE/bin/hookspool-s3load
FSYNC_LIMIT=$BUILD/bench/fsync_limit
bench_tools() {
    mkdir -p "$HOOKSPOOL_CACHE/bin" "$BUILD/bench"
    if [ ! -x "$S3LOAD" ] || [ bench/s3load/main.go -nt "$S3LOAD" ]; then
        (cd bench/s3load && go build -o "$S3LOAD" .) || { echo "bench: s3load does not build" >&2; return 1; }
    fi
    if [ ! -x "$FSYNC_LIMIT" ] || [ bench/fsync_limit.c -nt "$FSYNC_LIMIT" ]; then
        ${CC:-cc} -O2 -Wall -Wextra -pthread -o "$FSYNC_LIMIT" bench/fsync_limit.c ||
            { echo "bench: fsync_limit does not build" >&2; return 1; }
    fi
}

# json_field JSON NAME
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# tree_pids PID: PID and its children (lighttpd and the handlers it spawned)
tree_pids() { echo "$1" $(pgrep -P "$1"); }

# cpu_ticks PID...: user + system clock ticks of the processes
cpu_ticks() {
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    done
    echo "$t"
}

# pss_kib PID...: the processes' proportional set size, summed
pss_kib() {
    local k=0 p
    for p in "$@"; do
        [ -r "/proc/$p/smaps_rollup" ] || continue
        k=$((k + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
    done
    echo "$k"
}

# wrk_ms FILE PERCENT: a latency percentile of `wrk --latency` in ms
wrk_ms() {
    awk -v p="$2%" '$1 == p {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = (u == "us") ? 0.001 : (u == "s") ? 1000 : 1; printf "%.2f\n", v * f}' "$1"
}
# wrk_requests FILE / wrk_non2xx FILE / wrk_errors FILE
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }
wrk_non2xx() { awk '/Non-2xx/ {print $NF}' "$1" | grep . || echo 0; }
wrk_errors() { awk '/Socket errors/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$1" | grep . || echo 0; }

ratio() { python3 -c "print(round($1 / $2, 2))"; }

tests/minio.sh start "$W/minio" || exit 1
. "$W/minio/env"
bench_tools || exit 1
