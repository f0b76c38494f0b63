#!/usr/bin/env bash
# Installs what hookspool's build, tests and `make run` need and are missing:
# Debian packages, then MinIO, mc and versitygw built with `go install` into
# $HOOKSPOOL_CACHE/bin (built once, reused by every later run).
#   infra/deps.sh              everything (build, tests, make run)
#   infra/deps.sh --packages   the Debian packages only: what `make run` needs
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # last commit of the archived repository
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9
# An S3 gateway that takes only Signature V4, as AWS does: the tests' second S3 server.
VERSITYGW_VERSION=v1.8.0
# CI may run without HOME (go needs one too); the tools are cached in the user's home.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
export HOME
CACHE=${HOOKSPOOL_CACHE:-$HOME/.cache/hookspool}
export PATH="$PATH:/usr/local/go/bin"

PACKAGES=(build-essential pkg-config clang libclang-rt-14-dev curl ca-certificates
    libfcgi-dev libfcgi-bin libs3-dev libs3-2 libssl-dev libjansson-dev
    libcurl4-openssl-dev libxml2-dev libcmocka-dev
    lighttpd apache2 libapache2-mod-fcgid nginx spawn-fcgi wrk valgrind python3
    gdb systemd passwd util-linux)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    # The packages' own services are not ours: tests start their servers themselves.
    for svc in lighttpd apache2 nginx; do
        $SUDO service "$svc" stop >/dev/null 2>&1 || true
    done
fi

# `make run` needs no MinIO, and building it wants Go and minutes.
[ "${1:-}" = --packages ] && exit 0

build_go_tool() { # name module version
    local stamp="$CACHE/bin/.$1-$3"
    [ -x "$CACHE/bin/$1" ] && [ -f "$stamp" ] && return 0
    command -v go >/dev/null || { echo "deps: go is needed to build $1" >&2; exit 1; }
    echo "deps: building $1 $3 (go install, once)"
    mkdir -p "$CACHE/bin"
    GOBIN="$CACHE/bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install "$2@$3"
    rm -f "$CACHE/bin/.$1-"*
    touch "$stamp"
}
build_go_tool minio github.com/minio/minio "$MINIO_VERSION"
build_go_tool mc github.com/minio/mc "$MC_VERSION"
build_go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"

# Providers' own npm libraries sign the test vectors of tests/vectors/make.mjs
# (with Node's crypto for the key-pair schemes); installed once, pinned, into
# $HOOKSPOOL_CACHE/node.
NODE_LIBS=(twilio@6.3.1 discord-interactions@4.4.0 @sendgrid/eventwebhook@8.0.0 stripe@23.1.0
    svix@2.5.0 standardwebhooks@1.1.1 @octokit/webhooks-methods@6.0.0
    @paddle/paddle-node-sdk@3.10.0 @hubspot/api-client@14.0.1 square@46.0.0 @linear/sdk@98.0.0)
NODE_STAMP="$CACHE/node/.libs-$(printf '%s\n' "${NODE_LIBS[@]}" | cksum | cut -d' ' -f1)"
if [ ! -f "$NODE_STAMP" ]; then
    if ! command -v npm >/dev/null; then
        echo "deps: installing nodejs and npm"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            nodejs npm >/dev/null
    fi
    echo "deps: installing ${NODE_LIBS[*]} into $CACHE/node (npm, once)"
    mkdir -p "$CACHE/node"
    npm install --prefix "$CACHE/node" --no-audit --no-fund --silent "${NODE_LIBS[@]}"
    rm -f "$CACHE/node/.libs-"*
    touch "$NODE_STAMP"
fi
