/*
 * The spool's state machine (lib/spool.c) as the drain and the operator commands use
 * it, on an fs store in a fresh directory with a destination in this process
 * (tests/unit/dest.c). Each test is named after the invariant it holds:
 *
 *   one key twice in one pass: one delivery (a due retry/ copy beside pending/)
 *   a done/ write failing once is retried: no second delivery
 *   a replay racing a pass loses nothing: the drain tells a replay from a
 *   provider's duplicate by reading both, and deletes neither to find out
 *   a pass does not list dead/: its counts come from its own listing
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "census.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "envelope.h"
#include "headers.h"
#include "key.h"
#include "log.h"
#include "spool.h"
#include "store.h"
#include "xmalloc.h"
#include "dest.h"
#include "tree.h"

#define PAST_DUE 1000000000 /* a DUE long gone: retry/ objects seeded with it are due */

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *store;
    struct dest dest;
};

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;
    char *text;
    const char *names[] = {"ok", "fail", "slow", "slowfail"};
    char *sources = xstrdup("");

    strcpy(fx->dir, "/tmp/hookspool-spool.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    dest_start(&fx->dest);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *more = xasprintf(
            "%s%s{\"name\": \"%s\", \"path\": \"/hooks/%s\", \"verify\": {\"scheme\": \"none\"},"
            " \"idempotency\": {\"header\": \"X-Id\"},"
            " \"destination\": {\"url\": \"http://127.0.0.1:%d/%s\", \"timeout_ms\": 10000,"
            "                   \"breaker_failures\": 1000000}}",
            sources, i > 0 ? ", " : "", names[i], names[i], fx->dest.port, names[i]);

        free(sources);
        sources = more;
    }
    /* A failed attempt waits an hour: what a pass moves to retry/ stays there. */
    text = xasprintf("{\"store\": {\"url\": \"file://%s\", \"timeout_ms\": 2000},"
                     " \"sources\": [%s], \"drain\": {\"schedule_s\": [0, 3600, 3600]}}",
                     fx->dir, sources);
    free(sources);
    error_clear(&err);
    fx->cfg = config_parse(text, strlen(text), &err);
    free(text);
    if (fx->cfg == NULL)
        fail_msg("config: %s", err.msg);
    fx->store = store_open(&fx->cfg->store, &err);
    assert_non_null(fx->store);
    *state = fx;
    return 0;
}

/* Empties the spool, keeping its directory (the store holds it open). */
static void clear_spool(struct fixture *fx)
{
    tree_empty(fx->dir);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    store_close(fx->store);
    config_free(fx->cfg);
    dest_stop(&fx->dest);
    tree_remove(fx->dir);
    free(fx);
    return 0;
}

/* The envelope of key under source as the handler writes it; delivered once (one 200
 * attempt and a done outcome) when done is set. */
static struct envelope *webhook(const char *source, const char *key, int done)
{
    struct headers h;
    struct envelope_request req = {"POST", "/hooks/x", "", "127.0.0.1", &h};
    struct envelope *e;
    struct error err;
    char *body = xasprintf("{\"key\": \"%s\"}", key);
    size_t len;
    char *text;

    headers_init(&h);
    headers_add(&h, "Content-Type", "application/json");
    text = envelope_build(source, key, strlen(key), clock_now_ms() - 60000, &req, NULL, body,
                          strlen(body), &len);
    error_clear(&err);
    e = envelope_parse(text, len, &err);
    assert_non_null(e);
    if (done) {
        envelope_add_attempt(e, "default", clock_now_ms() - 50000, 200, NULL, 3);
        envelope_set_outcome(e, "default", "done", clock_now_ms() - 50000, 200, NULL);
        envelope_set_outcome(e, NULL, "done", clock_now_ms() - 50000, 0, NULL);
    }
    free(text);
    free(body);
    headers_free(&h);
    return e;
}

