#!/usr/bin/env bash
# Intake throughput of ONE handler process under lighttpd into MinIO, as
# ratios against two limits measured in the same run:
#   put_limit   raw MinIO PUT rate: sequential signed PUTs of the same size
#               over one keep-alive connection (curl, not hookspool's code)
#   http_limit  POSTs through lighttpd + FastCGI + the handler that are
#               answered 404 before any check or store call
#   accepted    signed webhooks (github scheme, unique delivery ids) answered
#               202, each one an envelope written to MinIO
# Every server is on 127.0.0.1, started here and stopped at the end.
#   BENCH_SECONDS (default 10)  length of each wrk run
#   BENCH_PUTS (default 2000)   PUTs for the raw rate
#   BENCH_PROCS (default 1)     handler processes under lighttpd
#   SIGS (default "v4 v2 v2 v4")  store signatures to measure, one run each after the
#                               other on the same MinIO (sig=v4: curl + SigV4, which
#                               hashes each body once more; sig=v2: libs3); the later
#                               runs of a process are faster, hence the ABBA order
#                               and the ratio of the means
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
SECS=${BENCH_SECONDS:-10}
PUTS=${BENCH_PUTS:-2000}
PROCS=${BENCH_PROCS:-1}
SIGS=${SIGS:-v4 v2 v2 v4}

# The body and its GitHub signature.
write_body "$W/body"
export BENCH_SECRET=bench-secret
SIG=$(openssl dgst -sha256 -hmac "$BENCH_SECRET" <"$W/body" | awk '{print $NF}')

# 1. The raw PUT limit.
put_rate=$(raw_put_rate "$PUTS" "$W/body") || exit 1

# 2. lighttpd + handler on an s3 store signed with $1 (a fresh lighttpd per run $2).
start_handler() {
    PORT=$(free_port)
    mkdir -p "$W/sockets-$2" "$W/www"
    cat >"$W/config-$2.json" <<JSON
{ "store": { "url": "s3://$HS_S3_BUCKET/spool-$2?endpoint=$HS_S3_ENDPOINT&tls=0&sig=$1",
             "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY" },
  "sources": [ { "name": "bench", "path": "/hooks/bench",
                 "verify": { "scheme": "github", "secrets": ["env:BENCH_SECRET"] },
                 "idempotency": { "header": "X-GitHub-Delivery" } } ] }
JSON
    cat >"$W/lighttpd-$2.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$W/www"
server.errorlog = "$W/lighttpd.log"
var.hookspool_bin = "$BUILD/hookspool-handler"
var.hookspool_config = "$W/config-$2.json"
var.hookspool_run_dir = "$W/sockets-$2"
var.hookspool_procs = $PROCS
var.hookspool_env = ( "S3_ACCESS_KEY", "S3_SECRET_KEY", "BENCH_SECRET" )
var.hookspool_max_request_kb = 2048
include "$TOP/infra/lighttpd/hookspool.conf"
CONF
    lighttpd -D -f "$W/lighttpd-$2.conf" 2>"$W/handler-$2.log" &
    BENCH_PIDS+=($!)
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/hooks/_health" >/dev/null && break
        sleep 0.1
    done
}

cat >"$W/notfound.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$W/accept.lua" <<LUA
local f = io.open("$W/body", "rb")
local body = f:read("*a")
f:close()
local n = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1000000))
request = function()
    n = n + 1
    return wrk.format("POST", "/hooks/bench", {
        ["Content-Type"] = "application/json",
        ["X-GitHub-Event"] = "pull_request",
        ["X-GitHub-Delivery"] = prefix .. "-" .. n,
        ["X-Hub-Signature-256"] = "sha256=$SIG",
    }, body)
end
LUA

rate_of() { awk '/Requests\/sec/ {print $2}' "$1"; }
non2xx_of() { awk '/Non-2xx/ {print $NF}' "$1"; }

results=""
declare -A sum runs # per signature: the sum of the rates, and the number of runs
run=0
for sig in $SIGS; do
    run=$((run + 1))
    start_handler "$sig" "$run"
    [ -n "${http_rate:-}" ] ||
        { wrk -t1 -c4 -d"${SECS}s" -s "$W/notfound.lua" "http://127.0.0.1:$PORT/hooks/none" \
            >"$W/wrk-404.txt"; http_rate=$(rate_of "$W/wrk-404.txt"); }
    wrk -t1 -c4 -d"${SECS}s" -s "$W/accept.lua" "http://127.0.0.1:$PORT/hooks/bench" >"$W/wrk-$run.txt"
    rate=$(rate_of "$W/wrk-$run.txt")
    sum[$sig]=$(python3 -c "print(${sum[$sig]:-0} + $rate)")
    runs[$sig]=$((${runs[$sig]:-0} + 1))
    objects=$("$HS_MC" --quiet ls --recursive "t/$HS_S3_BUCKET/spool-$run/pending/bench/" | wc -l)
    refused=$(non2xx_of "$W/wrk-$run.txt")
    results+="  accepted webhooks, sig=$sig (verify + PUT, 202): $rate /s   non-2xx: ${refused:-0}, objects: $objects
  accepted, sig=$sig / raw PUT: $(ratio "$rate" "$put_rate"), / HTTP limit: $(ratio "$rate" "$http_rate")
"
done

cat <<EOF
hookspool handler benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $PROCS handler process(es))
  raw MinIO PUT (1 connection, sequential):  $put_rate /s
  HTTP POST limit (lighttpd+FastCGI, 404):   $http_rate /s
$results
EOF
[ -n "${runs[v4]:-}" ] && [ -n "${runs[v2]:-}" ] &&
    echo "  sig=v4 / sig=v2 (means of the runs above):  $(ratio "(${sum[v4]} / ${runs[v4]})" \
        "(${sum[v2]} / ${runs[v2]})")"
exit 0
