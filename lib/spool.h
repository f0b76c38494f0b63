/*
 * spool: the state machine above the store (ARCHITECTURE.md has the diagram).
 *
 *   pending/SOURCE/KEY ---deliver---> done/ | retry/DUE/ | dead/
 *   retry/DUE/SOURCE/KEY --deliver--> done/ | retry/DUE'/ | dead/
 *   dead/ or done/ ------replay-----> pending/ (the record itself stays; from dead/,
 *                                     only the destinations that gave up start again)
 *   a copy of a key already moved ---> dropped (its next state stands)
 *
 * It owns the rules every caller of the spool follows:
 *
 *   - one paging walk over a state's keys (spool_walk), for the drain, the
 *     operator commands and the census;
 *   - spool_advance, the only way an object leaves its state: the next state
 *     is written first (retried within the store deadline), the old object
 *     deleted after, so a failure at any step leaves two copies, never none;
 *   - replay writes pending/ and deletes nothing: done/ and dead/ of a key are
 *     written and deleted by the drain alone, so no two writers race on them.
 *     The replayed envelope carries "replayed_at"; the drain, on finishing it
 *     in done/ or dead/, deletes the record of the other of the two;
 *   - the duplicate decision (spool_check): a copy beside done/ is a
 *     duplicate unless it is a replay newer than what done/ holds; it reads,
 *     and never deletes to find out;
 *   - the set of keys in flight in one drain (spool_flight): a key is
 *     delivered by one worker at a time, and a second copy met meanwhile is
 *     dropped once the first has moved the webhook.
 *
 * No function here deletes an object before the object that replaces it (its
 * next state, or the copy a duplicate duplicates) is written.
 */
#ifndef HS_SPOOL_H
#define HS_SPOOL_H

#include <stddef.h>

#include "envelope.h"
#include "error.h"
#include "key.h"
#include "store.h"

#define SPOOL_PAGE_KEYS 1000     /* keys per listing request */
#define SPOOL_WRITE_ATTEMPTS 4   /* tries of a next-state write, within the store deadline */
#define SPOOL_WRITE_BACKOFF_MS 50 /* before the second try; doubled before each next one */

/* What a walk's visitor answers. */
enum spool_walk_next { SPOOL_WALK_NEXT, SPOOL_WALK_STOP };

/*
 * Called for each key: parts is NULL for a key that is not a spool key (only
 * when source is NULL). The key and parts are borrowed for the call.
 */
typedef enum spool_walk_next (*spool_visit_fn)(void *ctx, const char *object,
                                               const struct key_parts *parts);

/*
 * Lists state's keys in byte order, page by page (memory: one page), and
 * calls visit for each; with source set, only that source's keys (filtered
 * for retry/, whose keys start with DUE). 0 when every key was visited or the
 * visitor stopped; -1 with the store's err when a listing
 * failed, after the keys of the pages before it were visited.
 */
int spool_walk(struct store *s, enum key_state state, const char *source, spool_visit_fn visit,
               void *ctx, struct error *err) __attribute__((warn_unused_result));

enum spool_advance_result {
    SPOOL_ADVANCED,      /* next written, from deleted */
    SPOOL_WRITE_FAILED,  /* next not written (after its retries): from untouched */
    SPOOL_DELETE_FAILED, /* next written, from still there: two copies, the next pass
                            meets from again and drops it as a duplicate */
};

/*
 * Moves the webhook at object from to next, with e's text: writes next,
 * trying SPOOL_WRITE_ATTEMPTS times with backoff while timeout_ms (the
 * store's deadline) allows, then deletes from (not when from and next are one
 * name). When e is a replay going to done/ or dead/, then deletes the other
 * of the two records of its key, which the replay superseded; *removed (may
 * be NULL) is set to 1 when there was one to delete. Each failure is
 * logged: a write to done/ that still fails as "done_write_failed" (the
 * webhook was delivered and will be delivered again), others as
 * "store_put_failed" or "store_del_failed". err holds the failure.
 */
enum spool_advance_result spool_advance(struct store *s, long timeout_ms, const char *from,
                                        const char *next, const struct envelope *e,
                                        int *removed, struct error *err);

/* Moves an object unread (one over the read cap): store_move, whose fallback
 * is copy, then delete. Logged on failure ("store_move_failed"). */
