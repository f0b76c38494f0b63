/*
 * census: counting the spool's objects per state and per source, by listing
 * keys page by page (memory bounded by one page and the number of sources).
 *
 * The drain counts pending, retry and dead after each pass for
 * _stats/backlog.json and its metrics; `hookspool-drain stats` counts every
 * state. Sources are those found in the keys, configured or not; keys that
 * are not spool keys are not counted.
 *
 * Call order: census_count -> reading the struct -> census_free.
 */
#ifndef HS_CENSUS_H
#define HS_CENSUS_H

#include <stddef.h>

#include "backlog.h"
#include "error.h"
#include "key.h"
#include "store.h"

#define CENSUS_STATES 4 /* indexed by enum key_state */

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

/* NULL-safe; leaves c empty. */
void census_free(struct census *c);

#endif
