#!/usr/bin/env bash
# tests/integration/drain_s3.sh once more, with the store on versitygw.
# shellcheck disable=SC1091
. "$(dirname "$0")/versitygw.inc"
. "$(dirname "$0")/drain_s3.sh"
