#!/usr/bin/env bash
# Prepares a MinIO bucket for hookspool's spool with MinIO's own client, mc:
# creates the bucket if missing and installs one lifecycle rule that expires
# delivered webhooks (done/) after N days. pending/, retry/ and dead/ are
# never expired: they are work, or evidence, until someone acts on them.
#
#   infra/minio/setup.sh [--days N] STORE_URL
#
#   STORE_URL  the config's store URL: s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&tls=0|1
#   --days N   days to keep done/ objects (default 30). done/SOURCE/KEY is
#              also what stops a provider's late retry from being delivered
#              twice, so keep N above the providers' retry window (days).
#
# Credentials: S3_ACCESS_KEY and S3_SECRET_KEY in the environment (the same
# names the example configs use), for a user allowed to create buckets and
# set lifecycle rules. mc: $MC, else mc on PATH, else the one infra/deps.sh
# builds. Running it again is safe: the bucket is kept, and the done/ rule
# is replaced, so --days can be changed.
set -uo pipefail

die() { echo "minio/setup.sh: $*" >&2; exit 2; }
usage() { sed -n '7,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

days=30
url=
while [ $# -gt 0 ]; do
    case "$1" in
    --days) [ $# -ge 2 ] || usage; days=$2; shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) [ -z "$url" ] || usage; url=$1; shift ;;
    esac
done
[ -n "$url" ] || usage
[[ $days =~ ^[1-9][0-9]*$ ]] || die "--days wants a whole number of days >= 1, not '$days'"
: "${S3_ACCESS_KEY:?set S3_ACCESS_KEY}" "${S3_SECRET_KEY:?set S3_SECRET_KEY}"

# s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&tls=0|1
[[ $url =~ ^s3://([a-z0-9][a-z0-9.-]{1,62})(/([^?]*))?\?(.*)$ ]] ||
    die "not an s3:// store URL: '$url'"
bucket=${BASH_REMATCH[1]}
prefix=${BASH_REMATCH[3]%/}
query=${BASH_REMATCH[4]}
endpoint='' tls=1
IFS='&' read -ra params <<<"$query"
for p in "${params[@]}"; do
    case "$p" in
    endpoint=*) endpoint=${p#endpoint=} ;;
    tls=*) tls=${p#tls=} ;;
    esac
done
[ -n "$endpoint" ] || die "the store URL has no endpoint=HOST:PORT"
scheme=https
[ "$tls" = 0 ] && scheme=http
rule_prefix=${prefix:+$prefix/}done/

MC=${MC:-$(command -v mc || echo "${HOOKSPOOL_CACHE:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/hookspool}/bin/mc")}
[ -x "$MC" ] || die "mc not found (set MC=/path/to/mc, or run infra/deps.sh)"

# A private mc config dir and an alias from the environment: nothing is
# written to the user's ~/.mc, and the credentials stay out of argv.
MC_CONFIG_DIR=$(mktemp -d)
export MC_CONFIG_DIR
trap 'rm -rf "$MC_CONFIG_DIR"' EXIT
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
MC_HOST_spool="$scheme://$(urlencode "$S3_ACCESS_KEY"):$(urlencode "$S3_SECRET_KEY")@$endpoint"
export MC_HOST_spool
target=spool/$bucket

"$MC" --quiet mb --ignore-existing "$target" >/dev/null || die "unable to create bucket '$bucket' at $endpoint"

# Replace any earlier rule on the same prefix, so a rerun changes the days
# instead of stacking a second rule.
ids=$("$MC" --quiet --json ilm rule ls "$target" 2>/dev/null | python3 -c '
import json, sys
want = sys.argv[1]
for line in sys.stdin:
    doc = json.loads(line)
    for rule in (doc.get("config") or {}).get("Rules") or []:
        f = rule.get("Filter") or {}
        p = f.get("Prefix", (f.get("And") or {}).get("Prefix", rule.get("Prefix", "")))
        if p == want:
            print(rule["ID"])
' "$rule_prefix")
for id in $ids; do
    "$MC" --quiet ilm rule rm --id "$id" "$target" >/dev/null || die "unable to remove lifecycle rule '$id'"
done
"$MC" --quiet ilm rule add --prefix "$rule_prefix" --expire-days "$days" "$target" >/dev/null ||
    die "unable to add the lifecycle rule for '$rule_prefix'"
echo "bucket $bucket at $endpoint: $rule_prefix expires after $days days"
