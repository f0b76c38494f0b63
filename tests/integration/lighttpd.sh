#!/usr/bin/env bash
# The handler under real lighttpd, mounted with infra/lighttpd/hookspool.conf
# (lighttpd spawning it), storing into the test MinIO: signed webhooks of
# four schemes accepted and stored byte for byte; every refusal with its
# status and JSON code and nothing written; hostile idempotency keys kept
# inside pending/SOURCE/; health; and a store that does not answer giving
# 503 with Retry-After. The bucket is read with mc, never with our store code.
# Last, fan-out end to end: a GitHub source feeding three destinations chosen
# by X-GitHub-Event, delivered by the drain.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/web.inc"

GITHUB_SECRET=$(openssl rand -hex 16)
STRIPE_SECRET=whsec_$(openssl rand -hex 12)
# Standard Webhooks keys are the base64-decoded bytes; an ASCII key lets the
# shared hmac helper sign with it.
STANDARD_KEY=$(openssl rand -hex 16)
STANDARD_SECRET=whsec_$(printf %s "$STANDARD_KEY" | base64 -w0)
GITLAB_TOKEN=$(openssl rand -hex 12)
export GITHUB_SECRET STRIPE_SECRET STANDARD_SECRET GITLAB_TOKEN

# write_config FILE STORE_URL TIMEOUT_MS
write_config() {
    cat >"$1" <<EOF
{
  "store": { "url": "$2", "access_key": "env:S3_ACCESS_KEY",
             "secret_key": "env:S3_SECRET_KEY", "timeout_ms": $3 },
  "sources": [
    { "name": "github", "path": "/hooks/github", "max_body": 4096,
      "verify": { "scheme": "github", "secrets": ["env:GITHUB_SECRET"] },
      "idempotency": { "header": "X-GitHub-Delivery" } },
    { "name": "stripe", "path": "/hooks/stripe",
      "verify": { "scheme": "stripe", "secrets": ["env:STRIPE_SECRET"] },
      "idempotency": { "json_pointer": "/id" } },
    { "name": "standard", "path": "/hooks/standard",
      "verify": { "scheme": "standard-webhooks", "secrets": ["env:STANDARD_SECRET"] },
      "idempotency": { "header": "webhook-id" } },
    { "name": "gitlab", "path": "/hooks/gitlab",
      "verify": { "scheme": "token", "header": "X-Gitlab-Token", "secrets": ["env:GITLAB_TOKEN"] },
      "idempotency": { "header": "X-Gitlab-Event-UUID", "fallback": "body_sha256" } }
  ]
}
EOF
}

# start_lighttpd NAME CONFIG: lighttpd on a free loopback port; sets BASE
start_lighttpd() {
    local dir=$T/$1 port
    port=$(free_port)
    mkdir -p "$dir/sockets" "$dir/uploads" "$dir/www"
    cat >"$dir/lighttpd.conf" <<EOF
server.bind          = "127.0.0.1"
server.port          = $port
server.document-root = "$dir/www"
server.errorlog      = "$dir/error.log"
server.upload-dirs   = ( "$dir/uploads" )
# Room for the 10 KB idempotency key below (default: 8 KB for all headers).
server.max-request-field-size = 32768

var.hookspool_bin            = "$HANDLER"
var.hookspool_config         = "$2"
var.hookspool_run_dir        = "$dir/sockets"
var.hookspool_procs          = 2
var.hookspool_env            = ( "S3_ACCESS_KEY", "S3_SECRET_KEY", "GITHUB_SECRET",
                                 "STRIPE_SECRET", "STANDARD_SECRET", "GITLAB_TOKEN" )
var.hookspool_max_request_kb = 64
include "$HS_TOP/infra/lighttpd/hookspool.conf"
EOF
    # lighttpd -tt exits 0 even when it finds bin-path unusable: it must say nothing.
    is "lighttpd -tt accepts the $1 config" "" "$(lighttpd -tt -f "$dir/lighttpd.conf" 2>&1)"
    lighttpd -D -f "$dir/lighttpd.conf" 2>>"$dir/handler.log" &
    HS_PIDS+=($!)
    LIGHTTPD_PID=$!
    BASE=http://127.0.0.1:$port
    wait_port "$port"
}

