#!/usr/bin/env bash
# The chaos run against a four-node MinIO erasure set on loopback (the
# multi-machine deployment): the store talks to node 0; node 2, not the
# endpoint, is SIGKILLed mid-run and left down, so MinIO keeps its write
# quorum on three drives. The drain kills, the graceful handler restart and
# the failing destination are as in chaos_minio.sh; see
# tests/integration/chaos.inc.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
CHAOS_STORE=erasure
. "$(dirname "$0")/chaos.inc"
is "chaos erasure: the cluster keeps its write quorum with a node down" True \
    "$(r 'd["cluster_healthy_degraded"]')"
done_testing
