#!/usr/bin/env bash
# The handler behind real nginx, mounted with infra/nginx/hookspool.conf and
# started by spawn-fcgi (two processes sharing the socket), storing into the
# test MinIO: a signed webhook accepted and stored byte for byte with its
# query, a refusal writing nothing, and both kinds of 413 (the handler's,
# over max_body, and nginx's, over client_max_body_size). Then the handler
# under socket activation, as hookspool-handler.socket starts it (LISTEN_FDS).
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/web.inc"

GITHUB_SECRET=$(openssl rand -hex 16)
export GITHUB_SECRET
P=$(unique_prefix)
dir=$T/nginx
mkdir -p "$dir/tmp"
# nginx's workers run as nobody when the master is root: they need to reach
# the temp paths under $T.
chmod 755 "$T"

github_config "$T/config.json" "$P"

fport=$(free_port)
HOOKSPOOL_CONFIG=$T/config.json spawn-fcgi -a 127.0.0.1 -p "$fport" -F 2 -P "$T/spawn.pid" \
    -- "$HANDLER" >"$T/spawn.log" 2>&1
# spawn-fcgi detaches its children; the pid file lists them, for the cleanup.
mapfile -t spawned <"$T/spawn.pid"
HS_PIDS+=("${spawned[@]}")
is "spawn-fcgi started 2 handlers" 2 "${#spawned[@]}"

port=$(free_port)
cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    upstream hookspool_handler { server 127.0.0.1:$fport; }
    server {
        listen 127.0.0.1:$port;
        include $HS_TOP/infra/nginx/hookspool.conf;
        location / { return 404; }
    }
}
EOF
check "nginx -t accepts the config" nginx -t -q -e "$dir/error.log" -p "$dir/" -c "$dir/nginx.conf"
setsid nginx -e "$dir/error.log" -p "$dir/" -c "$dir/nginx.conf" &
HS_PIDS+=($!)
NGINX_PID=$!
if ! wait_port "$port"; then
    not_ok "nginx starts" "$(cat "$dir/error.log")"
    done_testing
    exit 1
fi
BASE=http://127.0.0.1:$port

http GET "$BASE/hooks/_health"
is "GET /hooks/_health answers 200 while MinIO answers" 200 "$STATUS"

printf '{"ref":"refs/heads/main","zen":"caf\xc3\xa9"}' >"$T/push.json"
id=$(cat /proc/sys/kernel/random/uuid)
github_post "$BASE/hooks/github?installation=7" "$T/push.json" "$id"
is "signed github webhook: 202" 202 "$STATUS"
is "signed github webhook: answer names the key" "$id" "$(json_get "$RESPONSE" key)"
check "signed github webhook: pending/github/KEY holds the body byte for byte" \
    envelope_check "$P/pending/github/$id" github "$T/push.json"
request=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["request"]; print(r["path"], r["query"])' \
    "$T/envelope.json")
is "the envelope has the path and the query apart" "/hooks/github installation=7" "$request"

BEFORE=$(spool_list "$P")
GITHUB_SECRET=wrong-secret github_post "$BASE/hooks/github" "$T/push.json" "$(cat /proc/sys/kernel/random/uuid)"
is "wrong signature: 401" 401 "$STATUS"
is "wrong signature: code bad_signature" bad_signature "$(response_code)"
is "wrong signature: nothing written" "$BEFORE" "$(spool_list "$P")"

http GET "$BASE/hooks/github"
is "GET: 405" 405 "$STATUS"
is "GET: Allow: POST" POST "$(response_header Allow)"

head -c 5000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
github_post "$BASE/hooks/github" "$T/big.txt" "$(cat /proc/sys/kernel/random/uuid)"
is "body over max_body (4096): 413 from the handler" 413 "$STATUS"
is "body over max_body: code body_too_large" body_too_large "$(response_code)"
is "body over max_body: nothing written" "$BEFORE" "$(spool_list "$P")"

head -c 2200000 /dev/zero | tr '\0' 'a' >"$T/huge.txt"
github_post "$BASE/hooks/github" "$T/huge.txt" "$(cat /proc/sys/kernel/random/uuid)"
is "body over client_max_body_size (2m): nginx answers 413" 413 "$STATUS"
is "body over client_max_body_size: nothing written" "$BEFORE" "$(spool_list "$P")"

# exited: gone, or a zombie waiting for this shell to reap it
exited() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
kill -TERM "$NGINX_PID" "${spawned[@]}"
for _ in $(seq 1 100); do
    alive=0
    for p in "$NGINX_PID" "${spawned[@]}"; do exited "$p" || alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
done
is "SIGTERM stops nginx and the spawn-fcgi handlers" 0 "$alive"

# Socket activation: systemd-socket-activate listens and passes the socket
# the way hookspool-handler.socket does (fd 3, LISTEN_FDS, LISTEN_PID).
HANDLER_PORT=$(free_port)
# Like systemd, it hands the handler only the environment it is told to
# (the unit's Environment= and EnvironmentFile=).
setsid systemd-socket-activate -l "127.0.0.1:$HANDLER_PORT" -E "HOOKSPOOL_CONFIG=$T/config.json" \
    -E GITHUB_SECRET -E S3_ACCESS_KEY -E S3_SECRET_KEY "$HANDLER" 2>>"$T/activate.log" &
HS_PIDS+=($!)
ACTIVATED_PID=$!
wait_port "$HANDLER_PORT"
id=$(cat /proc/sys/kernel/random/uuid)
sig=$(hmac sha256 "$GITHUB_SECRET" "$T/push.json")
fcgi POST /hooks/github "$T/push.json" HTTP_X_GITHUB_DELIVERY="$id" HTTP_X_HUB_SIGNATURE_256="sha256=$sig"
is "socket-activated handler: 202" 202 "$STATUS"
check "socket-activated handler: pending/github/KEY holds the body" \
    envelope_check "$P/pending/github/$id" github "$T/push.json"
kill -TERM "$ACTIVATED_PID"
for _ in $(seq 1 50); do exited "$ACTIVATED_PID" && break; sleep 0.1; done
check "SIGTERM stops the socket-activated handler" exited "$ACTIVATED_PID"

done_testing
