/*
 * store: what callers see of the spool's storage (see store.h). This file owns the
 * dispatch on the URL scheme, the checks every key goes through, the move fallback
 * (copy, then delete), the logging of failures and the failure-injection hook for
 * tests; the backends (store_fs.c, store_s3v4.c, store_s3v2.c, behind store_backend.h) only
 * do the I/O. An s3:// URL is parsed here (s3_url.c), and its sig= picks the backend.
 */
#include "store.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "s3_url.h"
#include "store_backend.h"
#include "xmalloc.h"

struct store {
    const struct store_ops *ops;
    void *driver;
    char *description;
    long timeout_ms;
    atomic_long calls;     /* calls numbered so far, for store_calls and the fault hook */
    atomic_long fail_from; /* first call number to fail; -1: injection off */
    atomic_long fail_to;   /* first call number past the failing ones */
};

/*
 * A key is 1..STORE_KEY_MAX bytes of [A-Za-z0-9._%-] in '/'-separated segments, none
 * empty and none starting with '.'. That refuses "", "/a", "a/", "a//b", "." and ".."
 * (so no key can name a path outside the store), and keeps every name that starts
 * with '.' free for the fs backend's temporary files.
 */
int store_key_valid(const char *key)
{
    size_t i;
    size_t seg = 0; /* bytes in the current segment */

    for (i = 0; key[i] != '\0'; i++) {
        unsigned char c = (unsigned char)key[i];

        if (i >= STORE_KEY_MAX)
            return 0;
        if (c == '/') {
            if (seg == 0)
                return 0;
            seg = 0;
            continue;
        }
        if (seg == 0 && c == '.')
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '%' || c == '-'))
            return 0;
        seg++;
    }
    return seg != 0;
}

/* A prefix is "", a key, or a key and one '/': "pending/", "pending/gi". */
static int prefix_valid(const char *prefix)
{
    size_t len = strlen(prefix);
    char copy[STORE_KEY_MAX + 1];

    if (len == 0)
        return 1;
    if (len > STORE_KEY_MAX)
        return 0;
    memcpy(copy, prefix, len + 1);
    if (copy[len - 1] == '/')
        copy[len - 1] = '\0';
    return store_key_valid(copy);
}

/* start_after is a position, not a name: any string of key characters will do. */
static int marker_valid(const char *marker)
{
    size_t i;

    for (i = 0; marker[i] != '\0'; i++) {
        unsigned char c = (unsigned char)marker[i];

        if (i >= STORE_KEY_MAX)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '%' || c == '-' || c == '/'))
            return 0;
    }
    return 1;
}

static int check_key(const char *key, struct error *err)
{
    if (key != NULL && store_key_valid(key))
        return 0;
    /* The key is not printed: it may hold any byte, a terminal escape included. */
    error_set(err, HS_ERR_INPUT, "bad_store_key",
              "not a valid store key (1-%d bytes of [A-Za-z0-9._%%-] in '/'-separated "
              "segments, none empty or starting with '.')",
              STORE_KEY_MAX);
    return -1;
}

/*
 * Every backend call ends here: a failure gets the action and the key in front of
 * the backend's reason and goes to the log; a missing object is an answer, not a
 * failure, so it is not logged. A backend that cannot enforce the timeout itself
 * has each overrun logged instead.
 */
