/*
 * admin: the operator commands of hookspool-drain (DESIGN.md "Drain").
 *
 *   ls STATE [SOURCE]           object keys, one per line, listed page by page
 *   show OBJECT_KEY             the envelope, indented
 *   replay OBJECT_KEY...        dead/ or done/ back to pending/
 *   replay --all STATE [SOURCE] every object of dead/ or done/ (of SOURCE) back
 *   stats [--json]              counts per state and source, as a table or JSON
 *
 * A replay resets the delivery record (attempts and outcome go to "history",
 * envelope_reset_delivery), marks it "replayed_at" and writes
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

#include "store.h"

#define ADMIN_OBJECT_MAX (64 * 1024 * 1024) /* largest object show/replay reads */

/* 1 when name is one of the commands above. */
int admin_is_command(const char *name);

/* Runs argv[0] with its arguments against s; returns the exit code. */
int admin_run(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout);

#endif