static void put_envelope(struct fixture *fx, const char *object, const struct envelope *e)
{
    struct error err;
    size_t len;
    char *text = envelope_dump(e, 0, &len);

    error_clear(&err);
    if (store_put(fx->store, object, text, len, &err) != 0)
        fail_msg("seed '%s': %s", object, err.msg);
    free(text);
}

static void seed(struct fixture *fx, enum key_state state, int64_t due, const char *source,
                 const char *key)
{
    char object[KEY_OBJECT_MAX + 1];
    struct envelope *e = webhook(source, key, state == KEY_DONE);

    key_object(state, due, source, key, object);
    put_envelope(fx, object, e);
    envelope_free(e);
}

/* The keys under prefix, read through the store, as one space-separated string. */
static char *keys_under(struct fixture *fx, const char *prefix)
{
    struct store_page page;
    struct error err;
    char *all = xstrdup("");

    error_clear(&err);
    assert_int_equal(store_list(fx->store, prefix, NULL, 100, &page, &err), 0);
    for (size_t i = 0; i < page.n; i++) {
        char *more = xasprintf("%s%s%s", all, i > 0 ? " " : "", page.keys[i]);

        free(all);
        all = more;
    }
    store_page_free(&page);
    return all;
}

/* Files below path, read from the directory itself (not through the store, whose calls
 * a test may be counting or failing). */
static size_t files_below(const char *path)
{
    struct stat st;
    struct dirent *e;
    size_t n = 0;
    DIR *d;

    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return 1;
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char *sub;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        sub = xasprintf("%s/%s", path, e->d_name);
        n += files_below(sub);
        free(sub);
    }
    closedir(d);
    return n;
}

static int empty_under(struct fixture *fx, const char *state)
{
    char *path = xasprintf("%s/%s", fx->dir, state);
    size_t n = files_below(path);

    free(path);
    return n == 0;
}

static void assert_keys(struct fixture *fx, const char *prefix, const char *want)
{
    char *got = keys_under(fx, prefix);

    if (strcmp(got, want) != 0)
        fail_msg("under '%s': '%s', want '%s'", prefix, got, want);
    free(got);
}

static json_t *load_json(struct fixture *fx, const char *object)
{
    char *path = xasprintf("%s/%s", fx->dir, object);
    json_t *doc = json_load_file(path, 0, NULL);

    if (doc == NULL)
        fail_msg("'%s' is missing or not JSON", object);
    free(path);
    return doc;
}

/* One pass of a fresh drain; with faults injected, a pass that cannot list is no error. */
static void pass_maybe(struct fixture *fx, int concurrency, struct drain_counts *counts,
                       int may_fail)
{
    struct drain_options o = {fx->cfg, fx->store, concurrency, 0, 1, NULL, NULL};
    struct drain *d = drain_new(&o);
    struct error err;

    memset(counts, 0, sizeof(*counts));
    error_clear(&err);
    if (drain_pass(d, counts, &err) != 0 && !may_fail)
        fail_msg("pass: %s", err.msg);
    drain_free(d);
}

static void pass(struct fixture *fx, int concurrency, struct drain_counts *counts)
{
    pass_maybe(fx, concurrency, counts, 0);
}

/* Both copies are queued by one pass and met by two workers at once (the destination
 * takes DEST_SLOW_MS): the second waits for the first, then is dropped. */
static void one_key_twice_in_one_pass_one_delivery(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;

    seed(fx, KEY_RETRY, PAST_DUE, "slow", "k");
    seed(fx, KEY_PENDING, 0, "slow", "k");
    pass(fx, 4, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(counts.delivered, 1);
    assert_int_equal(counts.duplicates, 1);
    assert_keys(fx, "done/", "done/slow/k");
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "retry/", "");
}

