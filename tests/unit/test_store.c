/*
 * test_store: the store contract (lib/store.h), one suite run against every backend:
 * fs in a fresh temporary directory per case; MinIO (which tests/run starts) through
 * both S3 backends, signature V4 (the default, store_s3v4.c) and V2 (sig=v2, libs3);
 * and versitygw (tests/versitygw.sh), which refuses V2 as AWS does and runs in a
 * region other than us-east-1. Each S3 case works under a fresh prefix. Without that
 * environment the S3 cases fail: a run that silently left them out would prove
 * nothing about S3.
 *
 * What the store wrote is checked once more with mc, MinIO's own client (aliases
 * "t" for MinIO, "v" for versitygw), so the suite does not only read back through the
 * code under test.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "store.h"
#include "loopback.h"

/* Where a case runs: fs, or one S3 server and signature. */
struct target {
    const char *name;
    int s3;
    const char *endpoint_env; /* HOST:PORT */
    const char *bucket_env;
    const char *access_env;
    const char *secret_env;
    const char *region_env;   /* NULL: the default region */
    const char *sig;          /* "" (the default, v4) or "&sig=v2" */
    const char *mc_alias;
};

static const struct target FS = {"fs", 0, NULL, NULL, NULL, NULL, NULL, "", NULL};
static const struct target MINIO_V4 = {"minio-v4", 1, "HS_S3_ENDPOINT", "HS_S3_BUCKET",
                                       "S3_ACCESS_KEY", "S3_SECRET_KEY", NULL, "", "t"};
static const struct target MINIO_V2 = {"minio-v2", 1, "HS_S3_ENDPOINT", "HS_S3_BUCKET",
                                       "S3_ACCESS_KEY", "S3_SECRET_KEY", NULL, "&sig=v2", "t"};
static const struct target VGW = {"versitygw", 1, "HS_VGW_ENDPOINT", "HS_VGW_BUCKET",
                                  "HS_VGW_ACCESS_KEY", "HS_VGW_SECRET_KEY", "HS_VGW_REGION", "",
                                  "v"};

struct env {
    const struct target *t;
    struct store *s;
    char url[1024];
    char dir[256];   /* fs: the store's root */
    char prefix[96]; /* s3: the prefix inside the bucket */
};

static unsigned case_seq;

static const char *need_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0')
        fail_msg("%s is not set: run the S3 cases through tests/run, which starts MinIO and "
                 "versitygw", name);
    return v;
}

/* "s3://BUCKET[/PREFIX]?endpoint=..&tls=0[&region=..][&sig=v2]" for t. */
static void s3_url(const struct target *t, const char *bucket, const char *prefix, char *out,
                   size_t size)
{
    char region[96] = "";

    if (t->region_env != NULL)
        snprintf(region, sizeof(region), "&region=%s", need_env(t->region_env));
    snprintf(out, size, "s3://%s%s%s?endpoint=%s&tls=0%s%s", bucket, prefix[0] != '\0' ? "/" : "",
             prefix, need_env(t->endpoint_env), region, t->sig);
}

static struct store *open_as(const struct target *t, const char *url, long timeout_ms,
                             const char *secret, struct error *err)
{
    struct store_config cfg;
    char url_copy[1024];

    memset(&cfg, 0, sizeof(cfg));
    snprintf(url_copy, sizeof(url_copy), "%s", url);
    cfg.url = url_copy;
    cfg.access_key = getenv(t->s3 ? t->access_env : MINIO_V4.access_env);
    cfg.secret_key = secret != NULL ? (char *)secret : getenv(t->s3 ? t->secret_env
                                                                      : MINIO_V4.secret_env);
    cfg.timeout_ms = timeout_ms;
    return store_open(&cfg, err);
}

static struct store *open_url(const char *url, long timeout_ms, struct error *err)
{
    return open_as(&MINIO_V4, url, timeout_ms, NULL, err);
}

static int setup(void **state)
{
    const struct target *t = *state;
    struct env *e = calloc(1, sizeof(*e));
    struct error err;

    assert_non_null(e);
    *state = e;
    e->t = t;
    if (!t->s3) {
        snprintf(e->dir, sizeof(e->dir), "/tmp/hs-store-test.XXXXXX");
        assert_non_null(mkdtemp(e->dir));
        snprintf(e->url, sizeof(e->url), "file://%s/root", e->dir);
    } else {
        snprintf(e->prefix, sizeof(e->prefix), "ut-%ld-%ld-%u", (long)getpid(), (long)time(NULL),
                 ++case_seq);
        s3_url(t, need_env(t->bucket_env), e->prefix, e->url, sizeof(e->url));
        need_env(t->access_env);
        need_env(t->secret_env);
    }
    e->s = open_as(t, e->url, 5000, NULL, &err);
    if (e->s == NULL)
        fail_msg("store_open %s: %s", e->url, err.msg);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct env *e = *state;

    if (e == NULL)
        return 0;
    store_close(e->s);
    if (!e->t->s3 && e->dir[0] != '\0')
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(e);
    return 0;
}

static void put_ok(struct store *s, const char *key, const void *data, size_t len)
{
    struct error err;

    if (store_put(s, key, data, len, &err) != 0)
        fail_msg("put '%s': %s", key, err.msg);
}

static void put_str(struct store *s, const char *key, const char *text)
{
    put_ok(s, key, text, strlen(text));
}

/* Reads key and checks it holds exactly data. */
static void expect_object(struct store *s, const char *key, const void *data, size_t len)
{
    struct buf b;
    struct error err;

    buf_init(&b, 4 * 1024 * 1024);
    if (store_get(s, key, &b, &err) != 0)
        fail_msg("get '%s': %s", key, err.msg);
    assert_int_equal(b.len, len);
    if (len > 0)
        assert_memory_equal(b.data, data, len);
    buf_free(&b);
}

