#!/usr/bin/env bash
# `make run`: hookspool on this machine in one command. lighttpd on
# 127.0.0.1:8080 spawns the handler (infra/lighttpd/hookspool.conf), a
# file:// spool in .run/spool, the drain running continuously, fanning each
# webhook out to two demo destinations (tests/dest.py --print, twice) that
# print what they get: "app" takes every event, "audit" (a filter on
# X-GitHub-Event) only push and ping. Prints
# a ready-to-paste curl command sending a correctly signed GitHub ping, then
# stays in the foreground until Ctrl-C or SIGTERM and stops everything.
#
#   HOOKSPOOL_RUN_PORT   listening port (default 8080), always on 127.0.0.1
#   HOOKSPOOL_RUN_DIR    state: config, spool, logs (default ./.run, git-ignored)
#   BUILD                build directory holding the programs (default build)
set -uo pipefail
# lighttpd lives in /usr/sbin, which a user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PORT=${HOOKSPOOL_RUN_PORT:-8080}
RUN=${HOOKSPOOL_RUN_DIR:-$TOP/.run}
HANDLER=$BUILD/hookspool-handler
DRAIN=$BUILD/hookspool-drain
DEST=$TOP/tests/dest.py

die() { echo "make run: $*" >&2; exit 1; }

for tool in lighttpd openssl python3; do
    command -v "$tool" >/dev/null || die "$tool is missing: run infra/deps.sh --packages"
done
[ -x "$HANDLER" ] || die "$HANDLER is missing: run make all"
[[ $PORT =~ ^[0-9]+$ ]] || die "HOOKSPOOL_RUN_PORT is not a port: '$PORT'"
mkdir -p "$RUN/spool" "$RUN/sockets" "$RUN/uploads" "$RUN/www" || die "unable to create $RUN"
RUN=$(cd "$RUN" && pwd)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # PORT PID: until PORT listens (10 s), or PID exits
    for _ in $(seq 1 100); do
        port_open "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

port_open "$PORT" && die "127.0.0.1:$PORT is in use: set HOOKSPOOL_RUN_PORT to a free port"

# A fresh secret per run: the printed command is signed with it, and nothing
# outside this run can post to the spool.
GITHUB_SECRET=$(openssl rand -hex 16)
export GITHUB_SECRET
DEST_PORT=$(free_port)
AUDIT_PORT=$(free_port)

python3 - "$RUN" "$DEST_PORT" "$AUDIT_PORT" >"$RUN/config.json" <<'PY' ||
import json, sys
run, dest_port, audit_port = sys.argv[1], sys.argv[2], sys.argv[3]
json.dump({
    "store": {"url": "file://" + run + "/spool"},
    "sources": [{
        "name": "github",
        "path": "/hooks/github",
        "verify": {"scheme": "github", "secrets": ["env:GITHUB_SECRET"]},
        "idempotency": {"header": "X-GitHub-Delivery"},
        # Fan-out: every event to "app", push and ping also to "audit".
        "destinations": [
            {"name": "app", "url": "http://127.0.0.1:%s/github" % dest_port},
            {"name": "audit", "url": "http://127.0.0.1:%s/audit" % audit_port,
             "filter": {"header": "X-GitHub-Event", "in": ["push", "ping"]}},
        ],
    }],
    # Short retries, so a failed delivery is seen again within the session.
    "drain": {"poll_ms": 500, "schedule_s": [0, 2, 10, 60]},
}, sys.stdout, indent=2)
print()
PY
    die "unable to write $RUN/config.json"

cat >"$RUN/lighttpd.conf" <<EOF || die "unable to write $RUN/lighttpd.conf"
# Written by infra/run.sh for \`make run\`; rewritten on every run.
server.bind          = "127.0.0.1"
server.port          = $PORT
server.document-root = "$RUN/www"
server.errorlog      = "$RUN/lighttpd.log"
server.upload-dirs   = ( "$RUN/uploads" )
# No server.username: lighttpd and the handler run as whoever runs make run,
# so the spool in $RUN stays theirs.

