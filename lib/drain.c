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
    struct guard *guard;
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
    struct guard_limits *limits = xcalloc(cfg->n_sources + 1, sizeof(*limits));

    d->o = *opts;
    if (d->o.concurrency < 1)
        d->o.concurrency = 1;
    if (d->o.shard_n == 0)
        d->o.shard_n = 1;
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct destination_config *dest = &cfg->sources[i].destination;

        limits[i].max_per_second = dest->max_per_second;
        limits[i].breaker_failures = dest->breaker_failures;
        limits[i].breaker_pause_s = dest->breaker_pause_s;
    }
    d->guard = guard_new(limits, cfg->n_sources);
    d->flight = spool_flight_new();
    free(limits);
    return d;
}

void drain_free(struct drain *d)
{
    if (d == NULL)
        return;
    guard_free(d->guard);
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
    envelope_set_outcome(e, "dead", now, 0, reason);
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

/* Waits for the guard; 1 to deliver, 0 to leave the object (paused, or stopping). */
static int admitted(struct worker *w, const struct item *it)
{
    for (;;) {
        int64_t wait_ms = 0;
        enum guard_verdict v = guard_admit(w->d->guard, it->source, clock_mono_ms(), &wait_ms);

        if (v == GUARD_GO)
            return 1;
        if (v == GUARD_PAUSED || stopping(w->d))
            return 0;
        sleep_ms(wait_ms < DRAIN_WAIT_STEP_MS ? wait_ms : DRAIN_WAIT_STEP_MS);
    }
}

static void log_delivery(const struct item *it, int attempt, const struct delivery_result *r)
{
    struct log_fields f = LOG_FIELDS_INIT;
    int ok = r->status >= 200 && r->status <= 299;

    f.source = it->parts.source;
    f.key = it->parts.encoded;
    f.object = it->object;
    f.status = r->status;
    f.attempt = attempt;
    f.latency_ms = r->duration_ms;
    f.error = ok ? NULL : r->error;
    log_event(ok ? LOG_INFO : LOG_WARN, "delivery", &f);
}

/* Delivers a parsed envelope and moves it to its next state. */
static void deliver(struct worker *w, const struct item *it, struct envelope *e)
{
    const struct config *cfg = w->d->o.cfg;
    const struct source_config *src = &cfg->sources[it->source];
    const struct destination_config *dest = &src->destination;
    struct delivery_target target = {dest->url, dest->timeout_ms, dest->connect_timeout_ms};
    struct delivery_meta meta;
    struct delivery_result r;
    struct headers orig;
    struct headers out;
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    char reason[DRAIN_REASON_MAX];
    unsigned char *body = NULL;
    size_t body_len = 0;
    size_t attempts = envelope_attempt_count(e);
    int64_t now;
    int answered;
    enum drain_next state;

    headers_init(&orig);
    headers_init(&out);
    error_clear(&err);
    memset(&r, 0, sizeof(r));
    if (attempts >= cfg->drain.n_schedule) {
        /* A schedule shortened since this object was written: nothing left to spend. */
        state = DRAIN_NEXT_DEAD;
        snprintf(reason, sizeof(reason), "attempts exhausted (%zu)", attempts);
        goto move;
    }
    if (envelope_body(e, &body, &body_len, &err) != 0) {
        state = DRAIN_NEXT_DEAD;
        snprintf(reason, sizeof(reason), "%s", err.msg);
        goto move;
    }
    if (!admitted(w, it)) {
        w->counts.deferred++;
        goto out;
    }
    envelope_headers(e, &orig);
    meta.source = it->parts.source;
    meta.key = it->parts.encoded;
    meta.attempt = (int)attempts + 1;
    meta.sign = dest->sign_secret.len > 0 ? &dest->sign_secret : NULL;
    meta.now_s = clock_now_ms() / 1000;
    /* A token is the provider's password to hookspool, unlike an HMAC signature. */
    meta.secret_header = sig_secret_header(&src->verify);
    delivery_headers(&orig, &meta, body, body_len, &out);
    answered = delivery_post(w->delivery, &target, &out, body, body_len, &r) == 0;
    guard_report(w->d->guard, it->source, guard_outcome_of(answered ? r.status : 0),
                 clock_mono_ms());
    if (w->d->o.metrics != NULL)
        metrics_attempt(w->d->o.metrics, r.status, r.duration_ms);
    log_delivery(it, meta.attempt, &r);
    envelope_add_attempt(e, clock_now_ms(), r.status, r.error[0] != '\0' ? r.error : NULL,
                         r.duration_ms);
    attempts++;
    state = drain_next_state(r.status, attempts, cfg->drain.n_schedule);
    if (state == DRAIN_NEXT_DEAD && r.status == 410)
        snprintf(reason, sizeof(reason), "destination answered 410 gone");
    else if (state == DRAIN_NEXT_DEAD)
        snprintf(reason, sizeof(reason), "attempts exhausted (%zu), last: %s", attempts,
                 r.error);
move:
    now = clock_now_ms();
    if (state == DRAIN_NEXT_DONE) {
        envelope_set_outcome(e, "done", now, r.status, NULL);
        key_object(KEY_DONE, 0, it->parts.source, it->parts.encoded, next);
    } else if (state == DRAIN_NEXT_DEAD) {
        envelope_set_outcome(e, "dead", now, attempts > 0 ? r.status : 0, reason);
        key_object(KEY_DEAD, 0, it->parts.source, it->parts.encoded, next);
    } else {
        double draw = jitter_draw(w);
        int64_t due = drain_due(now / 1000, cfg->drain.schedule_s[attempts], draw,
                                r.retry_after_s);

        key_object(KEY_RETRY, due, it->parts.source, it->parts.encoded, next);
    }
    if (move_to(w, it, next, e) != 0)
        goto out;
    if (state == DRAIN_NEXT_DONE) {
        w->counts.delivered++;
    } else if (state == DRAIN_NEXT_RETRY) {
        w->counts.failed++;
    } else {
        record_dead(w, it, next, reason);
    }
out:
    free(body);
    headers_free(&out);
    headers_free(&orig);
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
    /* A paused destination: defer before even reading the object. */
    if (guard_paused(w->d->guard, it->source, clock_mono_ms())) {
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
    if (src == NULL || !src->has_destination) {
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
