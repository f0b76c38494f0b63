/*
 * Fan-out (DESIGN.md "Destinations and filters"): one webhook, several
 * destinations, each with its own delivery state in the one envelope. On an
 * fs store in a fresh directory, with three destinations in this process
 * (tests/unit/dest.c), one per port, so each test sees who got what:
 *
 *   three destinations answering 200, 500-then-200 and 410: who got what, how
 *   often, and the object's states in order (pending/, retry/, dead/)
 *   the store requests per webhook and pass do not grow with its destinations
 *   a destination paused by its breaker does not hold back the others, nor one
 *   waiting for its rate limit
 *   a drain killed (SIGKILL) while one destination is in flight, the other
 *   delivered: nothing lost, and only the unfinished one is delivered again
 *   envelopes of the one-destination format: retries and dead letters go on
 *   filters route once, at the first attempt; no match is done/ "filtered"
 *   replay of dead/ re-delivers only the destinations that gave up
 *   ls --destination/--status/--long, replay --all's selections, stats
 *   --destinations
 *   the per-destination state decisions (drain_object_next)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "envelope.h"
#include "headers.h"
#include "key.h"
#include "store.h"
#include "xmalloc.h"
#include "dest.h"
#include "tree.h"

#define PAST_DUE 1000000000 /* a DUE long gone */
#define N_DEST 3

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *store;
    struct dest dest[N_DEST]; /* ports: dest[0], dest[1], dest[2] */
};

/* The config: ' for ", and P0/P1/P2 for the three destinations' ports. */
static const char CONFIG[] =
    "{'store': {'url': 'file://DIR', 'timeout_ms': 2000},"
    " 'sources': ["
    "  {'name': 'fan', 'path': '/fan', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destinations': ["
    "     {'name': 'ok', 'url': 'http://127.0.0.1:P0/ok'},"
    "     {'name': 'flaky', 'url': 'http://127.0.0.1:P1/flaky', 'schedule_s': [0, 0, 3600]},"
    "     {'name': 'gone', 'url': 'http://127.0.0.1:P2/gone'}]},"
    "  {'name': 'one', 'path': '/one', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destination': {'url': 'http://127.0.0.1:P0/ok'}},"
    "  {'name': 'brk', 'path': '/brk', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destinations': ["
    "     {'name': 'down', 'url': 'http://127.0.0.1:P1/fail', 'breaker_failures': 1,"
    "      'breaker_pause_s': 3600},"
    "     {'name': 'up', 'url': 'http://127.0.0.1:P0/ok'}]},"
    "  {'name': 'crash', 'path': '/crash', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destinations': ["
    "     {'name': 'a', 'url': 'http://127.0.0.1:P0/ok'},"
    "     {'name': 'b', 'url': 'http://127.0.0.1:P1/flakyslow', 'schedule_s': [0, 0, 0]}]},"
    "  {'name': 'rate', 'path': '/rate', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destinations': ["
    "     {'name': 'limited', 'url': 'http://127.0.0.1:P1/ok', 'max_per_second': 1},"
    "     {'name': 'fast', 'url': 'http://127.0.0.1:P0/ok'}]},"
    "  {'name': 'filt', 'path': '/filt', 'verify': {'scheme': 'none'},"
    "   'idempotency': {'header': 'X-Id'},"
    "   'destinations': ["
    "     {'name': 'ci', 'url': 'http://127.0.0.1:P0/ok',"
    "      'filter': {'header': 'X-Event', 'in': ['push', 'pull_request']}},"
    "     {'name': 'tracker', 'url': 'http://127.0.0.1:P1/ok',"
    "      'filter': {'all': [{'header': 'X-Event', 'equals': 'issues'},"
    "                         {'json_pointer': '/action', 'in': ['opened', 'closed']}]}}]}],"
    " 'drain': {'schedule_s': [0, 3600, 3600]}}";

