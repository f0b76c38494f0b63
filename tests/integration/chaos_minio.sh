#!/usr/bin/env bash
# The chaos run against one MinIO server of its own: a few hundred signed
# webhooks through the handler (--workers 4) while MinIO is SIGKILLed and
# restarted and later frozen, the drain is SIGKILLed four times, the handler
# is restarted gracefully mid-upload and the destination fails or hangs on
# a share of attempts. Nothing acked is lost; see tests/integration/chaos.inc.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
CHAOS_STORE=single
. "$(dirname "$0")/chaos.inc"
done_testing