# refused DESC STATUS CODE: the last answer is STATUS with JSON code CODE, and
# the bucket under $P is unchanged since $BEFORE
refused() {
    is "$1: $2" "$2" "$STATUS"
    is "$1: code $3" "$3" "$(response_code)"
    is "$1: nothing written" "$BEFORE" "$(spool_list "$P")"
}

# stored DESC SOURCE RAW_KEY BODYFILE: 202, the answer names the encoded key,
# and pending/SOURCE/KEY holds the body byte for byte
stored() {
    local key
    key=$(key_encode "$3")
    is "$1: 202" 202 "$STATUS"
    is "$1: answer names the key" "$key" "$(json_get "$RESPONSE" key)"
    check "$1: pending/$2/KEY holds the body byte for byte" envelope_check "$P/pending/$2/$key" "$2" "$4"
}

stripe_post() { # BODYFILE TIMESTAMP
    local sig
    sig=$(hmac sha256 "$STRIPE_SECRET" "$1" "$2.")
    http POST "$BASE/hooks/stripe" -H 'Content-Type: application/json' \
        -H "Stripe-Signature: t=$2,v1=$sig" --data-binary "@$1"
}

standard_post() { # BODYFILE MSG_ID KEY
    local ts sig
    ts=$(date +%s)
    sig=$(hmac sha256 "$3" "$1" "$2.$ts." base64)
    http POST "$BASE/hooks/standard" -H 'Content-Type: application/json' \
        -H "webhook-id: $2" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
        --data-binary "@$1"
}

gitlab_post() { # BODYFILE TOKEN [CURL_ARGS...]
    local body=$1 token=$2
    shift 2
    http POST "$BASE/hooks/gitlab" -H 'Content-Type: application/json' \
        -H 'X-Gitlab-Event: Push Hook' -H "X-Gitlab-Token: $token" --data-binary "@$body" "$@"
}

P=$(unique_prefix)
write_config "$T/config.json" "$(s3_store_url "$P")" 3000
start_lighttpd main "$T/config.json" || { not_ok "lighttpd starts" "$(cat "$T/main/error.log")"; done_testing; exit 1; }

http GET "$BASE/hooks/_health"
is "GET /hooks/_health answers 200 while MinIO answers" 200 "$STATUS"
# hookspool_procs is the concurrency: that many handlers from the start (min-procs).
POOL=$(pgrep -P "$LIGHTTPD_PID" -d, -f hookspool-handler)
is "lighttpd starts hookspool_procs = 2 handler processes" 2 "$(echo "$POOL" | tr , '\n' | grep -c .)"

# --- accepted, one per scheme ---
printf '{"ref":"refs/heads/main","commits":[{"message":"caf\xc3\xa9 \\u00e9"}],"n":1}' >"$T/push.json"
id=$(cat /proc/sys/kernel/random/uuid)
github_post "$BASE/hooks/github" "$T/push.json" "$id"
stored "github" github "$id" "$T/push.json"

evt=evt_$(openssl rand -hex 8)
printf '{"id":"%s","object":"event","type":"invoice.paid"}' "$evt" >"$T/stripe.json"
stripe_post "$T/stripe.json" "$(date +%s)"
stored "stripe (key from the JSON body's /id)" stripe "$evt" "$T/stripe.json"

printf '{"type":"user.created","data":{"id":42}}' >"$T/standard.json"
msg=msg_$(openssl rand -hex 8)
standard_post "$T/standard.json" "$msg" "$STANDARD_KEY"
stored "standard-webhooks" standard "$msg" "$T/standard.json"

printf '{"object_kind":"push","ref":"main"}' >"$T/gitlab.json"
uuid=$(cat /proc/sys/kernel/random/uuid)
gitlab_post "$T/gitlab.json" "$GITLAB_TOKEN" -H "X-Gitlab-Event-UUID: $uuid"
stored "token (gitlab)" gitlab "$uuid" "$T/gitlab.json"

# No idempotency header on a body_sha256 source: the key is the body's hash.
printf '{"object_kind":"push","ref":"dev"}' >"$T/gitlab2.json"
gitlab_post "$T/gitlab2.json" "$GITLAB_TOKEN"
hash=sha256-$(sha256sum "$T/gitlab2.json" | cut -d' ' -f1)
is "body_sha256 fallback: 202" 202 "$STATUS"
is "body_sha256 fallback: the key is sha256- + the body's hash" "$hash" "$(json_get "$RESPONSE" key)"
check "body_sha256 fallback: pending/gitlab/sha256-HEX holds the body" \
    envelope_check "$P/pending/gitlab/$hash" gitlab "$T/gitlab2.json"

