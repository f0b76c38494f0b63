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
#                and PSS of that tree (/proc/PID/smaps_rollup) after the run; for every
#                run, limits too, how idle the machine was (/proc/stat), and the fsync
#                limit's own CPU per write
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

bench_bodies

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
    m0=$(machine_idle)
    wrk -t2 -c"$c" -d"${SECS}s" --latency -s "$W/accept.lua" \
        "http://127.0.0.1:$PORT/hooks/bench" >"$W/$name/wrk.txt"
    t1=$(cpu_ticks $pids)
    m1=$(machine_idle)
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
        "idle_pct=$(idle_pct "$m0" "$m1")" \
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
    m0=$(machine_idle)
    out=$("$S3LOAD" -endpoint "$HS_S3_ENDPOINT" -bucket "$HS_S3_BUCKET" -mode put -c "$1" \
        -seconds "$SECS" -size "$ENVELOPE_SIZE" -prefix "limit-$2-$1") || return 1
    m1=$(machine_idle)
    echo "put_limit c=$1 rate=$(json_field "$out" rate) p50_ms=$(json_field "$out" p50_ms)" \
        "p99_ms=$(json_field "$out" p99_ms) idle_pct=$(idle_pct "$m0" "$m1")" >>"$W/results"
}

fsync_limit() { # C REP
    mkdir -p "$W/fsync-$2-$1"
    "$FSYNC_LIMIT" "$W/fsync-$2-$1" "$1" 1 "$ENVELOPE_SIZE" >/dev/null || return 1
    settle
    m0=$(machine_idle)
    out=$("$FSYNC_LIMIT" "$W/fsync-$2-$1" "$1" "$SECS" "$ENVELOPE_SIZE") || return 1
    m1=$(machine_idle)
    rm -rf "$W/fsync-$2-$1"
    echo "fsync_limit c=$1 rate=$(json_field "$out" rate) p50_ms=$(json_field "$out" p50_ms)" \
        "p99_ms=$(json_field "$out" p99_ms) cpu_ms_per_op=$(json_field "$out" cpu_ms_per_op)" \
        "idle_pct=$(idle_pct "$m0" "$m1")" >>"$W/results"
}

hookspool_s3() { hookspool_run "s3-$2-$1" "s3://$HS_S3_BUCKET/s3-$2-$1?endpoint=$HS_S3_ENDPOINT&tls=0" "$1"; }
hookspool_fs() {
    hookspool_run "fs-$2-$1" "file://$W/fs-$2-$1/spool" "$1" || return 1
    rm -rf "$W/fs-$2-$1/spool"
}

# Each limit next to its hookspool run, the order of the pair flipped every repetition.
run_interleaved "fsync_limit hookspool_fs put_limit hookspool_s3" \
    "hookspool_fs fsync_limit hookspool_s3 put_limit" || exit 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$W/load"

PYTHONPATH=bench python3 - "$W/results" "$CS" "$REPEAT" "$SECS" <<'PY'
import sys
import figures
from figures import show
rows = figures.read_rows(sys.argv[1])
def fig(kind, c, field):
    return figures.fig(rows, kind, c, field)
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
        lim_cpu = show(fig(limit, c, "cpu_ms_per_op")) if limit == "fsync_limit" else ""
        print("| %s | CPU ms per webhook, %s (lighttpd + handlers; the limit: its own) | %s | %s | |" %
              (c, what, lim_cpu, show(fig(kind, c, "cpu_ms_per_webhook"))))
        print("| %s | machine idle %%, %s | %s | %s | |" %
              (c, what, show(fig(limit, c, "idle_pct")), show(fig(kind, c, "idle_pct"))))
        print("| %s | PSS MiB, %s (lighttpd + %s handlers) | | %s | |" %
              (c, what, c, show(fig(kind, c, "pss_mib"))))
PY
cat "$W/load"
exit $STATUS
