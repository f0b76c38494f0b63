/*
 * Failure injection (STYLE.md "Failure injection"): each store call a scenario makes is
 * failed in turn through store_fail_after, once as a hiccup (that call alone) and once
 * as an outage (that call and every later one), on an fs store in a fresh directory.
 *
 *   intake: a valid webhook is answered 202 with pending/SOURCE/KEY in place, or 503
 *   with a JSON code and nothing written; never 202 without the object. The provider's
 *   retry after a 503 is accepted.
 *
 *   drain: K pending webhooks, a destination in this process that answers 200 (or 500),
 *   passes run until nothing waits in pending/ or retry/; every webhook must end in
 *   done/ (or dead/ with every attempt recorded), none lost, none left behind, and no
 *   file outside the spool layout; a webhook already in done/ is never delivered again.
 *   The outage ends after the pass it began in.
 *
 *   replay: dead/ webhooks back to pending/; a replay deletes nothing, so each stays in
 *   dead/ and is in pending/ too once the replay succeeded. And done/ webhooks replayed
 *   while a drain runs: none lost to the drain's duplicate check (a race, so rounds are
 *   run until one loses a webhook or all pass).
 *
 * The sweep covers every call number from 0 to the number of calls the scenario makes
 * without faults (that last one fails nothing: the control). Run under the sanitizer
 * build it also shows that no failure path leaks.
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
#include <unistd.h>

#include "admin.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "envelope.h"
#include "headers.h"
#include "intake.h"
#include "key.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"
#include "dest.h"

#define SEEDED 3         /* webhooks a drain scenario starts with */
#define MAX_PASSES 12    /* far above what any scenario needs: more means a stuck object */

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *store;
    struct dest dest;
};

/* The spool's files, read from the directory itself rather than through the store. */
struct names {
    char **v;
    size_t n;
};

static void names_free(struct names *names)
{
    for (size_t i = 0; i < names->n; i++)
        free(names->v[i]);
    free(names->v);
    names->v = NULL;
    names->n = 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry below root that is not a directory (temporary files included), as paths
 * relative to root; with remove set, deletes them and the directories instead. */
static void walk(const char *root, const char *rel, int remove, struct names *out)
{
    char *path = rel[0] != '\0' ? xasprintf("%s/%s", root, rel) : xstrdup(root);
    DIR *d = opendir(path);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char *sub;
        char *full;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        full = xasprintf("%s/%s", root, sub);
        assert_int_equal(lstat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(root, sub, remove, out);
            if (remove)
                assert_int_equal(rmdir(full), 0);
            free(sub);
        } else if (remove) {
            assert_int_equal(unlink(full), 0);
            free(sub);
        } else {
            out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
            out->v[out->n++] = sub;
        }
        free(full);
    }
    closedir(d);
    free(path);
}

static void spool_files(struct fixture *fx, struct names *out)
{
    out->v = NULL;
    out->n = 0;
    walk(fx->dir, "", 0, out);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), compare_names);
}

static void spool_clear(struct fixture *fx)
{
    walk(fx->dir, "", 1, NULL);
}