# A body that is not UTF-8 is kept byte for byte too (base64 in the envelope).
printf '\xff\xfe\x00binary\x80' >"$T/binary.bin"
id=$(cat /proc/sys/kernel/random/uuid)
github_post "$BASE/hooks/github" "$T/binary.bin" "$id"
stored "non-UTF-8 body" github "$id" "$T/binary.bin"

# --- refusals: status, JSON code, and nothing written ---
BEFORE=$(spool_list "$P")
http POST "$BASE/hooks/nope" -H 'Content-Type: application/json' --data-binary "@$T/push.json"
refused "unknown path" 404 unknown_path

http GET "$BASE/hooks/github"
refused "GET" 405 method_not_allowed
is "GET: Allow: POST" POST "$(response_header Allow)"

head -c 5000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
github_post "$BASE/hooks/github" "$T/big.txt" "$(cat /proc/sys/kernel/random/uuid)"
refused "body over max_body (4096), correctly signed" 413 body_too_large

head -c 100000 /dev/zero | tr '\0' 'a' >"$T/huge.txt"
github_post "$BASE/hooks/github" "$T/huge.txt" "$(cat /proc/sys/kernel/random/uuid)"
is "body over server.max-request-size: lighttpd answers 413 itself" 413 "$STATUS"
is "body over server.max-request-size: nothing written" "$BEFORE" "$(spool_list "$P")"

GITHUB_SECRET=wrong-secret github_post "$BASE/hooks/github" "$T/push.json" "$(cat /proc/sys/kernel/random/uuid)"
refused "github signed with a wrong secret" 401 bad_signature

http POST "$BASE/hooks/github" -H 'Content-Type: application/json' \
    -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" --data-binary "@$T/push.json"
refused "github without a signature" 401 missing_signature

printf '{"id":"evt_stale","object":"event"}' >"$T/stale.json"
stripe_post "$T/stale.json" $(($(date +%s) - 3600))
refused "stripe with a timestamp an hour old" 401 stale_timestamp

standard_post "$T/standard.json" "msg_wrongkey" "$(openssl rand -hex 16)"
refused "standard-webhooks signed with another key" 401 bad_signature

gitlab_post "$T/gitlab.json" "not-the-token" -H "X-Gitlab-Event-UUID: $(cat /proc/sys/kernel/random/uuid)"
refused "token source with a wrong token" 401 bad_signature

printf '{"id":"evt_broken", "object": ' >"$T/broken.json"
stripe_post "$T/broken.json" "$(date +%s)"
refused "stripe (require_json) with a malformed body, correctly signed" 400 invalid_json

github_post "$BASE/hooks/github" "$T/push.json" ""
refused "github without X-GitHub-Delivery (fallback reject)" 400 missing_idempotency_key

# --- hostile idempotency keys stay inside pending/github/ ---
long=$(head -c 10240 /dev/zero | tr '\0' 'k')
for raw in '../x' 'a/b' '.hidden' '%2F..%2F' "$long" $'\xff\xfe' $'x\ty'; do
    case "$raw" in
    "$long") desc="key of 10 KB" ;;
    *) desc="key $(printf '%q' "$raw")" ;;
    esac
    printf '{"key":"case %s"}' "${#raw}" >"$T/hostile.json"
    github_post "$BASE/hooks/github" "$T/hostile.json" "$raw"
    stored "$desc" github "$raw" "$T/hostile.json"
done
# Control bytes other than tab never reach the handler: lighttpd refuses them.
BEFORE=$(spool_list "$P")
github_post "$BASE/hooks/github" "$T/hostile.json" $'x\x01y'
is "key with a control byte: lighttpd answers 400" 400 "$STATUS"
is "key with a control byte: nothing written" "$BEFORE" "$(spool_list "$P")"
stray=$(spool_list "$P" | grep -vE '^pending/(github|stripe|standard|gitlab)/[^/]+$')
is "every object is pending/SOURCE/KEY, none elsewhere" "" "$stray"
is "the same 2 handler processes served every request" "$POOL" \
    "$(pgrep -P "$LIGHTTPD_PID" -d, -f hookspool-handler)"