/* text with every occurrence of from replaced by to; caller frees. */
static char *replace(const char *text, const char *from, const char *to)
{
    char *out = xstrdup("");
    const char *p = text;
    const char *hit;

    while ((hit = strstr(p, from)) != NULL) {
        char *more = xasprintf("%s%.*s%s", out, (int)(hit - p), p, to);

        free(out);
        out = more;
        p = hit + strlen(from);
    }
    hit = out;
    out = xasprintf("%s%s", hit, p);
    free((char *)hit);
    return out;
}

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;
    char *text = xstrdup(CONFIG);

    strcpy(fx->dir, "/tmp/hookspool-fanout.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    for (int i = 0; i < N_DEST; i++) {
        char name[4];
        char port[16];
        char *next;

        dest_start(&fx->dest[i]);
        snprintf(name, sizeof(name), "P%d", i);
        snprintf(port, sizeof(port), "%d", fx->dest[i].port);
        next = replace(text, name, port);
        free(text);
        text = next;
    }
    {
        char *a = replace(text, "DIR", fx->dir);
        char *b = replace(a, "'", "\"");

        free(a);
        free(text);
        text = b;
    }
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
    for (int i = 0; i < N_DEST; i++) {
        assert_int_equal(dest_bad(&fx->dest[i]), 0);
        dest_stop(&fx->dest[i]);
    }
    tree_remove(fx->dir);
    free(fx);
    return 0;
}

/* A new webhook of source under pending/ (or at object), as the handler writes it. */
static void seed_at(struct fixture *fx, const char *object, const char *source,
                    const char *key, const char *event, const char *body)
{
    struct headers h;
    struct envelope_request req = {"POST", "/hooks/x", "", "127.0.0.1", &h};
    struct error err;
    size_t len;
    char *text;

    headers_init(&h);
    headers_add(&h, "Content-Type", "application/json");
    if (event != NULL)
        headers_add(&h, "X-Event", event);
    text = envelope_build(source, key, strlen(key), clock_now_ms() - 60000, &req, NULL, body,
                          strlen(body), &len);
    error_clear(&err);
    if (store_put(fx->store, object, text, len, &err) != 0)
        fail_msg("seed '%s': %s", object, err.msg);
    free(text);
    headers_free(&h);
}

static void seed(struct fixture *fx, const char *source, const char *key)
{
    char object[KEY_OBJECT_MAX + 1];

    key_object(KEY_PENDING, 0, source, key, object);
    seed_at(fx, object, source, key, NULL, "{}");
}

static void put_text(struct fixture *fx, const char *object, const char *text)
{
    struct error err;

    error_clear(&err);
    if (store_put(fx->store, object, text, strlen(text), &err) != 0)
        fail_msg("seed '%s': %s", object, err.msg);
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

static void assert_keys(struct fixture *fx, const char *prefix, const char *want)
{
    char *got = keys_under(fx, prefix);

    if (strcmp(got, want) != 0)
        fail_msg("under '%s': '%s', want '%s'", prefix, got, want);
    free(got);
}

/* The one key under prefix (the test's spool holds one object there). */
static char *only_key(struct fixture *fx, const char *prefix)
{
    char *got = keys_under(fx, prefix);

    if (got[0] == '\0' || strchr(got, ' ') != NULL)
        fail_msg("under '%s': '%s', want one key", prefix, got);
    return got;
}

/* The inode of object's file: a rewrite (temporary file, then rename) changes it. */
static ino_t stat_ino(struct fixture *fx, const char *object)
{
    char *path = xasprintf("%s/%s", fx->dir, object);
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    free(path);
    return st.st_ino;
}

/* The key under prefix that ends with suffix; caller frees. */
static char *key_ending(struct fixture *fx, const char *prefix, const char *suffix)
{
    char *all = keys_under(fx, prefix);
    char *found = NULL;

    for (char *k = strtok(all, " "); k != NULL; k = strtok(NULL, " ")) {
        size_t n = strlen(k);

        if (n >= strlen(suffix) && strcmp(k + n - strlen(suffix), suffix) == 0)
            found = xstrdup(k);
    }
    free(all);
    if (found == NULL)
        fail_msg("no key under '%s' ends with '%s'", prefix, suffix);
    return found;
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

/* doc's record of destination dest. */
static json_t *delivery_of(json_t *doc, const char *dest)
{
    json_t *rec = json_object_get(json_object_get(doc, "deliveries"), dest);

    if (rec == NULL)
        fail_msg("no delivery record of '%s'", dest);
    return rec;
}

/* dest's attempt statuses, "500,200" (0: no answer). */
static void assert_attempts(json_t *doc, const char *dest, const char *want)
{
    json_t *attempts = json_object_get(delivery_of(doc, dest), "attempts");
    char got[128] = "";
    size_t used = 0;

    for (size_t i = 0; i < json_array_size(attempts); i++)
        used += (size_t)snprintf(
            got + used, sizeof(got) - used, "%s%lld", i > 0 ? "," : "",
            (long long)json_integer_value(json_object_get(json_array_get(attempts, i), "status")));
    if (strcmp(got, want) != 0)
        fail_msg("%s's attempts: '%s', want '%s'", dest, got, want);
}

/* dest's outcome state, or "" while it is unfinished. */
static const char *outcome_of(json_t *doc, const char *dest)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(delivery_of(doc, dest), "outcome"), "state"));

    return s != NULL ? s : "";
}