/* The same with a destination that fails: one attempt, and one retry/ copy left. */
static void one_key_twice_in_one_pass_one_attempt_one_copy_left(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    char *left;

    seed(fx, KEY_RETRY, PAST_DUE, "slowfail", "k");
    seed(fx, KEY_PENDING, 0, "slowfail", "k");
    pass(fx, 4, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(counts.failed, 1);
    assert_int_equal(counts.duplicates, 1);
    assert_keys(fx, "pending/", "");
    left = keys_under(fx, "retry/");
    assert_null(strchr(left, ' '));
    assert_non_null(strstr(left, "/slowfail/k"));
    free(left);
}

/*
 * Every store call of a delivery failed once in turn: none may cost a second delivery.
 * Before the done/ write was retried, a hiccup on it left pending/ behind after a 2xx,
 * and the next pass delivered again.
 */
/* The retry/ copy finishes before its resend in pending/ is even claimed (one worker,
 * so never in flight together): the resend is still dropped, not delivered. */
static void resend_met_after_its_retry_finished_one_delivery(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    char *left;

    seed(fx, KEY_RETRY, PAST_DUE, "fail", "k");
    seed(fx, KEY_PENDING, 0, "fail", "k");
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(counts.failed, 1);
    assert_int_equal(counts.duplicates, 1);
    assert_keys(fx, "pending/", "");
    left = keys_under(fx, "retry/");
    assert_null(strchr(left, ' '));
    assert_non_null(strstr(left, "/fail/k"));
    free(left);
    /* The next pass forgets: a new resend beside the waiting retry/ is a new copy to check. */
    seed(fx, KEY_PENDING, 0, "fail", "k");
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 2);
}

/* A store outage of SPOOL_WRITE_ATTEMPTS calls from each call of the pass on, so at one n
 * every try of the retry/ copy's next-state write fails and the store is back for its
 * resend in pending/: that resend is never delivered in the same pass, and the webhook
 * stays. */
static void resend_beside_a_retry_whose_write_fails_one_delivery(void **state)
{
    struct fixture *fx = *state;
    long total = -1;

    for (long n = -1; n <= total; n++) {
        struct drain_counts counts;
        long start;

        clear_spool(fx);
        dest_reset(&fx->dest);
        seed(fx, KEY_RETRY, PAST_DUE, "fail", "k");
        seed(fx, KEY_PENDING, 0, "fail", "k");
        start = store_calls(fx->store);
        store_fail_after(fx->store, n, SPOOL_WRITE_ATTEMPTS);
        pass_maybe(fx, 1, &counts, n >= 0);
        if (n < 0)
            total = store_calls(fx->store) - start;
        store_fail_after(fx->store, -1, 0);
        if (dest_hits(&fx->dest, "k") > 1)
            fail_msg("outage at call %ld: delivered %d times in one pass", n,
                     dest_hits(&fx->dest, "k"));
        if (empty_under(fx, "pending") && empty_under(fx, "retry"))
            fail_msg("outage at call %ld: the webhook is gone", n);
    }
    assert_true(total >= 8);
}

static void done_write_failing_once_is_retried_no_second_delivery(void **state)
{
    struct fixture *fx = *state;
    long total = -1;

    for (long n = -1; n <= total; n++) {
        struct drain_counts counts;
        long start;
        int passes = 0;

        clear_spool(fx);
        dest_reset(&fx->dest);
        seed(fx, KEY_PENDING, 0, "ok", "k1");
        start = store_calls(fx->store);
        store_fail_after(fx->store, n, 1);
        do {
            if (++passes > 4)
                fail_msg("hiccup at call %ld: pending/ still there after 4 passes", n);
            pass_maybe(fx, 1, &counts, n >= 0);
            if (n < 0)
                total = store_calls(fx->store) - start;
        } while (!empty_under(fx, "pending"));
        store_fail_after(fx->store, -1, 0);
        if (dest_hits(&fx->dest, "k1") != 1)
            fail_msg("hiccup at call %ld: delivered %d times", n, dest_hits(&fx->dest, "k1"));
        assert_keys(fx, "done/", "done/ok/k1");
    }
    /* Two listings of retry/, one of pending/, then a get, exists, put and del. */
    assert_true(total >= 7);
}

/* Runs `replay OBJECT` with the store failing from call `fail_from` of the replay on
 * (-1: no failure); returns its exit code. */
