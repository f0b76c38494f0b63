#!/usr/bin/env bash
# hookspool-handler against FastCGI peers that misbehave, spoken to by
# tests/fcgi_client.py: peers that stall (only a BEGIN_REQUEST, half a record
# header, half a body) are cut off at handler.read_timeout_ms while other
# requests are still served; other roles get FCGI_UNKNOWN_ROLE; a connection
# opening with an unknown management record is closed; an empty STDIN record
# of another request id cannot shorten a body; and a SIGTERM in the middle of
# a body lets that request finish, for one process and for --workers. A kept
# connection (FCGI_KEEP_CONN) serves one request after another; a request read to
# its end is closed without waiting for the peer's close.
. "$(dirname "$0")/../lib.sh"

export PLAIN_TOKEN=t0ken
cat >"$T/config.json" <<JSON
{ "store": { "url": "file://$T/spool" },
  "handler": { "read_timeout_ms": 1000 },
  "sources": [ { "name": "plain", "path": "/hooks/plain",
                 "verify": { "scheme": "token", "header": "X-Token", "secrets": ["env:PLAIN_TOKEN"] },
                 "idempotency": { "header": "X-Id" } } ] }
JSON
printf '{"n": 1, "pad": "%s"}' "$(head -c 3000 /dev/zero | tr '\0' x)" >"$T/body.json"
client() { python3 "$HS_TOP/tests/fcgi_client.py" "127.0.0.1:$HANDLER_PORT" "$@"; }
auth=(HTTP_X_TOKEN=t0ken)
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
below() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$@"; }
stored() { [ -f "$T/spool/pending/plain/$1" ]; }

# One process: a stop in the middle of a body lets the request finish, then exits.
start_handler "$T/config.json"
out=$(client stop-mid-body "$HANDLER_PID" /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=mid-stop)
is "stop mid-body: the request is answered 202" 202 "$(field status "$out")"
check "stop mid-body: the webhook is stored" stored mid-stop
wait "$HANDLER_PID"
is "stop mid-body: then the process exits 0" 0 "$?"

# A request read to its end is closed at once: one process serves the next
# connection while the web server still holds the last one open (libfcgi's own
# close would wait up to 2 s for it).
start_handler "$T/config.json"
out=$(client held-open /hooks/plain "$T/body.json" "${auth[@]}")
is "held open: the first request is answered 202" 202 "$(field first "$out")"
is "held open: the next connection is answered 202" 202 "$(field status "$out")"
check "held open: the next one is served within 1 s" below "$(field seconds "$out")" 1
kill -TERM "$HANDLER_PID"
wait "$HANDLER_PID"

# FCGI_WEB_SERVER_ADDRS, as libfcgi reads it, still names the peers allowed.
FCGI_WEB_SERVER_ADDRS=10.0.0.1,127.0.0.1 start_handler "$T/config.json"
out=$(client request /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=allowed-peer)
is "FCGI_WEB_SERVER_ADDRS: a listed peer is served" 202 "$(field status "$out")"
kill -TERM "$HANDLER_PID"
wait "$HANDLER_PID"
FCGI_WEB_SERVER_ADDRS=10.0.0.1,127.0.0.2 start_handler "$T/config.json"
out=$(client request /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=other-peer)
is "FCGI_WEB_SERVER_ADDRS: another peer gets no answer" None "$(field status "$out")"
contains "FCGI_WEB_SERVER_ADDRS: logged" fcgi_peer_refused "$(cat "$T/handler.log")"
kill -TERM "$HANDLER_PID"
wait "$HANDLER_PID"

HANDLER_PORT=$(free_port)
HOOKSPOOL_CONFIG=$T/config.json "$HANDLER" --listen "127.0.0.1:$HANDLER_PORT" --workers 2 \
    2>>"$T/handler.log" &
parent=$!
HS_PIDS+=($parent)
wait_port "$HANDLER_PORT"
for _ in $(seq 1 100); do [ "$(pgrep -P "$parent" | wc -l)" -eq 2 ] && break; sleep 0.1; done

# Two stalled connections on two workers: a third request is still served, and the
# stalled ones are cut off at the read deadline.
out=$(client pin 2 /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=past-pinned)
is "pinned workers: a request is still answered" 202 "$(field status "$out")"
check "pinned workers: answered within 3 s" below "$(field seconds "$out")" 3
for t in $(field pinned_closed_after "$out" | tr , ' '); do
    check "pinned workers: a stalled connection is closed after ${t}s" below "$t" 3
done
out=$(client partial-header)
is "half a record header: connection closed" 1 "$(field closed "$out")"
check "half a record header: within 3 s" below "$(field seconds "$out")" 3
out=$(client stalled-body /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=stalled)
check "stalled body: closed within 3 s" below "$(field seconds "$out")" 3
check "stalled body: nothing stored" test ! -e "$T/spool/pending/plain/stalled"
contains "stalled peers: logged" fcgi_read_timeout "$(cat "$T/handler.log")"

# Roles and records libfcgi would take.
out=$(client role 2)
is "AUTHORIZER: FCGI_UNKNOWN_ROLE" 3 "$(field protocol_status "$out")"
out=$(client role 3)
is "FILTER: FCGI_UNKNOWN_ROLE" 3 "$(field protocol_status "$out")"
contains "other roles: logged" fcgi_role_refused "$(cat "$T/handler.log")"
out=$(client unknown-management)
is "unknown management record: connection closed" 1 "$(field closed "$out")"
is "unknown management record: no reply" 0 "$(field reply_bytes "$out")"
contains "unknown management record: logged" fcgi_record_refused "$(cat "$T/handler.log")"

# libfcgi lets an empty STDIN record of another request id swallow the next record of
# this one: the body comes out short of its Content-Length and is refused.
out=$(client foreign-empty-stdin /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=foreign)
is "foreign empty STDIN: 400 body_truncated" 400 "$(field status "$out")"
check "foreign empty STDIN: nothing stored" test ! -e "$T/spool/pending/plain/foreign"

out=$(client request /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=after-all)
is "after the hostile peers: a request is answered 202" 202 "$(field status "$out")"
check "after the hostile peers: answered within 1 s" below "$(field seconds "$out")" 1

# A kept connection carries request after request, refusals with unread bodies too.
out=$(client keep-alive /hooks/plain "$T/body.json" kept-1 kept-2)
is "kept connection: every request answered" 202,404,202,404 "$(field statuses "$out")"
check "kept connection: within 1 s" below "$(field seconds "$out")" 1

out=$(client keep-idle /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=kept-idle)
is "idle kept connection: the request is answered" 202 "$(field status "$out")"
check "idle kept connection: closed within 3 s" below "$(field seconds "$out")" 3

# --workers: SIGTERM to the supervisor in the middle of a body; the request finishes.
out=$(client stop-mid-body "$parent" /hooks/plain "$T/body.json" "${auth[@]}" HTTP_X_ID=w-stop)
is "workers, stop mid-body: the request is answered 202" 202 "$(field status "$out")"
check "workers, stop mid-body: the webhook is stored" stored w-stop
wait "$parent"
is "workers, stop mid-body: the supervisor exits 0" 0 "$?"
check "no worker is left" test -z "$(pgrep -P "$parent")"

done_testing
