/*
 * guard: each destination's protection, a rate limit and a circuit breaker.
 *
 * Rate: a token bucket per destination holding up to max(1, max_per_second)
 * tokens and refilled at max_per_second; a delivery takes one token, and
 * 0 means unlimited. Breaker: after breaker_failures consecutive failures
 * the destination is paused for breaker_pause_s; then one probe delivery
 * is let through (half-open): success closes the breaker, failure pauses
 * it again. Objects of a paused destination are left untouched, their
 * attempts unspent.
 *
 * A failure is an answer that says the destination is unwell: no answer
 * (timeout, refused, TLS), a 5xx or a 429. 2xx is a success. Any other
 * answer (4xx: the destination judged this one webhook) shows the
 * destination alive and counts as a success for the breaker.
 *
 * Times are monotonic milliseconds passed in by the caller, so tests drive
 * the clock. Thread-safe: one guard is shared by all of a drain's workers.
 *
 * Call order: guard_new -> (guard_admit, then guard_report for every GO)...
 * -> guard_free.
 */
#ifndef HS_GUARD_H
#define HS_GUARD_H

#include <stddef.h>
#include <stdint.h>

struct guard_limits {
    double max_per_second; /* 0: unlimited */
    int breaker_failures;  /* >= 1 */
    int breaker_pause_s;   /* >= 0 */
};

enum guard_verdict {
    GUARD_GO,     /* deliver now; guard_report must follow */
    GUARD_WAIT,   /* no rate token yet: ask again after *wait_ms */
    GUARD_PAUSED, /* breaker open (or its probe is out): leave the object alone */
};

enum guard_outcome {
    GUARD_SUCCESS,
    GUARD_FAILURE,
};

struct guard;

/* One slot per destination, limits[i] for slot i (copied). Caller owns the result. */
struct guard *guard_new(const struct guard_limits *limits, size_t n);

/*
 * Asks to deliver to slot i at now_ms. GUARD_GO takes a rate token (and the
 * half-open probe); GUARD_WAIT sets *wait_ms (>= 1); GUARD_PAUSED takes nothing.
 */
enum guard_verdict guard_admit(struct guard *g, size_t i, int64_t now_ms, int64_t *wait_ms);

/* 1 when slot i is paused at now_ms (a cheap look before fetching an object). */
int guard_paused(struct guard *g, size_t i, int64_t now_ms);

/* The outcome of a delivery admitted with GUARD_GO. */
void guard_report(struct guard *g, size_t i, enum guard_outcome outcome, int64_t now_ms);

/* Classifies an HTTP status (0: no answer) as guard_report wants it. */
enum guard_outcome guard_outcome_of(int status);

/* NULL-safe. */
void guard_free(struct guard *g);

#endif
