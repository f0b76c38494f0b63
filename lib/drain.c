/* drain: the delivery pass, its work queue and workers (see drain.h). */
#include "drain.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "census.h"
#include "clock.h"
#include "delivery.h"
#include "envelope.h"
#include "filter.h"
#include "guard.h"
#include "headers.h"
#include "key.h"
#include "log.h"
#include "sig.h"
#include "spool.h"
#include "xmalloc.h"

#define DRAIN_WAIT_STEP_MS 100 /* longest sleep between looks at the stop flag */
#define DRAIN_REASON_MAX (ERROR_MSG_MAX + 64) /* a store or curl message and a preamble */

struct item {
    char object[KEY_OBJECT_MAX + 1];
    struct key_parts parts;
    size_t source; /* index into cfg->sources */
};

/* A bounded FIFO: the producer blocks when it is full, so a pass holds at most
 * its capacity of listed keys beyond the one page being read. */
struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct item *items;
    size_t cap;
    size_t head;
    size_t n;
    int closed;
};

struct drain {
    struct drain_options o;
    struct guard *guard;  /* one slot per destination: source i's j-th is slot0[i] + j */
    size_t *slot0;
    struct queue q;
    struct spool_flight *flight;
    struct census tally; /* of the last pass (drain_tally) */
    int tally_complete;  /* the last pass listed pending/ and retry/ to the end */
};

struct worker {
    struct drain *d;
    struct delivery *delivery;
    struct drain_counts counts;
    struct census tally;              /* the moves this worker made in the pass */
    uint64_t jitter_state;            /* xorshift64*: random() is not for threads */
    char moved[KEY_OBJECT_MAX + 1];   /* where the current item went; "" nowhere */
    pthread_t thread;
};

/* Per pass, producer side only. */
struct pass {
    struct drain *d;
    int64_t now_s;
    char **logged; /* sources already logged as unroutable */
    size_t n_logged;
    int junk_logged;
    struct drain_counts counts;
    struct census tally; /* pending/ and retry/ as listed */
};

static int stopping(const struct drain *d)
{
    return d->o.stop != NULL && atomic_load(d->o.stop) != 0;
}

static void queue_init(struct queue *q, size_t cap)
{
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    q->items = xcalloc(cap, sizeof(*q->items));
    q->cap = cap;
    q->head = 0;
    q->n = 0;
    q->closed = 0;
}

static void queue_destroy(struct queue *q)
{
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->items);
}

