/*
 * envelope: the JSON document stored for each webhook (DESIGN.md "The spool").
 *
 *   { "v": 1, "source", "key", "received_at",
 *     "request": { "method", "path", "query", "remote_addr", "headers": [[n, v], ...] },
 *     "body", "body_encoding": "utf8" | "base64",
 *     "deliveries": { NAME: { "attempts": [ { "at", "status", "error", "ms" } ],
 *                             "outcome": { "state", "at", "status", "reason" }, "due" } },
 *     "outcome": { "state", "at", "reason" },
 *     "replayed_at", "history": [ ... ] }    (after a replay only)
 *
 * The body is kept byte for byte: as a JSON string when it is valid UTF-8
 * without NUL, else base64. The raw idempotency key likewise: when it is not
 * valid UTF-8, "key" holds its base64 and "key_encoding" is "base64". Header
 * values that are not UTF-8 are stored as their Latin-1 reading.
 *
 * The handler only builds (envelope_build); the drain parses, routes, appends
 * attempts, sets outcomes and dumps.
 */
#ifndef HS_ENVELOPE_H
#define HS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "headers.h"

struct envelope_request {
    const char *method;
    const char *path;
    const char *query;        /* "" when none */
    const char *remote_addr;  /* "" when unknown */
    const struct headers *headers;
};

/*
 * Size bounds, shared by the side that writes envelopes and the side that reads them.
 * ENVELOPE_HEAD_MAX caps a request's head as intake counts it: method, path, query,
 * remote address, and every header's name and value plus 4 bytes each (": " and the
 * line end); intake refuses a larger head (431). envelope_max_len(max_body) is the
 * largest envelope of a source with that max_body: one that envelope_build made from a
 * body of at most max_body bytes, a head within ENVELOPE_HEAD_MAX and a raw key taken
 * from the head or the body is at most envelope_max_len(max_body) -
 * ENVELOPE_DELIVERY_ROOM; the rest is room for what delivery adds (attempts, outcome,
 * history). A reader capped at envelope_max_len can read whatever intake accepted.
 */
#define ENVELOPE_HEAD_MAX (64 * 1024)
#define ENVELOPE_DELIVERY_ROOM (1024 * 1024)

size_t envelope_max_len(size_t max_body);

/*
 * The JSON text of a new envelope (no attempts, no outcome). Caller frees; *len
 * set. The request's credentials are left out (headers_is_credential, with
 * secret_header: a token source's token header, or NULL), so no credential
 * ever reaches the spool or `show`.
 */
char *envelope_build(const char *source, const void *raw_key, size_t raw_key_len,
                     int64_t received_ms, const struct envelope_request *req,
                     const char *secret_header, const void *body, size_t body_len, size_t *len);

struct envelope;

/* Parses and checks an envelope (v == 1, required fields and types). HS_ERR_INPUT otherwise. */
struct envelope *envelope_parse(const char *text, size_t len, struct error *err);

const char *envelope_source(const struct envelope *e);

/* "received_at" as epoch milliseconds; -1 when absent or not clock_iso8601's form. */
int envelope_received_ms(const struct envelope *e, int64_t *ms)
    __attribute__((warn_unused_result));

/* The stored "key" string (base64 when "key_encoding" is "base64"). Borrowed. */
const char *envelope_key(const struct envelope *e);

/* The decoded raw body, fresh (caller frees); -1 with HS_ERR_INPUT when undecodable. */
int envelope_body(const struct envelope *e, unsigned char **body, size_t *len,
                  struct error *err) __attribute__((warn_unused_result));

/* Appends the original request headers, in order, to out. */
void envelope_headers(const struct envelope *e, struct headers *out);

/* Removes the request's credentials (headers_is_credential, with the source's
 * secret_header, NULL when none) from e: an envelope stored before intake left them
 * out still holds them. Returns how many headers were removed. */
size_t envelope_drop_credentials(struct envelope *e, const char *secret_header);

