#!/usr/bin/env bash
# infra/minio/setup.sh against the test MinIO: it creates a missing bucket,
# installs the lifecycle rule expiring done/ (and only done/), and running it
# again with other --days replaces the rule instead of adding one.
. "$(dirname "$0")/../lib.sh"
export MC=$HS_MC
bucket="setup-$(unique_prefix)"
url="s3://$bucket/spool?endpoint=$HS_S3_ENDPOINT&tls=0"

"$HS_TOP/infra/minio/setup.sh" --days 7 "$url" >"$T/setup.log" 2>&1
is "setup: exit 0" 0 "$?"
check "setup: the bucket exists" "$HS_MC" --quiet ls "t/$bucket"
rules=$("$HS_MC" --quiet ilm rule export "t/$bucket" 2>&1)
contains "setup: rule on the done/ prefix" '"spool/done/"' "$rules"
contains "setup: expires after 7 days" '"Days":7' "$rules"
is "setup: one rule" 1 "$(grep -o '"ID"' <<<"$rules" | wc -l)"

"$HS_TOP/infra/minio/setup.sh" --days 30 "$url" >>"$T/setup.log" 2>&1
is "setup again: exit 0" 0 "$?"
rules=$("$HS_MC" --quiet ilm rule export "t/$bucket" 2>&1)
contains "setup again: 30 days now" '"Days":30' "$rules"
is "setup again: still one rule" 1 "$(grep -o '"ID"' <<<"$rules" | wc -l)"

"$HS_TOP/infra/minio/setup.sh" --days 0 "$url" >/dev/null 2>&1
is "setup: --days 0 refused with exit 2" 2 "$?"
done_testing