/* Files under state/ ("pending", "retry", ...). */
static size_t spool_count(struct fixture *fx, const char *state)
{
    struct names names;
    size_t len = strlen(state);
    size_t n = 0;

    spool_files(fx, &names);
    for (size_t i = 0; i < names.n; i++) {
        if (strncmp(names.v[i], state, len) == 0 && names.v[i][len] == '/')
            n++;
    }
    names_free(&names);
    return n;
}

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;
    char *text;

    strcpy(fx->dir, "/tmp/hookspool-faults.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    dest_start(&fx->dest);
    /* A breaker that never opens: a paused destination would leave objects waiting,
     * which is not the failure under test. */
    text = xasprintf(
        "{\"store\": {\"url\": \"file://%s\", \"timeout_ms\": 2000}, \"max_backlog\": 100,"
        " \"sources\": ["
        "  {\"name\": \"ok\", \"path\": \"/hooks/ok\", \"verify\": {\"scheme\": \"none\"},"
        "   \"idempotency\": {\"header\": \"X-Id\"},"
        "   \"destination\": {\"url\": \"http://127.0.0.1:%d/ok\", \"timeout_ms\": 10000,"
        "                     \"breaker_failures\": 1000000}},"
        "  {\"name\": \"fail\", \"path\": \"/hooks/fail\", \"verify\": {\"scheme\": \"none\"},"
        "   \"idempotency\": {\"header\": \"X-Id\"},"
        "   \"destination\": {\"url\": \"http://127.0.0.1:%d/fail\", \"timeout_ms\": 10000,"
        "                     \"breaker_failures\": 1000000}}],"
        " \"drain\": {\"concurrency\": 1, \"schedule_s\": [0, 0, 0]}}",
        fx->dir, fx->dest.port, fx->dest.port);
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

static int teardown(void **state)
{
    struct fixture *fx = *state;

    store_close(fx->store);
    config_free(fx->cfg);
    dest_stop(&fx->dest);
    spool_clear(fx);
    assert_int_equal(rmdir(fx->dir), 0);
    free(fx);
    return 0;
}

/* The hook itself: which calls fail, how, and what store_calls counts. */
static void hook_fails_the_calls_asked_for(void **state)
{
    struct fixture *fx = *state;
    struct store *s = fx->store;
    struct store_page page;
    struct buf data;
    struct error err;
    long first = store_calls(s);
    char want[64];

    buf_init(&data, 1024);
    error_clear(&err);
    /* Call first+1 alone fails; the ones around it reach the backend. */
    store_fail_after(s, 1, 1);
    assert_int_equal(store_put(s, "pending/ok/a", "x", 1, &err), 0);
    assert_int_equal(store_get(s, "pending/ok/a", &data, &err), -1);
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    assert_string_equal(err.tag, "store_injected");
    snprintf(want, sizeof(want), "injected failure of call %ld", first + 1);
    assert_non_null(strstr(err.msg, "unable to read 'pending/ok/a': "));
    assert_non_null(strstr(err.msg, want));
    assert_int_equal(data.len, 0);
    assert_int_equal(store_get(s, "pending/ok/a", &data, &err), 0);
    assert_int_equal(data.len, 1);
    /* A refused key reaches neither the backend nor the count. */
    assert_int_equal(store_del(s, "../a", &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_int_equal(store_calls(s), first + 3);
    /* From the next call on, every one fails, whatever its kind, until turned off. */
    store_fail_after(s, 0, -1);
    assert_int_equal(store_exists(s, "pending/ok/a", &err), -1);
    assert_int_equal(store_move(s, "pending/ok/a", "done/ok/a", &err), -1);
    assert_int_equal(store_list(s, "pending/", NULL, 10, &page, &err), -1);
    assert_int_equal(page.n, 0);
    assert_int_equal(store_del(s, "pending/ok/a", &err), -1);
    assert_string_equal(err.tag, "store_injected");
    store_fail_after(s, -1, 0);
    assert_int_equal(store_exists(s, "pending/ok/a", &err), 1);
    assert_int_equal(store_calls(s), first + 8);
    buf_free(&data);
}

/* The intake scenario. */

struct body_reader {
    const char *data;
    size_t len;
    size_t pos;
};

static ssize_t read_body(void *ctx, void *buf, size_t n)
{
    struct body_reader *r = ctx;

    if (n > r->len - r->pos)
        n = r->len - r->pos;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

#define WEBHOOK_BODY "{\"event\": \"order.paid\", \"id\": 4711}"
#define WEBHOOK_OBJECT "pending/ok/evt-4711"

/* One webhook through a fresh handler (so the backlog is read, not cached); the store
 * calls it made in *calls. */
static void post_webhook(struct fixture *fx, struct intake_response *resp, long *calls)
{
    struct intake in;
    struct intake_request req;
    struct body_reader reader = {WEBHOOK_BODY, strlen(WEBHOOK_BODY), 0};
    long before = store_calls(fx->store);

    intake_init(&in, fx->cfg, fx->store);
    req.method = "POST";
    req.path = "/hooks/ok";
    req.query = "";
    req.remote_addr = "127.0.0.1";
    req.content_length = (long)reader.len;
    headers_init(&req.headers);
    headers_add(&req.headers, "Content-Type", "application/json");
    headers_add(&req.headers, "X-Id", "evt-4711");
    intake_handle(&in, &req, read_body, &reader, resp);
    headers_free(&req.headers);
    *calls = store_calls(fx->store) - before;
}

/* The object the handler wrote holds this webhook's body. */
static void check_pending_object(struct fixture *fx)
{
    char *path = xasprintf("%s/" WEBHOOK_OBJECT, fx->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);

    if (doc == NULL)
        fail_msg("%s: %s", WEBHOOK_OBJECT, jerr.text);
    assert_string_equal(json_string_value(json_object_get(doc, "body")), WEBHOOK_BODY);
    assert_string_equal(json_string_value(json_object_get(doc, "source")), "ok");
    json_decref(doc);
    free(path);
}

/* 202 with the object and nothing else, or 503 with a code and nothing at all. */
static void check_intake_answer(struct fixture *fx, const struct intake_response *resp,
                                long n, long count)
{
    struct names files;
    json_t *doc = json_loads(resp->body, 0, NULL);

    if (resp->status != 202 && resp->status != 503)
        fail_msg("fault at call %ld (count %ld): status %d: %s", n, count, resp->status,
                 resp->body);
    assert_non_null(doc);
    spool_files(fx, &files);
    if (resp->status == 202) {
        if (files.n != 1 || strcmp(files.v[0], WEBHOOK_OBJECT) != 0)
            fail_msg("fault at call %ld (count %ld): 202, but the spool holds %zu files, "
                     "first '%s'",
                     n, count, files.n, files.n > 0 ? files.v[0] : "");
        check_pending_object(fx);
    } else {
        assert_true(resp->retry_after_s > 0);
        assert_true(json_is_string(json_object_get(doc, "code")));
        assert_true(json_string_length(json_object_get(doc, "code")) > 0);
        if (files.n != 0)
            fail_msg("fault at call %ld (count %ld): 503, but '%s' was written", n, count,
                     files.v[0]);
    }
    names_free(&files);
    json_decref(doc);
}

static void intake_every_call_fails_in_turn(void **state)
{
    struct fixture *fx = *state;
    static const long counts[] = {1, -1};
    struct intake_response resp;
    long total;
    long made;
    int answered_503 = 0;

    post_webhook(fx, &resp, &total);
    assert_int_equal(resp.status, 202);
    intake_response_free(&resp);
    /* At least the write; a scenario without store calls would test nothing. */
    assert_true(total >= 1);
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        for (long n = 0; n <= total; n++) {
            spool_clear(fx);
            store_fail_after(fx->store, n, counts[c]);
            post_webhook(fx, &resp, &made);
            store_fail_after(fx->store, -1, 0);
            check_intake_answer(fx, &resp, n, counts[c]);
            /* The last call number fails nothing: the control. */
            if (n == total)
                assert_int_equal(resp.status, 202);
            if (resp.status == 503) {
                answered_503++;
                intake_response_free(&resp);
                /* The provider's retry, with the store answering again. */
                post_webhook(fx, &resp, &made);
                assert_int_equal(resp.status, 202);
                check_intake_answer(fx, &resp, -1, 0);
            }
            intake_response_free(&resp);
        }
    }
    /* A store down from the first call cannot have accepted anything. */
    assert_true(answered_503 >= 2);
}

/* The drain scenario. */

struct drain_case {
    const char *source;      /* "ok" (200) or "fail" (500) */
    const char *final_state; /* where every webhook must end */
    int concurrency;
    int redelivered; /* 1: k0 is in done/ already, and in pending/ again (a provider's retry) */
};

/* The envelope of key under source, as the handler writes it; with an outcome when
 * done (one 200 attempt recorded). Caller frees. */
static char *webhook_text(const char *source, const char *key, int done, size_t *len)
{
    struct headers h;
    struct envelope_request req = {"POST", "/hooks/x", "", "127.0.0.1", &h};
    struct envelope *e;
    struct error err;
    char *body = xasprintf("{\"key\": \"%s\"}", key);
    char *text;

    headers_init(&h);
    headers_add(&h, "Content-Type", "application/json");
    text = envelope_build(source, key, strlen(key), clock_now_ms(), &req, NULL, body, strlen(body),
                          len);
    if (done) {
        error_clear(&err);
        e = envelope_parse(text, *len, &err);
        assert_non_null(e);
        envelope_add_attempt(e, "default", clock_now_ms(), 200, NULL, 3);
        envelope_set_outcome(e, "default", "done", clock_now_ms(), 200, NULL);
        envelope_set_outcome(e, NULL, "done", clock_now_ms(), 0, NULL);
        free(text);
        text = envelope_dump(e, 0, len);
        envelope_free(e);
    }
    headers_free(&h);
    free(body);
    return text;
}

static void seed_object(struct fixture *fx, enum key_state state, const char *source,
                        const char *key)
{
    char object[KEY_OBJECT_MAX + 1];
    struct error err;
    size_t len;
    char *text = webhook_text(source, key, state == KEY_DONE, &len);

    error_clear(&err);
    key_object(state, 0, source, key, object);
    assert_int_equal(store_put(fx->store, object, text, len, &err), 0);
    free(text);
}

static void seed(struct fixture *fx, const struct drain_case *c)
{
    char key[16];

    for (int i = 1; i <= SEEDED; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        seed_object(fx, KEY_PENDING, c->source, key);
    }
    if (c->redelivered) {
        seed_object(fx, KEY_DONE, c->source, "k0");
        seed_object(fx, KEY_PENDING, c->source, "k0");
    }
}

/*
 * Seeds, arms the fault (n < 0: none) and runs passes until nothing waits in pending/
 * or retry/. An outage (count < 0) ends after the pass it began in. Returns the store
 * calls the passes made.
 */
static long run_drain(struct fixture *fx, const struct drain_case *c, long n, long count)
{
    struct drain_options o = {fx->cfg, fx->store, c->concurrency, 0, 1, NULL, NULL};
    struct drain *d;
    long start;
    int passes = 0;

    spool_clear(fx);
    dest_reset(&fx->dest);
    seed(fx, c);
    d = drain_new(&o);
    start = store_calls(fx->store);
    store_fail_after(fx->store, n, count);
    while (spool_count(fx, "pending") + spool_count(fx, "retry") > 0) {
        struct drain_counts counts;
        struct error err;

        if (++passes > MAX_PASSES)
            fail_msg("%s, fault at call %ld (count %ld): objects still waiting after %d "
                     "passes",
                     c->source, n, count, MAX_PASSES);
        memset(&counts, 0, sizeof(counts));
        error_clear(&err);
        /* A pass may fail to list while the store is down; the next one picks up. */
        if (drain_pass(d, &counts, &err) != 0 && n < 0)
            fail_msg("pass without faults: %s", err.msg);
        if (count < 0 && store_calls(fx->store) - start > n)
            store_fail_after(fx->store, -1, 0);
    }
    store_fail_after(fx->store, -1, 0);
    drain_free(d);
    return store_calls(fx->store) - start;
}

/* Checks the one webhook key ended as it must; returns its deliveries past the first. */
static int check_webhook(struct fixture *fx, const struct drain_case *c, const char *key,
                         const char *file, long n, long count)
{
    size_t schedule = fx->cfg->drain.n_schedule;
    char *want = xasprintf("%s/%s/%s", c->final_state, c->source, key);
    char *path = xasprintf("%s/%s", fx->dir, want);
    int hits = dest_hits(&fx->dest, key);
    int extra = 0;
    json_t *doc;
    json_t *attempts;
    size_t n_attempts;

    if (strcmp(file, want) != 0)
        fail_msg("%s, fault at call %ld (count %ld): found '%s', want '%s'", c->source, n,
                 count, file, want);
    doc = json_load_file(path, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "outcome"), "state")),
        c->final_state);
    attempts = json_object_get(json_object_get(json_object_get(doc, "deliveries"), "default"),
                               "attempts");
    n_attempts = json_array_size(attempts);
    assert_true(n_attempts >= 1);
    if (strcmp(key, "k0") == 0) {
        /* Once per key: done/ stood all along, so no failure may deliver it again. */
        if (hits != 0)
            fail_msg("%s, fault at call %ld (count %ld): k0 was in done/, yet delivered %d "
                     "times",
                     c->source, n, count, hits);
    } else if (strcmp(c->final_state, "done") == 0) {
        assert_int_equal(
            json_integer_value(json_object_get(json_array_get(attempts, n_attempts - 1),
                                               "status")),
            200);
        assert_true(hits >= 1);
        extra = hits - 1;
    } else {
        /* Exactly the schedule's attempts, each a 500: none lost, none invented. */
        assert_int_equal(n_attempts, schedule);
        for (size_t a = 0; a < schedule; a++)
            assert_int_equal(
                json_integer_value(json_object_get(json_array_get(attempts, a), "status")),
                500);
        /* A failed delete can leave a second copy that runs its own schedule; no more. */
        if (hits < (int)schedule || hits > 2 * (int)schedule)
            fail_msg("%s, fault at call %ld (count %ld): %s delivered %d times, want "
                     "%zu..%zu",
                     c->source, n, count, key, hits, schedule, 2 * schedule);
    }
    json_decref(doc);
    free(path);
    free(want);
    return extra;
}

