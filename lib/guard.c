/* guard: per-destination token bucket and circuit breaker (see guard.h). */
#include "guard.h"

#include <pthread.h>
#include <stdlib.h>

#include "xmalloc.h"

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

struct guard_slot {
    struct guard_limits limits;
    double tokens;
    int64_t refilled_at_ms;    /* 0: never; the bucket starts full */
    int consecutive_failures;
    enum breaker_state state;
    int64_t paused_until_ms;   /* BREAKER_OPEN only */
    int probe_out;             /* BREAKER_HALF_OPEN: the one probe is in flight */
};

struct guard {
    pthread_mutex_t lock;
    struct guard_slot *slots;
    size_t n;
};

struct guard *guard_new(const struct guard_limits *limits, size_t n)
{
    struct guard *g = xcalloc(1, sizeof(*g));

    pthread_mutex_init(&g->lock, NULL);
    g->slots = xcalloc(n != 0 ? n : 1, sizeof(*g->slots));
    g->n = n;
    for (size_t i = 0; i < n; i++) {
        g->slots[i].limits = limits[i];
        if (g->slots[i].limits.breaker_failures < 1)
            g->slots[i].limits.breaker_failures = 1;
    }
    return g;
}

void guard_free(struct guard *g)
{
    if (g == NULL)
        return;
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    free(g);
}

static double bucket_size(const struct guard_slot *s)
{
    return s->limits.max_per_second > 1.0 ? s->limits.max_per_second : 1.0;
}

static void refill(struct guard_slot *s, int64_t now_ms)
{
    if (s->refilled_at_ms == 0) {
        s->tokens = bucket_size(s);
    } else if (now_ms > s->refilled_at_ms) {
        s->tokens += (double)(now_ms - s->refilled_at_ms) * s->limits.max_per_second / 1000.0;
        if (s->tokens > bucket_size(s))
            s->tokens = bucket_size(s);
    }
    s->refilled_at_ms = now_ms > 0 ? now_ms : 1;
}

/* Moves an open breaker whose pause is over to half-open; 1 when deliveries must wait. */
static int slot_paused(struct guard_slot *s, int64_t now_ms)
{
    if (s->state == BREAKER_OPEN && now_ms >= s->paused_until_ms) {
        s->state = BREAKER_HALF_OPEN;
        s->probe_out = 0;
    }
    return s->state == BREAKER_OPEN || (s->state == BREAKER_HALF_OPEN && s->probe_out);
}

enum guard_verdict guard_admit(struct guard *g, size_t i, int64_t now_ms, int64_t *wait_ms)
{
    struct guard_slot *s = &g->slots[i];
    enum guard_verdict v = GUARD_GO;

    pthread_mutex_lock(&g->lock);
    if (slot_paused(s, now_ms)) {
        v = GUARD_PAUSED;
        goto out;
    }
    if (s->limits.max_per_second > 0) {
        refill(s, now_ms);
        if (s->tokens < 1.0) {
            double ms = (1.0 - s->tokens) * 1000.0 / s->limits.max_per_second;

            *wait_ms = ms < 1.0 ? 1 : (int64_t)ms + 1;
            v = GUARD_WAIT;
            goto out;
        }
        s->tokens -= 1.0;
    }
    if (s->state == BREAKER_HALF_OPEN)
        s->probe_out = 1;
out:
    pthread_mutex_unlock(&g->lock);
    return v;
}

int guard_paused(struct guard *g, size_t i, int64_t now_ms)
{
    int paused;

    pthread_mutex_lock(&g->lock);
    paused = slot_paused(&g->slots[i], now_ms);
    pthread_mutex_unlock(&g->lock);
    return paused;
}

void guard_report(struct guard *g, size_t i, enum guard_outcome outcome, int64_t now_ms)
{
    struct guard_slot *s = &g->slots[i];

    pthread_mutex_lock(&g->lock);
    if (outcome == GUARD_SUCCESS) {
        s->consecutive_failures = 0;
        s->state = BREAKER_CLOSED;
        goto out;
    }
    s->consecutive_failures++;
    /* A failed probe re-opens at once; deliveries already in flight when the
     * breaker opened only extend the pause. */
    if (s->state == BREAKER_HALF_OPEN || s->state == BREAKER_OPEN ||
        s->consecutive_failures >= s->limits.breaker_failures) {
        s->state = BREAKER_OPEN;
        s->paused_until_ms = now_ms + (int64_t)s->limits.breaker_pause_s * 1000;
        s->probe_out = 0;
    }
out:
    pthread_mutex_unlock(&g->lock);
}

enum guard_outcome guard_outcome_of(int status)
{
    if (status == 0 || status == 429 || status >= 500)
        return GUARD_FAILURE;
    return GUARD_SUCCESS;
}
