#!/usr/bin/env bash
# Providers' handshakes through real lighttpd (infra/lighttpd/hookspool.conf),
# sent as each provider sends them: Slack's url_verification, Zoom's
# endpoint.url_validation, Twitch's webhook_callback_verification, Discord's
# webhook-events and interactions PINGs (all signed, by Node's crypto after
# the providers' documented rules; Discord's checked by discord-interactions),
# and the GET handshakes of Meta, X/Twitter and Dropbox. Each answer is
# checked exactly (status, Content-Type, nosniff, body byte for byte), and
# the spool in MinIO is checked to hold nothing afterwards; then the
# refusals (a bad signature, a wrong verify_token, GET to a scheme without
# a GET handshake, a GET without its parameters), and last a source's own
# "response" to an accepted webhook.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/web.inc"
CACHE=${HOOKSPOOL_CACHE:-$HOME/.cache/hookspool}

if [ ! -d "$CACHE/node/node_modules/discord-interactions" ]; then
    not_ok "provider libraries installed" "no discord-interactions in $CACHE/node: run infra/deps.sh"
    done_testing
    exit
fi
ln -s "$CACHE/node/node_modules" "$T/node_modules"
cp "$HS_TOP/tests/integration/handshake_sign.mjs" "$T/sign.mjs"
sign() { node "$T/sign.mjs" "$@"; }

SLACK_SECRET=$(openssl rand -hex 16)
ZOOM_OLD=$(openssl rand -hex 16)
ZOOM_SECRET=$(openssl rand -hex 16)
TWITCH_SECRET=$(openssl rand -hex 16)
META_SECRET=$(openssl rand -hex 16)
META_TOKEN=meta-$(openssl rand -hex 8)
TWITTER_SECRET=$(openssl rand -hex 16)
DROPBOX_SECRET=$(openssl rand -hex 16)
DISCORD_PUBLIC=$(sign discord-key "$T/discord.pem") || not_ok "discord key pair" "node failed"
export SLACK_SECRET ZOOM_SECRET TWITCH_SECRET META_SECRET META_TOKEN TWITTER_SECRET

