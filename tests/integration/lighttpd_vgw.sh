#!/usr/bin/env bash
# tests/integration/lighttpd.sh once more, with the store on versitygw.
# shellcheck disable=SC1091
. "$(dirname "$0")/versitygw.inc"
. "$(dirname "$0")/lighttpd.sh"
