#!/usr/bin/env bash
# The handler under real Apache httpd with mod_fcgid, mounted with
# infra/apache/hookspool-fcgid.conf (Apache spawning it), storing into the
# test MinIO: a signed webhook accepted and stored byte for byte, refusals
# writing nothing, and both kinds of 413 (the handler's, over max_body, and
# Apache's, over FcgidMaxRequestLen). Apache runs from its own ServerRoot in
# the test directory; as root, with User www-data like a Debian install.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/web.inc"

GITHUB_SECRET=$(openssl rand -hex 16)
export GITHUB_SECRET
MODS=/usr/lib/apache2/modules
P=$(unique_prefix)
dir=$T/apache
mkdir -p "$dir"
# Apache's User must reach the config and the handler's socket directory.
chmod 755 "$T"

github_config "$T/config.json" "$P"

port=$(free_port)
run_as=
[ "$(id -u)" -eq 0 ] && run_as=$'User www-data\nGroup www-data'
cat >"$dir/httpd.conf" <<EOF
ServerRoot $dir
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
DefaultRuntimeDir $dir
ErrorLog $dir/error.log
LogLevel warn
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule rewrite_module $MODS/mod_rewrite.so
LoadModule fcgid_module $MODS/mod_fcgid.so
$run_as
DocumentRoot $dir
FcgidIPCDir $dir/fcgid
FcgidProcessTableFile $dir/fcgid_shm

Define HOOKSPOOL_BIN $HANDLER
Define HOOKSPOOL_CONFIG $T/config.json
Define HOOKSPOOL_PROCS 2
Define HOOKSPOOL_MAX_REQUEST 65536
Include $HS_TOP/infra/apache/hookspool-fcgid.conf
# The secrets come from Apache's own environment, as from /etc/apache2/envvars.
FcgidInitialEnv S3_ACCESS_KEY \${S3_ACCESS_KEY}
FcgidInitialEnv S3_SECRET_KEY \${S3_SECRET_KEY}
FcgidInitialEnv GITHUB_SECRET \${GITHUB_SECRET}
EOF

check "apache2 -t accepts the config" apache2 -t -f "$dir/httpd.conf"
# Its own session: on shutdown Apache signals its whole process group, which
# would otherwise include this script.
setsid apache2 -f "$dir/httpd.conf" -DFOREGROUND 2>>"$dir/stderr.log" &
HS_PIDS+=($!)
APACHE_PID=$!
if ! wait_port "$port"; then
    not_ok "apache starts" "$(cat "$dir/error.log" "$dir/stderr.log" 2>/dev/null)"
    done_testing
    exit 1
fi
BASE=http://127.0.0.1:$port

http GET "$BASE/hooks/_health"
is "GET /hooks/_health answers 200 while MinIO answers" 200 "$STATUS"

printf '{"ref":"refs/heads/main","zen":"caf\xc3\xa9"}' >"$T/push.json"
id=$(cat /proc/sys/kernel/random/uuid)
github_post "$BASE/hooks/github" "$T/push.json" "$id"
is "signed github webhook: 202" 202 "$STATUS"
is "signed github webhook: answer names the key" "$id" "$(json_get "$RESPONSE" key)"
check "signed github webhook: pending/github/KEY holds the body byte for byte" \
    envelope_check "$P/pending/github/$id" github "$T/push.json"

BEFORE=$(spool_list "$P")
GITHUB_SECRET=wrong-secret github_post "$BASE/hooks/github" "$T/push.json" "$(cat /proc/sys/kernel/random/uuid)"
is "wrong signature: 401" 401 "$STATUS"
is "wrong signature: code bad_signature" bad_signature "$(response_code)"
is "wrong signature: nothing written" "$BEFORE" "$(spool_list "$P")"

http GET "$BASE/hooks/github"
is "GET: 405" 405 "$STATUS"
is "GET: Allow: POST" POST "$(response_header Allow)"

http POST "$BASE/hooks/nope" -H 'Content-Type: application/json' --data-binary "@$T/push.json"
is "unknown path under the mount: 404 from the handler" unknown_path "$(response_code)"

# Between max_body and FcgidMaxRequestLen: mod_fcgid passes the body and the
# handler refuses it with its JSON 413.
head -c 5000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
github_post "$BASE/hooks/github" "$T/big.txt" "$(cat /proc/sys/kernel/random/uuid)"
is "body over max_body (4096): 413" 413 "$STATUS"
is "body over max_body: code body_too_large" body_too_large "$(response_code)"
is "body over max_body: nothing written" "$BEFORE" "$(spool_list "$P")"

# Over FcgidMaxRequestLen: the rewrite guard answers 413 (mod_fcgid alone
# would answer 500) before the handler sees anything.
head -c 100000 /dev/zero | tr '\0' 'a' >"$T/huge.txt"
github_post "$BASE/hooks/github" "$T/huge.txt" "$(cat /proc/sys/kernel/random/uuid)"
is "body over FcgidMaxRequestLen (65536): Apache answers 413" 413 "$STATUS"
is "body over FcgidMaxRequestLen: nothing written" "$BEFORE" "$(spool_list "$P")"

# The handlers mod_fcgid spawned run with the config, as Apache's User.
handler_pids() {
    local f
    for f in /proc/[0-9]*/environ; do
        tr '\0' '\n' 2>/dev/null <"$f" | grep -qxF "HOOKSPOOL_CONFIG=$T/config.json" &&
            f=${f#/proc/} && echo "${f%/environ}"
    done
}
pids=$(handler_pids)
check "mod_fcgid spawned the handler" test -n "$pids"
if [ "$(id -u)" -eq 0 ]; then
    owners=$(for p in $pids; do stat -c %U "/proc/$p"; done | sort -u)
    is "the handler runs as www-data, not root" www-data "$owners"
fi

# exited: gone, or a zombie waiting for this shell to reap it
exited() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
kill -TERM "$APACHE_PID"
for _ in $(seq 1 100); do
    [ -z "$(handler_pids)" ] && exited "$APACHE_PID" && break
    sleep 0.1
done
check "SIGTERM stops Apache" exited "$APACHE_PID"
is "Apache's handlers are gone" "" "$(handler_pids)"

done_testing
