#!/usr/bin/env bash
# The drain against the fs store (file:// spools): the cases in drain_cases.inc,
# with objects read straight from the directory.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"

SPOOL_N=0
new_spool() {
    SPOOL_N=$((SPOOL_N + 1))
    SPOOL_DIR=$T/spool-$SPOOL_N
    STORE_URL="file://$SPOOL_DIR"
    STORE_CREDS=""
}
# Temp files of an interrupted write start with a dot: not objects.
spool_ls() {
    [ -d "$SPOOL_DIR/$1" ] || return 0
    (cd "$SPOOL_DIR/$1" && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort)
}
spool_cat() { cat "$SPOOL_DIR/$1"; }
spool_raw_put() { mkdir -p "$(dirname "$SPOOL_DIR/$1")" && cat >"$SPOOL_DIR/$1"; }
# A directory that loops on itself cannot be listed (ELOOP), even by root.
spool_break() { mv "$SPOOL_DIR/$1" "$SPOOL_DIR/$1.away" && ln -s "$1" "$SPOOL_DIR/$1"; }
spool_mend() { rm "$SPOOL_DIR/$1" && mv "$SPOOL_DIR/$1.away" "$SPOOL_DIR/$1"; }

. "$(dirname "$0")/drain_cases.inc"