static void expect_missing(struct store *s, const char *key)
{
    struct buf b;
    struct error err;

    buf_init(&b, 1024);
    assert_int_equal(store_get(s, key, &b, &err), -1);
    assert_int_equal(err.code, HS_ERR_NOT_FOUND);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

/* One page, checked against the expected keys. */
static void expect_page(struct store *s, const char *prefix, const char *after, size_t max,
                        const char *const *want, size_t n_want, int truncated)
{
    struct store_page page;
    struct error err;
    size_t i;

    if (store_list(s, prefix, after, max, &page, &err) != 0)
        fail_msg("list '%s' after '%s': %s", prefix, after != NULL ? after : "", err.msg);
    if (page.n != n_want || page.truncated != truncated) {
        for (i = 0; i < page.n; i++)
            print_message("# got %s\n", page.keys[i]);
        fail_msg("list '%s' after '%s' max %zu: %zu keys truncated=%d, want %zu truncated=%d",
                 prefix, after != NULL ? after : "", max, page.n, page.truncated, n_want,
                 truncated);
    }
    for (i = 0; i < n_want; i++)
        assert_string_equal(page.keys[i], want[i]);
    store_page_free(&page);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_put_get(void **state)
{
    struct env *e = *state;
    const char *body = "{\"v\":1,\"body\":\"hello\"}";

    put_str(e->s, "pending/github/abc", body);
    expect_object(e->s, "pending/github/abc", body, strlen(body));
    put_ok(e->s, "pending/github/empty", "", 0);
    expect_object(e->s, "pending/github/empty", "", 0);
    put_str(e->s, "top", "level");
    expect_object(e->s, "top", "level", 5);
}

static void test_overwrite(void **state)
{
    struct env *e = *state;
    const char *const want[] = {"pending/github/k"};

    put_str(e->s, "pending/github/k", "first, and longer than the second");
    put_str(e->s, "pending/github/k", "second");
    expect_object(e->s, "pending/github/k", "second", 6);
    expect_page(e->s, "", NULL, 10, want, 1, 0);
}

static void test_get_missing(void **state)
{
    struct env *e = *state;

    expect_missing(e->s, "pending/github/nope");
    put_str(e->s, "pending/github/there", "x");
    expect_missing(e->s, "pending/github/nope");
    /* Where only deeper keys live there is no object either. */
    expect_missing(e->s, "pending/github");
    expect_missing(e->s, "pending/github/there/below");
}

static void test_exists(void **state)
{
    struct env *e = *state;
    struct error err;

    assert_int_equal(store_exists(e->s, "done/github/k", &err), 0);
    put_str(e->s, "done/github/k", "x");
    assert_int_equal(store_exists(e->s, "done/github/k", &err), 1);
    assert_int_equal(store_exists(e->s, "done/github", &err), 0);
    assert_int_equal(store_exists(e->s, "done/github/k/x", &err), 0);
    assert_int_equal(store_del(e->s, "done/github/k", &err), 0);
    assert_int_equal(store_exists(e->s, "done/github/k", &err), 0);
}

static void test_del(void **state)
{
    struct env *e = *state;
    struct error err;

    assert_int_equal(store_del(e->s, "pending/github/never", &err), 0);
    put_str(e->s, "pending/github/k", "x");
    put_str(e->s, "pending/github/other", "y");
    assert_int_equal(store_del(e->s, "pending/github/k", &err), 0);
    assert_int_equal(store_del(e->s, "pending/github/k", &err), 0);
    expect_missing(e->s, "pending/github/k");
    expect_object(e->s, "pending/github/other", "y", 1);
    /* The last key of a branch goes too, and the branch is writable again after. */
    assert_int_equal(store_del(e->s, "pending/github/other", &err), 0);
    put_str(e->s, "pending/github/again", "z");
    expect_object(e->s, "pending/github/again", "z", 1);
}

static void test_move(void **state)
{
    struct env *e = *state;
    struct error err;
    const char *const after[] = {"done/github/k", "pending/github/stay"};

    put_str(e->s, "pending/github/k", "payload");
    put_str(e->s, "pending/github/stay", "s");
    assert_int_equal(store_move(e->s, "pending/github/k", "done/github/k", &err), 0);
    expect_object(e->s, "done/github/k", "payload", 7);
    expect_missing(e->s, "pending/github/k");
    expect_page(e->s, "", NULL, 10, after, 2, 0);

    assert_int_equal(store_move(e->s, "pending/github/k", "dead/github/k", &err), -1);
    assert_int_equal(err.code, HS_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "'pending/github/k'"));
    assert_int_equal(store_exists(e->s, "dead/github/k", &err), 0);

    /* Over an existing object, into a new branch, and onto itself. */
    put_str(e->s, "retry/0000000100/github/k", "old");
    assert_int_equal(store_move(e->s, "done/github/k", "retry/0000000100/github/k", &err), 0);
    expect_object(e->s, "retry/0000000100/github/k", "payload", 7);
    assert_int_equal(store_move(e->s, "pending/github/stay", "pending/github/stay", &err), 0);
    expect_object(e->s, "pending/github/stay", "s", 1);
    assert_int_equal(store_move(e->s, "pending/github/gone", "pending/github/gone", &err), -1);
    assert_int_equal(err.code, HS_ERR_NOT_FOUND);
}

/* Keys chosen so byte order differs from any per-segment or locale order. */
static const char *const ORDER_KEYS[] = {
    "a.c", "a/b", "a/c/d", "a-b", "a0", "b", "A", "Z/z", "_x", "a%20z", "a/b.c", "a/b-", "a/ba",
    "a/c.d", "a/c/d.e", "a/c/d0", "aa/a", "z",
};
#define N_ORDER (sizeof(ORDER_KEYS) / sizeof(ORDER_KEYS[0]))

static void sorted_order_keys(const char **sorted)
{
    memcpy(sorted, ORDER_KEYS, sizeof(ORDER_KEYS));
    qsort(sorted, N_ORDER, sizeof(*sorted), compare_strings);
}

static void put_order_keys(struct store *s)
{
    size_t i;

    for (i = 0; i < N_ORDER; i++)
        put_str(s, ORDER_KEYS[i], ORDER_KEYS[i]);
}

static void test_list_order(void **state)
{
    struct env *e = *state;
    const char *sorted[N_ORDER];
    size_t i;
    size_t dot = N_ORDER;
    size_t slash = N_ORDER;

    put_order_keys(e->s);
    sorted_order_keys(sorted);
    for (i = 0; i < N_ORDER; i++) {
        if (strcmp(sorted[i], "a.c") == 0)
            dot = i;
        if (strcmp(sorted[i], "a/b") == 0)
            slash = i;
    }
    assert_true(dot < slash); /* the point of the case: '.' (0x2e) < '/' (0x2f) */
    expect_page(e->s, "", NULL, 100, sorted, N_ORDER, 0);
    expect_page(e->s, "", NULL, N_ORDER, sorted, N_ORDER, 0);
    expect_page(e->s, "", NULL, N_ORDER - 1, sorted, N_ORDER - 1, 1);
}

/* The reference: keys of sorted with prefix, after start_after, at most max. */
static size_t reference(const char *const *sorted, size_t n, const char *prefix,
                        const char *after, size_t max, const char **out, int *truncated)
{
    size_t i;
    size_t k = 0;

    *truncated = 0;
    for (i = 0; i < n; i++) {
        if (strncmp(sorted[i], prefix, strlen(prefix)) != 0)
            continue;
        if (after != NULL && strcmp(sorted[i], after) <= 0)
            continue;
        if (k == max) {
            *truncated = 1;
            break;
        }
        out[k++] = sorted[i];
    }
    return k;
}

static void test_list_prefix_after(void **state)
{
    struct env *e = *state;
    const char *sorted[N_ORDER];
    const char *want[N_ORDER];
    static const char *const prefixes[] = {"", "a", "a/", "a/c", "a/c/", "a/c/d", "aa/", "q", "Z/"};
    /* Every key, plus positions between keys and before and after all of them. */
    static const char *const extra_after[] = {NULL, "", "0", "a", "a/", "a/c", "a/c/", "a/b/zz",
                                              "a/c/d/", "zz", "a%", "_"};
    static const size_t maxes[] = {1, 2, 5, 1000};
    size_t p;
    size_t a;
    size_t m;

    put_order_keys(e->s);
    sorted_order_keys(sorted);
    for (p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
        for (a = 0; a < N_ORDER + sizeof(extra_after) / sizeof(extra_after[0]); a++) {
            const char *after = a < N_ORDER ? ORDER_KEYS[a] : extra_after[a - N_ORDER];

            for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
                int truncated;
                size_t n = reference(sorted, N_ORDER, prefixes[p],
                                     after != NULL && after[0] != '\0' ? after : NULL, maxes[m],
                                     want, &truncated);

                expect_page(e->s, prefixes[p], after, maxes[m], want, n, truncated);
            }
        }
    }
}

