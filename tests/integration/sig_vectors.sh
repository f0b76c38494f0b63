#!/usr/bin/env bash
# Every named signature scheme against vectors signed by the provider's own
# npm library (tests/vectors/make.mjs, installed by infra/deps.sh into
# $HOOKSPOOL_CACHE/node): sig_verify and config_parse over each vector and
# its refusals (tests/helpers/sig_vectors.c), then each vector sent through
# hookspool-handler with cgi-fcgi: 202 and stored as sent, 401 and nothing
# stored when tampered.
. "$(dirname "$0")/../lib.sh"
CACHE=${HOOKSPOOL_CACHE:-$HOME/.cache/hookspool}

if [ ! -d "$CACHE/node/node_modules" ]; then
    not_ok "provider libraries installed" "no $CACHE/node/node_modules: run infra/deps.sh"
    done_testing
    exit
fi
ln -s "$CACHE/node/node_modules" "$T/node_modules"
cp "$HS_TOP/tests/vectors/make.mjs" "$T/make.mjs"
if ! node "$T/make.mjs" >"$T/vectors.json" 2>"$T/make.log"; then
    not_ok "provider libraries sign the vectors" "$(tail -5 "$T/make.log")"
    done_testing
    exit
fi
ok "provider libraries sign the vectors"

"$BUILD/tests/sig_vectors" "$T/vectors.json" | sed '/^1\.\./d' >"$T/unit.tap"
rc=${PIPESTATUS[0]}
# Renumber the helper's lines into this test's TAP stream.
while IFS= read -r line; do
    case "$line" in
    "ok "*) ok "${line#ok * - }" ;;
    "not ok "*) not_ok "${line#not ok * - }" "see sig_vectors output" ;;
    "# "*) echo "$line" ;;
    esac
done <"$T/unit.tap"
is "sig_vectors exits 0" 0 "$rc"

# The same vectors through the handler: one source per vector, at /hooks/vN.
python3 - "$T/vectors.json" "$T" >"$T/config.json" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))
sources = []
for i, c in enumerate(cases):
    verify = dict(c["verify"])
    if c.get("timestamped"):
        verify["tolerance_s"] = 600  # the handler starts after the vectors were signed
    sources.append({"name": f"v{i}", "path": f"/hooks/v{i}", "verify": verify,
                    "idempotency": {"fallback": "body_sha256", "header": "X-Vector-Id"}})
print(json.dumps({"store": {"url": f"file://{sys.argv[2]}/spool"}, "sources": sources}))
PY
start_handler "$T/config.json"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/vectors.json")
for i in $(seq 0 $((n - 1))); do
    python3 - "$T/vectors.json" "$i" "$T" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[int(sys.argv[2])]
t = sys.argv[3]
open(f"{t}/body", "wb").write(c["body"].encode())
tampered = bytearray(c["body"].encode()); tampered[-1] ^= 1
open(f"{t}/tampered", "wb").write(bytes(tampered))
env = [f"QUERY_STRING={c['query']}"]
for name, value in c["headers"]:
    if name.lower() == "content-type":
        env.append(f"CONTENT_TYPE={value}")
    else:
        env.append("HTTP_" + name.upper().replace("-", "_") + "=" + value)
open(f"{t}/env", "w").write("\n".join(env) + "\n")
open(f"{t}/name", "w").write(c["name"] + ("\nunsigned" if c.get("unsigned_body") else "\nsigned"))
PY
    name=$(sed -n 1p "$T/name")
    mapfile -t vars <"$T/env"
    before=$(find "$T/spool" -type f 2>/dev/null | wc -l)
    fcgi POST "/hooks/v$i" "$T/body" "${vars[@]}"
    is "$name: through the handler: 202" 202 "$STATUS"
    stored=$(find "$T/spool/pending/v$i" -type f 2>/dev/null | head -1)
    if [ -n "$stored" ]; then
        body_back=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["body"], end="")' "$stored")
        is "$name: stored body is the signed body" "$(cat "$T/body")" "$body_back"
    else
        not_ok "$name: stored" "nothing under pending/v$i"
    fi
    if [ "$(sed -n 2p "$T/name")" = signed ]; then
        before=$(find "$T/spool" -type f 2>/dev/null | wc -l)
        fcgi POST "/hooks/v$i" "$T/tampered" "${vars[@]}"
        is "$name: tampered body through the handler: 401" 401 "$STATUS"
        is "$name: tampered body wrote nothing" "$before" "$(find "$T/spool" -type f | wc -l)"
    fi
done
done_testing