/*
 * Every seeded webhook is in final_state/, once, and nothing else is in the spool; its
 * envelope says so and records its attempts; the destination saw each as often as it
 * must, and a failure cost at most a bounded number of extra deliveries.
 */
static void check_drain_outcome(struct fixture *fx, const struct drain_case *c, long n,
                                long count)
{
    int first = c->redelivered ? 0 : 1;
    size_t want = (size_t)(SEEDED + 1 - first);
    int extra = 0;
    struct names files;

    spool_files(fx, &files);
    if (files.n != want) {
        for (size_t i = 0; i < files.n; i++)
            print_message("# %s\n", files.v[i]);
        fail_msg("%s, fault at call %ld (count %ld): %zu files in the spool, want %zu in %s/",
                 c->source, n, count, files.n, want, c->final_state);
    }
    for (int i = first; i <= SEEDED; i++) {
        char key[16];

        snprintf(key, sizeof(key), "k%d", i);
        extra += check_webhook(fx, c, key, files.v[i - first], n, count);
    }
    /* A done/ write that failed after the 2xx is the only way to deliver twice, and one
     * failure catches at most the deliveries in flight. */
    if (extra > c->concurrency)
        fail_msg("%s, fault at call %ld (count %ld): %d extra deliveries", c->source, n, count,
                 extra);
    assert_int_equal(dest_bad(&fx->dest), 0);
    names_free(&files);
}