int spool_move_unread(struct store *s, const char *from, const char *next, struct error *err)
    __attribute__((warn_unused_result));

enum spool_verdict {
    SPOOL_DELIVER,   /* no done/ record, or e is a replay newer than it */
    SPOOL_DUPLICATE, /* done/ holds this webhook already */
};

/*
 * Decides what the object of parts, read as e (NULL when it did not parse),
 * is: done/ missing, SPOOL_DELIVER; done/ there and e not a replay (or NULL),
 * SPOOL_DUPLICATE; e a replay: done/ is read (up to read_cap bytes) and the
 * copy is a duplicate only when done/ carries the same or a later
 * "replayed_at", that is, when done/ is this replay's own delivery. A done/
 * that cannot be read whole or parsed: SPOOL_DELIVER. -1 with err when the
 * store failed: decide nothing, leave the object.
 */
int spool_check(struct store *s, const struct key_parts *parts, const struct envelope *e,
                size_t read_cap, enum spool_verdict *verdict, struct error *err)
    __attribute__((warn_unused_result));

/*
 * Deletes a copy whose webhook is already recorded elsewhere: the done/ that
 * spool_check found, or the next state this drain wrote for its key in this
 * pass (spool_flight). Logged on failure; the copy stays for the next pass.
 */
int spool_drop(struct store *s, const char *object, struct error *err)
    __attribute__((warn_unused_result));

/*
 * Replays e, read from the dead/ or done/ object of parts: resets the
 * delivery record of the destinations to deliver again (only destination
 * when not NULL; else, from dead/, those that gave up, and from done/, every
 * one; envelope_reset_delivery), marks it "replayed_at" (now, or 1 ms after
 * the replay it carries, so each replay of a key is later than the one before
 * whatever the clocks say), and writes pending/SOURCE/KEY, whose name goes to
 * next. The record replayed stays where it is: the drain removes it when the
 * replay ends in done/ or dead/ (spool_advance). e is changed. -1 with
 * HS_ERR_INPUT, writing nothing, when destination is not one of the
 * webhook's (or, from dead/, none gave up); with the store's err when the
 * write failed.
 */
int spool_replay(struct store *s, const struct key_parts *parts, struct envelope *e,
                 const char *destination, char next[KEY_OBJECT_MAX + 1], struct error *err)
    __attribute__((warn_unused_result));

/*
 * The keys in flight in one drain, shared by its workers (thread-safe). A
 * worker claims a key before it reads the object and releases it after its
 * last store call for it. A key whose webhook was moved to retry/ is
 * remembered, with where it went, until spool_flight_forget (each pass's
 * start): a second copy listed later in the same pass (a provider's resend in
 * pending/ beside a due retry/, met after the retry/ copy finished) is then
 * dropped without a delivery; a copy beside done/ is spool_check's to tell. At most SPOOL_FLIGHT_REMEMBER_MAX moved keys are remembered per
 * pass (memory stays bounded, not by the backlog): past them, such a second
 * copy is delivered once more, as after a kill, and its Idempotency-Key is
 * the same.
 *
 * Call order: spool_flight_new -> (forget -> (claim -> release)...)... ->
 * spool_flight_free.
 */
#define SPOOL_FLIGHT_BUCKETS 4096
#define SPOOL_FLIGHT_REMEMBER_MAX 16384

struct spool_flight;

struct spool_flight *spool_flight_new(void);

/*
 * Waits until no other worker holds (source, key) of parts, then holds it.
 * moved_to gets the object a worker that held it meanwhile moved the webhook
 * to (what it passed to release), or "" when none did: a copy claimed after
 * the key moved is dropped, not delivered again.
 */
void spool_flight_claim(struct spool_flight *f, const struct key_parts *parts,
                        char moved_to[KEY_OBJECT_MAX + 1]);

/* Releases the key; moved_to is where the webhook is now (the next state written),
 * or NULL when this worker moved nothing (what a waiter gets stays as it was). */
void spool_flight_release(struct spool_flight *f, const struct key_parts *parts,
                          const char *moved_to);

/* Forgets the moved keys remembered so far (no key may be held): a new pass. */
void spool_flight_forget(struct spool_flight *f);

/* NULL-safe; no key may be held. */
void spool_flight_free(struct spool_flight *f);

#endif
