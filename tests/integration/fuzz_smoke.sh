#!/usr/bin/env bash
# Every libFuzzer target over its seeds plus a few seconds of new inputs:
# the parsers of untrusted input (signatures, handshakes, config, envelope, keys, JSON
# text and pointers) must not crash, leak or trip a sanitizer. `make fuzz` runs
# longer. The targets are those of tests/fuzz/, not whatever build-fuzz/ holds.
. "$(dirname "$0")/../lib.sh"
SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-5}

if ! make -C "$HS_TOP" --no-print-directory fuzz-build >"$T/build.log" 2>&1; then
    not_ok "fuzz targets build" "$(tail -5 "$T/build.log")"
    done_testing
    exit
fi
ok "fuzz targets build"
for src in "$HS_TOP"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    f=$HS_TOP/build-fuzz/$name
    mkdir -p "$T/corpus/$name"
    if "$f" -max_total_time="$SECONDS_EACH" -max_len=65536 "$T/corpus/$name" \
        "$HS_TOP/tests/fuzz/seeds/$name" >"$T/$name.log" 2>&1; then
        ok "$name: $(grep -oE 'Done [0-9]+ runs' "$T/$name.log")"
    else
        not_ok "$name" "$(grep -E 'ERROR|SUMMARY' "$T/$name.log" | head -3)"
    fi
done
done_testing
