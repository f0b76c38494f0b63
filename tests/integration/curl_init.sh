#!/usr/bin/env bash
# Every libcurl copy in the drain's process gets its curl_global_init once,
# before any thread starts. Debian's libs3.so.2 is linked against
# libcurl-gnutls and initialises that copy in S3_initialize; delivery binds
# to the libcurl the program links (libcurl.so.4, OpenSSL), which nothing
# initialises unless hookspool does. The drain runs under gdb with a
# breakpoint on curl_global_init in every library that defines it; each hit
# prints the library and the number of threads, and a pass delivers (to a
# closed port) from its worker threads meanwhile.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

copies=$(ldd "$DRAIN" | awk '$1 ~ /^libcurl/ {print $3}' | sort)
check "the drain loads libcurl" test -n "$copies"
printf '# libcurl copies: %s\n' "$(echo $copies)"

CLOSED_PORT=$(free_port)
cat >"$T/config.json" <<JSON
{ "store": { "url": "file://$T/spool" },
  "sources": [ { "name": "s", "path": "/hooks/s", "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$CLOSED_PORT/x", "timeout_ms": 1000 } } ],
  "drain": { "concurrency": 4, "poll_ms": 200, "schedule_s": [0, 60] } }
JSON
"$BUILD/tests/spool_put" --config "$T/config.json" --source s --key k --count 8 2>>"$T/seed.log"
cat >"$T/inits.py" <<'PY'
import gdb

class InitBreak(gdb.Breakpoint):
    def stop(self):
        pc = int(gdb.parse_and_eval("$pc"))
        threads = len(gdb.selected_inferior().threads())
        print("HS_INIT %s threads=%d" % (gdb.solib_name(pc), threads))
        return False

gdb.execute("set breakpoint pending on")
InitBreak("curl_global_init")
gdb.execute("run")
PY
# LeakSanitizer cannot run under ptrace: the sanitizer build checks leaks elsewhere.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 300 gdb -q -batch -nx -x "$T/inits.py" --args "$DRAIN" --config "$T/config.json" --once \
    >"$T/gdb.out" 2>&1
contains "the drain ran its pass to the end under gdb" "exited with code 01" "$(cat "$T/gdb.out")"
is "the pass rescheduled every webhook" 8 "$(find "$T/spool/retry" -type f | wc -l)"
for lib in $copies; do
    hits=$(grep -c "^HS_INIT $lib " "$T/gdb.out")
    is "$(basename "$lib"): curl_global_init once" 1 "$hits"
    is "$(basename "$lib"): before any thread" "threads=1" \
        "$(grep "^HS_INIT $lib " "$T/gdb.out" | head -n 1 | awk '{print $3}')"
done

done_testing
