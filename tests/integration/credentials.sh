#!/usr/bin/env bash
# No credential reaches the spool or `hookspool-drain show`: a webhook sent
# through the handler with Authorization, Proxy-Authorization, Cookie and a
# token source's token header is stored without them, and `show` prints
# none of their values, while the provider's signature header stays. An
# envelope stored before credentials were left out (written here by hand)
# is still delivered without them.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

DEST_PY=$HS_TOP/tests/dest.py
REC=$T/rec
DEST_PORT=$(free_port)
python3 "$DEST_PY" serve --port "$DEST_PORT" --dir "$REC" 2>>"$T/dest.log" &
HS_PIDS+=($!)
wait_port "$DEST_PORT" || not_ok "destination starts"

export GITLAB_TOKEN=glpat-never-stored GH_SECRET=gh-secret
cat >"$T/config.json" <<JSON
{ "store": { "url": "file://$T/spool" },
  "sources": [
    { "name": "gitlab", "path": "/hooks/gitlab",
      "verify": { "scheme": "token", "header": "X-Gitlab-Token", "secrets": ["env:GITLAB_TOKEN"] },
      "idempotency": { "header": "X-Gitlab-Event-UUID" },
      "destination": { "url": "http://127.0.0.1:$DEST_PORT/ok", "timeout_ms": 2000 } },
    { "name": "github", "path": "/hooks/github",
      "verify": { "scheme": "github", "secrets": ["env:GH_SECRET"] },
      "idempotency": { "header": "X-GitHub-Delivery" } } ] }
JSON
start_handler "$T/config.json"
printf '{"object_kind": "push"}' >"$T/body.json"
SECRETS=(glpat-never-stored dXNlcjpwYXNzd29yZA== proxy-secret-value cookie-secret-value)
no_secret_in() { # DESC TEXT: passes when none of SECRETS appears in TEXT
    local s
    for s in "${SECRETS[@]}"; do
        case "$2" in *"$s"*) not_ok "$1" "'$s' found"; return ;; esac
    done
    ok "$1"
}

fcgi POST /hooks/gitlab "$T/body.json" HTTP_X_GITLAB_TOKEN=glpat-never-stored \
    HTTP_X_GITLAB_EVENT_UUID=c-1 HTTP_X_GITLAB_EVENT='Push Hook' \
    HTTP_AUTHORIZATION='Basic dXNlcjpwYXNzd29yZA==' \
    HTTP_PROXY_AUTHORIZATION='Bearer proxy-secret-value' HTTP_COOKIE='s=cookie-secret-value'
is "token source: accepted" 202 "$STATUS"
check "token source: stored" test -f "$T/spool/pending/gitlab/c-1"
no_secret_in "token source: no credential in the stored object" \
    "$(cat "$T/spool/pending/gitlab/c-1" 2>/dev/null)"
shown=$(HOOKSPOOL_CONFIG=$T/config.json "$DRAIN" show pending/gitlab/c-1 2>>"$T/show.log")
is "show: exit 0" 0 "$?"
contains "show: other headers shown" "Push Hook" "$shown"
no_secret_in "show: no credential printed" "$shown"
for name in Authorization Proxy-Authorization Cookie X-Gitlab-Token; do
    case "${shown,,}" in
        *"\"${name,,}\""*) not_ok "show: no $name header" ;;
        *) ok "show: no $name header" ;;
    esac
done

sig=$(hmac sha256 gh-secret "$T/body.json")
fcgi POST /hooks/github "$T/body.json" HTTP_X_GITHUB_DELIVERY=g-1 \
    HTTP_X_HUB_SIGNATURE_256="sha256=$sig" HTTP_AUTHORIZATION='Basic dXNlcjpwYXNzd29yZA=='
is "signature source: accepted" 202 "$STATUS"
shown=$(HOOKSPOOL_CONFIG=$T/config.json "$DRAIN" show pending/github/g-1 2>>"$T/show.log")
contains "signature source: the provider's signature is kept" "sha256=$sig" "$shown"
no_secret_in "signature source: Authorization not kept" "$shown"

# An envelope as an earlier handler stored it, credentials included: show, delivery and
# the state the drain writes next drop them.
received=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
cat >"$T/spool/pending/gitlab/old-1" <<JSON
{"v": 1, "source": "gitlab", "key": "old-1", "received_at": "$received",
 "request": {"method": "POST", "path": "/hooks/gitlab", "query": "", "remote_addr": "127.0.0.1",
   "headers": [["Content-Type", "application/json"], ["X-Gitlab-Token", "glpat-never-stored"],
               ["Authorization", "Basic dXNlcjpwYXNzd29yZA=="],
               ["Proxy-Authorization", "Bearer proxy-secret-value"],
               ["Cookie", "s=cookie-secret-value"], ["X-Gitlab-Event", "Push Hook"]]},
 "body": "{}", "body_encoding": "utf8"}
JSON
shown=$(HOOKSPOOL_CONFIG=$T/config.json "$DRAIN" show pending/gitlab/old-1 2>>"$T/show.log")
contains "old envelope: show prints the other headers" "Push Hook" "$shown"
no_secret_in "old envelope: show prints no credential" "$shown"
HOOKSPOOL_CONFIG=$T/config.json "$DRAIN" --once 2>>"$T/drain.log"
is "old envelope: drained" 0 "$?"
no_secret_in "old envelope: its done/ holds no credential" "$(cat "$T/spool/done/gitlab/old-1")"
rec=$(cat "$REC"/* 2>/dev/null)
is "old envelope: delivered with the new one" 2 "$(python3 "$DEST_PY" count "$REC")"
contains "old envelope: other headers delivered" "Push Hook" "$rec"
no_secret_in "old envelope: no credential delivered" "$rec"

done_testing