# --- the store does not answer: 503 with Retry-After, health 503 ---
closed=$(free_port)
write_config "$T/down.json" "s3://$HS_S3_BUCKET/$P-down?endpoint=127.0.0.1:$closed&tls=0" 500
MAIN_BASE=$BASE
start_lighttpd down "$T/down.json" || not_ok "second lighttpd starts" "$(cat "$T/down/error.log")"
started=$(date +%s%N)
github_post "$BASE/hooks/github" "$T/push.json" "$(cat /proc/sys/kernel/random/uuid)"
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
is "store unreachable: 503" 503 "$STATUS"
is "store unreachable: code" store_unavailable "$(response_code)"
retry_after=$(response_header Retry-After)
check "store unreachable: Retry-After is a number of seconds" test -n "$retry_after" -a "$retry_after" -gt 0
check "store unreachable: answered within 5 s (timeout_ms 500), took ${elapsed_ms} ms" test "$elapsed_ms" -lt 5000
http GET "$BASE/hooks/_health"
is "store unreachable: GET /hooks/_health answers 503" 503 "$STATUS"
DOWN_PID=$LIGHTTPD_PID

# A store that accepts connections and never answers: the handler gives up
# after timeout_ms and answers 503 well before any provider's own timeout
# (Shopify waits 5 s). A request pays one store timeout, not one per store
# call: a timed-out backlog read answers 503 without trying the write too.
stalled=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(end - time.time())
    try: held.append(s.accept()[0])
    except OSError: break' "$stalled" &
HS_PIDS+=($!)
wait_port "$stalled"
write_config "$T/stalled.json" "s3://$HS_S3_BUCKET/$P-stalled?endpoint=127.0.0.1:$stalled&tls=0" 1000
start_lighttpd stalled "$T/stalled.json" || not_ok "third lighttpd starts" "$(cat "$T/stalled/error.log")"
started=$(date +%s%N)
github_post "$BASE/hooks/github" "$T/push.json" "$(cat /proc/sys/kernel/random/uuid)"
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
is "store stalled: 503" 503 "$STATUS"
is "store stalled: code" store_unavailable "$(response_code)"
check "store stalled: Retry-After is set" test -n "$(response_header Retry-After)"
check "store stalled: one timeout of 1000 ms, not two: took ${elapsed_ms} ms" test "$elapsed_ms" -lt 2000

BASE=$MAIN_BASE
http GET "$BASE/hooks/_health"
is "the first lighttpd is still healthy" 200 "$STATUS"

