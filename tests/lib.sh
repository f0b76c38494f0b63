# Shared helpers for tests/integration/*.sh: TAP output, temp dirs, free
# ports, configs, the handler over FastCGI (cgi-fcgi), signing, and reading
# the bucket with MinIO's mc (never with hookspool's own store code).
# Sourced by each test; tests/run provides BUILD, HS_TOP, and the MinIO env.

set -uo pipefail
: "${BUILD:=build}" "${HS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BUILD=$(cd "$HS_TOP" && cd "$BUILD" && pwd)
HANDLER=$BUILD/hookspool-handler
DRAIN=$BUILD/hookspool-drain
T=$(mktemp -d /tmp/hookspool-it.XXXXXX)
TAP_N=0
TAP_FAILED=0
HS_PIDS=()

hs_cleanup() {
    for p in "${HS_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$T"
}
trap hs_cleanup EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
    TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $1"
    [ $# -gt 1 ] && echo "# $2" && echo "$1: $2" >&2
    return 0
}
# is DESC EXPECTED ACTUAL
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi; }
# check DESC COMMAND...: passes when the command succeeds
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d" "failed: $*"; fi; }
# contains DESC NEEDLE HAYSTACK
contains() { case "$3" in *"$2"*) ok "$1" ;; *) not_ok "$1" "'$2' not in '$3'" ;; esac; }
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # PORT: waits up to 10 s for a listener
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# s3_store_url [PREFIX]: the store URL of the test bucket, under PREFIX (MinIO's,
# or versitygw's in its region after tests/integration/versitygw.inc)
s3_store_url() {
    local p=${1:+/$1}
    echo "s3://$HS_S3_BUCKET$p?endpoint=$HS_S3_ENDPOINT&tls=0${HS_S3_REGION:+&region=$HS_S3_REGION}"
}

# A unique prefix per test, so tests sharing the bucket never see each other.
unique_prefix() { echo "t$(date +%s%N | tail -c 10)$RANDOM"; }

# mc_ls PREFIX: the object keys under bucket/PREFIX, one per line, relative to PREFIX
mc_ls() {
    "$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/$1" 2>/dev/null | awk '{print $NF}'
}
mc_cat() { "$HS_MC" --quiet cat "t/$HS_S3_BUCKET/$1"; }

# start_handler CONFIG: runs the handler standalone on a free port; sets HANDLER_PORT
start_handler() {
    HANDLER_PORT=$(free_port)
    HOOKSPOOL_CONFIG=$1 "$HANDLER" --listen "127.0.0.1:$HANDLER_PORT" 2>>"$T/handler.log" &
    HS_PIDS+=($!)
    HANDLER_PID=$!
    wait_port "$HANDLER_PORT"
}

# fcgi METHOD PATH BODYFILE [NAME=VALUE...]: one FastCGI request to the handler.
# Extra arguments are CGI variables, e.g. HTTP_X_GITHUB_EVENT=push.
# Sets STATUS, RESPONSE (the body) and RESPONSE_HEADERS.
fcgi() {
    local method=$1 path=$2 body=$3 raw
    shift 3
    local len
    len=$(stat -c %s "$body")
    raw=$(env -i REQUEST_METHOD="$method" SCRIPT_NAME="$path" REQUEST_URI="$path" \
        QUERY_STRING="" CONTENT_LENGTH="$len" CONTENT_TYPE="${CONTENT_TYPE:-application/json}" \
        REMOTE_ADDR=127.0.0.1 SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 "$@" \
        cgi-fcgi -bind -connect "127.0.0.1:$HANDLER_PORT" <"$body" | tr -d '\r')
    RESPONSE_HEADERS=$(printf '%s\n' "$raw" | sed '/^$/q')
    RESPONSE=$(printf '%s\n' "$raw" | sed '1,/^$/d')
    STATUS=$(printf '%s\n' "$RESPONSE_HEADERS" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
    [ -n "$STATUS" ] || STATUS=200
}

# json_get JSON FIELD: a top-level field of a JSON document
json_get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2],""))' "$1" "$2"; }

# hmac ALG SECRET FILE [PREFIX_TEXT] [hex|base64]: HMAC of PREFIX_TEXT + file bytes
hmac() {
    python3 - "$@" <<'PY'
import base64, hashlib, hmac, sys
alg, secret, path = sys.argv[1:4]
prefix = sys.argv[4].encode() if len(sys.argv) > 4 else b""
enc = sys.argv[5] if len(sys.argv) > 5 else "hex"
mac = hmac.new(secret.encode(), prefix + open(path, "rb").read(), getattr(hashlib, alg))
print(mac.hexdigest() if enc == "hex" else base64.b64encode(mac.digest()).decode())
PY
}
