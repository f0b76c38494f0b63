#!/usr/bin/env bash
# `make run` (infra/run.sh) end to end, on a free port and its own state
# directory: the curl command it prints is pasted as is and accepted, the
# drain fans the webhook out to the two demo destinations whose output shows
# it, each named by Hookspool-Destination,
# a second run on the same port is refused, and SIGTERM stops every process
# it started.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
out=$T/run.out
# Its own session, so "every process it started" is exactly that session.
HOOKSPOOL_RUN_PORT=$port HOOKSPOOL_RUN_DIR=$T/run BUILD=$BUILD \
    setsid bash "$HS_TOP/infra/run.sh" >"$out" 2>"$T/run.err" &
RUN_PID=$!
HS_PIDS+=("$RUN_PID")
# Whatever happens below, nothing of the session outlives the test.
trap 'kill -KILL -- -"$RUN_PID" 2>/dev/null; hs_cleanup' EXIT

# session_pids: live processes of run.sh's session (zombies excluded)
session_pids() {
    local f state session
    for f in /proc/[0-9]*/stat; do
        # After the command name in parentheses: state ppid pgrp session ...
        read -r state _ _ session _ < <(sed 's/^.*) //' "$f" 2>/dev/null) || continue
        [ "$session" = "$RUN_PID" ] && [ "$state" != Z ] && f=${f#/proc/} && echo "${f%/stat}"
    done
}

for _ in $(seq 1 300); do
    grep -q 'Ctrl-C stops everything' "$out" && break
    kill -0 "$RUN_PID" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q 'Ctrl-C stops everything' "$out"; then
    not_ok "make run starts and prints its banner" "$(cat "$out" "$T/run.err")"
    done_testing
    exit 1
fi
ok "make run starts and prints its banner"
contains "the banner names the port" "http://127.0.0.1:$port" "$(cat "$out")"

# The command exactly as printed: from "curl" to the line without a trailing \.
cmd=$(awk '/^curl /{p=1} p{print} p && !/\\$/{exit}' "$out")
contains "a curl command is printed" "X-Hub-Signature-256: sha256=" "$cmd"

paste_it() { # runs the printed command; sets STATUS and KEY
    local reply
    reply=$(timeout 20 bash -c "$cmd" 2>/dev/null | tr -d '\r')
    STATUS=$(printf '%s\n' "$reply" | sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p')
    KEY=$(json_get "$(printf '%s\n' "$reply" | tail -n 1)" key 2>/dev/null)
}
paste_it
is "the printed command is accepted: 202" 202 "$STATUS"
first=$KEY
check "the answer names a key" test -n "$first"

for _ in $(seq 1 100); do
    grep -q "Idempotency-Key: $first" "$out" && break
    sleep 0.1
done
dest=$(cat "$out")
contains "the destination prints the delivery" "POST /github" "$dest"
contains "the destination shows the idempotency key" "Idempotency-Key: $first" "$dest"
contains "the destination shows the body" '"zen":"Anything added dilutes everything else."' "$dest"
for _ in $(seq 1 50); do
    [ -f "$T/run/spool/done/github/$first" ] && break
    sleep 0.1
done
check "the webhook ends in done/github/KEY" test -f "$T/run/spool/done/github/$first"
contains "the banner says the source fans out" "fans each webhook out to two destinations" \
    "$(cat "$out")"
for _ in $(seq 1 100); do
    grep -q "POST /audit" "$out" && break
    sleep 0.1
done
dest=$(cat "$out")
contains "fan-out: the audit destination prints the ping too" "POST /audit" "$dest"
contains "fan-out: the app delivery names its destination" "Hookspool-Destination: app" "$dest"
contains "fan-out: the audit delivery names its destination" "Hookspool-Destination: audit" "$dest"
is "fan-out: done/ records both destinations delivered" "app=done audit=done" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(" ".join(k + "=" + v["outcome"]["state"] for k, v in d["deliveries"].items()))' \
        "$T/run/spool/done/github/$first")"

paste_it
is "a second paste is accepted too" 202 "$STATUS"
check "a second paste gets a fresh delivery id" test -n "$KEY" -a "$KEY" != "$first"

http_status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$port/hooks/_health")
is "health answers 200" 200 "$http_status"

HOOKSPOOL_RUN_PORT=$port HOOKSPOOL_RUN_DIR=$T/run2 BUILD=$BUILD timeout 30 \
    bash "$HS_TOP/infra/run.sh" >/dev/null 2>"$T/second.err"
rc=$?
check "a second make run on the same port exits non-zero (got $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
contains "and says why" "HOOKSPOOL_RUN_PORT" "$(cat "$T/second.err")"

check "make run started lighttpd, the handlers, the drain and the destination" \
    test "$(session_pids | wc -l)" -ge 6
kill -TERM "$RUN_PID"
for _ in $(seq 1 200); do
    [ -z "$(session_pids)" ] && break
    sleep 0.1
done
is "SIGTERM stops every process make run started" "" "$(session_pids | tr '\n' ' ')"
wait "$RUN_PID"
is "make run exits 0 after SIGTERM" 0 "$?"

done_testing
