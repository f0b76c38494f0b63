#!/usr/bin/env bash
# Starts and stops the MinIO that the tests use: on 127.0.0.1, a temp data
# dir, fixed credentials, the bucket created with mc.
#   tests/minio.sh start DIR    writes DIR/env (source it), prints nothing else
#   tests/minio.sh stop DIR
set -euo pipefail
# CI may run without HOME (go needs one too); the tools are cached in the user's home.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
CACHE=${HOOKSPOOL_CACHE:-$HOME/.cache/hookspool}
cmd=$1 dir=$2

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    mkdir -p "$dir/data"
    port=$(free_port) console=$(free_port)
    user=hookspool-test pass=hookspool-test-secret
    MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass MINIO_BROWSER=off \
        MINIO_UPDATE=off setsid "$CACHE/bin/minio" server --quiet \
        --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" \
        "$dir/data" >"$dir/minio.log" 2>&1 &
    echo $! >"$dir/minio.pid"
    for _ in $(seq 1 200); do
        curl -fs "http://127.0.0.1:$port/minio/health/live" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fs "http://127.0.0.1:$port/minio/health/live" >/dev/null ||
        { echo "minio did not start:" >&2; cat "$dir/minio.log" >&2; exit 1; }
    export MC_CONFIG_DIR="$dir/mc"
    MC_HOST_t="http://$user:$pass@127.0.0.1:$port" "$CACHE/bin/mc" --quiet mb t/hookspool-test >/dev/null
    cat >"$dir/env" <<ENV
export HS_S3_ENDPOINT=127.0.0.1:$port
export HS_S3_BUCKET=hookspool-test
export S3_ACCESS_KEY=$user
export S3_SECRET_KEY=$pass
export MC_CONFIG_DIR=$dir/mc
export MC_HOST_t=http://$user:$pass@127.0.0.1:$port
export HS_MC=$CACHE/bin/mc
ENV
    ;;
stop)
    [ -f "$dir/minio.pid" ] && kill "$(cat "$dir/minio.pid")" 2>/dev/null || true
    rm -f "$dir/minio.pid"
    ;;
esac