static void drain_sweep(struct fixture *fx, const struct drain_case *c)
{
    static const long counts[] = {1, -1};
    long total = run_drain(fx, c, -1, 0);

    check_drain_outcome(fx, c, -1, 0);
    /* At least the two listings and a get, exists, put and del per webhook. */
    assert_true(total >= 2 + 4 * SEEDED);
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        for (long n = 0; n <= total; n++) {
            run_drain(fx, c, n, counts[k]);
            check_drain_outcome(fx, c, n, counts[k]);
        }
    }
}

static void drain_delivered_every_call_fails_in_turn(void **state)
{
    const struct drain_case c = {"ok", "done", 1, 1};

    drain_sweep(*state, &c);
}

static void drain_dead_every_call_fails_in_turn(void **state)
{
    const struct drain_case c = {"fail", "dead", 1, 0};

    drain_sweep(*state, &c);
}

/* Workers share the store and its call counter; the outcome must not depend on which
 * worker a failure hits. */
static void drain_concurrent_every_call_fails_in_turn(void **state)
{
    const struct drain_case c = {"ok", "done", 4, 1};

    drain_sweep(*state, &c);
}

/*
 * The operator's replay under the same faults: every dead/ webhook stays in dead/ (the
 * drain removes it once the replay is delivered, never the replay); exit 0 only with all
 * of them in pending/ too; and the operator's second replay, with the store back,
 * finishes the job.
 */
