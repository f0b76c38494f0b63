/* spool: walk, advance, duplicate decision, replay and keys in flight (see spool.h). */
#include "spool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "xmalloc.h"

int spool_walk(struct store *s, enum key_state state, const char *source, spool_visit_fn visit,
               void *ctx, struct error *err)
{
    struct store_page page = {NULL, 0, 0};
    struct key_parts parts;
    char prefix[KEY_OBJECT_MAX + 1];
    char *after = NULL;
    int rc = -1;

    /* retry/ keys start with DUE, so a source is filtered rather than prefixed. */
    if (source != NULL && state != KEY_RETRY)
        snprintf(prefix, sizeof(prefix), "%s%s/", key_state_prefix(state), source);
    else
        snprintf(prefix, sizeof(prefix), "%s", key_state_prefix(state));
    for (;;) {
        if (store_list(s, prefix, after, SPOOL_PAGE_KEYS, &page, err) != 0)
            goto out;
        for (size_t i = 0; i < page.n; i++) {
            const char *object = page.keys[i];
            int parsed = strlen(object) <= KEY_OBJECT_MAX && key_parse(object, &parts) == 0 &&
                         parts.state == state;

            if (source != NULL && (!parsed || strcmp(parts.source, source) != 0))
                continue;
            if (visit(ctx, object, parsed ? &parts : NULL) == SPOOL_WALK_STOP)
                goto done;
        }
        if (!page.truncated || page.n == 0)
            goto done;
        free(after);
        after = xstrdup(page.keys[page.n - 1]);
        store_page_free(&page);
    }
done:
    rc = 0;
out:
    store_page_free(&page);
    free(after);
    return rc;
}