#define MANY 1100
#define PUT_THREADS 8

struct put_job {
    struct store *s;
    int from;
    int to;
    int failed;
    char msg[ERROR_MSG_MAX];
};

static void many_key(int i, char out[64])
{
    /* Spread over directories so the fs walk crosses branches while paging. */
    snprintf(out, 64, "retry/%010d/src/k%04d", 1000 + i / 100, i);
}

static void *put_range(void *arg)
{
    struct put_job *job = arg;
    struct error err;
    char key[64];
    int i;

    for (i = job->from; i < job->to && !job->failed; i++) {
        many_key(i, key);
        if (store_put(job->s, key, key, strlen(key), &err) != 0) {
            job->failed = 1;
            snprintf(job->msg, sizeof(job->msg), "%s", err.msg);
        }
    }
    return NULL;
}

static void put_many(struct store *s)
{
    pthread_t threads[PUT_THREADS];
    struct put_job jobs[PUT_THREADS];
    int t;

    for (t = 0; t < PUT_THREADS; t++) {
        memset(&jobs[t], 0, sizeof(jobs[t]));
        jobs[t].s = s;
        jobs[t].from = MANY * t / PUT_THREADS;
        jobs[t].to = MANY * (t + 1) / PUT_THREADS;
        assert_int_equal(pthread_create(&threads[t], NULL, put_range, &jobs[t]), 0);
    }
    for (t = 0; t < PUT_THREADS; t++)
        pthread_join(threads[t], NULL);
    for (t = 0; t < PUT_THREADS; t++)
        if (jobs[t].failed)
            fail_msg("put: %s", jobs[t].msg);
}

/* Pages through everything with max keys a page; every key once, in order. */
static void page_through(struct store *s, size_t max)
{
    struct store_page page;
    struct error err;
    char last[128] = "";
    char key[64];
    int seen = 0;
    int pages = 0;
    size_t i;

    for (;;) {
        if (store_list(s, "retry/", last, max, &page, &err) != 0)
            fail_msg("list after '%s': %s", last, err.msg);
        pages++;
        for (i = 0; i < page.n; i++) {
            assert_true(seen < MANY);
            many_key(seen, key);
            assert_string_equal(page.keys[i], key);
            seen++;
        }
        if (page.n > 0)
            snprintf(last, sizeof(last), "%s", page.keys[page.n - 1]);
        if (!page.truncated) {
            store_page_free(&page);
            break;
        }
        assert_int_equal(page.n, max);
        store_page_free(&page);
    }
    assert_int_equal(seen, MANY);
    assert_int_equal(pages, (MANY + max - 1) / max);
}

static void test_list_pagination(void **state)
{
    struct env *e = *state;
    struct store_page page;
    struct error err;

    put_many(e->s);
    page_through(e->s, 1000);
    page_through(e->s, 77);
    page_through(e->s, MANY); /* more than one S3 request inside one call */
    assert_int_equal(store_list(e->s, "retry/", NULL, MANY - 1, &page, &err), 0);
    assert_int_equal(page.n, MANY - 1);
    assert_true(page.truncated);
    store_page_free(&page);
}

static void test_key_charset(void **state)
{
    struct env *e = *state;
    static const char *const keys[] = {
        "k/ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "k/abcdefghijklmnopqrstuvwxyz",
        "k/0123456789",
        "k/a._%-b",
        "k/%00%FF%2F%25%2E",
        "k/%2E.%2E",
        "k/sha256-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "k/%",
        "k/a%2",
        "k/trailing.",
        "k/-_",
    };
    const size_t n = sizeof(keys) / sizeof(keys[0]);
    const char *sorted[sizeof(keys) / sizeof(keys[0])];
    struct error err;
    size_t i;

    for (i = 0; i < n; i++)
        put_str(e->s, keys[i], keys[i]);
    for (i = 0; i < n; i++)
        expect_object(e->s, keys[i], keys[i], strlen(keys[i]));
    memcpy(sorted, keys, sizeof(keys));
    qsort(sorted, n, sizeof(*sorted), compare_strings);
    expect_page(e->s, "k/", NULL, 100, sorted, n, 0);
    expect_page(e->s, "k/%", NULL, 100, sorted, 3, 0);
    /* A move copies on S3, whose copy source header is decoded by the server. */
    assert_int_equal(store_move(e->s, "k/%00%FF%2F%25%2E", "m/%25%2F", &err), 0);
    expect_object(e->s, "m/%25%2F", "k/%00%FF%2F%25%2E", strlen("k/%00%FF%2F%25%2E"));
    expect_missing(e->s, "k/%00%FF%2F%25%2E");
    /* '%' is a byte like any other: "k/%" and "k/%25" are different keys. */
    expect_missing(e->s, "k/%25");
}

static void test_big_object(void **state)
{
    struct env *e = *state;
    size_t len = 1024 * 1024;
    unsigned char *data = malloc(len);
    struct buf b;
    struct error err;
    size_t i;
    uint32_t x = 2463534242u;

    assert_non_null(data);
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    data[0] = 0;
    data[1] = 0xff;
    data[len / 2] = 0;
    data[len - 1] = 0x80;
    put_ok(e->s, "pending/github/big", data, len);
    buf_init(&b, len);
    if (store_get(e->s, "pending/github/big", &b, &err) != 0)
        fail_msg("get: %s", err.msg);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, data, len);
    buf_free(&b);
    free(data);
}

static void test_too_large(void **state)
{
    struct env *e = *state;
    char data[100];
    struct buf b;
    struct error err;

    memset(data, 'x', sizeof(data));
    put_ok(e->s, "pending/github/k", data, sizeof(data));
    buf_init(&b, sizeof(data) - 1);
    assert_int_equal(store_get(e->s, "pending/github/k", &b, &err), -1);
    assert_int_equal(err.code, HS_ERR_TOO_LARGE);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    buf_init(&b, sizeof(data));
    assert_int_equal(store_get(e->s, "pending/github/k", &b, &err), 0);
    assert_int_equal(b.len, sizeof(data));
    buf_free(&b);
}