static void replay_every_call_fails_in_turn(void **state)
{
    struct fixture *fx = *state;
    static const long counts[] = {1, -1};
    char a0[] = "replay", a1[] = "--all", a2[] = "dead", a3[] = "ok";
    char *const argv[] = {a0, a1, a2, a3};
    FILE *sink = fopen("/dev/null", "w");
    long total = -1;

    assert_non_null(sink);
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        for (long n = -1; n <= total; n++) {
            struct names files;
            char key[16];
            long start;
            int rc;

            spool_clear(fx);
            for (int i = 1; i <= SEEDED; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                seed_object(fx, KEY_DEAD, "ok", key);
            }
            start = store_calls(fx->store);
            store_fail_after(fx->store, n, counts[k]);
            rc = admin_run(fx->store, fx->cfg, 4, argv, sink, sink);
            store_fail_after(fx->store, -1, 0);
            /* The first round fails nothing and measures the sweep. */
            if (n < 0) {
                assert_int_equal(rc, 0);
                total = store_calls(fx->store) - start;
            }
            for (int i = 1; i <= SEEDED; i++) {
                char *pending = xasprintf("%s/pending/ok/k%d", fx->dir, i);
                char *dead = xasprintf("%s/dead/ok/k%d", fx->dir, i);
                int in_pending = access(pending, F_OK) == 0;
                int in_dead = access(dead, F_OK) == 0;

                if (!in_dead)
                    fail_msg("replay, fault at call %ld (count %ld): k%d deleted from dead/", n,
                             counts[k], i);
                if (rc == 0 && !in_pending)
                    fail_msg("replay, fault at call %ld (count %ld): exit 0, k%d not replayed",
                             n, counts[k], i);
                free(dead);
                free(pending);
            }
            assert_int_equal(admin_run(fx->store, fx->cfg, 4, argv, sink, sink), 0);
            spool_files(fx, &files);
            assert_int_equal(files.n, 2 * SEEDED);
            for (int i = 1; i <= SEEDED; i++) {
                snprintf(key, sizeof(key), "dead/ok/k%d", i);
                assert_string_equal(files.v[i - 1], key);
                snprintf(key, sizeof(key), "pending/ok/k%d", i);
                assert_string_equal(files.v[SEEDED + i - 1], key);
            }
            names_free(&files);
        }
    }
    /* A listing, and a get and put per webhook. */
    assert_true(total >= 1 + 2 * SEEDED);
    fclose(sink);
}

