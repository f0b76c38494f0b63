/*
 * backlog: the drain's latest counts in `_stats/backlog.json`, and the
 * handler's cached reading of them for back pressure.
 *
 *   { "updated_at": "...", "backlog": P+R, "pending": P, "retry": R,
 *     "done": D, "dead": X, "sources": { "github": {"pending": .., ...}, ... } }
 *
 * "backlog" is what still waits for delivery (pending + retry); the handler
 * answers 503 + Retry-After while it is above max_backlog. A count whose
 * "updated_at" is more than backlog_stale_s old (or missing) is ignored, so
 * a stopped drain cannot refuse intake forever.
 */
#ifndef HS_BACKLOG_H
#define HS_BACKLOG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

#define BACKLOG_KEY "_stats/backlog.json"
#define BACKLOG_CACHE_MS 5000

struct backlog_counts {
    long pending;
    long retry;
    long done; /* < 0: not counted (a pass does not list done/); omitted */
    long dead;
};

struct backlog_source {
    const char *name;
    struct backlog_counts counts;
};

/* Writes the totals and per-source counts to BACKLOG_KEY. */
int backlog_write(struct store *s, const struct backlog_counts *total,
                  const struct backlog_source *sources, size_t n_sources, struct error *err)
    __attribute__((warn_unused_result));

/* A cached reader: reads BACKLOG_KEY at most once per BACKLOG_CACHE_MS. A new cache
 * needs read_at_ms = 0 and backlog = 0; the first backlog_current sets the rest. */
struct backlog_cache {
    int64_t read_at_ms; /* monotonic; 0 = never */
    long backlog;       /* what counts now: 0 when missing, unreadable or stale */
    long count;         /* last count read, and */
    int64_t updated_ms; /* its "updated_at", wall clock; -1 when it had none */
};

/*
 * Sets *backlog to the current backlog (pending + retry), from the cache when
 * fresh. A missing file means no drain has run yet: 0. Other read errors keep
 * the last count, and are logged once per refresh: back pressure must not
 * turn a read hiccup into refusals. A count more than stale_s seconds old
 * (the drain stopped writing it) counts as 0, with a warning once per
 * refresh. Returns -1 (err filled) only when the read timed out: the store
 * is not answering, and a write now would wait as long again, so the caller
 * should answer 503 at once.
 */
int backlog_current(struct backlog_cache *cache, struct store *s, int64_t now_mono_ms,
                    long stale_s, long *backlog, struct error *err)
    __attribute__((warn_unused_result));

#endif