static int replay(struct fixture *fx, const char *object, long fail_from)
{
    char a0[] = "replay";
    char *a1 = xstrdup(object);
    char *const argv[] = {a0, a1};
    FILE *sink = fopen("/dev/null", "w");
    int rc;

    assert_non_null(sink);
    store_fail_after(fx->store, fail_from, -1);
    rc = admin_run(fx->store, fx->cfg, 2, argv, sink, sink);
    store_fail_after(fx->store, -1, 0);
    fclose(sink);
    free(a1);
    return rc;
}

/*
 * A pass that runs between a replay's write of pending/ and whatever the replay does
 * next meets pending/ beside done/: it must deliver the replay, not drop it as a
 * duplicate (the replay used to delete done/ next, and when its second write of
 * pending/ failed, or it was killed, the webhook was nowhere). Here the replay's store
 * goes down right after its write.
 */
static void replay_racing_a_pass_loses_nothing(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    json_t *doc;

    seed(fx, KEY_DONE, 0, "ok", "k");
    /* Call 0 reads done/, call 1 writes pending/; from call 2 on the store is down. */
    (void)replay(fx, "done/ok/k", 2);
    assert_keys(fx, "pending/", "pending/ok/k");
    assert_keys(fx, "done/", "done/ok/k");
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(counts.duplicates, 0);
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "done/", "done/ok/k");
    doc = load_json(fx, "done/ok/k");
    /* done/ now records the replay's own delivery, the first one in its history. */
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(json_object_get(doc, "deliveries"), "default"),
                         "attempts")),
                     1);
    assert_int_equal(json_array_size(json_object_get(doc, "history")), 1);
    assert_non_null(json_object_get(doc, "replayed_at"));
    json_decref(doc);
}

/* A provider's resend beside done/ is still a duplicate: deleted, not delivered. */
static void provider_duplicate_beside_done_is_dropped(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;

    seed(fx, KEY_DONE, 0, "ok", "k");
    seed(fx, KEY_PENDING, 0, "ok", "k");
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 0);
    assert_int_equal(counts.duplicates, 1);
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "done/", "done/ok/k");
}

/* A replay delivered and then met again (its pending/ delete failed, or a kill came
 * first) is a duplicate of its own done/ record. */
static void replay_already_delivered_is_not_delivered_again(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    struct buf copy;
    struct error err;

    seed(fx, KEY_DONE, 0, "ok", "k");
    assert_int_equal(replay(fx, "done/ok/k", -1), 0);
    buf_init(&copy, 1 << 20);
    error_clear(&err);
    assert_int_equal(store_get(fx->store, "pending/ok/k", &copy, &err), 0);
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(store_put(fx->store, "pending/ok/k", copy.data, copy.len, &err), 0);
    pass(fx, 1, &counts);
    assert_int_equal(dest_hits(&fx->dest, "k"), 1);
    assert_int_equal(counts.duplicates, 1);
    assert_keys(fx, "pending/", "");
    buf_free(&copy);
}

/* A replay deletes nothing; the drain removes the record replayed once the replay ends. */
static void delivered_replay_removes_the_record_it_came_from(void **state)
{
    struct fixture *fx = *state;
    struct envelope *e = webhook("ok", "k", 0);
    struct drain_counts counts;

    envelope_add_attempt(e, "default", clock_now_ms(), 410, NULL, 2);
    envelope_set_outcome(e, "default", "dead", clock_now_ms(), 410,
                         "destination answered 410 gone");
    envelope_set_outcome(e, NULL, "dead", clock_now_ms(), 0, "default gave up");
    put_envelope(fx, "dead/ok/k", e);
    envelope_free(e);
    assert_int_equal(replay(fx, "dead/ok/k", -1), 0);
    assert_keys(fx, "dead/", "dead/ok/k");
    assert_keys(fx, "pending/", "pending/ok/k");
    pass(fx, 1, &counts);
    assert_int_equal(counts.delivered, 1);
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "dead/", "");
    assert_keys(fx, "done/", "done/ok/k");
}