var.hookspool_bin            = "$HANDLER"
var.hookspool_config         = "$RUN/config.json"
var.hookspool_run_dir        = "$RUN/sockets"
var.hookspool_procs          = 2
var.hookspool_env            = ( "GITHUB_SECRET" )
var.hookspool_max_request_kb = 2048
include "$TOP/infra/lighttpd/hookspool.conf"
EOF
# lighttpd -tt exits 0 even when it finds the handler unusable: it must say nothing.
lighttpd -tt -f "$RUN/lighttpd.conf" >"$RUN/lighttpd-check.log" 2>&1
if [ -s "$RUN/lighttpd-check.log" ]; then
    die "lighttpd refuses $RUN/lighttpd.conf: $(cat "$RUN/lighttpd-check.log")"
fi
HOOKSPOOL_CONFIG=$RUN/config.json "$HANDLER" --check-config 2>"$RUN/handler-check.log" ||
    die "the handler refuses $RUN/config.json: $(cat "$RUN/handler-check.log")"

PIDS=()
stopping=0
stop() {
    stopping=1
    trap '' INT TERM
    echo
    echo "make run: stopping"
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    # The drain finishes its deliveries in flight; lighttpd stops its handlers.
    for _ in $(seq 1 100); do
        alive=0
        for p in "${PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
}
trap 'stop; exit 0' INT TERM
trap '[ "$stopping" -eq 1 ] || stop' EXIT

if [ -f "$DEST" ]; then
    for p in "$DEST_PORT" "$AUDIT_PORT"; do
        python3 "$DEST" serve --port "$p" --print &
        PIDS+=($!)
        wait_port "$p" $! || die "the demo destination did not start (python3 $DEST)"
    done
fi
# The handlers lighttpd spawns inherit its stderr: their JSON log lines.
lighttpd -D -f "$RUN/lighttpd.conf" 2>>"$RUN/handler.log" &
PIDS+=($!)
wait_port "$PORT" $! || die "lighttpd did not start on 127.0.0.1:$PORT: $(tail -n 5 "$RUN/lighttpd.log")"
if [ -x "$DRAIN" ]; then
    "$DRAIN" --config "$RUN/config.json" 2>>"$RUN/drain.log" &
    PIDS+=($!)
fi

body='{"zen":"Anything added dilutes everything else.","hook_id":1,"hook":{"type":"Repository","events":["push"]}}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$GITHUB_SECRET" | awk '{print $NF}')

cat <<EOF

hookspool is running on http://127.0.0.1:$PORT (lighttpd + hookspool-handler)
  spool:  $RUN/spool (file:// store)
  config: $RUN/config.json (GITHUB_SECRET=$GITHUB_SECRET)
  logs:   $RUN/handler.log, $RUN/drain.log, $RUN/lighttpd.log
EOF
if [ -x "$DRAIN" ] && [ -f "$DEST" ]; then
    echo "  the drain fans each webhook out to two destinations, both printed below:"
    echo "    app    http://127.0.0.1:$DEST_PORT/github  every event"
    echo "    audit  http://127.0.0.1:$AUDIT_PORT/audit   push and ping only (a filter on X-GitHub-Event)"
    echo "  each delivery says which in Hookspool-Destination; a push reaches both, an issues"
    echo "  event only app. Per destination: $DRAIN --config $RUN/config.json ls done --long"
else
    [ -x "$DRAIN" ] || echo "  $DRAIN is not built: accepted webhooks wait in $RUN/spool/pending/"
    [ -f "$DEST" ] || echo "  $DEST is missing: deliveries fail and are retried"
fi
cat <<EOF

Send a signed GitHub ping (each paste gets a fresh delivery id):

curl -i http://127.0.0.1:$PORT/hooks/github \\
  -H 'Content-Type: application/json' \\
  -H 'X-GitHub-Event: ping' \\
  -H "X-GitHub-Delivery: \$(cat /proc/sys/kernel/random/uuid)" \\
  -H 'X-Hub-Signature-256: sha256=$sig' \\
  --data-binary '$body'

Health: curl -i http://127.0.0.1:$PORT/hooks/_health
Sign another body: printf %s "\$BODY" | openssl dgst -sha256 -hmac $GITHUB_SECRET
Ctrl-C stops everything.

EOF

# Stay until a signal, or until a server dies on its own.
while :; do
    wait -n
    [ "$stopping" -eq 1 ] && break
    for p in "${PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && continue
        echo "make run: process $p exited; see the logs in $RUN" >&2
        stop
        exit 1
    done
done