static void log_failure(enum log_level level, const char *event, const char *object,
                        const struct error *err)
{
    struct log_fields f = LOG_FIELDS_INIT;

    f.object = object;
    f.error = err->msg;
    log_event(level, event, &f);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* store_put, tried again after a transient failure while the deadline allows. */
static int put_retried(struct store *s, long timeout_ms, const char *key, const char *text,
                       size_t len, struct error *err)
{
    int64_t started = clock_mono_ms();
    long backoff = SPOOL_WRITE_BACKOFF_MS;

    for (int attempt = 1;; attempt++) {
        error_clear(err);
        if (store_put(s, key, text, len, err) == 0)
            return 0;
        if (attempt >= SPOOL_WRITE_ATTEMPTS || err->code != HS_ERR_TRANSIENT ||
            clock_mono_ms() - started + backoff > timeout_ms)
            return -1;
        sleep_ms(backoff);
        backoff *= 2;
    }
}

enum spool_advance_result spool_advance(struct store *s, long timeout_ms, const char *from,
                                        const char *next, const struct envelope *e,
                                        int *removed, struct error *err)
{
    enum spool_advance_result result = SPOOL_ADVANCED;
    struct key_parts parts;
    struct error del_err;
    char other[KEY_OBJECT_MAX + 1];
    size_t len;
    char *text = envelope_dump(e, 0, &len);
    int parsed = key_parse(next, &parts) == 0;
    int exists;

    if (removed != NULL)
        *removed = 0;
    if (put_retried(s, timeout_ms, next, text, len, err) != 0) {
        /* After a 2xx this is the second way to deliver twice (the first: a kill here). */
        log_failure(LOG_ERROR,
                    parsed && parts.state == KEY_DONE ? "done_write_failed" : "store_put_failed",
                    next, err);
        result = SPOOL_WRITE_FAILED;
        goto out;
    }
    if (strcmp(next, from) != 0 && store_del(s, from, err) != 0) {
        log_failure(LOG_ERROR, "store_del_failed", from, err);
        result = SPOOL_DELETE_FAILED;
    }
    if (parsed && envelope_replayed_at(e) != NULL &&
        (parts.state == KEY_DONE || parts.state == KEY_DEAD)) {
        /* The record the replay came from, now superseded by the one just written. */
        key_object(parts.state == KEY_DONE ? KEY_DEAD : KEY_DONE, 0, parts.source,
                   parts.encoded, other);
        error_clear(&del_err);
        /* Looked for first, so the drain's counts know whether a record went. */
        exists = store_exists(s, other, &del_err);
        if (exists < 0)
            log_failure(LOG_WARN, "store_exists_failed", other, &del_err);
        else if (exists == 1 && store_del(s, other, &del_err) != 0)
            log_failure(LOG_WARN, "store_del_failed", other, &del_err);
        else if (exists == 1 && removed != NULL)
            *removed = 1;
    }
out:
    free(text);
    return result;
}

int spool_move_unread(struct store *s, const char *from, const char *next, struct error *err)
{
    if (store_move(s, from, next, err) != 0) {
        log_failure(LOG_ERROR, "store_move_failed", from, err);
        return -1;
    }
    return 0;
}

int spool_check(struct store *s, const struct key_parts *parts, const struct envelope *e,
                size_t read_cap, enum spool_verdict *verdict, struct error *err)
{
    char done[KEY_OBJECT_MAX + 1];
    struct envelope *recorded = NULL;
    struct buf data;
    const char *replay;
    const char *recorded_replay;
    int exists;
    int rc = -1;

    buf_init(&data, read_cap);
    key_object(KEY_DONE, 0, parts->source, parts->encoded, done);
    exists = store_exists(s, done, err);
    if (exists < 0) {
        log_failure(LOG_ERROR, "store_exists_failed", done, err);
        goto out;
    }
    replay = e != NULL ? envelope_replayed_at(e) : NULL;
    *verdict = exists == 0 ? SPOOL_DELIVER : SPOOL_DUPLICATE;
    if (exists == 0 || replay == NULL) {
        rc = 0;
        goto out;
    }
    /* A replay beside done/: the record tells whether it is this replay's delivery. */
    if (store_get(s, done, &data, err) != 0) {
        if (err->code != HS_ERR_NOT_FOUND && err->code != HS_ERR_TOO_LARGE) {
            log_failure(LOG_ERROR, "store_get_failed", done, err);
            goto out;
        }
        error_clear(err);
        *verdict = SPOOL_DELIVER;
        rc = 0;
        goto out;
    }
    recorded = envelope_parse(data.data != NULL ? data.data : "", data.len, err);
    error_clear(err);
    recorded_replay = recorded != NULL ? envelope_replayed_at(recorded) : NULL;
    /* clock_iso8601's fixed width makes byte order time order. */
    *verdict = recorded_replay != NULL && strcmp(recorded_replay, replay) >= 0 ? SPOOL_DUPLICATE
                                                                                : SPOOL_DELIVER;
    rc = 0;
out:
    envelope_free(recorded);
    buf_free(&data);
    return rc;
}

int spool_drop(struct store *s, const char *object, struct error *err)
{
    if (store_del(s, object, err) != 0) {
        log_failure(LOG_ERROR, "store_del_failed", object, err);
        return -1;
    }
    return 0;
}

int spool_replay(struct store *s, const struct key_parts *parts, struct envelope *e,
                 const char *destination, char next[KEY_OBJECT_MAX + 1], struct error *err)
{
    const char *before = envelope_replayed_at(e);
    int64_t at = clock_now_ms();
    int64_t before_ms;
    char *text;
    size_t len;
    int rc;

    key_object(KEY_PENDING, 0, parts->source, parts->encoded, next);
    if (before != NULL && clock_parse_iso8601(before, &before_ms) == 0 && before_ms >= at)
        at = before_ms + 1;
    if (envelope_reset_delivery(e, at,
                                parts->state == KEY_DEAD ? ENVELOPE_REPLAY_GAVE_UP
                                                         : ENVELOPE_REPLAY_ALL,
                                destination) < 0) {
        if (destination != NULL)
            error_set(err, HS_ERR_INPUT, "replay", "no destination '%s' in this webhook",
                      destination);
        else
            error_set(err, HS_ERR_INPUT, "replay", "no destination gave up");
        return -1;
    }
    text = envelope_dump(e, 0, &len);
    rc = store_put(s, next, text, len, err);
    free(text);
    return rc;
}

/*
 * One key: held by a worker, waited for, or moved earlier in this pass. name is
 * "SOURCE/KEY"; moved_to is where a worker moved its webhook (NULL: nowhere yet).
 */
struct flight_entry {
    char *name;
    char *moved_to;
    int held;
    int waiters;
    int kept; /* remembered for the rest of the pass */
    struct flight_entry *next;
};

struct spool_flight {
    pthread_mutex_t lock;
    pthread_cond_t released;
    struct flight_entry *buckets[SPOOL_FLIGHT_BUCKETS];
    size_t remembered; /* moved keys kept after their release, this pass */
};

struct spool_flight *spool_flight_new(void)
{
    struct spool_flight *f = xcalloc(1, sizeof(*f));

    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->released, NULL);
    return f;
}