static void test_bad_keys(void **state)
{
    struct env *e = *state;
    static const char *const bad[] = {
        "", "../x", "a/../b", "a//b", "/a", "a/", "a/./b", ".", "..", "a b", "a\tb", "a\nb",
        "a\x7f", "a\x01", "a\xc3\xa9", ".tmp.1.2", "a/.hidden", "a+b", "a:b", "a?b", "a#b", "a\\b",
    };
    char long_key[2048];
    struct store_page page;
    struct buf b;
    struct error err;
    size_t i;

    buf_init(&b, 100);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = HS_OK;
        assert_int_equal(store_put(e->s, bad[i], "x", 1, &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
        assert_int_equal(store_get(e->s, bad[i], &b, &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
        assert_int_equal(store_exists(e->s, bad[i], &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
        assert_int_equal(store_del(e->s, bad[i], &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
        assert_int_equal(store_move(e->s, "ok/key", bad[i], &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
        assert_int_equal(store_move(e->s, bad[i], "ok/key", &err), -1);
        assert_int_equal(err.code, HS_ERR_INPUT);
    }
    memset(long_key, 'a', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    assert_int_equal(store_put(e->s, long_key, "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_int_equal(store_list(e->s, "../", NULL, 10, &page, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_int_equal(store_list(e->s, "a//", NULL, 10, &page, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_int_equal(store_list(e->s, "a", "a b", 10, &page, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_int_equal(store_list(e->s, "a", NULL, 0, &page, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    buf_free(&b);
    /* Nothing was written by any of it. */
    expect_page(e->s, "", NULL, 10, NULL, 0, 0);
}

/* Several threads on one handle, on keys that share directories. */
struct churn_job {
    struct store *s;
    int id;
    int rounds;
    int failed;
    char msg[ERROR_MSG_MAX];
};

static void *churn(void *arg)
{
    struct churn_job *job = arg;
    struct error err;
    char a[64];
    char b[64];
    struct buf got;
    int i;

    buf_init(&got, 1024);
    for (i = 0; i < job->rounds && !job->failed; i++) {
        snprintf(a, sizeof(a), "pending/src/t%d-%d", job->id, i);
        snprintf(b, sizeof(b), "done/src/t%d-%d", job->id, i);
        if (store_put(job->s, a, a, strlen(a), &err) != 0 ||
            store_move(job->s, a, b, &err) != 0 || store_get(job->s, b, &got, &err) != 0 ||
            store_del(job->s, b, &err) != 0) {
            job->failed = 1;
            snprintf(job->msg, sizeof(job->msg), "%s", err.msg);
        } else if (got.len != strlen(a) || memcmp(got.data, a, got.len) != 0) {
            job->failed = 1;
            snprintf(job->msg, sizeof(job->msg), "'%s' came back wrong", b);
        }
    }
    buf_free(&got);
    return NULL;
}

static void test_threads(void **state)
{
    struct env *e = *state;
    pthread_t threads[PUT_THREADS];
    struct churn_job jobs[PUT_THREADS];
    int t;

    for (t = 0; t < PUT_THREADS; t++) {
        memset(&jobs[t], 0, sizeof(jobs[t]));
        jobs[t].s = e->s;
        jobs[t].id = t;
        jobs[t].rounds = e->t->s3 ? 30 : 300;
        assert_int_equal(pthread_create(&threads[t], NULL, churn, &jobs[t]), 0);
    }
    for (t = 0; t < PUT_THREADS; t++)
        pthread_join(threads[t], NULL);
    for (t = 0; t < PUT_THREADS; t++)
        if (jobs[t].failed)
            fail_msg("thread %d: %s", t, jobs[t].msg);
    expect_page(e->s, "", NULL, 10, NULL, 0, 0);
}

/* fs: the temporary files of puts never show, not even one a crash left behind. */
static void test_fs_no_temp_files(void **state)
{
    struct env *e = *state;
    const char *const want[] = {"pending/github/a", "pending/github/b"};
    char path[512];
    struct stat st;
    FILE *f;
    int i;

    for (i = 0; i < 20; i++) {
        put_str(e->s, "pending/github/a", "a");
        put_str(e->s, "pending/github/b", "b");
    }
    expect_page(e->s, "", NULL, 10, want, 2, 0);
    /* A spooled webhook is not for other users to read. */
    snprintf(path, sizeof(path), "%s/root/pending/github/a", e->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0007, 0);
    snprintf(path, sizeof(path), "%s/root/pending/github/.tmp.1.1", e->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("half a webhook", f);
    fclose(f);
    expect_page(e->s, "", NULL, 10, want, 2, 0);
    expect_page(e->s, "pending/github/", "pending/github/a", 10, want + 1, 1, 0);
}

/* The mode of path (under the store's root) without the file type bits. */
static mode_t mode_of(const struct env *e, const char *path)
{
    char full[512];
    struct stat st;

    snprintf(full, sizeof(full), "%s/root%s%s", e->dir, path[0] != '\0' ? "/" : "", path);
    if (stat(full, &st) != 0)
        fail_msg("stat %s failed", full);
    return st.st_mode & 07777;
}

/* fs: files 0660 and directories 2770 whatever the umask, so one group can share a spool. */
static void test_fs_modes_ignore_umask(void **state)
{
    static const mode_t umasks[] = {077, 0};
    struct env *e = *state;
    struct error err;

    for (size_t i = 0; i < sizeof(umasks) / sizeof(umasks[0]); i++) {
        mode_t saved = umask(umasks[i]);

        put_str(e->s, "pending/github/a", "a");
        assert_int_equal(store_move(e->s, "pending/github/a", "retry/0000000001/github/a", &err),
                         0);
        put_str(e->s, "pending/github/b", "b");
        umask(saved);
        assert_int_equal(mode_of(e, "pending/github/b"), 0660);
        assert_int_equal(mode_of(e, "retry/0000000001/github/a"), 0660);
        assert_int_equal(mode_of(e, "pending/github"), 02770);
        assert_int_equal(mode_of(e, "pending"), 02770);
        assert_int_equal(mode_of(e, "retry/0000000001/github"), 02770);
        assert_int_equal(mode_of(e, "retry/0000000001"), 02770);
        assert_int_equal(mode_of(e, "retry"), 02770);
        assert_int_equal(mode_of(e, ""), 02770);
        assert_int_equal(store_del(e->s, "pending/github/b", &err), 0);
        assert_int_equal(store_del(e->s, "retry/0000000001/github/a", &err), 0);
    }
}

/* fs: the root the store makes gets the spool's mode too, whatever the umask. */
static void test_fs_root_mode(void **state)
{
    struct env *e = *state;
    struct error err;
    struct stat st;
    char url[600];
    char root[560];
    struct store *s;
    mode_t saved = umask(077);

    snprintf(root, sizeof(root), "%s/made/here", e->dir);
    snprintf(url, sizeof(url), "file://%s", root);
    s = open_url(url, 1000, &err);
    umask(saved);
    assert_non_null(s);
    store_close(s);
    assert_int_equal(stat(root, &st), 0);
    assert_int_equal(st.st_mode & 07777, 02770);
}

/* fs: emptied branches are removed, the root never. */
static void test_fs_prunes(void **state)
{
    struct env *e = *state;
    struct error err;
    struct stat st;
    char path[512];

    put_str(e->s, "pending/github/k", "x");
    assert_int_equal(store_move(e->s, "pending/github/k", "done/github/k", &err), 0);
    snprintf(path, sizeof(path), "%s/root/pending", e->dir);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(store_del(e->s, "done/github/k", &err), 0);
    snprintf(path, sizeof(path), "%s/root/done", e->dir);
    assert_int_equal(stat(path, &st), -1);
    snprintf(path, sizeof(path), "%s/root", e->dir);
    assert_int_equal(stat(path, &st), 0);
}

/* fs: empty directories (a crash between a del and its pruning) never shorten a page. */
static void test_fs_empty_dirs(void **state)
{
    struct env *e = *state;
    const char *const want[] = {"e/b0", "e/b1", "e/b2", "e/b3"};
    char path[512];
    int i;

    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "e/b%d", i);
        put_str(e->s, path, "x");
    }
    for (i = 0; i < 10; i++) {
        snprintf(path, sizeof(path), "%s/root/e/a%d", e->dir, i);
        assert_int_equal(mkdir(path, 0777), 0);
    }
    expect_page(e->s, "e/", NULL, 3, want, 3, 1);
    expect_page(e->s, "", NULL, 1, want, 1, 1);
    expect_page(e->s, "", "e/a5/", 10, want, 4, 0);
    expect_page(e->s, "", "e/b2", 10, want + 3, 1, 0);
}

static void test_open_errors(void **state)
{
    static const char *const bad[] = {
        "ftp://x/y",
        "file://relative/dir",
        "s3://bucket?endpoint=127.0.0.1:1&tls=2",
        "s3://bucket?endpoint=127.0.0.1:1&speed=fast",
        "s3://bucket?endpoint=127.0.0.1:1&endpoint=127.0.0.1:2",
        "s3://bucket?endpoint=127.0.0.1",
        "s3://bucket/a//b?endpoint=127.0.0.1:1",
        "s3://bucket//?endpoint=127.0.0.1:1",
        "s3://bad%bucket?endpoint=127.0.0.1:1",
        "s3://?endpoint=127.0.0.1:1",
        "s3://bucket?region=",
        "s3://bucket?region=EU%20West",
        "s3://bucket?sig=v3",
        "s3://bucket?style=dns",
        "s3://bucket?ca_file=relative.pem",
        "s3://bucket?sig=v2",                                   /* V2 is not for AWS */
        "s3://bucket?endpoint=127.0.0.1:1&sig=v2&ca_file=/ca.pem", /* libs3 cannot */
        "s3://my.bucket?region=eu-west-1",                      /* outside *.s3 certificates */
    };
    struct store_config cfg;
    char url[64] = "s3://bucket?endpoint=127.0.0.1:1";
    char token[] = "token";
    struct error err;
    struct store *s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = HS_OK;
        s = open_url(bad[i], 1000, &err);
        if (s != NULL)
            fail_msg("store_open accepted '%s'", bad[i]);
        assert_int_equal(err.code, HS_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "store.url: "));
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.timeout_ms = 1000;
    assert_null(store_open(&cfg, &err));
    assert_int_equal(err.code, HS_ERR_CONFIG);
    /* libs3 2.0 cannot send a session token: refused, not dropped. */
    snprintf(url, sizeof(url), "s3://bucket?endpoint=127.0.0.1:1&sig=v2");
    cfg.access_key = token;
    cfg.secret_key = token;
    cfg.session_token = token;
    assert_null(store_open(&cfg, &err));
    assert_int_equal(err.code, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "session_token"));
}

/* Without endpoint= the store is AWS: virtual-hosted in the region, over TLS. */
static void test_aws_urls(void **state)
{
    static const struct {
        const char *url;
        const char *describe;
    } cases[] = {
        {"s3://spool", "s3://spool@spool.s3.us-east-1.amazonaws.com"},
        {"s3://spool/hooks?region=eu-central-1",
         "s3://spool/hooks@spool.s3.eu-central-1.amazonaws.com"},
        {"s3://spool?region=eu-west-1&style=path", "s3://spool@s3.eu-west-1.amazonaws.com"},
        {"s3://my.spool?region=eu-west-1&style=path", "s3://my.spool@s3.eu-west-1.amazonaws.com"},
        {"s3://spool/p/?endpoint=minio:9000", "s3://spool/p@minio:9000"},
        {"s3://spool?endpoint=minio:9000&style=virtual&region=garage", "s3://spool@minio:9000"},
        {"s3://spool?endpoint=rgw:7480&sig=v2&tls=1", "s3://spool@rgw:7480"},
    };
    struct error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store *s = open_url(cases[i].url, 1000, &err);

        if (s == NULL)
            fail_msg("store_open '%s': %s", cases[i].url, err.msg);
        assert_string_equal(store_describe(s), cases[i].describe);
        store_close(s);
    }
}

static void test_s3_describe(void **state)
{
    struct env *e = *state;
    char want[512];

    snprintf(want, sizeof(want), "s3://%s/%s@%s", getenv(e->t->bucket_env), e->prefix,
             getenv(e->t->endpoint_env));
    assert_string_equal(store_describe(e->s), want);
    assert_null(strstr(store_describe(e->s), getenv(e->t->secret_env)));
}

/* What the store wrote, read back with mc. */
static void test_s3_independent_read(void **state)
{
    struct env *e = *state;
    static const unsigned char body[] = {'{', 0, 0xff, 0x80, '\n', 'x', 0xc3, 0xa9, 0};
    const char *bucket = need_env(e->t->bucket_env);
    char cmd[1024];
    unsigned char got[64];
    size_t n;
    FILE *p;
    struct error err;

    put_ok(e->s, "pending/github/a%2Fb", body, sizeof(body));
    assert_int_equal(store_move(e->s, "pending/github/a%2Fb", "done/github/a%2Fb", &err), 0);
    snprintf(cmd, sizeof(cmd), "'%s' --quiet cat '%s/%s/%s/done/github/a%%2Fb'", need_env("HS_MC"),
             e->t->mc_alias, bucket, e->prefix);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(got, 1, sizeof(got), p);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, sizeof(body));
    assert_memory_equal(got, body, sizeof(body));
    snprintf(cmd, sizeof(cmd), "'%s' --quiet stat '%s/%s/%s/pending/github/a%%2Fb' >/dev/null 2>&1",
             need_env("HS_MC"), e->t->mc_alias, bucket, e->prefix);
    assert_int_not_equal(system(cmd), 0);
    /* And the other way: what mc wrote under a key with '%', the store reads. */
    snprintf(cmd, sizeof(cmd),
             "printf 'from mc' | '%s' --quiet pipe '%s/%s/%s/k/x%%25y' >/dev/null",
             need_env("HS_MC"), e->t->mc_alias, bucket, e->prefix);
    assert_int_equal(system(cmd), 0);
    expect_object(e->s, "k/x%25y", "from mc", 7);
    expect_missing(e->s, "k/x%y");
}

static void test_s3_bad_credentials(void **state)
{
    struct env *e = *state;
    struct buf b;
    struct error err;
    struct store *s;

    put_str(e->s, "k", "x");
    s = open_as(e->t, e->url, 3000, "not-the-secret-key", &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "k", "y", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# %s\n", err.msg);
    assert_non_null(strstr(err.msg, "access denied ("));
    buf_init(&b, 100);
    assert_int_equal(store_get(s, "k", &b, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    buf_free(&b);
    store_close(s);
    expect_object(e->s, "k", "x", 1);
}

static void test_s3_no_such_bucket(void **state)
{
    struct env *e = *state;
    struct error err;
    char url[512];
    struct store *s;
    struct buf b;

    s3_url(e->t, "no-such-bucket-here", "", url, sizeof(url));
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "k", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    assert_non_null(strstr(err.msg, "no such bucket 'no-such-bucket-here'"));
    buf_init(&b, 10);
    assert_int_equal(store_get(s, "k", &b, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    buf_free(&b);
    store_close(s);
}

/* Opens e's URL with the given identity; token NULL: none. */
static struct store *open_identity(const struct env *e, const char *access_key,
                                   const char *secret_key, const char *token,
                                   struct error *err)
{
    struct store_config cfg;
    char url[1024];
    char ak[256];
    char sk[256];
    char tok[2048];

    snprintf(url, sizeof(url), "%s", e->url);
    snprintf(ak, sizeof(ak), "%s", access_key);
    snprintf(sk, sizeof(sk), "%s", secret_key);
    snprintf(tok, sizeof(tok), "%s", token != NULL ? token : "");
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.access_key = ak;
    cfg.secret_key = sk;
    cfg.session_token = token != NULL ? tok : NULL;
    cfg.timeout_ms = 3000;
    return store_open(&cfg, err);
}

/*
 * Temporary credentials (MinIO's STS AssumeRole, as tests/minio.sh got them) work
 * with their session token, and are refused without it or with another: the token
 * is sent, and signed.
 */
static void test_s3_session_token(void **state)
{
    struct env *e = *state;
    const char *ak = need_env("HS_STS_ACCESS_KEY");
    const char *sk = need_env("HS_STS_SECRET_KEY");
    const char *token = need_env("HS_STS_SESSION_TOKEN");
    struct error err;
    struct store *s;

    s = open_identity(e, ak, sk, token, &err);
    assert_non_null(s);
    put_str(s, "pending/github/k", "with a session token");
    expect_object(s, "pending/github/k", "with a session token", 20);
    expect_object(e->s, "pending/github/k", "with a session token", 20);
    store_close(s);

    s = open_identity(e, ak, sk, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k2", "y", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# without the token: %s\n", err.msg);
    store_close(s);

    s = open_identity(e, getenv(e->t->access_env), getenv(e->t->secret_env),
                      "not-a-session-token", &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k2", "y", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# a token never issued: %s\n", err.msg);
    store_close(s);
    expect_missing(e->s, "pending/github/k2");
}

/*
 * tls=1 (the default) verifies the server's certificate: versitygw's HTTPS gateway,
 * on the same directory, has one from a private CA, refused until ca_file names it.
 */
static void test_s3_tls(void **state)
{
    struct env *e = *state;
    const char *base = need_env(e->t->bucket_env);
    const char *endpoint = need_env("HS_VGW_TLS_ENDPOINT");
    const char *region = need_env(e->t->region_env);
    struct error err;
    char url[1024];
    struct store *s;

    snprintf(url, sizeof(url), "s3://%s/%s?endpoint=%s&region=%s", base, e->prefix, endpoint,
             region);
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# %s\n", err.msg);
    assert_non_null(strstr(err.msg, "TLS certificate not accepted"));
    store_close(s);

    snprintf(url, sizeof(url), "s3://%s/%s?endpoint=%s&region=%s&ca_file=/nonexistent/ca.pem",
             base, e->prefix, endpoint, region);
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# %s\n", err.msg);
    store_close(s);
    expect_missing(e->s, "pending/github/k");

    snprintf(url, sizeof(url), "s3://%s/%s?endpoint=%s&region=%s&ca_file=%s", base, e->prefix,
             endpoint, region, need_env("HS_VGW_CA_FILE"));
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    put_str(s, "pending/github/k", "over TLS");
    expect_object(s, "pending/github/k", "over TLS", 8);
    store_close(s);
    /* The same object, through the plain gateway. */
    expect_object(e->s, "pending/github/k", "over TLS", 8);
}

/* versitygw runs in HS_VGW_REGION: a store signing for another is told which one. */
static void test_s3_wrong_region(void **state)
{
    struct env *e = *state;
    const char *region = need_env(e->t->region_env);
    struct error err;
    char url[1024];
    char want[256];
    struct store *s;

    assert_string_not_equal(region, "us-east-1");
    snprintf(url, sizeof(url), "s3://%s/%s?endpoint=%s&tls=0", need_env(e->t->bucket_env),
             e->prefix, need_env(e->t->endpoint_env));
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    print_message("# %s\n", err.msg);
    snprintf(want, sizeof(want), "expecting \"%s\"", region);
    assert_non_null(strstr(err.msg, "unable to write 'pending/github/k': refused "
                                    "(AuthorizationHeaderMalformed: "));
    assert_non_null(strstr(err.msg, "us-east-1"));
    assert_non_null(strstr(err.msg, want));
    store_close(s);
    /* And V2, which versitygw (like AWS) does not take at all. */
    snprintf(url, sizeof(url), "s3://%s/%s?endpoint=%s&tls=0&sig=v2", need_env(e->t->bucket_env),
             e->prefix, need_env(e->t->endpoint_env));
    s = open_as(e->t, url, 3000, NULL, &err);
    assert_non_null(s);
    assert_int_equal(store_put(s, "pending/github/k", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_PERMANENT);
    store_close(s);
    expect_missing(e->s, "pending/github/k");
}

static void test_s3_timeout(void **state)
{
    struct env *e = *state;
    struct store_page page;
    struct error err;
    struct store *s;
    struct buf b;
    char url[256];
    char want[256];
    int64_t start;
    int64_t took;
    int port;
    int fd = loopback_listen(16, &port); /* never accepted: answers never come */

    snprintf(url, sizeof(url), "s3://bucket/p?endpoint=127.0.0.1:%d&tls=0%s", port, e->t->sig);
    s = open_url(url, 300, &err);
    assert_non_null(s);

    start = clock_mono_ms();
    assert_int_equal(store_put(s, "pending/github/abc", "x", 1, &err), -1);
    took = clock_mono_ms() - start;
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    snprintf(want, sizeof(want),
             "unable to write 'pending/github/abc': timed out after 300 ms (127.0.0.1:%d)", port);
    assert_string_equal(err.msg, want);
    assert_true(took >= 290 && took < 1000);

    buf_init(&b, 100);
    start = clock_mono_ms();
    assert_int_equal(store_get(s, "pending/github/abc", &b, &err), -1);
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    assert_true(clock_mono_ms() - start < 1000);
    buf_free(&b);

    start = clock_mono_ms();
    assert_int_equal(store_list(s, "", NULL, 5000, &page, &err), -1);
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    assert_true(clock_mono_ms() - start < 1000);

    start = clock_mono_ms();
    assert_int_equal(store_move(s, "a", "b", &err), -1);
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    assert_true(clock_mono_ms() - start < 1000);
    store_close(s);
    close(fd);
}

static void test_s3_refused(void **state)
{
    struct env *e = *state;
    struct error err;
    struct store *s;
    char url[256];
    char where[64];
    int64_t start;
    int port;
    int fd = loopback_listen(16, &port);

    close(fd); /* nothing listens there now */
    snprintf(url, sizeof(url), "s3://bucket?endpoint=127.0.0.1:%d&tls=0%s", port, e->t->sig);
    s = open_url(url, 3000, &err);
    assert_non_null(s);
    start = clock_mono_ms();
    assert_int_equal(store_put(s, "pending/github/abc", "x", 1, &err), -1);
    assert_int_equal(err.code, HS_ERR_TRANSIENT);
    assert_true(clock_mono_ms() - start < 1000);
    snprintf(where, sizeof(where), "(127.0.0.1:%d)", port);
    assert_non_null(strstr(err.msg, "unable to write 'pending/github/abc': connection refused"));
    assert_non_null(strstr(err.msg, where));
    store_close(s);
}

/*
 * A process with more than FD_SETSIZE descriptors open (a drain with many
 * connections, a handler under load): the store's sockets are numbered past what
 * select() can watch, and every call must still work, at its usual speed.
 */
static void test_s3_high_fds(void **state)
{
    struct env *e = *state;
    int fds[FD_SETSIZE + 64];
    struct buf b;
    struct error err;
    int64_t start;
    int64_t took;
    int n = 0;
    int i;

    while (n < (int)(sizeof(fds) / sizeof(fds[0]))) {
        fds[n] = open("/dev/null", O_RDONLY);
        assert_true(fds[n] >= 0);
        n++;
    }
    assert_true(fds[n - 1] > FD_SETSIZE);
    /* New connections get descriptors past FD_SETSIZE: the old one is dropped first. */
    store_close(e->s);
    e->s = open_as(e->t, e->url, 5000, NULL, &err);
    assert_non_null(e->s);
    buf_init(&b, 1024);
    start = clock_mono_ms();
    for (i = 0; i < 20; i++) {
        put_str(e->s, "pending/github/high", "fd");
        if (store_get(e->s, "pending/github/high", &b, &err) != 0)
            fail_msg("get: %s", err.msg);
        assert_int_equal(b.len, 2);
    }
    took = clock_mono_ms() - start;
    print_message("# 20 puts and gets past FD_SETSIZE: %lld ms\n", (long long)took);
    /* On loopback a call takes a millisecond or two; waiting in 10 ms steps, as a
     * loop that cannot see its socket does, takes several times longer. */
    assert_true(took < 400);
    buf_free(&b);
    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* A one-request S3 peer: takes one connection, keeps the request's head, reads the body
 * its Content-Length announces and answers 200 (with no 100 Continue, ever). */
struct put_peer {
    int fd;
    char head[8192];
    size_t body_read;
};

static void *put_peer_run(void *arg)
{
    struct put_peer *p = arg;
    static const char ok[] = "HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n";
    char buf[65536];
    size_t have = 0;
    size_t want = 0;
    const char *end = NULL;
    const char *cl;
    int c = accept(p->fd, NULL, NULL);

    if (c < 0)
        return NULL;
    while (end == NULL && have < sizeof(p->head) - 1) {
        ssize_t got = recv(c, p->head + have, sizeof(p->head) - 1 - have, 0);

        if (got <= 0)
            goto out;
        have += (size_t)got;
        p->head[have] = '\0';
        end = strstr(p->head, "\r\n\r\n");
    }
    if (end == NULL)
        goto out;
    p->body_read = have - (size_t)(end + 4 - p->head);
    cl = strcasestr(p->head, "\r\nContent-Length:");
    if (cl != NULL)
        want = strtoul(cl + strlen("\r\nContent-Length:"), NULL, 10);
    while (p->body_read < want) {
        ssize_t got = recv(c, buf, sizeof(buf), 0);

        if (got <= 0)
            goto out;
        p->body_read += (size_t)got;
    }
    if (send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL) < 0)
        goto out;
out:
    close(c);
    return NULL;
}

/*
 * A put never sends "Expect: 100-continue", whatever its size: against a remote
 * store that is one round trip more before every 202 (libcurl adds it to uploads
 * over its threshold unless told not to). The peer never answers 100, so a put that
 * waited for it would also take libcurl's second of patience. Signature V4 only:
 * libs3 2.0 (sig=v2) keeps libcurl's Expect, and fails a put whose body libcurl sends
 * before any answer (CURLE_WRITE_ERROR, "ConnectionFailed"), so V2 cannot drop it.
 */
static void test_s3_no_expect(void **state)
{
    struct env *e = *state;
    static const size_t sizes[] = {2048, 2 * 1024 * 1024};
    struct error err;
    char url[256];

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct put_peer peer = {-1, "", 0};
        pthread_t thread;
        struct store *s;
        char *body = malloc(sizes[i]);
        int64_t start;
        int64_t took;
        int port;
        int rc;

        assert_non_null(body);
        memset(body, 'x', sizes[i]);
        peer.fd = loopback_listen(4, &port);
        assert_true(peer.fd >= 0);
        assert_int_equal(pthread_create(&thread, NULL, put_peer_run, &peer), 0);
        snprintf(url, sizeof(url), "s3://bucket/p?endpoint=127.0.0.1:%d&tls=0%s", port,
                 e->t->sig);
        s = open_url(url, 5000, &err);
        assert_non_null(s);
        start = clock_mono_ms();
        rc = store_put(s, "pending/github/big", body, sizes[i], &err);
        took = clock_mono_ms() - start;
        store_close(s);
        pthread_join(thread, NULL);
        close(peer.fd);
        free(body);
        if (rc != 0)
            fail_msg("put of %zu bytes: %s; the peer got:\n%s", sizes[i], err.msg, peer.head);
        assert_true(took < 900);
        assert_non_null(strstr(peer.head, "PUT /"));
        if (strcasestr(peer.head, "\r\nExpect:") != NULL)
            fail_msg("put of %zu bytes sent Expect:\n%s", sizes[i], peer.head);
        assert_int_equal(peer.body_read, sizes[i]);
    }
}

/* A scripted S3 peer for listings: answers the requests in order from a script, one
 * connection each, and keeps each request line. */
#define LIST_PEER_REQUESTS 4
struct list_peer {
    int fd;
    const char *const *answers;
    int n_answers;
    char lines[LIST_PEER_REQUESTS][512];
    int served;
};

static void *list_peer_run(void *arg)
{
    struct list_peer *p = arg;

    while (p->served < p->n_answers) {
        char head[4096];
        size_t have = 0;
        int c = accept(p->fd, NULL, NULL);

        if (c < 0)
            return NULL;
        head[0] = '\0';
        while (strstr(head, "\r\n\r\n") == NULL && have < sizeof(head) - 1) {
            ssize_t got = recv(c, head + have, sizeof(head) - 1 - have, 0);

            if (got <= 0)
                break;
            have += (size_t)got;
            head[have] = '\0';
        }
        snprintf(p->lines[p->served], sizeof(p->lines[0]), "%.*s", (int)strcspn(head, "\r"),
                 head);
        (void)send(c, p->answers[p->served], strlen(p->answers[p->served]), MSG_NOSIGNAL);
        p->served++;
        close(c);
    }
    return NULL;
}

#define LIST_XML(body)                                                                     \
    "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\nContent-Length: " \
    "%zu\r\n\r\n" body

/*
 * A walk goes on from one page to the next with the server's continuation token (a
 * start-after listing makes MinIO walk the prefix afresh, each page), and when the
 * server no longer takes the token, with start-after from the last key it had.
 */
static void test_s3_list_resumes_with_token(void **state)
{
    static const char page1[] =
        "<ListBucketResult><IsTruncated>true</IsTruncated>"
        "<Contents><Key>p/k/a</Key></Contents><Contents><Key>p/k/b</Key></Contents>"
        "<Contents><Key>p/k/c</Key></Contents>"
        "<NextContinuationToken>T1</NextContinuationToken></ListBucketResult>";
    static const char refused[] = "<Error><Code>InvalidArgument</Code><Message>The continuation "
                                  "token provided is incorrect</Message></Error>";
    static const char page2[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                "<Contents><Key>p/k/d</Key></Contents></ListBucketResult>";
    static const char empty[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                "</ListBucketResult>";
    char answers[LIST_PEER_REQUESTS][1024];
    const char *script[LIST_PEER_REQUESTS];
    struct list_peer peer;
    struct store_page page;
    struct error err;
    pthread_t thread;
    struct store *s;
    char url[128];
    int port;

    (void)state;
    snprintf(answers[0], sizeof(answers[0]), LIST_XML("%s"), strlen(page1), page1);
    snprintf(answers[1], sizeof(answers[1]),
             "HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nConnection: close\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(refused), refused);
    snprintf(answers[2], sizeof(answers[2]), LIST_XML("%s"), strlen(page2), page2);
    snprintf(answers[3], sizeof(answers[3]), LIST_XML("%s"), strlen(empty), empty);
    for (int i = 0; i < LIST_PEER_REQUESTS; i++)
        script[i] = answers[i];
    memset(&peer, 0, sizeof(peer));
    peer.answers = script;
    peer.n_answers = LIST_PEER_REQUESTS;
    peer.fd = loopback_listen(4, &port);
    assert_true(peer.fd >= 0);
    assert_int_equal(pthread_create(&thread, NULL, list_peer_run, &peer), 0);
    snprintf(url, sizeof(url), "s3://bucket/p?endpoint=127.0.0.1:%d&tls=0", port);
    s = open_url(url, 5000, &err);
    assert_non_null(s);
    assert_int_equal(store_list(s, "k/", NULL, 2, &page, &err), 0);
    assert_int_equal(page.n, 2);
    assert_true(page.truncated);
    assert_string_equal(page.keys[1], "k/b");
    store_page_free(&page);
    if (store_list(s, "k/", "k/b", 2, &page, &err) != 0)
        fail_msg("second page: %s", err.msg);
    assert_int_equal(page.n, 2);
    assert_false(page.truncated);
    assert_string_equal(page.keys[0], "k/c");
    assert_string_equal(page.keys[1], "k/d");
    store_page_free(&page);
    store_close(s);
    pthread_join(thread, NULL);
    close(peer.fd);
    assert_int_equal(peer.served, LIST_PEER_REQUESTS);
    assert_null(strstr(peer.lines[0], "continuation-token"));
    assert_non_null(strstr(peer.lines[1], "continuation-token=T1"));
    assert_null(strstr(peer.lines[1], "start-after"));
    assert_non_null(strstr(peer.lines[2], "start-after=p%2Fk%2Fc"));
}

/* Every case once per S3 target, and once more on fs where it is not S3's alone. */
#define CASE(t, fn, what) {#t ": " what, fn, setup, teardown, (void *)&t}
#define S3(fn, what) CASE(MINIO_V4, fn, what), CASE(MINIO_V2, fn, what), CASE(VGW, fn, what)
#define ALL(fn, what) CASE(FS, fn, what), S3(fn, what)

static int group_setup(void **state)
{
    struct error err;

    (void)state;
    if (store_global_init(&err) != 0) {
        print_error("store_global_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    store_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ALL(test_put_get, "put then get round trip"),
        ALL(test_overwrite, "put over an object replaces it"),
        ALL(test_get_missing, "get of a missing key is not_found"),
        ALL(test_exists, "exists"),
        ALL(test_del, "del, and del of a missing key succeeds"),
        ALL(test_move, "move, move of a missing key is not_found"),
        ALL(test_list_order, "list in byte order, a.c before a/b"),
        ALL(test_list_prefix_after, "list by prefix, start_after and max_keys"),
        ALL(test_list_pagination, "list pages through 1100 keys once each"),
        ALL(test_key_charset, "keys of every allowed character and %XX"),
        ALL(test_big_object, "1 MiB object byte-exact"),
        ALL(test_too_large, "get over the cap is too_large"),
        ALL(test_bad_keys, "bad keys are refused as input"),
        ALL(test_threads, "threads share one handle"),
        CASE(FS, test_fs_no_temp_files, "temporary files never listed, objects not world-readable"),
        CASE(FS, test_fs_prunes, "emptied directories removed"),
        CASE(FS, test_fs_empty_dirs, "empty directories never shorten a page"),
        CASE(FS, test_fs_modes_ignore_umask, "files 0660, directories 2770, whatever the umask"),
        CASE(FS, test_fs_root_mode, "a root the store makes is 2770 too"),
        {"store_open refuses malformed URLs", test_open_errors, NULL, NULL, NULL},
        {"store URLs without endpoint= are AWS", test_aws_urls, NULL, NULL, NULL},
        S3(test_s3_describe, "describe names bucket, prefix and endpoint"),
        S3(test_s3_independent_read, "mc reads what put and move wrote, and the other way"),
        S3(test_s3_bad_credentials, "wrong secret is permanent"),
        S3(test_s3_no_such_bucket, "missing bucket is permanent"),
        CASE(MINIO_V4, test_s3_session_token, "temporary credentials work with their token"),
        CASE(VGW, test_s3_wrong_region, "wrong region or V2 refused, the message says why"),
        CASE(VGW, test_s3_tls, "tls=1 verifies certificates, ca_file trusts a private CA"),
        CASE(MINIO_V4, test_s3_timeout, "silent endpoint times out after timeout_ms"),
        CASE(MINIO_V2, test_s3_timeout, "silent endpoint times out after timeout_ms"),
        CASE(MINIO_V4, test_s3_high_fds, "sockets past FD_SETSIZE work at full speed"),
        CASE(MINIO_V2, test_s3_high_fds, "sockets past FD_SETSIZE work at full speed"),
        CASE(MINIO_V4, test_s3_refused, "refused connection is transient"),
        CASE(MINIO_V2, test_s3_refused, "refused connection is transient"),
        CASE(MINIO_V4, test_s3_no_expect, "puts never send Expect: 100-continue"),
        CASE(MINIO_V4, test_s3_list_resumes_with_token,
             "a walk goes on with the continuation token, with start-after once refused"),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
