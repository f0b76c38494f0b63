#!/usr/bin/env bash
# Intake: hookspool-handler under lighttpd (min-procs = max-procs = c) into MinIO and
# into file://, each as a ratio against its limit measured in the same run at the
# same concurrency c, runs interleaved and repeated:
#   put limit    concurrent PutObject of an envelope-sized object at c (bench/s3load,
#                minio-go), MinIO on 127.0.0.1 with its data on local disk
#   fsync limit  write + fsync + rename + fsync(dir) at c threads (bench/fsync_limit)
#   hookspool    wrk -c c through lighttpd, 1024 distinct ~1 KiB GitHub bodies signed
#                in advance (no signing in the load's Lua), a fresh delivery id each;
#                accepted/s (202s, each one an object counted with mc or find), p50
#                and p99, CPU per webhook over lighttpd's process tree (/proc/PID/stat)
#                and PSS of that tree (/proc/PID/smaps_rollup) after the run
# Prints one table, medians of the repetitions with min-max.
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
export BENCH_SECRET=bench-secret
ENVELOPE_SIZE=1700 # what the handler stores for one of these bodies

# 1024 bodies and their signatures, one "HEX<TAB>BODY" line each.
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

# start_lighttpd NAME STORE_URL C: lighttpd with C handlers; sets PORT, LPID
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

# count_objects NAME: objects under the run's pending/bench/
count_objects() {
    case $1 in
    s3-*) "$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/$1/pending/bench/" | wc -l ;;
    *) find "$W/$1/spool/pending/bench" -type f ! -name '.tmp*' 2>/dev/null | wc -l ;;
    esac
}

# hookspool_run NAME STORE_URL C: one measured run; appends a result line
hookspool_run() {
    local name=$1 c=$3 pids t0 t1 before after requests non2xx errors accepted rate
    start_lighttpd "$name" "$2" "$c" || return 1
    # Warm-up (connections, caches), not counted.
    wrk -t2 -c"$c" -d1s -s "$W/accept.lua" "http://127.0.0.1:$PORT/hooks/bench" >/dev/null
    settle
    pids=$(tree_pids "$LPID")
    before=$(count_objects "$name")
    t0=$(cpu_ticks $pids)
    wrk -t2 -c"$c" -d"${SECS}s" --latency -s "$W/accept.lua" \
        "http://127.0.0.1:$PORT/hooks/bench" >"$W/$name/wrk.txt"
    t1=$(cpu_ticks $pids)
    pss=$(pss_kib $pids)
    after=$(count_objects "$name")
    requests=$(wrk_requests "$W/$name/wrk.txt")
    non2xx=$(wrk_non2xx "$W/$name/wrk.txt")
    errors=$(wrk_errors "$W/$name/wrk.txt")
    accepted=$((requests - non2xx))
    rate=$(python3 -c "print(round($accepted / $SECS, 1))")
    # A request still in flight when wrk stops is stored but not counted: up to c more.
    if [ "$((after - before))" -lt "$accepted" ] || [ "$((after - before))" -gt "$((accepted + 2 * c))" ] ||
        [ "$errors" -ne 0 ]; then
        echo "bench: $name: $accepted answers 202, $((after - before)) objects stored," \
            "$non2xx non-2xx, $errors socket errors" >&2
        STATUS=1
    fi
    echo "$name c=$c accepted_per_s=$rate p50_ms=$(wrk_ms "$W/$name/wrk.txt" 50)" \
        "p99_ms=$(wrk_ms "$W/$name/wrk.txt" 99)" \
        "cpu_ms_per_webhook=$(python3 -c "print(round(($t1 - $t0) * 1000 / $CLK_TCK / max($accepted, 1), 3))")" \
        "pss_mib=$(python3 -c "print(round($pss / 1024, 1))")" >>"$W/results"
    kill "$LPID"
    wait "$LPID" 2>/dev/null
}

STATUS=0
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$W/load"
# settle: dirty pages of the previous run written out, so no run pays for another's.
settle() {
    sync
    sleep 1
}