static void run_pass(struct fixture *fx, struct drain *d, struct drain_counts *counts)
{
    struct error err;

    memset(counts, 0, sizeof(*counts));
    error_clear(&err);
    if (drain_pass(d, counts, &err) != 0)
        fail_msg("pass: %s", err.msg);
    (void)fx;
}

/* One pass of a fresh drain (one worker, so the order of objects is the listing's). */
static void pass(struct fixture *fx, struct drain_counts *counts)
{
    struct drain_options o = {fx->cfg, fx->store, 1, 0, 1, NULL, NULL};
    struct drain *d = drain_new(&o);

    run_pass(fx, d, counts);
    drain_free(d);
}

/* Runs an operator command with its output captured into *out (caller frees). */
static int admin(struct fixture *fx, char **out, int argc, ...)
{
    char *argv[16];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FILE *sink = fopen("/dev/null", "w");
    va_list ap;
    int rc;

    assert_true(argc < 16);
    va_start(ap, argc);
    for (int i = 0; i < argc; i++)
        argv[i] = xstrdup(va_arg(ap, const char *));
    va_end(ap);
    rc = admin_run(fx->store, fx->cfg, argc, argv, f, sink);
    fclose(f);
    fclose(sink);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    if (out != NULL)
        *out = text;
    else
        free(text);
    return rc;
}

/*
 * One webhook to three destinations: 200, 500 then 200, and 410. Pass 1
 * attempts all three (pending/ -> retry/, due now: flaky retries at once); pass
 * 2 attempts flaky alone, and with every destination finished and one given up
 * the webhook goes to dead/. Each destination got it as often as its answers
 * asked, and knew itself by Hookspool-Destination.
 */
static void three_destinations_each_keep_their_state(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    char named[65];
    char *obj;
    json_t *doc;

    seed(fx, "fan", "k");
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[2], "k"), 1);
    dest_last_destination(&fx->dest[0], named);
    assert_string_equal(named, "ok");
    dest_last_destination(&fx->dest[1], named);
    assert_string_equal(named, "flaky");
    dest_last_destination(&fx->dest[2], named);
    assert_string_equal(named, "gone");
    assert_int_equal(counts.delivered, 1);
    assert_int_equal(counts.failed, 1);
    assert_int_equal(counts.dead, 0);
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "dead/", "");
    obj = only_key(fx, "retry/");
    doc = load_json(fx, obj);
    assert_attempts(doc, "ok", "200");
    assert_string_equal(outcome_of(doc, "ok"), "done");
    assert_attempts(doc, "flaky", "500");
    assert_string_equal(outcome_of(doc, "flaky"), "");
    assert_attempts(doc, "gone", "410");
    assert_string_equal(outcome_of(doc, "gone"), "dead");
    assert_null(json_object_get(doc, "outcome"));
    json_decref(doc);
    free(obj);

    pass(fx, &counts);
    /* Only the unfinished one was called again. */
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 2);
    assert_int_equal(dest_hits(&fx->dest[2], "k"), 1);
    assert_int_equal(counts.delivered, 1);
    assert_int_equal(counts.dead, 1);
    assert_keys(fx, "retry/", "");
    assert_keys(fx, "done/", "");
    assert_keys(fx, "dead/", "dead/fan/k");
    doc = load_json(fx, "dead/fan/k");
    assert_attempts(doc, "ok", "200");
    assert_attempts(doc, "flaky", "500,200");
    assert_string_equal(outcome_of(doc, "flaky"), "done");
    assert_attempts(doc, "gone", "410");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "outcome"), "state")), "dead");
    assert_non_null(strstr(
        json_string_value(json_object_get(json_object_get(doc, "outcome"), "reason")),
        "gone gave up"));
    json_decref(doc);

    /* A replay of dead/ calls only the destination that gave up. */
    assert_int_equal(admin(fx, NULL, 2, "replay", "dead/fan/k"), 0);
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 2);
    assert_int_equal(dest_hits(&fx->dest[2], "k"), 2);
    assert_keys(fx, "dead/", "dead/fan/k");
    assert_keys(fx, "pending/", "");
    /* Narrowed to one destination, a replay calls that one alone, whatever its state. */
    assert_int_equal(admin(fx, NULL, 4, "replay", "--destination", "ok", "dead/fan/k"), 0);
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 2);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 2);
    assert_int_equal(dest_hits(&fx->dest[2], "k"), 2);
    /* A destination the webhook does not have: refused, nothing written. */
    assert_int_equal(admin(fx, NULL, 4, "replay", "--destination", "nope", "dead/fan/k"), 1);
    assert_keys(fx, "pending/", "");
}