static void queue_push(struct queue *q, const struct item *it)
{
    pthread_mutex_lock(&q->lock);
    while (q->n == q->cap)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->items[(q->head + q->n) % q->cap] = *it;
    q->n++;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* 1 with an item, 0 when the queue is closed and empty. */
static int queue_pop(struct queue *q, struct item *it)
{
    int got = 0;

    pthread_mutex_lock(&q->lock);
    while (q->n == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->n > 0) {
        *it = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        got = 1;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

static void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

int drain_shard_parse(const char *text, unsigned *i, unsigned *n)
{
    char *end = NULL;
    unsigned long a;
    unsigned long b;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    a = strtoul(text, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    b = strtoul(end + 1, &end, 10);
    if (*end != '\0' || b == 0 || b > 1024 || a >= b)
        return -1;
    *i = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

int drain_in_shard(const char *source, const char *encoded, unsigned i, unsigned n)
{
    return n <= 1 || key_hash(source, encoded) % n == i;
}

enum drain_next drain_next_state(int status, size_t attempts, size_t n_schedule)
{
    if (status >= 200 && status <= 299)
        return DRAIN_NEXT_DONE;
    if (status == 410 || attempts >= n_schedule)
        return DRAIN_NEXT_DEAD;
    return DRAIN_NEXT_RETRY;
}

int64_t drain_due(int64_t now_s, long delay_s, double draw, long retry_after_s)
{
    double jittered = (double)delay_s * (1.0 + DRAIN_JITTER * draw);
    /* Rounded half up by hand: the delay is never negative, and no libm is needed. */
    int64_t due = now_s + (jittered > 0 ? (int64_t)(jittered + 0.5) : 0);

    if (retry_after_s >= 0 && now_s + retry_after_s > due)
        due = now_s + retry_after_s;
    return due;
}

int drain_exit_code(const struct drain_counts *c, int pass_rc)
{
    if (pass_rc != 0 || c->store_errors > 0)
        return 3;
    if (c->failed > 0)
        return 1;
    return 0;
}

struct drain *drain_new(const struct drain_options *opts)
{
    struct drain *d = xcalloc(1, sizeof(*d));
    const struct config *cfg = opts->cfg;
    struct guard_limits *limits;
    size_t n = 0;

    d->o = *opts;
    if (d->o.concurrency < 1)
        d->o.concurrency = 1;
    if (d->o.shard_n == 0)
        d->o.shard_n = 1;
    d->slot0 = xcalloc(cfg->n_sources + 1, sizeof(*d->slot0));
    for (size_t i = 0; i < cfg->n_sources; i++) {
        d->slot0[i] = n;
        n += cfg->sources[i].n_destinations;
    }
    /* Each destination is protected on its own: its rate, its breaker. */
    limits = xcalloc(n + 1, sizeof(*limits));
    for (size_t i = 0; i < cfg->n_sources; i++) {
        for (size_t j = 0; j < cfg->sources[i].n_destinations; j++) {
            const struct destination_config *dest = &cfg->sources[i].destinations[j];
            struct guard_limits *l = &limits[d->slot0[i] + j];

            l->max_per_second = dest->max_per_second;
            l->breaker_failures = dest->breaker_failures;
            l->breaker_pause_s = dest->breaker_pause_s;
        }
    }
    d->guard = guard_new(limits, n);
    d->flight = spool_flight_new();
    free(limits);
    return d;
}

void drain_free(struct drain *d)
{
    if (d == NULL)
        return;
    guard_free(d->guard);
    free(d->slot0);
    spool_flight_free(d->flight);
    census_free(&d->tally);
    free(d);
}

const struct census *drain_tally(const struct drain *d)
{
    return d->tally_complete ? &d->tally : NULL;
}

/* Jitter only spreads retries, so a small generator of the worker's own will do. */
static void jitter_seed(struct worker *w, int index)
{
    uint64_t x = (uint64_t)clock_now_ms() ^ ((uint64_t)getpid() << 32) ^
                 ((uint64_t)index + 1) * 0x9E3779B97F4A7C15ull;

    w->jitter_state = x != 0 ? x : 0x2545F4914F6CDD1Dull;
}

/* A draw in [-1, 1) (xorshift64*, the top 53 bits). */
static double jitter_draw(struct worker *w)
{
    uint64_t x = w->jitter_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->jitter_state = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void log_store_error(const char *event, const char *object, const struct error *err)
{
    struct log_fields f = LOG_FIELDS_INIT;

    f.object = object;
    f.error = err->msg;
    log_event(LOG_ERROR, event, &f);
}

/*
 * Moves the item's webhook to next with e (spool_advance), and notes it: where
 * the webhook is now, for a copy of its key met later (spool_flight), and the
 * move in the pass's counts. 0 when it moved; -1 when next could not be
 * written (nothing changed) or the old object could not be deleted (two
 * copies, the next pass drops the old one).
 */
static int move_to(struct worker *w, const struct item *it, const char *next,
                   const struct envelope *e)
{
    struct key_parts to;
    struct error err;
    enum spool_advance_result r;
    int removed = 0;

    error_clear(&err);
    r = spool_advance(w->d->o.store, w->d->o.cfg->store.timeout_ms, it->object, next, e,
                      &removed, &err);
    if (r == SPOOL_WRITE_FAILED) {
        w->counts.store_errors++;
        return -1;
    }
    snprintf(w->moved, sizeof(w->moved), "%s", next);
    if (key_parse(next, &to) == 0) {
        census_add(&w->tally, to.state, it->parts.source, 1);
        /* A finished replay's earlier record, of the other final state. */
        if (removed)
            census_add(&w->tally, to.state == KEY_DONE ? KEY_DEAD : KEY_DONE, it->parts.source,
                       -1);
    }
    if (r == SPOOL_DELETE_FAILED) {
        w->counts.store_errors++;
        return -1;
    }
    census_add(&w->tally, it->parts.state, it->parts.source, -1);
    return 0;
}

/* Counts, meters and logs a webhook that has just been written to dead/. */
static void record_dead(struct worker *w, const struct item *it, const char *next,
                        const char *reason)
{
    struct log_fields f = LOG_FIELDS_INIT;

    w->counts.dead++;
    if (w->d->o.metrics != NULL)
        metrics_dead(w->d->o.metrics);
    f.source = it->parts.source;
    f.key = it->parts.encoded;
    f.object = next;
    f.error = reason;
    log_event(LOG_WARN, "dead", &f);
}

/*
 * An object that is not an envelope still goes to dead/ as one: a new
 * envelope whose body is the stored bytes, exactly, and whose outcome says
 * why, so `show` and operators can read it.
 */
static void bury_unparseable(struct worker *w, const struct item *it, const struct buf *data,
                             const char *why)
{
    struct envelope_request req = {"", "", "", "", NULL};
    struct envelope *e = NULL;
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    char reason[DRAIN_REASON_MAX];
    char *raw_key = NULL;
    char *wrapped = NULL;
    size_t raw_len;
    size_t len;
    int64_t now = clock_now_ms();

    error_clear(&err);
    raw_key = key_decode(it->parts.encoded, &raw_len);
    wrapped = envelope_build(it->parts.source, raw_key, raw_len, now, &req, NULL, data->data,
                             data->len, &len);
    e = envelope_parse(wrapped, len, &err);
    if (e == NULL) {
        log_store_error("envelope_wrap_failed", it->object, &err);
        w->counts.store_errors++;
        goto out;
    }
    snprintf(reason, sizeof(reason), "unparseable envelope: %s", why);
    envelope_set_outcome(e, NULL, "dead", now, 0, reason);
    key_object(KEY_DEAD, 0, it->parts.source, it->parts.encoded, next);
    if (move_to(w, it, next, e) != 0)
        goto out;
    record_dead(w, it, next, reason);
out:
    envelope_free(e);
    free(wrapped);
    free(raw_key);
}

/*
 * An object over the read cap (max_body lowered since it was written) cannot
 * be delivered: it moves to dead/ as it is, unread, and the log says why.
 */
static void bury_too_large(struct worker *w, const struct item *it, const char *why)
{
    struct error err;
    char next[KEY_OBJECT_MAX + 1];

    error_clear(&err);
    key_object(KEY_DEAD, 0, it->parts.source, it->parts.encoded, next);
    if (spool_move_unread(w->d->o.store, it->object, next, &err) != 0) {
        w->counts.store_errors++;
        return;
    }
    snprintf(w->moved, sizeof(w->moved), "%s", next);
    census_add(&w->tally, it->parts.state, it->parts.source, -1);
    census_add(&w->tally, KEY_DEAD, it->parts.source, 1);
    record_dead(w, it, next, why);
}

/* The guard slot of destination j of the item's source. */
static size_t slot_of(const struct drain *d, const struct item *it, size_t j)
{
    return d->slot0[it->source] + j;
}

/* Waits for the guard; 1 to deliver, 0 to leave the destination (paused, or stopping). */
static int admitted(struct worker *w, size_t slot)
{
    for (;;) {
        int64_t wait_ms = 0;
        enum guard_verdict v = guard_admit(w->d->guard, slot, clock_mono_ms(), &wait_ms);

        if (v == GUARD_GO)
            return 1;
        if (v == GUARD_PAUSED || stopping(w->d))
            return 0;
        sleep_ms(wait_ms < DRAIN_WAIT_STEP_MS ? wait_ms : DRAIN_WAIT_STEP_MS);
    }
}

static void log_delivery(const struct item *it, const char *dest, int attempt,
                         const struct delivery_result *r)
{
    struct log_fields f = LOG_FIELDS_INIT;
    int ok = r->status >= 200 && r->status <= 299;

    f.source = it->parts.source;
    f.destination = dest;
    f.key = it->parts.encoded;
    f.object = it->object;
    f.status = r->status;
    f.attempt = attempt;
    f.latency_ms = r->duration_ms;
    f.error = ok ? NULL : r->error;
    log_event(ok ? LOG_INFO : LOG_WARN, "delivery", &f);
}

/* A webhook decoded once for all of its destinations. */
struct webhook {
    struct headers orig;
    unsigned char *body;
    size_t body_len;
};

/* What one pass did to one webhook. */
struct pass_over {
    int changed;        /* an attempt or an outcome was recorded: the object is rewritten */
    long delivered;     /* 2xx answers */
    long failed;        /* failed attempts left for a later one */
};

/* Records the destinations of src the webhook matches (its filters, evaluated once). */
static void route(struct envelope *e, const struct source_config *src, const struct webhook *wh)
{
    const char *names[CONFIG_DESTINATIONS_MAX];
    struct filter_subject *subject = filter_subject_new(&wh->orig, wh->body, wh->body_len);
    size_t n = 0;

    for (size_t j = 0; j < src->n_destinations; j++) {
        if (filter_match(src->destinations[j].filter, subject))
            names[n++] = src->destinations[j].name;
    }
    filter_subject_free(subject);
    envelope_route(e, names, n);
}

/* One attempt to destination j (admitted by the guard), recorded in e. */
static void attempt(struct worker *w, const struct item *it, size_t j, struct envelope *e,
                    const struct webhook *wh, struct pass_over *po)
{
    const struct source_config *src = &w->d->o.cfg->sources[it->source];
    const struct destination_config *dest = &src->destinations[j];
    struct delivery_target target = {dest->url, dest->timeout_ms, dest->connect_timeout_ms};
    struct delivery_meta meta;
    struct delivery_result r;
    struct headers out;
    char reason[DRAIN_REASON_MAX];
    size_t attempts = envelope_attempt_count(e, dest->name);
    int64_t now;
    int answered;

    headers_init(&out);
    memset(&r, 0, sizeof(r));
    meta.source = it->parts.source;
    meta.destination = dest->name;
    meta.key = it->parts.encoded;
    meta.attempt = (int)attempts + 1;
    meta.sign = dest->sign_secret.len > 0 ? &dest->sign_secret : NULL;
    meta.now_s = clock_now_ms() / 1000;
    /* A token is the provider's password to hookspool, unlike an HMAC signature. */
    meta.secret_header = sig_secret_header(&src->verify);
    delivery_headers(&wh->orig, &meta, wh->body, wh->body_len, &out);
    answered = delivery_post(w->delivery, &target, &out, wh->body, wh->body_len, &r) == 0;
    guard_report(w->d->guard, slot_of(w->d, it, j), guard_outcome_of(answered ? r.status : 0),
                 clock_mono_ms());
    if (w->d->o.metrics != NULL)
        metrics_attempt(w->d->o.metrics, it->parts.source, dest->name, r.status, r.duration_ms);
    log_delivery(it, dest->name, meta.attempt, &r);
    now = clock_now_ms();
    envelope_add_attempt(e, dest->name, now, r.status, r.error[0] != '\0' ? r.error : NULL,
                         r.duration_ms);
    attempts++;
    po->changed = 1;
    switch (drain_next_state(r.status, attempts, dest->n_schedule)) {
    case DRAIN_NEXT_DONE:
        envelope_set_outcome(e, dest->name, "done", now, r.status, NULL);
        po->delivered++;
        break;
    case DRAIN_NEXT_DEAD:
        if (r.status == 410)
            snprintf(reason, sizeof(reason), "destination answered 410 gone");
        else
            snprintf(reason, sizeof(reason), "attempts exhausted (%zu), last: %s", attempts,
                     r.error);
        envelope_set_outcome(e, dest->name, "dead", now, r.status, reason);
        if (w->d->o.metrics != NULL)
            metrics_gave_up(w->d->o.metrics, it->parts.source, dest->name);
        break;
    case DRAIN_NEXT_RETRY:
        envelope_set_due(e, dest->name,
                         drain_due(now / 1000, dest->schedule_s[attempts], jitter_draw(w),
                                   r.retry_after_s));
        po->failed++;
        break;
    }
    headers_free(&out);
}

/* Logs a recorded destination the config no longer has: it waits, unattempted. */
static void log_unknown_destination(const struct item *it, const char *name)
{
    struct log_fields f = LOG_FIELDS_INIT;

    f.source = it->parts.source;
    f.destination = name;
    f.key = it->parts.encoded;
    f.object = it->object;
    f.error = "destination not in the config; it waits with its attempts unspent";
    log_event(LOG_WARN, "destination_deferred", &f);
}

/*
 * Attempts every unfinished destination of e that is due: first those the
 * guard lets through at once, in config order, then those waiting for a rate
 * token, so neither a paused nor a rate-limited destination holds back the
 * others. A paused one is passed over, its attempts unspent.
 */
static void attempt_due(struct worker *w, const struct item *it, struct envelope *e,
                        const struct webhook *wh, int64_t now_s, struct pass_over *po)
{
    const struct source_config *src = &w->d->o.cfg->sources[it->source];
    size_t waiting[CONFIG_DESTINATIONS_MAX];
    size_t n_waiting = 0;
    const char *names[ENVELOPE_DESTINATIONS_MAX];
    size_t n = envelope_destinations(e, names, ENVELOPE_DESTINATIONS_MAX);

    for (size_t i = 0; i < n; i++) {
        const struct destination_config *dest = config_destination_by_name(src, names[i]);
        size_t j;
        int64_t wait_ms = 0;
        enum guard_verdict v;

        if (envelope_outcome_state(e, names[i]) != NULL)
            continue;
        if (dest == NULL) {
            log_unknown_destination(it, names[i]);
            continue;
        }
        j = (size_t)(dest - src->destinations);
        if (envelope_attempt_count(e, dest->name) >= dest->n_schedule) {
            /* A schedule shortened since: nothing left to spend. */
            char reason[64];

            snprintf(reason, sizeof(reason), "attempts exhausted (%zu)",
                     envelope_attempt_count(e, dest->name));
            envelope_set_outcome(e, dest->name, "dead", clock_now_ms(), 0, reason);
            if (w->d->o.metrics != NULL)
                metrics_gave_up(w->d->o.metrics, it->parts.source, dest->name);
            po->changed = 1;
            continue;
        }
        if (envelope_due(e, dest->name) > now_s || stopping(w->d))
            continue;
        v = guard_admit(w->d->guard, slot_of(w->d, it, j), clock_mono_ms(), &wait_ms);
        if (v == GUARD_GO)
            attempt(w, it, j, e, wh, po);
        else if (v == GUARD_WAIT)
            waiting[n_waiting++] = j;
    }
    for (size_t k = 0; k < n_waiting; k++) {
        if (admitted(w, slot_of(w->d, it, waiting[k])))
            attempt(w, it, waiting[k], e, wh, po);
    }
}

enum drain_next drain_object_next(const struct drain_dest_status *dests, size_t n,
                                  int64_t now_s, int64_t *due_s)
{
    int unfinished = 0;
    int gave_up = 0;
    int64_t earliest = 0;

    for (size_t i = 0; i < n; i++) {
        if (dests[i].state == DRAIN_DEST_DEAD)
            gave_up = 1;
        if (dests[i].state != DRAIN_DEST_WAITING)
            continue;
        if (!unfinished || dests[i].due_s < earliest)
            earliest = dests[i].due_s;
        unfinished = 1;
    }
    *due_s = 0;
    if (unfinished) {
        *due_s = earliest > now_s ? earliest : now_s;
        return DRAIN_NEXT_RETRY;
    }
    return gave_up ? DRAIN_NEXT_DEAD : DRAIN_NEXT_DONE;
}

/* The webhook's next state from its destinations' (drain_object_next); reason gets, for
 * dead/, each destination that gave up and why. */
static enum drain_next object_next(const struct envelope *e, int64_t now_s, int64_t *due_s,
                                   char reason[DRAIN_REASON_MAX])
{
    const char *names[ENVELOPE_DESTINATIONS_MAX];
    struct drain_dest_status st[ENVELOPE_DESTINATIONS_MAX];
    size_t n = envelope_destinations(e, names, ENVELOPE_DESTINATIONS_MAX);
    size_t used = 0;

    reason[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *state = envelope_outcome_state(e, names[i]);

        st[i].due_s = envelope_due(e, names[i]);
        st[i].state = state == NULL                ? DRAIN_DEST_WAITING
                      : strcmp(state, "done") == 0 ? DRAIN_DEST_DONE
                                                   : DRAIN_DEST_DEAD;
        if (st[i].state == DRAIN_DEST_DEAD && used < DRAIN_REASON_MAX)
            used += (size_t)snprintf(reason + used, DRAIN_REASON_MAX - used, "%s%s gave up",
                                     used > 0 ? "; " : "", names[i]);
    }
    return drain_object_next(st, n, now_s, due_s);
}

/* Delivers a parsed envelope to its due destinations and moves it to its next state. */
static void deliver(struct worker *w, const struct item *it, struct envelope *e)
{
    const struct source_config *src = &w->d->o.cfg->sources[it->source];
    struct webhook wh;
    struct pass_over po = {0, 0, 0};
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    char reason[DRAIN_REASON_MAX];
    int64_t now_s = clock_now_ms() / 1000;
    int64_t due_s = 0;
    int filtered;
    enum drain_next state;

    headers_init(&wh.orig);
    wh.body = NULL;
    wh.body_len = 0;
    error_clear(&err);
    if (envelope_body(e, &wh.body, &wh.body_len, &err) != 0) {
        /* Undeliverable to anyone: the webhook itself is dead, whatever it matched. */
        state = DRAIN_NEXT_DEAD;
        snprintf(reason, sizeof(reason), "%s", err.msg);
        po.changed = 1;
        goto move;
    }
    envelope_headers(e, &wh.orig);
    if (!envelope_routed(e)) {
        route(e, src, &wh);
        /* Matching nothing is an outcome, recorded in done/ like a delivery. */
        po.changed = envelope_destination_count(e) == 0;
    }
    attempt_due(w, it, e, &wh, now_s, &po);
    state = object_next(e, clock_now_ms() / 1000, &due_s, reason);
    if (!po.changed && state == DRAIN_NEXT_RETRY) {
        /* Every due destination paused, unknown, or the drain stopping: untouched. */
        w->counts.deferred++;
        goto out;
    }
move:
    filtered = state == DRAIN_NEXT_DONE && envelope_destination_count(e) == 0;
    if (state == DRAIN_NEXT_DONE) {
        envelope_set_outcome(e, NULL, filtered ? "filtered" : "done", clock_now_ms(), 0, NULL);
        key_object(KEY_DONE, 0, it->parts.source, it->parts.encoded, next);
    } else if (state == DRAIN_NEXT_DEAD) {
        envelope_set_outcome(e, NULL, "dead", clock_now_ms(), 0, reason);
        key_object(KEY_DEAD, 0, it->parts.source, it->parts.encoded, next);
    } else {
        key_object(KEY_RETRY, due_s, it->parts.source, it->parts.encoded, next);
    }
    if (move_to(w, it, next, e) != 0) {
        /* The next state could not be written: the webhook is still where it was read,
         * so a copy of its key met later in this pass is dropped, not delivered again. */
        if (w->moved[0] == '\0')
            snprintf(w->moved, sizeof(w->moved), "%s", it->object);
        goto out;
    }
    w->counts.delivered += po.delivered;
    w->counts.failed += po.failed;
    w->counts.filtered += filtered;
    if (state == DRAIN_NEXT_DEAD)
        record_dead(w, it, next, reason);
out:
    free(wh.body);
    headers_free(&wh.orig);
}

/*
 * Deletes a copy of a webhook recorded elsewhere already (done/, or the next
 * state this drain wrote for its key while the copy waited), without
 * delivering it.
 */
static void drop_duplicate(struct worker *w, const struct item *it, const char *recorded)
{
    struct log_fields f = LOG_FIELDS_INIT;
    struct error err;

    error_clear(&err);
    if (spool_drop(w->d->o.store, it->object, &err) != 0) {
        w->counts.store_errors++;
        return;
    }
    census_add(&w->tally, it->parts.state, it->parts.source, -1);
    snprintf(w->moved, sizeof(w->moved), "%s", recorded);
    w->counts.duplicates++;
    f.source = it->parts.source;
    f.key = it->parts.encoded;
    f.object = it->object;
    f.error = recorded;
    log_event(LOG_INFO, "duplicate", &f);
}

/* 1 when every destination of the item's source is paused (a cheap look before a get). */
static int all_paused(struct drain *d, const struct item *it)
{
    const struct source_config *src = &d->o.cfg->sources[it->source];
    int64_t now = clock_mono_ms();

    for (size_t j = 0; j < src->n_destinations; j++) {
        if (!guard_paused(d->guard, slot_of(d, it, j), now))
            return 0;
    }
    return 1;
}

/* One object, its key held by this worker; moved_to is where the key's webhook went
 * while this copy waited for it ("" nowhere). */
static void process_held(struct worker *w, const struct item *it, const char *moved_to)
{
    const struct source_config *src = &w->d->o.cfg->sources[it->source];
    struct store *s = w->d->o.store;
    struct envelope *e = NULL;
    struct error err;
    struct buf data;
    char done[KEY_OBJECT_MAX + 1];
    char unparseable[ERROR_MSG_MAX];
    enum spool_verdict verdict;

    buf_init(&data, envelope_max_len(src->max_body));
    error_clear(&err);
    if (moved_to[0] != '\0') {
        /* The same name: the copy is the very next state just written, due later. */
        if (strcmp(moved_to, it->object) == 0)
            w->counts.deferred++;
        else
            drop_duplicate(w, it, moved_to);
        goto out;
    }
    /* Every destination of the source paused: defer before even reading the object. */
    if (all_paused(w->d, it)) {
        w->counts.deferred++;
        goto out;
    }
    if (store_get(s, it->object, &data, &err) != 0) {
        if (err.code == HS_ERR_NOT_FOUND) {
            /* Gone since the listing: another drain moved it. */
            w->counts.deferred++;
        } else if (err.code == HS_ERR_TOO_LARGE) {
            bury_too_large(w, it, err.msg);
        } else {
            log_store_error("store_get_failed", it->object, &err);
            w->counts.store_errors++;
        }
        goto out;
    }
    e = envelope_parse(data.data != NULL ? data.data : "", data.len, &err);
    snprintf(unparseable, sizeof(unparseable), "%s", e == NULL ? err.msg : "");
    /* An envelope stored before intake left credentials out: its next state holds none. */
    if (e != NULL)
        envelope_drop_credentials(e, sig_secret_header(&src->verify));
    error_clear(&err);
    if (spool_check(s, &it->parts, e, data.max, &verdict, &err) != 0) {
        w->counts.store_errors++;
        goto out;
    }
    if (verdict == SPOOL_DUPLICATE) {
        key_object(KEY_DONE, 0, it->parts.source, it->parts.encoded, done);
        drop_duplicate(w, it, done);
        goto out;
    }
    if (e == NULL) {
        bury_unparseable(w, it, &data, unparseable);
        goto out;
    }
    deliver(w, it, e);
out:
    envelope_free(e);
    buf_free(&data);
}

static void process(struct worker *w, const struct item *it)
{
    char moved_to[KEY_OBJECT_MAX + 1];

    /* One worker per key: a second copy (a provider's resend beside a due retry/, a
     * failed delete's leftover) waits here, then is dropped once the first moved. */
    spool_flight_claim(w->d->flight, &it->parts, moved_to);
    w->moved[0] = '\0';
    process_held(w, it, moved_to);
    spool_flight_release(w->d->flight, &it->parts, w->moved[0] != '\0' ? w->moved : NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct item it;

    while (queue_pop(&w->d->q, &it)) {
        /* Stopping: what is still queued stays untouched for the next run. */
        if (stopping(w->d))
            continue;
        process(w, &it);
    }
    return NULL;
}

/* Logs a source that cannot be delivered, once per pass. */
static void log_unroutable(struct pass *p, const char *source, const char *why)
{
    struct log_fields f = LOG_FIELDS_INIT;

    for (size_t i = 0; i < p->n_logged; i++) {
        if (strcmp(p->logged[i], source) == 0)
            return;
    }
    p->logged = xrealloc(p->logged, (p->n_logged + 1) * sizeof(*p->logged));
    p->logged[p->n_logged++] = xstrdup(source);
    f.source = source;
    f.error = why;
    log_event(LOG_WARN, "source_deferred", &f);
}

/* The whole of retry/ counted, before any of it is moved: moves are counted as they
 * are made, so the pass's figure is not skewed by what its own workers write. */
static enum spool_walk_next count_retry(void *ctx, const char *object,
                                        const struct key_parts *parts)
{
    struct pass *p = ctx;

    (void)object;
    if (parts != NULL)
        census_add(&p->tally, KEY_RETRY, parts->source, 1);
    return stopping(p->d) ? SPOOL_WALK_STOP : SPOOL_WALK_NEXT;
}

/* Queues the key when it is this drain's to deliver; stops at the first future DUE. */
static enum spool_walk_next offer(void *ctx, const char *object, const struct key_parts *parts)
{
    struct pass *p = ctx;
    struct drain *d = p->d;
    const struct config *cfg = d->o.cfg;
    const struct source_config *src;
    struct item it;

    if (stopping(d))
        return SPOOL_WALK_STOP;
    if (parts == NULL) {
        if (!p->junk_logged) {
            struct log_fields f = LOG_FIELDS_INIT;

            f.object = object;
            f.error = "not a spool key; left in place (logged once per pass)";
            log_event(LOG_WARN, "object_deferred", &f);
            p->junk_logged = 1;
        }
        p->counts.deferred++;
        return SPOOL_WALK_NEXT;
    }
    if (parts->state == KEY_RETRY && parts->due > p->now_s)
        return SPOOL_WALK_STOP;
    if (parts->state == KEY_PENDING)
        census_add(&p->tally, KEY_PENDING, parts->source, 1);
    if (!drain_in_shard(parts->source, parts->encoded, d->o.shard_i, d->o.shard_n))
        return SPOOL_WALK_NEXT;
    src = config_source_by_name(cfg, parts->source);
    if (src == NULL || src->n_destinations == 0) {
        log_unroutable(p, parts->source,
                       src == NULL ? "source not in the config; objects left in place"
                                   : "source has no destination; objects left in place");
        p->counts.deferred++;
        return SPOOL_WALK_NEXT;
    }
    it.parts = *parts;
    it.source = (size_t)(src - cfg->sources);
    memcpy(it.object, object, strlen(object) + 1);
    queue_push(&d->q, &it);
    return SPOOL_WALK_NEXT;
}

static void add_counts(struct drain_counts *to, const struct drain_counts *from)
{
    to->delivered += from->delivered;
    to->failed += from->failed;
    to->dead += from->dead;
    to->filtered += from->filtered;
    to->deferred += from->deferred;
    to->duplicates += from->duplicates;
    to->store_errors += from->store_errors;
}

int drain_pass(struct drain *d, struct drain_counts *counts, struct error *err)
{
    int n = d->o.concurrency;
    struct worker *workers = xcalloc((size_t)n, sizeof(*workers));
    struct pass p;
    int started = 0;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    p.d = d;
    p.now_s = clock_now_ms() / 1000;
    spool_flight_forget(d->flight);
    queue_init(&d->q, (size_t)n * 2);
    for (int i = 0; i < n; i++) {
        workers[i].d = d;
        workers[i].delivery = delivery_new();
        jitter_seed(&workers[i], i);
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            delivery_free(workers[i].delivery);
            error_set(err, HS_ERR_TRANSIENT, "threads", "unable to start worker %d", i);
            goto out;
        }
        started++;
    }
    if (spool_walk(d->o.store, KEY_RETRY, NULL, count_retry, &p, err) != 0 ||
        spool_walk(d->o.store, KEY_RETRY, NULL, offer, &p, err) != 0 ||
        spool_walk(d->o.store, KEY_PENDING, NULL, offer, &p, err) != 0) {
        error_prefix(err, "unable to list the spool");
        goto out;
    }
    rc = 0;
out:
    queue_close(&d->q);
    for (int i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        delivery_free(workers[i].delivery);
        add_counts(&p.counts, &workers[i].counts);
        census_merge(&p.tally, &workers[i].tally);
    }
    for (int i = 0; i < n; i++)
        census_free(&workers[i].tally);
    add_counts(counts, &p.counts);
    census_free(&d->tally);
    d->tally = p.tally;
    /* A pass that stopped early saw only part of the spool. */
    d->tally_complete = rc == 0 && !stopping(d);
    for (size_t i = 0; i < p.n_logged; i++)
        free(p.logged[i]);
    free(p.logged);
    queue_destroy(&d->q);
    free(workers);
    return rc;
}