/* Each replay of a key is later than the one before, even with the clock behind. */
static void replays_of_one_key_are_ordered(void **state)
{
    struct fixture *fx = *state;
    struct envelope *e = webhook("ok", "k", 1);
    struct key_parts parts;
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    char first[CLOCK_ISO_MAX];
    int64_t ahead = clock_now_ms() + 3600 * 1000;
    int64_t parsed;

    error_clear(&err);
    assert_int_equal(key_parse("done/ok/k", &parts), 0);
    /* A replay stamped an hour ahead, by a machine whose clock runs fast. */
    assert_int_equal(envelope_reset_delivery(e, ahead, ENVELOPE_REPLAY_ALL, NULL), 1);
    snprintf(first, sizeof(first), "%s", envelope_replayed_at(e));
    assert_int_equal(clock_parse_iso8601(first, &parsed), 0);
    assert_int_equal(parsed, ahead);
    assert_int_equal(spool_replay(fx->store, &parts, e, NULL, next, &err), 0);
    assert_string_equal(next, "pending/ok/k");
    assert_true(strcmp(envelope_replayed_at(e), first) > 0);
    envelope_free(e);
}

struct claimer {
    struct spool_flight *f;
    struct key_parts parts;
    char moved_to[KEY_OBJECT_MAX + 1];
    atomic_int done;
};

static void *claim_main(void *arg)
{
    struct claimer *c = arg;

    spool_flight_claim(c->f, &c->parts, c->moved_to);
    atomic_store(&c->done, 1);
    spool_flight_release(c->f, &c->parts, NULL);
    return NULL;
}

/* A second claim of a key waits for the first and learns where the webhook went; a claim
 * of another key does not wait. */
static void key_in_flight_once(void **state)
{
    struct spool_flight *f = spool_flight_new();
    struct claimer c;
    struct key_parts other;
    char moved_to[KEY_OBJECT_MAX + 1];
    pthread_t t;
    struct timespec pause = {0, 100 * 1000000L};

    (void)state;
    memset(&c, 0, sizeof(c));
    c.f = f;
    assert_int_equal(key_parse("pending/s/k", &c.parts), 0);
    assert_int_equal(key_parse("pending/s/other", &other), 0);
    spool_flight_claim(f, &c.parts, moved_to);
    assert_string_equal(moved_to, "");
    assert_int_equal(pthread_create(&t, NULL, claim_main, &c), 0);
    spool_flight_claim(f, &other, moved_to);
    assert_string_equal(moved_to, "");
    spool_flight_release(f, &other, "done/s/other");
    nanosleep(&pause, NULL);
    assert_int_equal(atomic_load(&c.done), 0);
    spool_flight_release(f, &c.parts, "done/s/k");
    pthread_join(t, NULL);
    assert_string_equal(c.moved_to, "done/s/k");
    /* Nobody waited on it: released for good, a later claim starts afresh. */
    spool_flight_claim(f, &c.parts, moved_to);
    assert_string_equal(moved_to, "");
    spool_flight_release(f, &c.parts, NULL);
    spool_flight_free(f);
}

/*
 * The counts after a pass come from the pass's own listing of pending/ and retry/ and
 * the dead/ count kept since the last full count: with dead/ unlistable (a directory
 * loop), the pass and its counts still succeed, until the full count is due again.
 */