/* The calls a pass makes over one pending webhook of source (all its destinations
 * answering at once). */
static long calls_for_one_webhook(struct fixture *fx, const char *source, const char *key)
{
    struct drain_counts counts;
    long start;

    seed(fx, source, key);
    start = store_calls(fx->store);
    pass(fx, &counts);
    return store_calls(fx->store) - start;
}

/*
 * Store requests per webhook and pass: three listings, then one get, one done/
 * check, one write of the next state and one delete, whatever the number of
 * destinations attempted.
 */
static void store_requests_do_not_grow_with_destinations(void **state)
{
    struct fixture *fx = *state;
    long one = calls_for_one_webhook(fx, "one", "k1");
    long three;
    long retry_pass;
    long start;
    struct drain_counts counts;
    char *obj;

    assert_keys(fx, "done/", "done/one/k1");
    three = calls_for_one_webhook(fx, "fan", "k3");
    assert_int_equal(dest_hits(&fx->dest[0], "k3") + dest_hits(&fx->dest[1], "k3") +
                         dest_hits(&fx->dest[2], "k3"),
                     3);
    assert_int_equal(one, 7);
    assert_int_equal(three, one);
    /* The retry pass of the same webhook (one destination due of three): the same. */
    obj = only_key(fx, "retry/");
    free(obj);
    start = store_calls(fx->store);
    pass(fx, &counts);
    retry_pass = store_calls(fx->store) - start;
    assert_int_equal(retry_pass, 7);
    assert_keys(fx, "dead/", "dead/fan/k3");
}

/*
 * A destination paused by its breaker: the other destination's first
 * attempts go on, the paused one keeps its attempts unspent, and an object
 * with nothing due but the paused destination is left alone (no write).
 */