static struct flight_entry **find(struct spool_flight *f, const struct key_parts *parts,
                                  const char *name)
{
    struct flight_entry **at =
        &f->buckets[key_hash(parts->source, parts->encoded) % SPOOL_FLIGHT_BUCKETS];

    while (*at != NULL && strcmp((*at)->name, name) != 0)
        at = &(*at)->next;
    return at;
}

/* 1 when object is in retry/: only there can a webhook moved in a pass still meet a
 * copy of itself later in it without a done/ to tell (a copy beside done/ is told by
 * spool_check, which also lets a newer replay through). */
static int moved_to_retry(const char *object)
{
    const char *prefix = key_state_prefix(KEY_RETRY);

    return strncmp(object, prefix, strlen(prefix)) == 0;
}

static void entry_free(struct flight_entry *entry)
{
    free(entry->name);
    free(entry->moved_to);
    free(entry);
}

void spool_flight_claim(struct spool_flight *f, const struct key_parts *parts,
                        char moved_to[KEY_OBJECT_MAX + 1])
{
    char *name = xasprintf("%s/%s", parts->source, parts->encoded);
    struct flight_entry **at;
    struct flight_entry *entry;

    pthread_mutex_lock(&f->lock);
    at = find(f, parts, name);
    if (*at == NULL) {
        entry = xcalloc(1, sizeof(*entry));
        entry->name = name;
        name = NULL;
        *at = entry;
    } else {
        entry = *at;
        entry->waiters++;
        while (entry->held)
            pthread_cond_wait(&f->released, &f->lock);
        entry->waiters--;
    }
    entry->held = 1;
    snprintf(moved_to, KEY_OBJECT_MAX + 1, "%s",
             entry->moved_to != NULL ? entry->moved_to : "");
    pthread_mutex_unlock(&f->lock);
    free(name);
}

void spool_flight_release(struct spool_flight *f, const struct key_parts *parts,
                          const char *moved_to)
{
    char *name = xasprintf("%s/%s", parts->source, parts->encoded);
    struct flight_entry **at;
    struct flight_entry *entry;

    pthread_mutex_lock(&f->lock);
    at = find(f, parts, name);
    entry = *at;
    if (entry != NULL) {
        if (moved_to != NULL) {
            free(entry->moved_to);
            entry->moved_to = xstrdup(moved_to);
        }
        entry->held = 0;
        if (entry->waiters > 0) {
            pthread_cond_broadcast(&f->released);
        } else if (!entry->kept && moved_to != NULL && moved_to_retry(moved_to) &&
                   f->remembered < SPOOL_FLIGHT_REMEMBER_MAX) {
            /* Kept: a copy of this key listed later in the pass is dropped, not delivered. */
            entry->kept = 1;
            f->remembered++;
        } else if (!entry->kept) {
            *at = entry->next;
            entry_free(entry);
        }
    }
    pthread_mutex_unlock(&f->lock);
    free(name);
}

void spool_flight_forget(struct spool_flight *f)
{
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < SPOOL_FLIGHT_BUCKETS; i++) {
        struct flight_entry **at = &f->buckets[i];

        while (*at != NULL) {
            struct flight_entry *entry = *at;

            if (entry->held || entry->waiters > 0) {
                at = &entry->next;
                continue;
            }
            *at = entry->next;
            entry_free(entry);
        }
    }
    f->remembered = 0;
    pthread_mutex_unlock(&f->lock);
}

void spool_flight_free(struct spool_flight *f)
{
    if (f == NULL)
        return;
    spool_flight_forget(f);
    pthread_cond_destroy(&f->released);
    pthread_mutex_destroy(&f->lock);
    free(f);
}
