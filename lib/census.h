/*
 * census: counting the spool's objects per state and per source.
 *
 * A full count lists the states' keys page by page (spool_walk; memory
 * bounded by one page and the number of sources): `hookspool-drain stats`
 * counts every state that way. The drain does not, after each pass: dead/
 * only grows, so listing it would make every pass slower than the one
 * before. A pass counts what it lists itself (pending/ and retry/, the
 * backlog, whole) and what it moves; census_after_pass adds the dead/ count
 * kept since the last full count, which it redoes every
 * CENSUS_FULL_EVERY_MS. That count and its time live in CENSUS_KEY, so a
 * --once drain started by cron or a timer carries it over instead of
 * listing dead/ each run. Between full counts dead is this drain's view (it
 * misses what other shards moved); pending and retry are always the pass's
 * own listing, so the handler's back pressure (pending + retry) stays right.
 *
 * Sources are those found in the keys, configured or not; keys that are not
 * spool keys are not counted.
 *
 * Call order: census_count or census_add... -> reading the struct ->
 * census_free; census_after_pass... -> census_keeper_free.
 */
#ifndef HS_CENSUS_H
#define HS_CENSUS_H

#include <stddef.h>

#include "backlog.h"
#include "error.h"
#include "key.h"
#include "store.h"

#define CENSUS_STATES 4 /* indexed by enum key_state */
#define CENSUS_KEY "_stats/census.json"
#define CENSUS_FULL_EVERY_MS (10 * 60 * 1000) /* a full count of dead/ at most this often */

struct census_source {
    char name[KEY_SOURCE_MAX + 1];
    long counts[CENSUS_STATES];
};

struct census {
    long totals[CENSUS_STATES];   /* -1 for a state not counted */
    struct census_source *sources; /* in order of first appearance */
    size_t n_sources;
};

/* The bit of a state in census_count's mask. */
#define CENSUS_STATE(state) (1u << (state))
#define CENSUS_ALL 0xfu

/* Counts the states in mask into out (whose previous content is dropped). */
int census_count(struct store *s, unsigned mask, struct census *out, struct error *err)
    __attribute__((warn_unused_result));

/*
 * The counts as backlog_write wants them: *total, and a fresh array of one
 * entry per source (names borrowed from c) that the caller frees.
 */
void census_backlog(const struct census *c, struct backlog_counts *total,
                    struct backlog_source **sources);

/* Adds delta to the count of (state, source) and to its total, adding the source at
 * 0 when new. For tallies (counts that start from a zeroed struct census). */
void census_add(struct census *c, enum key_state state, const char *source, long delta);

/* Adds every count of the tally src to dst. */
void census_merge(struct census *dst, const struct census *src);

/* NULL-safe; leaves c empty. */
void census_free(struct census *c);

/* The dead/ count a drain carries between full counts (zeroed by the caller). */
struct census_keeper {
    struct census dead;     /* dead per source: the last full count plus the moves since */
    int64_t counted_at_ms;  /* wall clock of that full count; 0: none known */
    int loaded;             /* CENSUS_KEY has been read (or found missing) */
};

/*
 * The counts after a pass, into out (previous content dropped): pending and
 * retry from pass (what the pass listed, adjusted by its own moves), dead
 * from the keeper plus pass's dead (what it moved there, net), done not
 * counted (-1). The first call reads CENSUS_KEY; when no full count is known
 * or the last is CENSUS_FULL_EVERY_MS old at now_ms, counts pending, retry
 * and dead in full instead. CENSUS_KEY is written after a full count and
 * whenever dead changed (a failed write is logged: it costs a full count
 * sooner, nothing else). -1 with err when the full count failed (out is
 * empty then).
 */
int census_after_pass(struct census_keeper *k, struct store *s, const struct census *pass,
                      int64_t now_ms, struct census *out, struct error *err)
    __attribute__((warn_unused_result));

/* NULL-safe. */
void census_keeper_free(struct census_keeper *k);

#endif
