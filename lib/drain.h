/*
 * drain: one delivery pass over the spool (DESIGN.md "Drain"); the state
 * rules it follows are lib/spool.h's.
 *
 * A pass counts retry/, lists it in due order, stopping at the first DUE
 * after the pass's start, then pending/, page by page (spool_walk). A
 * bounded queue feeds `concurrency` worker threads that share one store
 * handle, so memory follows the window (queue + in-flight objects + one
 * listing page), never the backlog. Per object:
 *
 *   its key in flight in another worker: wait for it (spool_flight); when that
 *      worker moved the webhook, drop this copy without delivering it
 *   every destination of its source paused: left untouched, not even read
 *   -> get (over the read cap: moved to dead/ unread, the reason logged)
 *   -> spool_check: a copy of what done/ holds is deleted, delivered nothing
 *      (a replay newer than done/ is delivered)
 *   -> parse (unparseable: dead/ as a new envelope around the bytes, with the reason)
 *   -> a body that cannot be decoded: dead/
 *   -> not routed yet (its first attempt): the source's filters choose the
 *      matching destinations, recorded in the envelope (lib/filter.h); none
 *      matching: done/ with outcome "filtered"
 *   -> each unfinished matching destination whose own due time has come, in
 *      config order: its guard (rate limit and breaker, per destination; a
 *      paused one is passed over with its attempts unspent, one waiting for a rate
 *      token is delivered after the others) -> deliver with its own timeouts
 *      and signing -> 2xx: it is done; 410 or its schedule (its own
 *      schedule_s, else the drain's) exhausted: it gave up; else its next due
 *      = now + schedule_s[attempts] +-10 % jitter, or later when Retry-After
 *      asks
 *   -> the object's next state (drain_object_next): done/ when every matching
 *      destination is done, dead/ when every one is finished and one gave up,
 *      else retry/DUE/ with DUE the earliest due among the unfinished; nothing
 *      attempted and nothing finished (all paused): left untouched
 *   -> spool_advance: write the next state (retried within the store
 *      deadline), then delete the old object.
 *
 * The store requests per object and pass are the same whatever the number
 * of its destinations: one get, one done/ check, one write, one delete.
 *
 * Objects whose source is not in the config or has no destination are left
 * in place and logged once per pass per source; a destination recorded in an
 * envelope that the config no longer has waits, unattempted, and is logged.
 * --shard I/N keeps only keys with key_hash(SOURCE, KEY) % N == I. The stop flag is read between
 * objects: a pass asked to stop lets in-flight deliveries finish and leaves
 * the rest untouched.
 *
 * A pass also counts, for _stats/backlog.json (census_after_pass), what it
 * lists of pending/ and retry/ (every key, whatever its shard) and what it
 * moves; it never lists done/ or dead/.
 *
 * Call order: drain_new -> drain_pass... -> drain_free. The guard (one slot
 * per destination, so a breaker's pause) and the keys in flight live across
 * passes.
 */
#ifndef HS_DRAIN_H
#define HS_DRAIN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "census.h"
#include "config.h"
#include "error.h"
#include "metrics.h"
#include "store.h"

#define DRAIN_JITTER 0.10    /* +-10 % of a retry delay */

struct drain_options {
    const struct config *cfg;           /* borrowed, outlives the drain */
    struct store *store;                /* borrowed, shared by the workers */
    int concurrency;                    /* >= 1 */
    unsigned shard_i;                   /* this drain's shard, < shard_n */
    unsigned shard_n;                   /* 1: every key */
    struct metrics *metrics;            /* borrowed; NULL: none */
    const atomic_int *stop;             /* borrowed; NULL: never stops early; set from a
                                           signal handler, read by the worker threads */
};

struct drain_counts {
    long delivered;    /* deliveries answered 2xx (one per destination) */
    long failed;       /* failed attempts rescheduled (one per destination) */
    long dead;         /* webhooks moved to dead/ (a destination gave up, unparseable) */
    long filtered;     /* webhooks that matched no destination, moved to done/ */
    long deferred;     /* left in place: paused destination, unknown source, taken by another,
                          the next state of a key this pass moved already */
    long duplicates;   /* already in done/, or moved by this pass: deleted without delivery */
    long store_errors; /* a store call failed; the object stays where it was */
};

struct drain;

/* Caller owns the result. */
struct drain *drain_new(const struct drain_options *opts);

/*
 * Runs one pass, adding to *counts (zeroed by the caller). -1 with err when
 * the spool could not be listed (store unavailable) or a worker thread could
 * not start; objects already queued are still finished.
 */
int drain_pass(struct drain *d, struct drain_counts *counts, struct error *err)
    __attribute__((warn_unused_result));

/*
 * What the last pass counted, for census_after_pass: pending and retry as it
 * listed them (every key, whatever its shard), adjusted by its own moves;
 * dead the number it moved there, less the dead/ records a finished replay
 * removed (so it may be below 0). NULL before the first pass and after one
 * that could not list to the end (store failure, stop). Borrowed until the
 * next pass.
 */
const struct census *drain_tally(const struct drain *d);

/* The exit code of a --once run: 3 store trouble, 1 failures rescheduled, else 0. */
int drain_exit_code(const struct drain_counts *counts, int pass_rc);

/* NULL-safe. */
void drain_free(struct drain *d);

/* The pure decisions, exposed for tests. */

/* Parses "I/N" with 0 <= I < N; -1 when malformed. */
int drain_shard_parse(const char *text, unsigned *i, unsigned *n);

/* 1 when (source, encoded key) belongs to shard i of n. */
int drain_in_shard(const char *source, const char *encoded, unsigned i, unsigned n);

enum drain_next { DRAIN_NEXT_DONE, DRAIN_NEXT_RETRY, DRAIN_NEXT_DEAD };

/* Where one destination stands after an attempt answered with status (0: no
 * answer), attempts being its count including this one, n_schedule its
 * schedule's length: DONE delivered, DEAD gave up, RETRY attempted again. */
enum drain_next drain_next_state(int status, size_t attempts, size_t n_schedule);

/* One matching destination of a webhook, as the object's next state sees it. */
enum drain_dest_state { DRAIN_DEST_WAITING, DRAIN_DEST_DONE, DRAIN_DEST_DEAD };

struct drain_dest_status {
    enum drain_dest_state state;
    int64_t due_s;     /* WAITING: its next attempt (epoch seconds; <= now: at once) */
};

/*
 * Where a webhook goes once a pass has attempted its due destinations:
 * DONE when every one is done (or there are none: filtered), DEAD when
 * every one is finished and at least one gave up, else RETRY with *due_s
 * the earliest next attempt among the waiting ones, never before now_s.
 */
enum drain_next drain_object_next(const struct drain_dest_status *dests, size_t n,
                                  int64_t now_s, int64_t *due_s);

/*
 * DUE in epoch seconds: now_s + delay_s jittered by draw * DRAIN_JITTER *
 * delay_s (draw in [-1, 1]), rounded to the nearest second, never before
 * now_s; then at least now_s + retry_after_s when retry_after_s >= 0.
 */
int64_t drain_due(int64_t now_s, long delay_s, double draw, long retry_after_s);


#endif