static void paused_destination_does_not_hold_back_the_others(void **state)
{
    struct fixture *fx = *state;
    struct drain_options o = {fx->cfg, fx->store, 1, 0, 1, NULL, NULL};
    struct drain *d = drain_new(&o);
    struct drain_counts counts;
    char *obj;
    json_t *doc;
    ino_t ino;

    seed(fx, "brk", "k1");
    seed(fx, "brk", "k2");
    run_pass(fx, d, &counts);
    /* k1 opened the breaker of "down" (one failure); k2 met it paused. */
    assert_int_equal(dest_hits(&fx->dest[1], "k1"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k2"), 0);
    assert_int_equal(dest_hits(&fx->dest[0], "k1"), 1);
    assert_int_equal(dest_hits(&fx->dest[0], "k2"), 1);
    assert_int_equal(counts.delivered, 2);
    assert_keys(fx, "pending/", "");
    obj = keys_under(fx, "retry/");
    assert_non_null(strstr(obj, "/brk/k1"));
    assert_non_null(strstr(obj, "/brk/k2"));
    free(obj);
    obj = key_ending(fx, "retry/", "/brk/k2");
    doc = load_json(fx, obj);
    assert_attempts(doc, "up", "200");
    assert_attempts(doc, "down", "");
    assert_string_equal(outcome_of(doc, "down"), "");
    json_decref(doc);
    free(obj);
    /* Again, still paused: k2 has nothing due but "down"; it is not rewritten. */
    obj = key_ending(fx, "retry/", "/brk/k2");
    ino = stat_ino(fx, obj);
    run_pass(fx, d, &counts);
    assert_int_equal(dest_hits(&fx->dest[1], "k2"), 0);
    assert_int_equal(dest_hits(&fx->dest[0], "k2"), 1);
    assert_int_equal(counts.deferred, 1);
    /* Read and checked, not rewritten: the same file, untouched since the first pass. */
    assert_int_equal(stat_ino(fx, obj), ino);
    free(obj);
    drain_free(d);
}

/* The "at" of dest's last attempt in doc, as epoch milliseconds. */
static int64_t attempt_at(json_t *doc, const char *dest)
{
    json_t *attempts = json_object_get(delivery_of(doc, dest), "attempts");
    const char *at = json_string_value(
        json_object_get(json_array_get(attempts, json_array_size(attempts) - 1), "at"));
    int64_t ms = 0;

    assert_non_null(at);
    assert_int_equal(clock_parse_iso8601(at, &ms), 0);
    return ms;
}

/*
 * "limited" (one delivery per second, first in the config) and "fast": the
 * second webhook finds limited's token spent, and fast gets it first; limited
 * gets it once its token is back. Both webhooks end in done/.
 */
static void rate_limited_destination_does_not_hold_back_the_others(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    json_t *doc;
    int64_t fast_at;
    int64_t limited_at;

    seed(fx, "rate", "k1");
    seed(fx, "rate", "k2");
    pass(fx, &counts);
    assert_int_equal(counts.delivered, 4);
    assert_keys(fx, "done/", "done/rate/k1 done/rate/k2");
    doc = load_json(fx, "done/rate/k2");
    fast_at = attempt_at(doc, "fast");
    limited_at = attempt_at(doc, "limited");
    json_decref(doc);
    doc = load_json(fx, "done/rate/k1");
    /* k1: limited first, in config order, with a token to spend. */
    assert_true(attempt_at(doc, "limited") <= attempt_at(doc, "fast"));
    json_decref(doc);
    if (!(fast_at < limited_at && limited_at - fast_at >= 500))
        fail_msg("k2: fast at %lld, limited at %lld: fast should not wait for limited's token",
                 (long long)fast_at, (long long)limited_at);
}

/*
 * A drain killed while destination b is in flight, a already delivered (by an
 * earlier pass): the object is where it was, and the next pass delivers b
 * alone. a got the webhook once.
 */
static void kill_between_destinations_loses_nothing(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    int64_t deadline;
    char *before;
    char *after;
    json_t *doc;
    pid_t child;
    int status;

    seed(fx, "crash", "k");
    pass(fx, &counts);
    /* a: 200; b: 500, due again at once. */
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 1);
    before = only_key(fx, "retry/");

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct drain_options o = {fx->cfg, fx->store, 1, 0, 1, NULL, NULL};
        struct drain *d = drain_new(&o);
        struct error err;

        memset(&counts, 0, sizeof(counts));
        _exit(drain_pass(d, &counts, &err) == 0 ? 0 : 1);
    }
    /* b's second request sleeps DEST_SLOW_MS before its 200: kill the drain then. */
    deadline = clock_mono_ms() + 10000;
    while (dest_hits(&fx->dest[1], "k") < 2 && clock_mono_ms() < deadline) {
        struct timespec ts = {0, 5 * 1000000L};

        nanosleep(&ts, NULL);
    }
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 2);
    assert_int_equal(kill(child, SIGKILL), 0);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    /* Nothing moved: the object is where the kill found it. */
    after = only_key(fx, "retry/");
    assert_string_equal(after, before);
    assert_keys(fx, "pending/", "");
    assert_keys(fx, "done/", "");
    free(after);

    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "k"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "k"), 3);
    assert_keys(fx, "retry/", "");
    assert_keys(fx, "done/", "done/crash/k");
    doc = load_json(fx, "done/crash/k");
    assert_attempts(doc, "a", "200");
    assert_attempts(doc, "b", "500,200");
    json_decref(doc);
    free(before);
}

/* Envelopes written before fan-out, in that exact format, for source "one" (the
 * one-destination shorthand, so destination "default"). */