P=$(unique_prefix)
# source NAME VERIFY_JSON [EXTRA]: one source entry at /hooks/NAME
source_json() {
    printf '{ "name": "%s", "path": "/hooks/%s", "verify": %s,
      "idempotency": { "header": "X-Id", "fallback": "body_sha256" }%s }' "$1" "$1" "$2" "${3:-}"
}
cat >"$T/config.json" <<EOF
{
  "store": { "url": "$(s3_store_url "$P")", "access_key": "env:S3_ACCESS_KEY",
             "secret_key": "env:S3_SECRET_KEY" },
  "sources": [
    $(source_json slack '{ "scheme": "slack", "secrets": ["env:SLACK_SECRET"] }'),
    $(source_json zoom "{ \"scheme\": \"zoom\", \"secrets\": [\"$ZOOM_OLD\", \"env:ZOOM_SECRET\"] }"),
    $(source_json twitch '{ "scheme": "twitch", "secrets": ["env:TWITCH_SECRET"] }'),
    $(source_json meta '{ "scheme": "meta", "secrets": ["env:META_SECRET"], "verify_token": "env:META_TOKEN" }'),
    $(source_json twitter '{ "scheme": "twitter", "secrets": ["env:TWITTER_SECRET"] }'),
    $(source_json dropbox "{ \"scheme\": \"dropbox\", \"secrets\": [\"$DROPBOX_SECRET\"] }"),
    $(source_json discord "{ \"scheme\": \"discord\", \"public_key\": \"$DISCORD_PUBLIC\" }"),
    $(source_json github '{ "scheme": "github", "secrets": ["unused"] }'),
    $(source_json answered '{ "scheme": "none" }' ',
      "response": { "status": 200, "body": "ok", "content_type": "text/plain" }')
  ]
}
EOF

port=$(free_port)
mkdir -p "$T/lt/sockets" "$T/lt/uploads" "$T/lt/www"
cat >"$T/lt/lighttpd.conf" <<EOF
server.bind          = "127.0.0.1"
server.port          = $port
server.document-root = "$T/lt/www"
server.errorlog      = "$T/lt/error.log"
server.upload-dirs   = ( "$T/lt/uploads" )
var.hookspool_bin            = "$HANDLER"
var.hookspool_config         = "$T/config.json"
var.hookspool_run_dir        = "$T/lt/sockets"
var.hookspool_procs          = 1
var.hookspool_env            = ( "S3_ACCESS_KEY", "S3_SECRET_KEY", "SLACK_SECRET", "ZOOM_SECRET",
                                 "TWITCH_SECRET", "META_SECRET", "META_TOKEN", "TWITTER_SECRET" )
var.hookspool_max_request_kb = 64
include "$HS_TOP/infra/lighttpd/hookspool.conf"
EOF
is "lighttpd -tt accepts the config" "" "$(lighttpd -tt -f "$T/lt/lighttpd.conf" 2>&1)"
lighttpd -D -f "$T/lt/lighttpd.conf" 2>>"$T/lt/handler.log" &
HS_PIDS+=($!)
BASE=http://127.0.0.1:$port
wait_port "$port" || not_ok "lighttpd starts" "$(cat "$T/lt/error.log")"

# answered DESC STATUS CONTENT_TYPE EXPECTED_BODY_FILE: the last answer exactly
answered() {
    is "$1: $2" "$2" "$STATUS"
    is "$1: Content-Type" "$3" "$(response_header Content-Type)"
    is "$1: X-Content-Type-Options: nosniff" nosniff "$(response_header X-Content-Type-Options)"
    check "$1: the body byte for byte" cmp -s "$4" "$T/http.body"
}
# refused DESC STATUS CODE
refused() {
    is "$1: $2" "$2" "$STATUS"
    is "$1: code $3" "$3" "$(response_code)"
    is "$1: a JSON answer" application/json "$(response_header Content-Type)"
}
expect() { printf '%s' "$1" >"$T/expected"; } # TEXT: the expected body, without a newline

# --- Slack Events API: url_verification ---
challenge=$(openssl rand -hex 26)
printf '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"%s","type":"url_verification"}' \
    "$challenge" >"$T/slack.json"
sign slack "$SLACK_SECRET" "$T/slack.json" >"$T/slack.h"
http POST "$BASE/hooks/slack" -H 'Content-Type: application/json' \
    -H 'User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)' -H @"$T/slack.h" \
    --data-binary @"$T/slack.json"
expect "$challenge"
answered "slack url_verification" 200 "text/plain; charset=utf-8" "$T/expected"
sign slack wrong-secret "$T/slack.json" >"$T/slack-bad.h"
http POST "$BASE/hooks/slack" -H 'Content-Type: application/json' -H @"$T/slack-bad.h" \
    --data-binary @"$T/slack.json"
refused "slack url_verification with a bad signature" 401 bad_signature

# --- Zoom: endpoint.url_validation, signed with the older of two secret tokens ---
plain=$(openssl rand -base64 16 | tr -d '=+/')
printf '{"payload":{"plainToken":"%s"},"event_ts":%s000,"event":"endpoint.url_validation"}' \
    "$plain" "$(date +%s)" >"$T/zoom.json"
for secret in "$ZOOM_OLD" "$ZOOM_SECRET"; do
    sign zoom "$secret" "$T/zoom.json" >"$T/zoom.h"
    http POST "$BASE/hooks/zoom" -H 'Content-Type: application/json; charset=utf-8' \
        -H 'User-Agent: Zoom Marketplace/1.0a' -H @"$T/zoom.h" --data-binary @"$T/zoom.json"
    expect "{\"plainToken\":\"$plain\",\"encryptedToken\":\"$(sign zoom-token "$secret" "$plain")\"}"
    which=$([ "$secret" = "$ZOOM_OLD" ] && echo "older" || echo "current")
    answered "zoom url_validation (the $which secret)" 200 application/json "$T/expected"
done
sign zoom wrong-secret "$T/zoom.json" >"$T/zoom-bad.h"
http POST "$BASE/hooks/zoom" -H 'Content-Type: application/json' -H @"$T/zoom-bad.h" \
    --data-binary @"$T/zoom.json"
refused "zoom url_validation with a bad signature" 401 bad_signature

# --- Twitch EventSub: webhook_callback_verification ---
challenge=pogchamp-kappa-$(openssl rand -hex 8)
printf '{"challenge":"%s","subscription":{"id":"f1c2a387","status":"webhook_callback_verification_pending","type":"channel.follow","version":"2","cost":0,"condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/hooks/twitch"},"created_at":"2019-11-16T10:11:12.634234626Z"}}' \
    "$challenge" >"$T/twitch.json"
sign twitch "$TWITCH_SECRET" "$T/twitch.json" >"$T/twitch.h"
http POST "$BASE/hooks/twitch" -H 'Content-Type: application/json' -H @"$T/twitch.h" \
    --data-binary @"$T/twitch.json"
expect "$challenge"
answered "twitch webhook_callback_verification" 200 "text/plain; charset=utf-8" "$T/expected"
sign twitch wrong-secret "$T/twitch.json" >"$T/twitch-bad.h"
http POST "$BASE/hooks/twitch" -H 'Content-Type: application/json' -H @"$T/twitch-bad.h" \
    --data-binary @"$T/twitch.json"
refused "twitch verification with a bad signature" 401 bad_signature

# --- Discord: the webhook-events PING (204) and the interactions PING ({"type":1}) ---
printf '{"version":1,"application_id":"1234567890","type":0}' >"$T/discord-ping.json"
sign discord "$T/discord.pem" "$T/discord-ping.json" >"$T/discord.h"
http POST "$BASE/hooks/discord" -H 'Content-Type: application/json' -H @"$T/discord.h" \
    --data-binary @"$T/discord-ping.json"
is "discord webhook ping: 204" 204 "$STATUS"
is "discord webhook ping: no body" 0 "$(stat -c %s "$T/http.body")"
is "discord webhook ping: no Content-Type" "" "$(response_header Content-Type)"
printf '{"application_id":"1234567890","id":"1","token":"aW50ZXJhY3Rpb24","type":1,"user":{"id":"5"},"version":1}' \
    >"$T/discord-interaction.json"
sign discord "$T/discord.pem" "$T/discord-interaction.json" >"$T/discord-i.h"
http POST "$BASE/hooks/discord" -H 'Content-Type: application/json' -H @"$T/discord-i.h" \
    --data-binary @"$T/discord-interaction.json"
expect '{"type":1}'
answered "discord interactions ping" 200 application/json "$T/expected"
# Discord checks an interactions endpoint by also sending a bad signature: it must be 401.
http POST "$BASE/hooks/discord" -H 'Content-Type: application/json' -H @"$T/discord.h" \
    --data-binary @"$T/discord-interaction.json"
refused "discord ping with a signature of another body" 401 bad_signature

# --- Meta: GET hub.mode=subscribe ---
http GET "$BASE/hooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$META_TOKEN" \
    -H 'User-Agent: facebookplatform/1.0 (+http://developers.facebook.com)'
expect 1158201444
answered "meta subscribe" 200 "text/plain; charset=utf-8" "$T/expected"
http GET "$BASE/hooks/meta?hub.mode=subscribe&hub.challenge=%3Cscript%3Ex%3C%2Fscript%3E&hub.verify_token=$META_TOKEN"
expect '<script>x</script>'
answered "meta subscribe, challenge URL-decoded" 200 "text/plain; charset=utf-8" "$T/expected"
http GET "$BASE/hooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=not-$META_TOKEN"
refused "meta with a wrong verify_token" 403 verify_token_mismatch
http GET "$BASE/hooks/meta?hub.mode=subscribe&hub.verify_token=$META_TOKEN"
refused "meta without hub.challenge" 400 missing_handshake_parameter

# --- X/Twitter: GET crc_token ---
crc=$(openssl rand -hex 24)
http GET "$BASE/hooks/twitter?crc_token=$crc&nonce=MTUzNjQ0MjA4MTY5Mg"
expect "{\"response_token\":\"$(sign twitter-crc "$TWITTER_SECRET" "$crc")\"}"
answered "twitter crc" 200 application/json "$T/expected"
http GET "$BASE/hooks/twitter?nonce=1"
refused "twitter without crc_token" 400 missing_handshake_parameter

# --- Dropbox: GET challenge ---
challenge=$(openssl rand -hex 20)
http GET "$BASE/hooks/dropbox?challenge=$challenge"
expect "$challenge"
answered "dropbox challenge" 200 "text/plain; charset=utf-8" "$T/expected"
http GET "$BASE/hooks/dropbox"
refused "dropbox GET without a challenge" 400 missing_handshake_parameter

# --- GET where no handshake is defined ---
http GET "$BASE/hooks/github?challenge=1"
refused "GET to github" 405 method_not_allowed
is "GET to github: Allow: POST" POST "$(response_header Allow)"
http GET "$BASE/hooks/slack?challenge=1"
refused "GET to slack (a POST handshake)" 405 method_not_allowed
http PUT "$BASE/hooks/meta" --data-binary x
refused "PUT to meta" 405 method_not_allowed
is "PUT to meta: Allow: GET, POST" "GET, POST" "$(response_header Allow)"

is "no handshake and no refusal wrote anything" "" "$(spool_list "$P")"
check "each handshake was logged" grep -q '"event":"handshake","source":"discord","status":204' \
    "$T/lt/handler.log"

# --- a source's own answer to an accepted webhook ---
printf '{"n":1}' >"$T/answered.json"
http POST "$BASE/hooks/answered" -H 'Content-Type: application/json' --data-binary @"$T/answered.json"
expect ok
answered "response: 200 ok" 200 text/plain "$T/expected"
key=sha256-$(sha256sum "$T/answered.json" | cut -d' ' -f1)
check "response: the webhook is stored" envelope_check "$P/pending/answered/$key" answered \
    "$T/answered.json"
is "response: it is the only object" "pending/answered/$key" "$(spool_list "$P")"
http GET "$BASE/hooks/answered"
refused "response: a refusal keeps its JSON" 405 method_not_allowed

done_testing
