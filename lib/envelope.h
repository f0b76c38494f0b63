/*
 * envelope: the JSON document stored for each webhook (DESIGN.md "The spool").
 *
 *   { "v": 1, "source", "key", "received_at",
 *     "request": { "method", "path", "query", "remote_addr", "headers": [[n, v], ...] },
 *     "body", "body_encoding": "utf8" | "base64",
 *     "attempts": [ { "at", "status", "error", "ms" } ],
 *     "outcome": { "state", "at", "status", "reason" },
 *     "replayed_at", "history": [ ... ] }    (after a replay only)
 *
 * The body is kept byte for byte: as a JSON string when it is valid UTF-8
 * without NUL, else base64. The raw idempotency key likewise: when it is not
 * valid UTF-8, "key" holds its base64 and "key_encoding" is "base64". Header
 * values that are not UTF-8 are stored as their Latin-1 reading.
 *
 * The handler only builds (envelope_build); the drain parses, appends
 * attempts, sets the outcome and dumps.
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

/* The stored "key" string (base64 when "key_encoding" is "base64"). Borrowed. */
const char *envelope_key(const struct envelope *e);

/* The decoded raw body, fresh (caller frees); -1 with HS_ERR_INPUT when undecodable. */
int envelope_body(const struct envelope *e, unsigned char **body, size_t *len,
                  struct error *err) __attribute__((warn_unused_result));

/* Appends the original request headers, in order, to out. */
void envelope_headers(const struct envelope *e, struct headers *out);

/* Number of delivery attempts recorded so far. */
size_t envelope_attempt_count(const struct envelope *e);

/* Records an attempt; status 0 means no HTTP answer; error may be NULL. */
void envelope_add_attempt(struct envelope *e, int64_t at_ms, int status, const char *error,
                          int64_t duration_ms);

/* Sets "outcome" (state "done" or "dead"); status 0 omitted; reason may be NULL. */
void envelope_set_outcome(struct envelope *e, const char *state, int64_t at_ms, int status,
                          const char *reason);

/* For replay: moves "attempts" and "outcome" into "history" (kept for operators)
 * and clears them, so the webhook gets a fresh schedule; sets "replayed_at" to at_ms,
 * which marks the envelope as a replay (lib/spool.h, the duplicate decision). */
void envelope_reset_delivery(struct envelope *e, int64_t at_ms);

/* The top-level "replayed_at" (RFC 3339, as clock_iso8601 writes it), or NULL for an
 * envelope never replayed. Borrowed. */
const char *envelope_replayed_at(const struct envelope *e);

/* The JSON text, compact or indented. Caller frees; *len set. */
char *envelope_dump(const struct envelope *e, int pretty, size_t *len);

void envelope_free(struct envelope *e);

#endif