#define OLD_HEAD(key)                                                                    \
    "{\"v\":1,\"source\":\"one\",\"key\":\"" key "\","                                   \
    "\"received_at\":\"2026-11-22T03:04:05.123Z\",\"request\":{\"method\":\"POST\","     \
    "\"path\":\"/hooks/one\",\"query\":\"\",\"remote_addr\":\"127.0.0.1\",\"headers\":" \
    "[[\"Content-Type\",\"application/json\"]]},\"body\":\"{}\",\"body_encoding\":\"utf8\""

/*
 * A spool from before fan-out: a retry/ with one failed attempt goes on with
 * its schedule (the second attempt is number 2), a retry/ with its attempts
 * spent goes to dead/, and a dead/ letter replays and delivers.
 */
static void upgrade_from_one_destination_envelopes(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    json_t *doc;

    put_text(fx, "retry/1000000000/one/r1",
             OLD_HEAD("r1") ",\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\",\"status\":500,"
                            "\"error\":\"HTTP 500\",\"ms\":12}]}");
    put_text(fx, "retry/1000000000/one/r2",
             OLD_HEAD("r2") ",\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\",\"status\":500,"
                            "\"ms\":1},{\"at\":\"2026-11-22T03:04:07.123Z\",\"status\":503,"
                            "\"ms\":1},{\"at\":\"2026-11-22T03:04:08.123Z\",\"ms\":1}]}");
    put_text(fx, "dead/one/d1",
             OLD_HEAD("d1") ",\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\",\"status\":410,"
                            "\"ms\":2}],\"outcome\":{\"state\":\"dead\",\"at\":"
                            "\"2026-11-22T03:04:06.124Z\",\"status\":410,\"reason\":"
                            "\"destination answered 410 gone\"}}");
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "r1"), 1);
    assert_int_equal(dest_hits(&fx->dest[0], "r2"), 0);
    assert_keys(fx, "retry/", "");
    assert_keys(fx, "done/", "done/one/r1");
    assert_keys(fx, "dead/", "dead/one/d1 dead/one/r2");
    doc = load_json(fx, "done/one/r1");
    assert_attempts(doc, "default", "500,200");
    assert_null(json_object_get(doc, "attempts"));
    json_decref(doc);
    doc = load_json(fx, "dead/one/r2");
    assert_attempts(doc, "default", "500,503,0");
    assert_string_equal(outcome_of(doc, "default"), "dead");
    json_decref(doc);

    assert_int_equal(admin(fx, NULL, 2, "replay", "dead/one/d1"), 0);
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "d1"), 1);
    assert_keys(fx, "dead/", "dead/one/r2");
    doc = load_json(fx, "done/one/d1");
    assert_attempts(doc, "default", "200");
    /* The attempts from before the upgrade stay readable in the history. */
    assert_int_equal(json_array_size(json_object_get(doc, "history")), 1);
    json_decref(doc);
}

/*
 * Filters route once, at the first attempt: ci takes push and pull_request,
 * tracker takes issues opened or closed; a webhook matching neither goes to
 * done/ as "filtered", delivered to no one.
 */
static void filters_route_each_webhook(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    json_t *doc;

    seed_at(fx, "pending/filt/push", "filt", "push", "push", "{}");
    seed_at(fx, "pending/filt/opened", "filt", "opened", "issues", "{\"action\": \"opened\"}");
    seed_at(fx, "pending/filt/edited", "filt", "edited", "issues", "{\"action\": \"edited\"}");
    seed_at(fx, "pending/filt/notjson", "filt", "notjson", "issues", "action=opened");
    pass(fx, &counts);
    assert_int_equal(dest_hits(&fx->dest[0], "push"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "push"), 0);
    assert_int_equal(dest_hits(&fx->dest[0], "opened"), 0);
    assert_int_equal(dest_hits(&fx->dest[1], "opened"), 1);
    assert_int_equal(dest_hits(&fx->dest[0], "edited") + dest_hits(&fx->dest[1], "edited"), 0);
    assert_int_equal(dest_hits(&fx->dest[0], "notjson") + dest_hits(&fx->dest[1], "notjson"),
                     0);
    assert_int_equal(counts.filtered, 2);
    assert_keys(fx, "done/",
                "done/filt/edited done/filt/notjson done/filt/opened done/filt/push");
    doc = load_json(fx, "done/filt/edited");
    assert_int_equal(json_object_size(json_object_get(doc, "deliveries")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "outcome"), "state")),
        "filtered");
    json_decref(doc);
    doc = load_json(fx, "done/filt/push");
    /* Only the matching destination is recorded. */
    assert_int_equal(json_object_size(json_object_get(doc, "deliveries")), 1);
    assert_attempts(doc, "ci", "200");
    json_decref(doc);
}

