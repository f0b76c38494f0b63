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
    # Temporary credentials with a session token (MinIO's STS AssumeRole), for the
    # store's X-Amz-Security-Token path.
    curl -fs --aws-sigv4 "aws:amz:us-east-1:sts" --user "$user:$pass" \
        -d "Action=AssumeRole&Version=2011-06-15&DurationSeconds=43200" \
        "http://127.0.0.1:$port/" >"$dir/sts.xml" ||
        { echo "minio: AssumeRole failed" >&2; exit 1; }
    sts() { # FIELD: one field of the AssumeRole answer
        python3 -c 'import re, sys
print(re.search("<%s>([^<]*)<" % sys.argv[1], open(sys.argv[2]).read()).group(1))' \
            "$1" "$dir/sts.xml"
    }
    cat >"$dir/env" <<ENV
export HS_S3_ENDPOINT=127.0.0.1:$port
export HS_S3_BUCKET=hookspool-test
export S3_ACCESS_KEY=$user
export S3_SECRET_KEY=$pass
export MC_CONFIG_DIR=$dir/mc
export MC_HOST_t=http://$user:$pass@127.0.0.1:$port
export HS_MC=$CACHE/bin/mc
export HS_STS_ACCESS_KEY=$(sts AccessKeyId)
export HS_STS_SECRET_KEY=$(sts SecretAccessKey)
export HS_STS_SESSION_TOKEN=$(sts SessionToken)
ENV
    ;;
stop)
    [ -f "$dir/minio.pid" ] && kill "$(cat "$dir/minio.pid")" 2>/dev/null || true
    rm -f "$dir/minio.pid"
    ;;
esac