static void a_pass_does_not_list_dead(void **state)
{
    struct fixture *fx = *state;
    struct census_keeper keeper;
    struct census_keeper restarted;
    struct census out;
    struct census full;
    struct drain_counts counts;
    struct drain_options o = {fx->cfg, fx->store, 2, 0, 1, NULL, NULL};
    struct drain *d = drain_new(&o);
    struct error err;
    int64_t now = clock_now_ms();
    char *dead = xasprintf("%s/dead", fx->dir);
    char *away = xasprintf("%s/dead.away", fx->dir);

    memset(&keeper, 0, sizeof(keeper));
    memset(&restarted, 0, sizeof(restarted));
    error_clear(&err);
    seed(fx, KEY_DEAD, 0, "ok", "d1");
    seed(fx, KEY_DEAD, 0, "fail", "d2");
    seed(fx, KEY_PENDING, 0, "ok", "p1");
    assert_int_equal(drain_pass(d, &counts, &err), 0);
    /* The first count is a full one (nothing kept yet). */
    assert_int_equal(census_after_pass(&keeper, fx->store, drain_tally(d), now, &out, &err), 0);
    assert_int_equal(out.totals[KEY_DEAD], 2);
    census_free(&out);

    assert_int_equal(rename(dead, away), 0);
    assert_int_equal(symlink("dead", dead), 0);
    seed(fx, KEY_PENDING, 0, "ok", "p2");    /* delivered: done/ */
    seed(fx, KEY_PENDING, 0, "fail", "p3");  /* fails: retry/ */
    seed(fx, KEY_PENDING, 0, "ghost", "p4"); /* no such source: left in pending/ */
    seed(fx, KEY_RETRY, now / 1000 + 7200, "ok", "later");
    memset(&counts, 0, sizeof(counts));
    assert_int_equal(drain_pass(d, &counts, &err), 0);
    if (census_after_pass(&keeper, fx->store, drain_tally(d), now + 1000, &out, &err) != 0)
        fail_msg("counts after a pass listed dead/: %s", err.msg);
    assert_int_equal(out.totals[KEY_DEAD], 2);
    assert_int_equal(out.totals[KEY_DONE], -1);
    /* pending and retry as a full count of them sees them. */
    assert_int_equal(census_count(fx->store, CENSUS_STATE(KEY_PENDING) | CENSUS_STATE(KEY_RETRY),
                                  &full, &err),
                     0);
    assert_int_equal(out.totals[KEY_PENDING], full.totals[KEY_PENDING]);
    assert_int_equal(out.totals[KEY_RETRY], full.totals[KEY_RETRY]);
    assert_int_equal(full.totals[KEY_PENDING], 1);
    assert_int_equal(full.totals[KEY_RETRY], 2);
    census_free(&full);
    census_free(&out);
    /* A drain started afresh (cron, a timer) carries the count over from the store. */
    assert_int_equal(census_after_pass(&restarted, fx->store, drain_tally(d), now + 2000, &out,
                                       &err),
                     0);
    assert_int_equal(out.totals[KEY_DEAD], 2);
    census_free(&out);
    /* The full count comes back every CENSUS_FULL_EVERY_MS, and lists dead/. */
    assert_int_equal(census_after_pass(&keeper, fx->store, drain_tally(d),
                                       now + CENSUS_FULL_EVERY_MS, &out, &err),
                     -1);
    assert_int_equal(unlink(dead), 0);
    assert_int_equal(rename(away, dead), 0);
    error_clear(&err);
    assert_int_equal(census_after_pass(&keeper, fx->store, drain_tally(d),
                                       now + CENSUS_FULL_EVERY_MS, &out, &err),
                     0);
    assert_int_equal(out.totals[KEY_DEAD], 2);
    census_free(&out);
    census_keeper_free(&keeper);
    census_keeper_free(&restarted);
    drain_free(d);
    free(away);
    free(dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_key_twice_in_one_pass_one_delivery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(resend_met_after_its_retry_finished_one_delivery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(resend_beside_a_retry_whose_write_fails_one_delivery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(one_key_twice_in_one_pass_one_attempt_one_copy_left,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(done_write_failing_once_is_retried_no_second_delivery,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(replay_racing_a_pass_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(provider_duplicate_beside_done_is_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(replay_already_delivered_is_not_delivered_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(delivered_replay_removes_the_record_it_came_from, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(replays_of_one_key_are_ordered, setup, teardown),
        cmocka_unit_test(key_in_flight_once),
        cmocka_unit_test_setup_teardown(a_pass_does_not_list_dead, setup, teardown),
    };
    struct error err;
    int failed;

    log_set_level(LOG_ERROR);
    error_clear(&err);
    if (store_global_init(&err) != 0)
        return 1;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    store_global_cleanup();
    return failed;
}