/* ls --destination, --status and --long; replay --all with its selections; stats. */
static void operator_commands_per_destination(void **state)
{
    struct fixture *fx = *state;
    struct drain_counts counts;
    char *out;

    seed(fx, "fan", "a");
    seed(fx, "fan", "b");
    seed(fx, "one", "c");
    pass(fx, &counts); /* fan/a, fan/b to retry/ (flaky 500, gone 410); one/c done/ */
    pass(fx, &counts); /* fan/a, fan/b to dead/ (gone gave up) */
    assert_keys(fx, "dead/", "dead/fan/a dead/fan/b");

    assert_int_equal(admin(fx, &out, 4, "ls", "dead", "--destination", "gone"), 0);
    assert_string_equal(out, "dead/fan/a\ndead/fan/b\n");
    free(out);
    assert_int_equal(admin(fx, &out, 4, "ls", "done", "--destination", "gone"), 0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(admin(fx, &out, 4, "ls", "done", "--status", "200"), 0);
    assert_string_equal(out, "done/one/c\n");
    free(out);
    assert_int_equal(admin(fx, &out, 7, "ls", "dead", "fan", "--destination", "flaky",
                           "--status", "500"),
                     0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(admin(fx, &out, 4, "ls", "dead", "--status", "410"), 0);
    assert_string_equal(out, "dead/fan/a\ndead/fan/b\n");
    free(out);
    assert_int_equal(admin(fx, &out, 4, "ls", "dead", "fan", "--long"), 0);
    assert_string_equal(out, "dead/fan/a  ok=done(1,200)  flaky=done(2,200)  gone=dead(1,410)\n"
                             "dead/fan/b  ok=done(1,200)  flaky=done(2,200)  gone=dead(1,410)\n");
    free(out);
    assert_int_equal(admin(fx, NULL, 3, "ls", "dead", "--status"), 2);
    assert_int_equal(admin(fx, NULL, 4, "ls", "dead", "--status", "x"), 2);
    assert_int_equal(admin(fx, NULL, 3, "ls", "dead", "--bogus"), 2);

    /* stats --destinations counts each destination's state over pending, retry, dead. */
    assert_int_equal(admin(fx, &out, 3, "stats", "--json", "--destinations"), 0);
    assert_non_null(strstr(out, "\"gone\": {\n        \"waiting\": 0,\n        \"delivered\": 0,"
                                "\n        \"gave_up\": 2\n"));
    assert_non_null(strstr(out, "\"ok\": {\n        \"waiting\": 0,\n        \"delivered\": 2,"));
    free(out);

    /* A dry run prints the keys and the count, and writes nothing. */
    assert_int_equal(admin(fx, &out, 4, "replay", "--all", "dead", "--dry-run"), 0);
    assert_string_equal(out, "dead/fan/a\ndead/fan/b\n2 objects would be replayed (dry run: "
                             "nothing changed)\n");
    free(out);
    assert_keys(fx, "pending/", "");
    /* --destination in dead/: only webhooks where that destination gave up. */
    assert_int_equal(admin(fx, &out, 6, "replay", "--all", "dead", "--destination", "ok",
                           "--dry-run"),
                     0);
    assert_string_equal(out, "0 objects would be replayed (dry run: nothing changed)\n");
    free(out);
    /* Received time: everything was received a minute ago. */
    assert_int_equal(admin(fx, &out, 6, "replay", "--all", "dead", "--since", "2999-01-01",
                           "--dry-run"),
                     0);
    assert_string_equal(out, "0 objects would be replayed (dry run: nothing changed)\n");
    free(out);
    assert_int_equal(admin(fx, &out, 8, "replay", "--all", "dead", "--since",
                           "2020-01-01T00:00:00Z", "--until", "2999-01-01", "--dry-run"),
                     0);
    assert_non_null(strstr(out, "2 objects would be replayed"));
    free(out);
    assert_int_equal(admin(fx, NULL, 5, "replay", "--all", "dead", "--since", "yesterday"), 2);
    assert_int_equal(admin(fx, NULL, 3, "replay", "--dry-run", "dead/fan/a"), 2);
    /* --limit: the first N only. */
    assert_int_equal(admin(fx, &out, 7, "replay", "--all", "dead", "--destination", "gone",
                           "--limit", "1"),
                     0);
    assert_string_equal(out, "dead/fan/a -> pending/fan/a\n");
    free(out);
    assert_keys(fx, "pending/", "pending/fan/a");
    pass(fx, &counts);
    /* Only gone was called again for a; b was not replayed. */
    assert_int_equal(dest_hits(&fx->dest[0], "a"), 1);
    assert_int_equal(dest_hits(&fx->dest[1], "a"), 2);
    assert_int_equal(dest_hits(&fx->dest[2], "a"), 2);
    assert_int_equal(dest_hits(&fx->dest[2], "b"), 1);

    /* show ends with the per-destination summary. */
    assert_int_equal(admin(fx, &out, 2, "show", "done/one/c"), 0);
    assert_non_null(strstr(out, "\"deliveries\": {\n    \"default\": {"));
    assert_non_null(strstr(out, "destinations: done/one/c  default=done(1,200)\n"));
    free(out);
}

/* The per-destination decision of the object's next state. */
static void object_next_state_decisions(void **state)
{
    const int64_t now = 1800000000;
    struct drain_dest_status d[3] = {{DRAIN_DEST_DONE, 0}, {DRAIN_DEST_DONE, 0},
                                     {DRAIN_DEST_DONE, 0}};
    int64_t due = -1;

    (void)state;
    /* No destination (filtered): done. */
    assert_int_equal(drain_object_next(d, 0, now, &due), DRAIN_NEXT_DONE);
    d[0] = (struct drain_dest_status){DRAIN_DEST_DONE, 0};
    d[1] = (struct drain_dest_status){DRAIN_DEST_DONE, 0};
    d[2] = (struct drain_dest_status){DRAIN_DEST_DONE, 0};
    assert_int_equal(drain_object_next(d, 3, now, &due), DRAIN_NEXT_DONE);
    /* Every one finished, one gave up: dead. */
    d[1].state = DRAIN_DEST_DEAD;
    assert_int_equal(drain_object_next(d, 3, now, &due), DRAIN_NEXT_DEAD);
    /* One still waiting: retry at its due, even beside one that gave up. */
    d[2] = (struct drain_dest_status){DRAIN_DEST_WAITING, now + 300};
    assert_int_equal(drain_object_next(d, 3, now, &due), DRAIN_NEXT_RETRY);
    assert_int_equal(due, now + 300);
    /* The earliest among the waiting ones. */
    d[0] = (struct drain_dest_status){DRAIN_DEST_WAITING, now + 5};
    assert_int_equal(drain_object_next(d, 3, now, &due), DRAIN_NEXT_RETRY);
    assert_int_equal(due, now + 5);
    /* A waiting one due already (paused, say): due now, never in the past. */
    d[0].due_s = 0;
    assert_int_equal(drain_object_next(d, 3, now, &due), DRAIN_NEXT_RETRY);
    assert_int_equal(due, now);
    /* One destination's own next state: schedule lengths are per destination. */
    assert_int_equal(drain_next_state(500, 3, 3), DRAIN_NEXT_DEAD);
    assert_int_equal(drain_next_state(500, 3, 8), DRAIN_NEXT_RETRY);
    assert_int_equal(drain_next_state(410, 1, 8), DRAIN_NEXT_DEAD);
    assert_int_equal(drain_next_state(204, 8, 8), DRAIN_NEXT_DONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_destinations_each_keep_their_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(store_requests_do_not_grow_with_destinations, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(paused_destination_does_not_hold_back_the_others, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rate_limited_destination_does_not_hold_back_the_others,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(kill_between_destinations_loses_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(upgrade_from_one_destination_envelopes, setup, teardown),
        cmocka_unit_test_setup_teardown(filters_route_each_webhook, setup, teardown),
        cmocka_unit_test_setup_teardown(operator_commands_per_destination, setup, teardown),
        cmocka_unit_test(object_next_state_decisions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