/*
 * Delivery state, per destination (DESIGN.md "Destinations and filters"):
 *
 *   "deliveries": { NAME: { "attempts": [...], "outcome": {...}, "due": S } },
 *   "outcome": { "state": "done" | "dead" | "filtered", "at", "reason" }
 *
 * "deliveries" is written when the drain first routes the webhook (its
 * filters, evaluated once); its members are the matching destinations, in
 * config order. A destination is finished when it has an "outcome" ("done":
 * a 2xx; "dead": it gave up); "due" (epoch seconds) is when an unfinished one
 * is next attempted, absent when it is due at once. The top-level "outcome"
 * is the webhook's own, written with its final state. An envelope of the
 * one-destination format (top-level "attempts" and "outcome", no
 * "deliveries") is read as destination "default" (ENVELOPE_LEGACY_DESTINATION)
 * and written back in this format.
 */
#define ENVELOPE_LEGACY_DESTINATION "default"
#define ENVELOPE_DESTINATIONS_MAX 64 /* members of "deliveries" that are read */

/* 1 when the webhook's destinations are recorded ("deliveries"), else 0: never routed. */
int envelope_routed(const struct envelope *e);

/* Records the destinations the webhook matched (names[0..n), in order), each with no
 * attempt; n 0 records that none matched. */
void envelope_route(struct envelope *e, const char *const *names, size_t n);

/* The recorded destinations' names, in order, into names (borrowed, valid until e
 * changes); returns their number (at most cap). */
size_t envelope_destinations(const struct envelope *e, const char **names, size_t cap);

/* The number of recorded destinations (0: none matched, or not routed). */
size_t envelope_destination_count(const struct envelope *e);

/* 1 when destination dest is recorded. */
int envelope_has_destination(const struct envelope *e, const char *dest);

/* Attempts recorded for dest so far (0 when it is not recorded). */
size_t envelope_attempt_count(const struct envelope *e, const char *dest);

/* The status of dest's last attempt (0: none, or no HTTP answer). */
int envelope_last_status(const struct envelope *e, const char *dest);

/* Records an attempt for dest (recorded); status 0 means no HTTP answer; error may be NULL. */
void envelope_add_attempt(struct envelope *e, const char *dest, int64_t at_ms, int status,
                          const char *error, int64_t duration_ms);

/* dest's outcome state ("done" or "dead"), or NULL while it is unfinished. Borrowed. */
const char *envelope_outcome_state(const struct envelope *e, const char *dest);

/* When unfinished dest is next due (epoch seconds), or 0 when at once. */
int64_t envelope_due(const struct envelope *e, const char *dest);

/* Sets dest's next due time (epoch seconds). */
void envelope_set_due(struct envelope *e, const char *dest, int64_t due_s);

/*
 * Sets the "outcome" (state "done", "dead" or "filtered") of dest, or, with
 * dest NULL, the webhook's own top-level one (which also marks it routed);
 * status 0 omitted; reason may be NULL. A destination's outcome ends it: its
 * "due" goes.
 */
void envelope_set_outcome(struct envelope *e, const char *dest, const char *state, int64_t at_ms,
                          int status, const char *reason);

/* The webhook's own outcome state, or NULL while it is in flight. Borrowed. */
const char *envelope_final_state(const struct envelope *e);

/* Which destinations a replay starts again. */
enum envelope_replay {
    ENVELOPE_REPLAY_ALL,      /* every recorded destination (a replay of done/) */
    ENVELOPE_REPLAY_GAVE_UP,  /* those whose outcome is "dead" (a replay of dead/) */
};

/*
 * For replay: the chosen destinations' attempts and outcome (only dest when not
 * NULL, whatever its state; else those of which) move into "history" (kept for
 * operators) and are cleared, so they get a fresh schedule; the others keep
 * theirs and are not delivered again. The top-level outcome goes too, and
 * "replayed_at" is set to at_ms, which marks the envelope as a replay
 * (lib/spool.h, the duplicate decision). A webhook that matched no destination
 * (or was never routed) is unrouted, so its filters are evaluated again.
 * Returns the number of destinations started again; -1, changing nothing, when
 * dest is not recorded or nothing would be delivered (which = GAVE_UP and
 * none gave up).
 */
int envelope_reset_delivery(struct envelope *e, int64_t at_ms, enum envelope_replay which,
                            const char *dest) __attribute__((warn_unused_result));

/* The top-level "replayed_at" (RFC 3339, as clock_iso8601 writes it), or NULL for an
 * envelope never replayed. Borrowed. */
const char *envelope_replayed_at(const struct envelope *e);

/* The JSON text, compact or indented. Caller frees; *len set. */
char *envelope_dump(const struct envelope *e, int pretty, size_t *len);

void envelope_free(struct envelope *e);

#endif