put_limit() { # C REP
    "$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode put -c "$1" \
        -seconds 1 -size "$ENVELOPE_SIZE" -prefix "warm-$2-$1" >/dev/null || return 1
    settle
    out=$("$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode put -c "$1" \
        -seconds "$SECS" -size "$ENVELOPE_SIZE" -prefix "limit-$2-$1") || return 1
    echo "put_limit c=$1 rate=$(json_field "$out" rate) p50_ms=$(json_field "$out" p50_ms)" \
        "p99_ms=$(json_field "$out" p99_ms)" >>"$W/results"
}

fsync_limit() { # C REP
    mkdir -p "$W/fsync-$2-$1"
    "$FSYNC_LIMIT" "$W/fsync-$2-$1" "$1" 1 "$ENVELOPE_SIZE" >/dev/null || return 1
    settle
    out=$("$FSYNC_LIMIT" "$W/fsync-$2-$1" "$1" "$SECS" "$ENVELOPE_SIZE") || return 1
    rm -rf "$W/fsync-$2-$1"
    echo "fsync_limit c=$1 rate=$(json_field "$out" rate) p50_ms=$(json_field "$out" p50_ms)" \
        "p99_ms=$(json_field "$out" p99_ms)" >>"$W/results"
}

hookspool_s3() { hookspool_run "s3-$2-$1" "s3://$HS_S3_BUCKET/s3-$2-$1?endpoint=$HS_S3_ENDPOINT&tls=0" "$1"; }
hookspool_fs() {
    hookspool_run "fs-$2-$1" "file://$W/fs-$2-$1/spool" "$1" || return 1
    rm -rf "$W/fs-$2-$1/spool"
}

# Interleaved: each limit next to its hookspool run, the order of the pair flipped
# every repetition (a run just after another pays for what that one left behind).
for rep in $(seq 1 "$REPEAT"); do
    for c in $CS; do
        if [ $((rep % 2)) -eq 1 ]; then
            order="fsync_limit hookspool_fs put_limit hookspool_s3"
        else
            order="hookspool_fs fsync_limit hookspool_s3 put_limit"
        fi
        for step in $order; do
            $step "$c" "$rep" || exit 1
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$W/load"

python3 - "$W/results" "$CS" "$REPEAT" "$SECS" <<'PY'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in ("kind=" + line).split()) for line in open(sys.argv[1])]
for r in rows:
    r["kind"] = r["kind"].split("-")[0]
def fig(kind, c, field):
    v = [float(r[field]) for r in rows if r["kind"] == kind and r["c"] == c]
    return statistics.median(v), min(v), max(v)
def show(m):
    return "%g (%g-%g)" % m if m[1] != m[2] else "%g" % m[0]
print("hookspool intake, %s s runs, %s repetition(s), medians (min-max)" % (sys.argv[4], sys.argv[3]))
print("| c | measure | limit | hookspool | ratio |")
print("|---|---|---|---|---|")
for c in sys.argv[2].split():
    for kind, limit, what in (("s3", "put_limit", "MinIO"), ("fs", "fsync_limit", "file://")):
        lim = fig(limit, c, "rate")
        hs = fig(kind, c, "accepted_per_s")
        print("| %s | accepted/s into %s | %s | %s | **%.2f** |" %
              (c, what, show(lim), show(hs), hs[0] / lim[0]))
        print("| %s | p50 / p99 ms into %s | %s / %s | %s / %s | |" %
              (c, what, show(fig(limit, c, "p50_ms")), show(fig(limit, c, "p99_ms")),
               show(fig(kind, c, "p50_ms")), show(fig(kind, c, "p99_ms"))))
        print("| %s | CPU ms per webhook, %s (lighttpd + handlers) | | %s | |" %
              (c, what, show(fig(kind, c, "cpu_ms_per_webhook"))))
        print("| %s | PSS MiB, %s (lighttpd + %s handlers) | | %s | |" %
              (c, what, c, show(fig(kind, c, "pss_mib"))))
PY
cat "$W/load"
exit $STATUS
