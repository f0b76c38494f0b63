#!/usr/bin/env bash
# Starts and stops the versitygw (Versity S3 gateway, POSIX backend) that the tests
# use beside MinIO: on 127.0.0.1, a temp directory, fixed credentials, a region other
# than us-east-1, and the bucket created with mc. versitygw takes only Signature V4,
# as AWS does, so it proves the V4 path on a server that is not MinIO. A second
# gateway on the same directory serves HTTPS with a certificate of a private CA
# made here (HS_VGW_TLS_ENDPOINT, HS_VGW_CA_FILE), for tls=1 and ca_file=.
#   tests/versitygw.sh start DIR    writes DIR/env (source it), prints nothing else
#   tests/versitygw.sh stop DIR
set -euo pipefail
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
    port=$(free_port)
    user=hookspool-vgw pass=hookspool-vgw-secret region=eu-central-1
    setsid "$CACHE/bin/versitygw" --access "$user" --secret "$pass" --region "$region" \
        --port "127.0.0.1:$port" -q posix "$dir/data" >"$dir/versitygw.log" 2>&1 &
    echo $! >"$dir/versitygw.pid"
    tls_port=$(free_port)
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:TRUE \
        -keyout "$dir/key.pem" -out "$dir/ca.pem" 2>/dev/null
    # versitygw wants absolute paths for its certificate and key.
    dir=$(cd "$dir" && pwd)
    setsid "$CACHE/bin/versitygw" --access "$user" --secret "$pass" --region "$region" \
        --port "127.0.0.1:$tls_port" --cert "$dir/ca.pem" --key "$dir/key.pem" -q \
        posix "$dir/data" >"$dir/versitygw-tls.log" 2>&1 &
    echo $! >"$dir/versitygw-tls.pid"
    export MC_CONFIG_DIR="$dir/mc"
    export MC_HOST_v="http://$user:$pass@127.0.0.1:$port"
    for _ in $(seq 1 100); do
        "$CACHE/bin/mc" --quiet mb v/hookspool-test >/dev/null 2>&1 && break
        sleep 0.1
    done
    "$CACHE/bin/mc" --quiet ls v/hookspool-test >/dev/null ||
        { echo "versitygw did not start:" >&2; cat "$dir/versitygw.log" >&2; exit 1; }
    cat >"$dir/env" <<ENV
export HS_VGW_ENDPOINT=127.0.0.1:$port
export HS_VGW_BUCKET=hookspool-test
export HS_VGW_REGION=$region
export HS_VGW_TLS_ENDPOINT=127.0.0.1:$tls_port
export HS_VGW_CA_FILE=$dir/ca.pem
export HS_VGW_ACCESS_KEY=$user
export HS_VGW_SECRET_KEY=$pass
export MC_HOST_v=http://$user:$pass@127.0.0.1:$port
ENV
    ;;
stop)
    for pid in "$dir/versitygw.pid" "$dir/versitygw-tls.pid"; do
        [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null
        rm -f "$pid"
    done
    true
    ;;
esac
