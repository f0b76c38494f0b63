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

# machine_idle: the idle and total clock ticks of all cores so far (/proc/stat), "IDLE
# TOTAL"; idle_pct BEFORE AFTER: the share of the time between two of them that the
# machine was idle, in percent
machine_idle() { awk '$1 == "cpu" {t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t}' /proc/stat; }
idle_pct() {
    python3 -c 'import sys; i0, t0, i1, t1 = map(int, sys.argv[1:]); print(round(100 * (i1 - i0) / max(t1 - t0, 1), 1))' $1 $2
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

export BENCH_SECRET=bench-secret
ENVELOPE_SIZE=1700 # what the handler stores for one of the bench bodies

# bench_bodies: 1024 bodies and their signatures, one "HEX<TAB>BODY" line each, in
# $W/bodies.tsv, and $W/accept.lua, which wrk uses to send them (a fresh delivery id
# each, no signing in Lua).
bench_bodies() {
python3 - "$W/bodies.tsv" <<'PY'
import hashlib, hmac, json, sys
with open(sys.argv[1], "w") as out:
    for i in range(1024):
        body = json.dumps({"action": "opened", "number": i,
                           "pull_request": {"id": 1000 + i, "title": "Fix \"%d\"" % i,
                                            "body": "line\nnext", "user": {"login": "octocat"}},
                           "repository": {"full_name": "octo-org/hello-world"},
                           "pad": "x" * 760})
        sig = hmac.new(b"bench-secret", body.encode(), hashlib.sha256).hexdigest()
        out.write(sig + "\t" + body + "\n")
PY
cat >"$W/accept.lua" <<LUA
local reqs = {}
local n = 0
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
function init(args)
    for line in io.lines("$W/bodies.tsv") do
        local sig, body = line:match("^(%x+)\t(.*)$")
        reqs[#reqs + 1] = {sig, body}
    end
    prefix = tostring(os.time()) .. "-" .. tostring(tid)
end
function request()
    n = n + 1
    local r = reqs[n % #reqs + 1]
    return wrk.format("POST", "/hooks/bench", {
        ["Content-Type"] = "application/json",
        ["User-Agent"] = "GitHub-Hookshot/044aadd",
        ["X-GitHub-Event"] = "pull_request",
        ["X-GitHub-Delivery"] = prefix .. "-" .. n,
        ["X-Hub-Signature-256"] = "sha256=" .. r[1],
    }, r[2])
end
LUA
}

# start_lighttpd NAME STORE_URL C: lighttpd with C handlers (min-procs = max-procs = C)
# storing into STORE_URL, config and logs in $W/NAME; sets PORT and LPID
start_lighttpd() {
    PORT=$(free_port)
    mkdir -p "$W/$1/sockets" "$W/$1/www"
    local creds=""
    case $2 in
    s3:*) creds=', "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY"' ;;
    esac
    cat >"$W/$1/config.json" <<JSON
{ "store": { "url": "$2"$creds },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "github", "secrets": ["env:BENCH_SECRET"] },
                 "idempotency": { "header": "X-GitHub-Delivery" } } ] }
JSON
    cat >"$W/$1/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$W/$1/www"
server.errorlog = "$W/$1/error.log"
server.max-connections = 1024
var.hookspool_bin = "$BUILD/hookspool-handler"
var.hookspool_config = "$W/$1/config.json"
var.hookspool_run_dir = "$W/$1/sockets"
var.hookspool_procs = $3
var.hookspool_env = ( "S3_ACCESS_KEY", "S3_SECRET_KEY", "BENCH_SECRET" )
var.hookspool_max_request_kb = 2048
include "$TOP/infra/lighttpd/hookspool.conf"
CONF
    lighttpd -D -f "$W/$1/lighttpd.conf" 2>"$W/$1/handler.log" &
    LPID=$!
    BENCH_PIDS+=("$LPID")
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/hooks/_health" >/dev/null && return 0
        sleep 0.1
    done
    echo "bench: lighttpd for $1 did not start" >&2
    tail -n 5 "$W/$1/handler.log" "$W/$1/error.log" >&2
    return 1
}


# run_interleaved ODD_ORDER EVEN_ORDER: for each of REPEAT repetitions and each c of CS,
# calls the steps named in ODD_ORDER (odd repetitions) or EVEN_ORDER (even ones) with
# C and REP, so a run just after another, which pays for what that one left behind,
# falls on each alike; 1 at the first step that fails
run_interleaved() {
    local rep c step order
    for rep in $(seq 1 "$REPEAT"); do
        for c in $CS; do
            order=$1
            [ $((rep % 2)) -eq 0 ] && order=$2
            for step in $order; do
                $step "$c" "$rep" || return 1
            done
        done
    done
}

ratio() { python3 -c "print(round($1 / $2, 2))"; }

tests/minio.sh start "$W/minio" || exit 1
. "$W/minio/env"
bench_tools || exit 1
