#!/usr/bin/env bash
# A file:// spool shared by two users of one group, as infra/README.md deploys
# it: the handler runs as hookspool-t-in, the drain as hookspool-t-out, each
# with its own primary group and the group hookspool-t beside it, and both
# with umask 077. The drain must deliver and delete what the handler wrote,
# its retry/ copies must not pile up, and each side must read what the other
# made: files 0660 and directories 2770 (setgid, group hookspool-t).
#
# Needs root, to make the users and switch to them (setpriv): run as another
# user it fails rather than pretend. The group and the two system users are
# made on the first run and reused after (never removed: a concurrent run may
# be using them).
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

GROUP=hookspool-t
IN_USER=hookspool-t-in
OUT_USER=hookspool-t-out

if [ "$(id -u)" -ne 0 ]; then
    not_ok "runs as root" "this test makes two system users and switches to them: run it as root"
    done_testing
    exit 1
fi

# Idempotent, and safe against a concurrent run making the same names.
getent group "$GROUP" >/dev/null || groupadd -r "$GROUP" 2>/dev/null || getent group "$GROUP" >/dev/null
for u in "$IN_USER" "$OUT_USER"; do
    id -u "$u" >/dev/null 2>&1 ||
        useradd -r -U -G "$GROUP" -M -d /nonexistent -s /usr/sbin/nologin "$u" 2>/dev/null ||
        id -u "$u" >/dev/null 2>&1
done
check "users exist and share the group" sh -c \
    "id -nG $IN_USER | grep -qw $GROUP && id -nG $OUT_USER | grep -qw $GROUP"
# as USER CMD...: execs CMD as USER (its groups included) with umask 077, in place of
# the calling shell: run it in a subshell or in the background, where $! is then CMD.
as() {
    local user=$1
    shift
    exec setpriv --reuid="$user" --regid="$user" --init-groups -- \
        bash -c 'umask 077; exec "$@"' _ "$@"
}

# The operator's part (infra/README.md): the spool root belongs to the group, 2770.
chmod 0711 "$T"
install -d -m 2770 -o root -g "$GROUP" "$T/spool"
DEST_PY=$HS_TOP/tests/dest.py
REC=$T/rec
DEST_PORT=$(free_port)
python3 "$DEST_PY" serve --port "$DEST_PORT" --dir "$REC" 2>>"$T/dest.log" &
HS_PIDS+=($!)
wait_port "$DEST_PORT" || not_ok "destination starts"
# /flaky answers 500 to each key's first request: every webhook goes through retry/.
cat >"$T/config.json" <<JSON
{ "store": { "url": "file://$T/spool" },
  "sources": [ { "name": "plain", "path": "/hooks/plain", "verify": { "scheme": "none" },
                 "idempotency": { "header": "X-Id" },
                 "destination": { "url": "http://127.0.0.1:$DEST_PORT/flaky", "timeout_ms": 2000 } } ],
  "drain": { "concurrency": 2, "poll_ms": 200, "schedule_s": [0, 1, 1] } }
JSON
chmod 0644 "$T/config.json"
printf '{"n": 1}' >"$T/body.json"
chmod 0644 "$T/body.json"

HANDLER_PORT=$(free_port)
HOOKSPOOL_CONFIG=$T/config.json as "$IN_USER" "$HANDLER" --listen "127.0.0.1:$HANDLER_PORT" \
    2>>"$T/handler.log" &
HS_PIDS+=($!)
wait_port "$HANDLER_PORT" || not_ok "handler starts as $IN_USER"
send() { # KEY...
    local k
    for k in "$@"; do
        fcgi POST /hooks/plain "$T/body.json" "HTTP_X_ID=$k"
        [ "$STATUS" = 202 ] || { not_ok "handler accepts $k" "status $STATUS"; return; }
    done
    ok "handler accepts $*"
}
drain_once() { (HOOKSPOOL_CONFIG=$T/config.json as "$OUT_USER" "$DRAIN" --once 2>>"$T/drain.log"); }
objects() { [ -d "$T/spool/$1" ] && (cd "$T/spool/$1" && find . -type f ! -name '.*' | wc -l) || echo 0; }

send k1 k2 k3 k4 k5
is "handler: five objects in pending/" 5 "$(objects pending)"
is "handler: files are $IN_USER:$GROUP 0660" "$IN_USER:$GROUP 660" \
    "$(stat -c '%U:%G %a' "$T/spool/pending/plain/k1")"
is "handler: directories are $GROUP 2770" "$GROUP 2770" \
    "$(stat -c '%G %a' "$T/spool/pending/plain")"

drain_once
is "first pass: every attempt failed (exit 1)" 1 "$?"
is "first pass: the drain deleted what the handler wrote" 0 "$(objects pending)"
is "first pass: one retry/ copy each" 5 "$(objects retry)"
retry_file=$(find "$T/spool/retry" -type f ! -name '.*' | head -n 1)
is "first pass: retry/ files are $OUT_USER:$GROUP 0660" "$OUT_USER:$GROUP 660" \
    "$(stat -c '%U:%G %a' "$retry_file")"
is "first pass: retry/ directories are $GROUP 2770" "$GROUP 2770" \
    "$(stat -c '%G %a' "$(dirname "$retry_file")")"

# The handler writes again, into a spool the drain has pruned and grown meanwhile,
# and past its backlog cache (5 s), so it reads the count the drain wrote.
sleep 5.2
send k6 k7
for _ in 1 2 3 4 5 6; do
    [ "$(objects pending)" -eq 0 ] && [ "$(objects retry)" -eq 0 ] && break
    sleep 1.2
    drain_once
done
is "end: pending/ empty" 0 "$(objects pending)"
is "end: retry/ empty" 0 "$(objects retry)"
is "end: seven webhooks in done/" 7 "$(objects done)"
counts=$(for k in k1 k2 k3 k4 k5 k6 k7; do python3 "$DEST_PY" count "$REC" --key "$k"; done |
    sort -u | tr '\n' ' ')
is "end: each webhook tried twice (500, then 200), no extra copies" "2 " "$counts"
is "end: the drain's backlog count is the group's to read" "$OUT_USER:$GROUP 660" \
    "$(stat -c '%U:%G %a' "$T/spool/_stats/backlog.json")"
check "end: no permission error in the drain's log" \
    sh -c "! grep -qiE 'permission|denied|EACCES' '$T/drain.log'"
check "end: no permission error in the handler's log" \
    sh -c "! grep -qiE 'permission|denied|backlog_read_failed' '$T/handler.log'"

done_testing