# --- stopping lighttpd stops the handlers it spawned ---
handler_pids() { # the handlers running with CONFIG
    local f
    for f in /proc/[0-9]*/environ; do
        tr "\0" "\n" 2>/dev/null <"$f" | grep -qxF "HOOKSPOOL_CONFIG=$1" && f=${f#/proc/} && echo "${f%/environ}"
    done
}
check "lighttpd spawned 2 handlers (max-procs)" test "$(handler_pids "$T/down.json" | wc -l)" -eq 2
kill -TERM "$DOWN_PID"
for _ in $(seq 1 50); do
    [ -z "$(handler_pids "$T/down.json")" ] && break
    sleep 0.1
done
is "SIGTERM to lighttpd stops its handlers" "" "$(handler_pids "$T/down.json")"

# --- fan-out: one GitHub source, three destinations chosen by X-GitHub-Event ---
# ci takes push and pull_request; tracker takes issues opened or closed; audit
# takes everything but ping, so a ping matches nothing and ends "filtered".
FAN_REC=$T/fan-rec
FAN_PORT=$(free_port)
python3 "$HS_TOP/tests/dest.py" serve --port "$FAN_PORT" --dir "$FAN_REC" 2>>"$T/fan-dest.log" &
HS_PIDS+=($!)
wait_port "$FAN_PORT" || not_ok "fan-out destination starts"
FP=$(unique_prefix)
cat >"$T/fan.json" <<JSON
{
  "store": { "url": "$(s3_store_url "$FP")", "access_key": "env:S3_ACCESS_KEY",
             "secret_key": "env:S3_SECRET_KEY" },
  "sources": [
    { "name": "github", "path": "/hooks/github",
      "verify": { "scheme": "github", "secrets": ["env:GITHUB_SECRET"] },
      "idempotency": { "header": "X-GitHub-Delivery" },
      "destinations": [
        { "name": "ci", "url": "http://127.0.0.1:$FAN_PORT/ci",
          "filter": { "header": "X-GitHub-Event", "in": ["push", "pull_request"] } },
        { "name": "tracker", "url": "http://127.0.0.1:$FAN_PORT/tracker",
          "filter": { "all": [ { "header": "X-GitHub-Event", "equals": "issues" },
                               { "json_pointer": "/action", "in": ["opened", "closed"] } ] } },
        { "name": "audit", "url": "http://127.0.0.1:$FAN_PORT/audit",
          "filter": { "not": { "header": "X-GitHub-Event", "equals": "ping" } } } ] }
  ],
  "drain": { "schedule_s": [0, 1, 1] }
}
JSON
start_lighttpd fan "$T/fan.json" || not_ok "fan-out lighttpd starts" "$(cat "$T/fan/error.log")"

# github_event EVENT BODY_JSON: a signed GitHub webhook of that event; its delivery
# id goes to DELIVERY
github_event() {
    local sig
    printf '%s' "$2" >"$T/event.json"
    sig=$(hmac sha256 "$GITHUB_SECRET" "$T/event.json")
    DELIVERY=$(cat /proc/sys/kernel/random/uuid)
    http POST "$BASE/hooks/github" -H 'Content-Type: application/json' \
        -H "X-GitHub-Event: $1" -H "X-Hub-Signature-256: sha256=$sig" \
        -H "X-GitHub-Delivery: $DELIVERY" --data-binary "@$T/event.json"
    is "fan-out: $1 accepted" 202 "$STATUS"
}
got() { python3 "$HS_TOP/tests/dest.py" count "$FAN_REC" --key "$1" --path "/$2"; } # KEY DEST
# fan_json KEY EXPR: a Python expression over the done/ envelope d of KEY
fan_json() {
    mc_cat "$FP/done/github/$(key_encode "$1")" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
github_event push '{"ref":"refs/heads/main"}'
push=$DELIVERY
github_event issues '{"action":"opened","issue":{"number":7}}'
opened=$DELIVERY
github_event issues '{"action":"labeled","issue":{"number":7}}'
labeled=$DELIVERY
github_event ping '{"zen":"Keep it logically awesome."}'
ping=$DELIVERY
"$DRAIN" --config "$T/fan.json" --once 2>>"$T/fan-drain.log"
is "fan-out: the drain pass exits 0" 0 $?
is "fan-out: push to ci and audit" "1 0 1" \
    "$(got "$push" ci) $(got "$push" tracker) $(got "$push" audit)"
is "fan-out: issues opened to tracker and audit" "0 1 1" \
    "$(got "$opened" ci) $(got "$opened" tracker) $(got "$opened" audit)"
is "fan-out: issues labeled to audit only" "0 0 1" \
    "$(got "$labeled" ci) $(got "$labeled" tracker) $(got "$labeled" audit)"
is "fan-out: ping to no one" "0 0 0" \
    "$(got "$ping" ci) $(got "$ping" tracker) $(got "$ping" audit)"
is "fan-out: every webhook in done/" 4 "$(spool_list "$FP" | grep -c '^done/github/')"
is "fan-out: nothing left in pending/ or retry/" "" \
    "$(spool_list "$FP" | grep -E '^(pending|retry)/')"
is "fan-out: ping in done/ as filtered" filtered "$(fan_json "$ping" 'd["outcome"]["state"]')"
is "fan-out: push's record names its two destinations, both done" "ci=done audit=done" \
    "$(fan_json "$push" '" ".join(k + "=" + v["outcome"]["state"] for k, v in d["deliveries"].items())')"
is "fan-out: each delivery names its destination, one Idempotency-Key for both" "audit ci" \
    "$(python3 - "$FAN_REC" "$(key_encode "$push")" <<'PY'
import json, os, sys
names = []
for f in os.listdir(sys.argv[1]):
    r = json.load(open(os.path.join(sys.argv[1], f)))
    h = {k.lower(): v for k, v in r["headers"]}
    if h.get("idempotency-key") == sys.argv[2]:
        names.append(h["hookspool-destination"])
print(" ".join(sorted(names)))
PY
)"

done_testing
