/*
 * admin: the operator commands of hookspool-drain (DESIGN.md "Drain").
 *
 *   ls STATE [SOURCE] [--destination NAME] [--status N] [--long]
 *        object keys, one per line, listed page by page; --destination keeps
 *        webhooks routed to NAME, --status those whose last attempt (to NAME,
 *        or to any destination) answered N (0: no answer); --long adds each
 *        destination's state, attempts and last status. With any of the
 *        three, each object is read.
 *   show OBJECT_KEY
 *        the envelope, indented, then the --long line of its destinations
 *   replay [--destination NAME] OBJECT_KEY...
 *        dead/ or done/ back to pending/: from dead/ the destinations that
 *        gave up start again, from done/ every one; --destination NAME that
 *        one alone, whatever its state
 *   replay --all dead|done [SOURCE] [--destination NAME] [--since T] [--until T]
 *          [--dry-run] [--limit N]
 *        every object of the state (of SOURCE) that the selection keeps:
 *        --destination the webhooks with NAME (from dead/: where NAME gave
 *        up), --since/--until received at or after / before T (RFC 3339 UTC,
 *        a date, or epoch seconds), --limit the first N kept; --dry-run
 *        prints the first ADMIN_DRY_RUN_SHOWN keys and the count, and writes
 *        nothing
 *   stats [--json] [--destinations]
 *        counts per state and source, as a table or JSON; --destinations
 *        adds, per source and destination, how many webhooks wait, were
 *        delivered or were given up, reading every object of pending/, retry/
 *        and dead/
 *
 * A replay resets the delivery record of the destinations it starts again
 * (their attempts and outcome go to "history", envelope_reset_delivery),
 * marks it "replayed_at" and writes
 * pending/SOURCE/KEY (spool_replay). It deletes nothing: the dead/ or done/
 * record stays, listed and counted, until the drain finishes the replayed
 * webhook and removes it (lib/spool.h), so a replay racing a drain can never
 * leave a webhook nowhere. Replaying it again meanwhile writes pending/ anew.
 *
 * Results go to out, problems to errout, one line each. Exit codes: 0 done,
 * 1 some objects could not be read or moved (missing, unparseable), 2 usage
 * (unknown command or state, malformed key), 3 store unavailable.
 */
#ifndef HS_ADMIN_H
#define HS_ADMIN_H

#include <stdio.h>

#include "config.h"
#include "store.h"

#define ADMIN_OBJECT_MAX (64 * 1024 * 1024) /* largest object show/replay reads */
#define ADMIN_DRY_RUN_SHOWN 10               /* keys a dry run prints before its count */

/* 1 when name is one of the commands above. */
int admin_is_command(const char *name);

/* Runs argv[0] with its arguments against s, whose sources cfg describes (borrowed);
 * returns the exit code. */
int admin_run(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out,
              FILE *errout);

#endif
