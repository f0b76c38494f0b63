#!/usr/bin/env bash
# The drain against the S3 store (the test MinIO, one prefix per case): the cases
# in drain_cases.inc, with objects read by MinIO's own mc client.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

new_spool() {
    SPOOL_PFX=$(unique_prefix)
    STORE_URL=$(s3_store_url "$SPOOL_PFX")
    STORE_CREDS=', "access_key": "env:S3_ACCESS_KEY", "secret_key": "env:S3_SECRET_KEY"'
}
spool_ls() { mc_ls "$SPOOL_PFX/$1" | LC_ALL=C sort; }
spool_cat() { mc_cat "$SPOOL_PFX/$1"; }
spool_raw_put() { "$HS_MC" --quiet pipe "t/$HS_S3_BUCKET/$SPOOL_PFX/$1" >/dev/null; }

. "$(dirname "$0")/drain_cases.inc"