/* A drain passing over the spool again and again on its own thread. */
struct drain_loop {
    struct fixture *fx;
    atomic_int stop;
    atomic_long passes;
    atomic_int failed; /* a pass could not list the spool */
    pthread_t thread;
};

static void *drain_loop_main(void *arg)
{
    struct drain_loop *l = arg;
    struct drain_options o = {l->fx->cfg, l->fx->store, 2, 0, 1, NULL, &l->stop};
    struct drain *d = drain_new(&o);

    while (!l->stop) {
        struct drain_counts counts;
        struct error err;

        memset(&counts, 0, sizeof(counts));
        error_clear(&err);
        if (drain_pass(d, &counts, &err) != 0)
            atomic_store(&l->failed, 1);
        atomic_fetch_add(&l->passes, 1);
    }
    drain_free(d);
    return NULL;
}

#define RACE_KEYS 100
#define RACE_ROUNDS 5

/*
 * replay from done/ while a drain runs: a drain pass meets pending/SOURCE/KEY beside
 * done/SOURCE/KEY at every step of the replay. Every webhook must still end in pending/
 * or done/ (delivered again), never in neither: the replay deletes nothing, and the
 * drain tells the replay from a provider's duplicate by its "replayed_at".
 */
static void replay_done_while_draining_loses_nothing(void **state)
{
    struct fixture *fx = *state;
    char a0[] = "replay", a1[] = "--all", a2[] = "done", a3[] = "ok";
    char *const argv[] = {a0, a1, a2, a3};
    FILE *sink = fopen("/dev/null", "w");
    char key[32];

    assert_non_null(sink);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        struct drain_loop l;
        int lost = 0;

        spool_clear(fx);
        for (int i = 0; i < RACE_KEYS; i++) {
            snprintf(key, sizeof(key), "r%d-%03d", round, i);
            seed_object(fx, KEY_DONE, "ok", key);
        }
        memset(&l, 0, sizeof(l));
        l.fx = fx;
        atomic_init(&l.passes, 0);
        atomic_init(&l.failed, 0);
        assert_int_equal(pthread_create(&l.thread, NULL, drain_loop_main, &l), 0);
        while (atomic_load(&l.passes) == 0)
            usleep(1000);
        assert_int_equal(admin_run(fx->store, fx->cfg, 4, argv, sink, sink), 0);
        l.stop = 1;
        pthread_join(l.thread, NULL);
        assert_int_equal(atomic_load(&l.failed), 0);
        for (int i = 0; i < RACE_KEYS; i++) {
            char *pending = xasprintf("%s/pending/ok/r%d-%03d", fx->dir, round, i);
            char *done = xasprintf("%s/done/ok/r%d-%03d", fx->dir, round, i);

            lost += access(pending, F_OK) != 0 && access(done, F_OK) != 0;
            free(done);
            free(pending);
        }
        if (lost > 0)
            fail_msg("replay of done/ during a drain, round %d: %d of %d webhooks lost", round,
                     lost, RACE_KEYS);
    }
    fclose(sink);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hook_fails_the_calls_asked_for, setup, teardown),
        cmocka_unit_test_setup_teardown(intake_every_call_fails_in_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(drain_delivered_every_call_fails_in_turn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(drain_dead_every_call_fails_in_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(drain_concurrent_every_call_fails_in_turn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(replay_every_call_fails_in_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_done_while_draining_loses_nothing, setup,
                                        teardown),
    };
    struct error err;
    int failed;

    /* Every injected failure is logged; the errors are enough to read a failing case. */
    log_set_level(LOG_ERROR);
    error_clear(&err);
    if (store_global_init(&err) != 0)
        return 1;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    store_global_cleanup();
    return failed;
}
