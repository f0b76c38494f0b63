#!/usr/bin/env bash
# hookspool-handler on its own, without a web server: config refusal at
# start, --listen on TCP and on a unix socket, stdin that is not a FastCGI
# socket, --workers supervising and restarting its processes, and a clean
# exit on SIGTERM. Requests go through cgi-fcgi (libfcgi-bin).
. "$(dirname "$0")/../lib.sh"

export PLAIN_TOKEN=t0ken
write_config() { # FILE SCHEME
    cat >"$1" <<JSON
{ "store": { "url": "file://$T/spool" },
  "sources": [ { "name": "plain", "path": "/hooks/plain",
                 "verify": { "scheme": "$2", "header": "X-Token", "secrets": ["env:PLAIN_TOKEN"] },
                 "idempotency": { "header": "X-Id" } } ] }
JSON
}
printf '{"n": 1}' >"$T/body.json"

# A bad config: exit 2, and the log line names the field.
write_config "$T/bad.json" tokn
HOOKSPOOL_CONFIG=$T/bad.json "$HANDLER" --check-config 2>"$T/bad.log"
is "bad config: exit 2" 2 "$?"
contains "bad config: names the field" 'sources[0].verify.scheme' "$(cat "$T/bad.log")"
write_config "$T/config.json" token
HOOKSPOOL_CONFIG=$T/config.json "$HANDLER" --check-config
is "good config: --check-config exits 0" 0 "$?"

# Started by hand with stdin a terminal or file: it says how to run it.
HOOKSPOOL_CONFIG=$T/config.json "$HANDLER" </dev/null 2>"$T/nosock.log"
check "stdin not a socket: refuses to start" test "$?" -ne 0
contains "stdin not a socket: says so" no_fastcgi_socket "$(cat "$T/nosock.log")"

# A unix socket.
sock=$T/handler.sock
HOOKSPOOL_CONFIG=$T/config.json "$HANDLER" --listen "$sock" 2>>"$T/handler.log" &
unix_pid=$!
HS_PIDS+=($unix_pid)
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
out=$(env -i REQUEST_METHOD=POST SCRIPT_NAME=/hooks/plain REQUEST_URI=/hooks/plain \
    CONTENT_LENGTH=8 CONTENT_TYPE=application/json HTTP_X_TOKEN=t0ken HTTP_X_ID=via-unix \
    cgi-fcgi -bind -connect "$sock" <"$T/body.json" | tr -d '\r')
contains "unix socket: 202" "Status: 202" "$out"
check "unix socket: object written" test -f "$T/spool/pending/plain/via-unix"
kill -TERM "$unix_pid"
wait "$unix_pid"
is "unix socket: SIGTERM exits 0" 0 "$?"

# --workers: three processes on one TCP socket, a dead one replaced.
HANDLER_PORT=$(free_port)
HOOKSPOOL_CONFIG=$T/config.json "$HANDLER" --listen "127.0.0.1:$HANDLER_PORT" --workers 3 \
    2>>"$T/handler.log" &
parent=$!
HS_PIDS+=($parent)
wait_port "$HANDLER_PORT"
workers() { pgrep -P "$parent" | sort; }
for _ in $(seq 1 100); do [ "$(workers | wc -l)" -eq 3 ] && break; sleep 0.1; done
is "workers: three processes" 3 "$(workers | wc -l)"
for i in 1 2 3 4 5 6; do
    fcgi POST /hooks/plain "$T/body.json" HTTP_X_TOKEN=t0ken "HTTP_X_ID=w-$i"
    [ "$STATUS" = 202 ] || break
done
is "workers: requests accepted" 202 "$STATUS"
victim=$(workers | head -n 1)
kill -KILL "$victim"
for _ in $(seq 1 100); do
    now=$(workers) # one listing: the victim may die between two
    [ "$(wc -l <<<"$now")" -eq 3 ] && ! grep -qx "$victim" <<<"$now" && break
    sleep 0.1
done
is "workers: a killed worker is replaced" 3 "$(workers | wc -l)"
contains "workers: the death is logged" worker_exited "$(cat "$T/handler.log")"
fcgi POST /hooks/plain "$T/body.json" HTTP_X_TOKEN=t0ken HTTP_X_ID=after-restart
is "workers: still accepting after the restart" 202 "$STATUS"
fcgi POST /hooks/plain "$T/body.json" HTTP_X_TOKEN=wrong HTTP_X_ID=refused
is "workers: a wrong token is still refused" 401 "$STATUS"
remaining=$(workers)
kill -TERM "$parent"
wait "$parent"
is "workers: SIGTERM exits 0" 0 "$?"
alive=0
for p in $remaining; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
is "workers: none left after SIGTERM" 0 "$alive"
is "workers: 7 objects written" 7 "$(ls "$T/spool/pending/plain" | grep -c '^w-\|^after-restart$')"

done_testing
