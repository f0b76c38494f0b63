#!/usr/bin/env bash
# infra/systemd: every unit passes systemd-analyze verify (with ExecStart
# pointed at the binaries just built), and the drain units give a stop
# enough time. A stop waits for the deliveries in flight; systemd SIGKILLs
# a drain that outlasts TimeoutStopSec, between a delivery and its done/
# write: the one case that delivers a webhook twice. So the drain is stopped
# here during a delivery that hangs until its destination's timeout, and must
# exit in about that time with the webhook rescheduled; the units must allow
# the longest destination timeout they are documented for (60 s), plus twice
# the default store timeout, plus 10 s.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

UNITS=$HS_TOP/infra/systemd
COVERED_DEST_TIMEOUT_S=60 # infra/README.md and hookspool-drain.service say so
STORE_TIMEOUT_S=3         # store.timeout_ms default
need_s=$((COVERED_DEST_TIMEOUT_S + 2 * STORE_TIMEOUT_S + 10))

# --- systemd-analyze verify -----------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$T/units"
    for u in "$UNITS"/*.service "$UNITS"/*.socket "$UNITS"/*.timer; do
        sed "s|/usr/local/bin/|$BUILD/|" "$u" >"$T/units/$(basename "$u")"
    done
    for u in "$T"/units/*; do
        name=$(basename "$u")
        out=$(cd "$T/units" && systemd-analyze verify --man=no "./$name" 2>&1)
        rc=$?
        if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "verify: $name"; else not_ok "verify: $name" "$out"; fi
    done
else
    not_ok "verify: systemd units" "systemd-analyze is not installed (infra/deps.sh installs systemd)"
fi

# --- TimeoutStopSec of the drain units ------------------------------------------------
for name in hookspool-drain.service hookspool-drain-once.service; do
    value=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$UNITS/$name")
    check "$name: TimeoutStopSec ($value s) above $need_s s" test "${value:-0}" -gt "$need_s"
done

# --- a stop during a hanging delivery ends after about its timeout ---------------------
DEST_PY=$HS_TOP/tests/dest.py
REC=$T/rec
DEST_PORT=$(free_port)
python3 "$DEST_PY" serve --port "$DEST_PORT" --dir "$REC" 2>>"$T/dest.log" &
HS_PIDS+=($!)
wait_port "$DEST_PORT" || not_ok "destination starts"
cat >"$T/config.json" <<JSON
{ "store": { "url": "file://$T/spool" },
  "sources": [ { "name": "s", "path": "/hooks/s", "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$DEST_PORT/hang", "timeout_ms": 3000 } } ],
  "drain": { "concurrency": 2, "poll_ms": 200, "schedule_s": [0, 60, 60] } }
JSON
"$BUILD/tests/spool_put" --config "$T/config.json" --source s --key stop-1 2>>"$T/seed.log"
"$DRAIN" --config "$T/config.json" 2>>"$T/drain.log" &
pid=$!
HS_PIDS+=($pid)
for _ in $(seq 1 100); do
    [ "$(python3 "$DEST_PY" count "$REC")" -ge 1 ] && break
    sleep 0.1
done
is "stop: the delivery is in flight" 1 "$(python3 "$DEST_PY" count "$REC")"
t0=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
is "stop: exit 0" 0 "$?"
ms=$((($(date +%s%N) - t0) / 1000000))
check "stop: waited for the delivery, bounded by its timeout ($ms ms)" test "$ms" -lt 5000
is "stop: the webhook is rescheduled, not lost" 1 \
    "$(find "$T/spool/retry" -type f ! -name '.*' 2>/dev/null | wc -l)"
is "stop: nothing left in pending/" 0 "$(find "$T/spool/pending" -type f 2>/dev/null | wc -l)"

done_testing