static int finish(const struct store *s, int rc, int64_t start_ms, const char *key,
                  struct error *err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int finish(const struct store *s, int rc, int64_t start_ms, const char *key,
                  struct error *err, const char *fmt, ...)
{
    int64_t took = clock_mono_ms() - start_ms;
    struct log_fields f = LOG_FIELDS_INIT;
    char action[ERROR_MSG_MAX];
    va_list ap;

    f.object = key;
    f.latency_ms = took;
    if (rc < 0) {
        va_start(ap, fmt);
        vsnprintf(action, sizeof(action), fmt, ap);
        va_end(ap);
        error_prefix(err, "%s", action);
        if (err != NULL && err->code != HS_ERR_NOT_FOUND) {
            f.error = err->msg;
            /* A retry or a smaller object may do; the rest needs someone to look. */
            log_event(err->code == HS_ERR_TRANSIENT || err->code == HS_ERR_TOO_LARGE ? LOG_WARN
                                                                                      : LOG_ERROR,
                      "store_error", &f);
        }
    } else if ((s->ops->features & STORE_FEATURE_TIMEOUT) == 0 && took > s->timeout_ms) {
        f.error = "store call took longer than the store timeout";
        log_event(LOG_WARN, "store_slow", &f);
    }
    return rc;
}

/* The deadline store_deadline_set gave this thread; 0: none. */
static _Thread_local int64_t thread_deadline_ms;

void store_deadline_set(int64_t deadline_mono_ms)
{
    thread_deadline_ms = deadline_mono_ms > 0 ? deadline_mono_ms : 1;
}

void store_deadline_clear(void)
{
    thread_deadline_ms = 0;
}

int64_t store_call_deadline_ms(long timeout_ms)
{
    int64_t own = clock_mono_ms() + timeout_ms;

    return thread_deadline_ms != 0 && thread_deadline_ms < own ? thread_deadline_ms : own;
}

/* A call begun once the caller's deadline passed fails before it reaches the backend. */
static int past_deadline(struct error *err)
{
    if (thread_deadline_ms == 0 || clock_mono_ms() < thread_deadline_ms)
        return 0;
    error_set(err, HS_ERR_TRANSIENT, "store_timeout", "the request's store deadline passed");
    return 1;
}

/*
 * Numbers this call and fails it when store_fail_after asked for it: in place of the
 * backend and with a backend's kind of error, so the caller's error path and finish()
 * run exactly as they do for a real one.
 */
static int injected(struct store *s, struct error *err)
{
    long n = atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
    /* Acquire pairs with store_fail_after's last store: a start seen means its end is too. */
    long from = atomic_load_explicit(&s->fail_from, memory_order_acquire);

    if (from < 0 || n < from || n >= atomic_load_explicit(&s->fail_to, memory_order_relaxed))
        return 0;
    error_set(err, HS_ERR_TRANSIENT, "store_injected", "injected failure of call %ld", n);
    return 1;
}

void store_fail_after(struct store *s, long n, long count)
{
    long first = atomic_load(&s->calls) + n;

    /* Off first, so no call sees the new start with the old end. */
    atomic_store(&s->fail_from, -1);
    if (n < 0)
        return;
    atomic_store(&s->fail_to, count < 0 || count > LONG_MAX - first ? LONG_MAX : first + count);
    atomic_store(&s->fail_from, first);
}

long store_calls(const struct store *s)
{
    return atomic_load(&s->calls);
}

/*
 * Two libcurl copies share the process: libs3.so.2 is linked against
 * libcurl-gnutls (symbols versioned CURL_GNUTLS_3) and runs its
 * curl_global_init inside S3_initialize; everything hookspool itself calls
 * (delivery, and a libcurl-based store transport) binds to the libcurl this
 * program links (CURL_OPENSSL_4), which nothing else would initialise before
 * the threads start. Each gets its init here, once, before any thread.
 */
int store_global_init(struct error *err)
{
    if (store_s3v4_global_init(err) != 0)
        return -1;
    if (store_s3v2_global_init(err) != 0) {
        store_s3v4_global_cleanup();
        return -1;
    }
    return 0;
}

void store_global_cleanup(void)
{
    store_s3v2_global_cleanup();
    store_s3v4_global_cleanup();
}

/* Both signatures need the two keys; the URL's sig= says which backend signs. */
static int open_s3(const struct store_config *cfg, struct store_backend *b, struct error *err)
{
    struct s3_url url;
    int rc = -1;

    if (cfg->access_key == NULL || cfg->access_key[0] == '\0' || cfg->secret_key == NULL ||
        cfg->secret_key[0] == '\0') {
        error_set(err, HS_ERR_CONFIG, "missing_credentials",
                  "store: an s3 store needs access_key and secret_key");
        return -1;
    }
    if (s3_url_parse(cfg->url, &url, err) != 0) {
        error_prefix(err, "store.url");
        goto out;
    }
    rc = url.sig == S3_SIG_V2 ? store_s3v2_open(&url, cfg, b, err)
                              : store_s3v4_open(&url, cfg, b, err);
out:
    s3_url_free(&url);
    return rc;
}

struct store *store_open(const struct store_config *cfg, struct error *err)
{
    struct store_backend b = {NULL, NULL, NULL};
    struct store *s = NULL;
    int rc;

    if (cfg->url == NULL) {
        error_set(err, HS_ERR_CONFIG, "bad_store_url", "store.url: missing");
        goto out;
    }
    if (strncmp(cfg->url, "file://", 7) == 0) {
        rc = store_fs_open(cfg->url, cfg, &b, err);
    } else if (strncmp(cfg->url, "s3://", 5) == 0) {
        rc = open_s3(cfg, &b, err);
    } else {
        error_set(err, HS_ERR_CONFIG, "bad_store_url",
                  "store.url: unknown scheme (want file:///DIR or s3://BUCKET[?region=...])");
        goto out;
    }
    if (rc < 0)
        goto out;
    /* A backend without a native move must copy, or store_move has nothing to run. */
    assert(b.ops->move != NULL || b.ops->copy != NULL);
    s = xcalloc(1, sizeof(*s));
    s->ops = b.ops;
    s->driver = b.driver;
    s->description = b.description;
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : CONFIG_DEFAULT_STORE_TIMEOUT_MS;
    atomic_init(&s->calls, 0);
    atomic_init(&s->fail_from, -1);
    atomic_init(&s->fail_to, 0);
out:
    return s;
}

int store_put(struct store *s, const char *key, const void *data, size_t len, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    if (check_key(key, err) < 0)
        return -1;
    rc = injected(s, err) || past_deadline(err) ? -1
                                                : s->ops->put(s->driver, key, data, len, err);
    return finish(s, rc, start, key, err, "unable to write '%s'", key);
}

int store_get(struct store *s, const char *key, struct buf *out, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    buf_reset(out);
    if (check_key(key, err) < 0)
        return -1;
    rc = injected(s, err) || past_deadline(err) ? -1 : s->ops->get(s->driver, key, out, err);
    if (rc < 0)
        buf_reset(out); /* never hand back part of an object */
    return finish(s, rc, start, key, err, "unable to read '%s'", key);
}

int store_exists(struct store *s, const char *key, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    if (check_key(key, err) < 0)
        return -1;
    rc = injected(s, err) || past_deadline(err) ? -1 : s->ops->exists(s->driver, key, err);
    return finish(s, rc, start, key, err, "unable to check '%s'", key);
}

int store_del(struct store *s, const char *key, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    if (check_key(key, err) < 0)
        return -1;
    rc = injected(s, err) || past_deadline(err) ? -1 : s->ops->del(s->driver, key, err);
    return finish(s, rc, start, key, err, "unable to delete '%s'", key);
}

int store_move(struct store *s, const char *from, const char *to, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    if (check_key(from, err) < 0 || check_key(to, err) < 0)
        return -1;
    if (injected(s, err) || past_deadline(err)) {
        rc = -1;
    } else if (strcmp(from, to) == 0) {
        /* Copy-then-delete onto itself would delete the only copy. */
        rc = s->ops->exists(s->driver, from, err);
        if (rc == 0)
            error_set(err, HS_ERR_NOT_FOUND, "not_found", "no such object");
        rc = rc == 1 ? 0 : -1;
    } else if (s->ops->move != NULL) {
        rc = s->ops->move(s->driver, from, to, err);
    } else {
        /* The new name is written before the old one goes: a crash between the two
         * leaves two copies, which the caller's next attempt resolves, and never none. */
        rc = s->ops->copy(s->driver, from, to, err);
        if (rc == 0) {
            rc = s->ops->del(s->driver, from, err);
            if (rc < 0)
                error_prefix(err, "copied to '%s' but the original stays", to);
        }
    }
    return finish(s, rc, start, from, err, "unable to move '%s' to '%s'", from, to);
}

int store_list(struct store *s, const char *prefix, const char *start_after, size_t max_keys,
               struct store_page *page, struct error *err)
{
    int64_t start = clock_mono_ms();
    int rc;

    page->keys = NULL;
    page->n = 0;
    page->truncated = 0;
    if (prefix == NULL)
        prefix = "";
    if (start_after != NULL && start_after[0] == '\0')
        start_after = NULL;
    if (!prefix_valid(prefix)) {
        error_set(err, HS_ERR_INPUT, "bad_store_key", "not a valid store key prefix");
        return -1;
    }
    if (start_after != NULL && !marker_valid(start_after)) {
        error_set(err, HS_ERR_INPUT, "bad_store_key", "start_after holds a byte no key holds");
        return -1;
    }
    if (max_keys == 0) {
        error_set(err, HS_ERR_INPUT, "bad_store_list", "max_keys must be at least 1");
        return -1;
    }
    /* One key more than asked says whether more follow. */
    rc = injected(s, err) || past_deadline(err)
             ? -1
             : s->ops->list(s->driver, prefix, start_after,
                            max_keys < SIZE_MAX ? max_keys + 1 : max_keys, page, err);
    if (rc < 0) {
        store_page_free(page);
    } else if (page->n > max_keys) {
        for (size_t i = max_keys; i < page->n; i++)
            free(page->keys[i]);
        page->n = max_keys;
        page->truncated = 1;
    }
    return finish(s, rc, start, prefix, err, "unable to list '%s'", prefix);
}

void store_page_free(struct store_page *page)
{
    size_t i;

    if (page == NULL)
        return;
    for (i = 0; i < page->n; i++)
        free(page->keys[i]);
    free(page->keys);
    page->keys = NULL;
    page->n = 0;
    page->truncated = 0;
}

const char *store_describe(const struct store *s)
{
    return s->description;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    s->ops->close(s->driver);
    free(s->description);
    free(s);
}
