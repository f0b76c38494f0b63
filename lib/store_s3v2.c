/*
 * store_s3v2: the store in an S3 bucket through libs3 2.0 (Debian's libs3-dev), signed
 * with AWS signature V2, for the servers that still want it (old Ceph RGW, Riak CS):
 * s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&sig=v2[&tls=0|1][&style=virtual]. Everything
 * else goes through store_s3v4.c. PREFIX, when given, goes in front of every key and
 * comes off every listed key.
 *
 * libs3 2.0 has no timeout argument, so every request runs in an S3RequestContext
 * that this file drives, waiting with poll() (see context_wait), until the call's
 * deadline (timeout_ms after the store call began). Each thread keeps one context
 * between calls, so its curl multi handle keeps connections alive (no TCP or TLS
 * handshake per webhook); a call that times out destroys it, which aborts the
 * transfer, and the next call starts a new one. The callbacks fill a per-call struct
 * on the caller's stack, and the driver is read-only after open: a handle is shared
 * by threads without locks.
 *
 * libs3 2.0 quirks handled here:
 *   - the x-amz-copy-source header carries the source key verbatim, and servers
 *     URL-decode it, so a '%' in a key is sent as "%25" there (keys hold no other
 *     byte that needs encoding);
 *   - a HEAD has no error body, so a missing bucket answers exists() with 0;
 *   - an error code it does not know (ErrorUnknown, HttpErrorUnknown) carries no
 *     HTTP status, so it counts as transient: a retry is safer than a dead letter.
 * And MinIO ones:
 *   - a marker listing may end early with IsTruncated=false (see s3_list), and a
 *     marker outside the prefix is refused with NotImplemented;
 *   - a put or copy racing a delete in the same "directory" may be refused with
 *     AccessDenied (see raced).
 */
#define _GNU_SOURCE /* dlvsym */
#include <curl/curl.h>
#include <dlfcn.h>
#include <libs3.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

#include "clock.h"
#include "codec.h"
#include "s3_url.h"
#include "store_backend.h"
#include "xmalloc.h"

#define S3_LIST_PAGE_MAX 1000 /* the most keys S3 returns per request */
#define S3_POLL_MS 10         /* select(): wait while curl reports no socket */
#define S3_DETAIL_MAX 200
#define S3_RACE_TRIES 3       /* attempts of a put or copy that MinIO denied (see raced) */

struct s3_driver {
    char *bucket;
    char *prefix; /* "" or "PREFIX/" */
    size_t prefix_len;
    char *host; /* HOST:PORT */
    char *access_key;
    char *secret_key;
    long timeout_ms;
    S3BucketContext bucket_ctx;
};

/* One store call: its deadline, and what the callbacks of its requests report. */
struct s3_call {
    const struct s3_driver *d;
    int64_t deadline_ms;
    S3Status status;
    int timed_out;
    char detail[S3_DETAIL_MAX]; /* the server's error message, or "" */
    /* get */
    struct buf *out;
    int too_large;
    /* put */
    const char *data;
    size_t len;
    size_t sent;
    /* list */
    char **keys;
    size_t n;
    size_t alloc;
    size_t want;
    size_t page_n; /* keys in the latest page, before any were dropped */
    char *last;    /* last raw key of the latest page: the next marker */
};

static void call_init(struct s3_call *c, const struct s3_driver *d)
{
    memset(c, 0, sizeof(*c));
    c->d = d;
    c->deadline_ms = store_call_deadline_ms(d->timeout_ms);
    c->status = S3StatusOK;
}

static S3Status on_properties(const S3ResponseProperties *p, void *data)
{
    struct s3_call *c = data;

    /* Refuse an object over the cap before any of it arrives. */
    if (c->out != NULL && p->contentLength > c->out->max) {
        c->too_large = 1;
        return S3StatusAbortedByCallback;
    }
    return S3StatusOK;
}

static void on_complete(S3Status status, const S3ErrorDetails *details, void *data)
{
    struct s3_call *c = data;

    c->status = status;
    c->detail[0] = '\0';
    if (status != S3StatusOK && details != NULL && details->message != NULL)
        snprintf(c->detail, sizeof(c->detail), "%s", details->message);
}

static S3Status on_get_data(int size, const char *buffer, void *data)
{
    struct s3_call *c = data;

    if (buf_append(c->out, buffer, (size_t)size) < 0) {
        c->too_large = 1;
        return S3StatusAbortedByCallback;
    }
    return S3StatusOK;
}

/* libs3 asks for the body in pieces, as often as it needs, until it has len bytes. */
static int on_put_data(int size, char *buffer, void *data)
{
    struct s3_call *c = data;
    size_t n = c->len - c->sent;

    if (n > (size_t)size)
        n = (size_t)size;
    memcpy(buffer, c->data + c->sent, n);
    c->sent += n;
    return (int)n;
}

static S3Status on_list(int is_truncated, const char *next_marker, int count,
                        const S3ListBucketContent *contents, int n_prefixes,
                        const char **common_prefixes, void *data)
{
    struct s3_call *c = data;
    const struct s3_driver *d = c->d;
    int i;

    (void)is_truncated; /* not to be trusted: see s3_list */
    (void)next_marker;  /* sent only with a delimiter; the last key serves instead */
    (void)n_prefixes;
    (void)common_prefixes;
    c->page_n += (size_t)count;
    for (i = 0; i < count; i++) {
        const char *key = contents[i].key;

        free(c->last);
        c->last = xstrdup(key);
        /* Objects not written through the store (outside PREFIX, or names no key
         * can have) are not part of it. */
        if (strncmp(key, d->prefix, d->prefix_len) != 0 || !store_key_valid(key + d->prefix_len))
            continue;
        if (c->n == c->want)
            continue;
        if (c->n == c->alloc) {
            c->alloc = c->alloc != 0 ? c->alloc * 2 : 64;
            c->keys = xrealloc(c->keys, c->alloc * sizeof(*c->keys));
        }
        c->keys[c->n++] = xstrdup(key + d->prefix_len);
    }
    return S3StatusOK;
}

static const S3ResponseHandler response_handler = {
    .propertiesCallback = on_properties,
    .completeCallback = on_complete,
};

static const S3GetObjectHandler get_handler = {
    .responseHandler = {.propertiesCallback = on_properties, .completeCallback = on_complete},
    .getObjectDataCallback = on_get_data,
};

static const S3PutObjectHandler put_handler = {
    .responseHandler = {.propertiesCallback = on_properties, .completeCallback = on_complete},
    .putObjectDataCallback = on_put_data,
};

static const S3ListBucketHandler list_handler = {
    .responseHandler = {.propertiesCallback = on_properties, .completeCallback = on_complete},
    .listBucketCallback = on_list,
};

/* The calling thread's request context, kept between calls (see the top of this file). */
static pthread_key_t thread_context;
static int initialised; /* set and cleared by the once-per-process init and cleanup */

static void context_free(void *ctx)
{
    S3_destroy_request_context(ctx);
}

/* Destroys ctx, aborting what runs in it; the thread's next call makes a new one. */
static void drop_context(S3RequestContext *ctx)
{
    S3_destroy_request_context(ctx);
    pthread_setspecific(thread_context, NULL);
}

/*
 * How a call waits for its sockets. libs3 2.0's own interface to them is
 * S3_get_request_context_fdsets, i.e. curl_multi_fdset, and an fd_set cannot hold a
 * descriptor numbered FD_SETSIZE (1024) or above: curl leaves such a socket out, so a
 * select() loop would see nothing and only wake on its timer, every S3_POLL_MS, which
 * made each call several times slower in a process with many descriptors open. The
 * wait therefore goes to curl_multi_wait (poll underneath, no such limit) on the
 * context's own multi handle. Two facts of the installed libs3 make that possible,
 * and store_s3v2_global_init checks both before relying on them:
 *   - libs3 2.0's S3RequestContext begins with its CURLM pointer (libs3
 *     inc/request_context.h: { CURLM *curlm; struct Request *requests; });
 *   - Debian's libs3.so runs on libcurl-gnutls, a second libcurl in the process beside
 *     the one this program links, with its symbols versioned CURL_GNUTLS_3; a multi
 *     handle must be driven by the copy that made it, so curl_multi_wait is looked up
 *     there (dlvsym), or is this program's own when libs3 runs on the same libcurl.
 * When the check fails, calls wait with select() on what libs3 reports.
 */
typedef CURLMcode (*multi_wait_fn)(CURLM *multi, struct curl_waitfd *extra, unsigned int n_extra,
                                   int timeout_ms, int *numfds);
static multi_wait_fn context_wait;

struct libs3_context_head {
    CURLM *curlm;
};

static CURLM *context_multi(S3RequestContext *ctx)
{
    return ((struct libs3_context_head *)(void *)ctx)->curlm;
}

/* Finds libs3's curl_multi_wait and proves it takes the context's first member. */
static void find_context_wait(void)
{
    S3RequestContext *ctx = NULL;
    void *sym = dlvsym(RTLD_DEFAULT, "curl_multi_wait", "CURL_GNUTLS_3");
    multi_wait_fn fn;
    int n = 0;

    if (sym == NULL && dlvsym(RTLD_DEFAULT, "curl_multi_init", "CURL_GNUTLS_3") == NULL)
        sym = dlsym(RTLD_DEFAULT, "curl_multi_wait");
    if (sym == NULL || S3_create_request_context(&ctx) != S3StatusOK)
        return;
    memcpy(&fn, &sym, sizeof(fn)); /* a data pointer to a function pointer, as dlsym needs */
    /* curl checks the handle's magic: anything but a multi handle is CURLM_BAD_HANDLE. */
    if (fn(context_multi(ctx), NULL, 0, 0, &n) == CURLM_OK)
        context_wait = fn;
    S3_destroy_request_context(ctx);
}

/* Waits up to wait_ms for ctx's sockets (see context_wait); 0, or -1 when curl fails. */
static int wait_context(S3RequestContext *ctx, int64_t wait_ms)
{
    fd_set rd;
    fd_set wr;
    fd_set ex;
    int maxfd = -1;
    struct timeval tv;
    int n = 0;

    if (context_wait != NULL)
        return context_wait(context_multi(ctx), NULL, 0, (int)wait_ms, &n) == CURLM_OK ? 0 : -1;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (S3_get_request_context_fdsets(ctx, &rd, &wr, &ex, &maxfd) != S3StatusOK)
        return -1;
    if (maxfd < 0 && wait_ms > S3_POLL_MS)
        wait_ms = S3_POLL_MS;
    tv.tv_sec = (time_t)(wait_ms / 1000);
    tv.tv_usec = (suseconds_t)(wait_ms % 1000) * 1000;
    /* EINTR and readiness alike lead to the next runonce. */
    (void)select(maxfd + 1, &rd, &wr, &ex, &tv);
    return 0;
}

/*
 * Drives the one request in ctx until it completes or the call's deadline passes.
 * A request still running then is aborted by destroying ctx (its complete
 * callback reports S3StatusInterrupted); a completed one leaves ctx, and its
 * connection, for the thread's next call. The outcome is in c.
 */
static void run(struct s3_call *c, S3RequestContext *ctx)
{
    int remaining = 0;

    for (;;) {
        int64_t wait_ms;
        int64_t curl_ms;

        if (S3_runonce_request_context(ctx, &remaining) != S3StatusOK) {
            drop_context(ctx);
            c->status = S3StatusInternalError;
            return;
        }
        if (remaining == 0)
            break;
        wait_ms = c->deadline_ms - clock_mono_ms();
        if (wait_ms <= 0) {
            c->timed_out = 1;
            drop_context(ctx);
            return;
        }
        curl_ms = S3_get_request_context_timeout(ctx);
        if (curl_ms >= 0 && curl_ms < wait_ms)
            wait_ms = curl_ms;
        if (wait_context(ctx, wait_ms) < 0) {
            drop_context(ctx);
            c->status = S3StatusInternalError;
            return;
        }
    }
}

static int new_context(S3RequestContext **ctx, struct error *err)
{
    *ctx = pthread_getspecific(thread_context);
    if (*ctx != NULL)
        return 0;
    if (S3_create_request_context(ctx) == S3StatusOK &&
        pthread_setspecific(thread_context, *ctx) == 0)
        return 0;
    if (*ctx != NULL)
        S3_destroy_request_context(*ctx);
    *ctx = NULL;
    error_set(err, HS_ERR_TRANSIENT, "store_s3", "unable to create a libs3 request context");
    return -1;
}

/* 1 when the call completed with "no such key" (with or without an error body). */
static int call_missing(const struct s3_call *c)
{
    return !c->timed_out &&
           (c->status == S3StatusErrorNoSuchKey || c->status == S3StatusHttpErrorNotFound);
}

/* What a failed call means for the caller; a reason without the key (store.c adds it). */
static void call_error(const struct s3_call *c, struct error *err)
{
    const struct s3_driver *d = c->d;
    const char *name = S3_get_status_name(c->status);
    const char *sep = c->detail[0] != '\0' ? ": " : "";

    if (c->timed_out) {
        error_set(err, HS_ERR_TRANSIENT, "store_timeout", "timed out after %ld ms (%s)",
                  d->timeout_ms, d->host);
        return;
    }
    switch (c->status) {
    case S3StatusErrorNoSuchKey:
    case S3StatusHttpErrorNotFound:
        error_set(err, HS_ERR_NOT_FOUND, "not_found", "no such object");
        return;
    case S3StatusNameLookupError:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "cannot resolve the endpoint (%s)",
                  d->host);
        return;
    case S3StatusFailedToConnect:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable",
                  "connection refused or unreachable (%s)", d->host);
        return;
    case S3StatusConnectionFailed:
    case S3StatusInterrupted:
    case S3StatusInternalError:
    case S3StatusOutOfMemory:
        /* libs3 folds most transport errors (reset, empty reply) into these. */
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "connection failed (%s, %s)",
                  d->host, name);
        return;
    case S3StatusErrorSlowDown:
    case S3StatusErrorInternalError:
    case S3StatusErrorRequestTimeout:
    case S3StatusErrorOperationAborted:
    case S3StatusErrorIncompleteBody:
    case S3StatusErrorBadDigest:
    case S3StatusErrorUnknown:
    case S3StatusHttpErrorUnknown:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "server error (%s%s%s)", name,
                  sep, c->detail);
        return;
    case S3StatusErrorNoSuchBucket:
        error_set(err, HS_ERR_PERMANENT, "store_refused", "no such bucket '%s' (%s)", d->bucket,
                  d->host);
        return;
    case S3StatusErrorAccessDenied:
    case S3StatusHttpErrorForbidden:
    case S3StatusErrorInvalidAccessKeyId:
    case S3StatusErrorSignatureDoesNotMatch:
    case S3StatusErrorAccountProblem:
    case S3StatusErrorNotSignedUp:
    case S3StatusErrorRequestTimeTooSkewed:
    case S3StatusErrorExpiredToken:
    case S3StatusErrorInvalidToken:
    case S3StatusErrorInvalidSecurity:
    case S3StatusErrorMissingSecurityHeader:
        error_set(err, HS_ERR_PERMANENT, "store_refused", "access denied (%s%s%s)", name, sep,
                  c->detail);
        return;
    default:
        error_set(err, S3_status_is_retryable(c->status) ? HS_ERR_TRANSIENT : HS_ERR_PERMANENT,
                  "store_refused", "%s%s%s", name, sep, c->detail);
        return;
    }
}

/*
 * Whether to send a put or copy again. MinIO on a single drive keeps objects in
 * directories and removes a directory that a delete emptied; a put creating its
 * directory at that moment fails, and MinIO reports it as AccessDenied. The spool
 * does exactly this all the time (the handler writes pending/SOURCE/ while the drain
 * deletes from it), so a denied put or copy is tried again, a few times, before the
 * deadline. A real denial costs two more requests; both operations are safe to repeat.
 */
static int raced(struct s3_call *c, int tries)
{
    if (c->timed_out || c->status != S3StatusErrorAccessDenied || tries >= S3_RACE_TRIES ||
        clock_mono_ms() >= c->deadline_ms)
        return 0;
    c->status = S3StatusOK;
    c->detail[0] = '\0';
    c->sent = 0;
    return 1;
}

static char *full_key(const struct s3_driver *d, const char *key)
{
    return xasprintf("%s%s", d->prefix, key);
}

/* Content-MD5, so the server refuses a body damaged on the way. */
static char *body_md5(const void *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) != 1)
        return NULL;
    return codec_base64_encode(md, md_len);
}

static int s3_put(void *driver, const char *key, const void *data, size_t len, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    S3PutProperties props;
    char *full = NULL;
    char *md5 = NULL;
    int tries;
    int rc = -1;

    call_init(&c, d);
    c.data = data;
    c.len = len;
    memset(&props, 0, sizeof(props));
    props.expires = -1;
    props.cannedAcl = S3CannedAclPrivate;
    /* EVP may refuse MD5 (a FIPS provider): then the body goes without the check. */
    md5 = body_md5(data, len);
    props.md5 = md5;
    full = full_key(d, key);
    for (tries = 1;; tries++) {
        if (new_context(&ctx, err) < 0)
            goto out;
        S3_put_object(&d->bucket_ctx, full, len, &props, ctx, &put_handler, &c);
        run(&c, ctx);
        if (!raced(&c, tries))
            break;
    }
    if (c.timed_out || c.status != S3StatusOK) {
        call_error(&c, err);
        goto out;
    }
    rc = 0;
out:
    free(md5);
    free(full);
    return rc;
}

static int s3_get(void *driver, const char *key, struct buf *out, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    char *full = NULL;
    int rc = -1;

    call_init(&c, d);
    c.out = out;
    if (new_context(&ctx, err) < 0)
        goto out;
    full = full_key(d, key);
    S3_get_object(&d->bucket_ctx, full, NULL, 0, 0, ctx, &get_handler, &c);
    run(&c, ctx);
    if (c.too_large) {
        error_set(err, HS_ERR_TOO_LARGE, "too_large", "object is larger than the cap of %zu bytes",
                  out->max);
        goto out;
    }
    if (c.timed_out || c.status != S3StatusOK) {
        call_error(&c, err);
        goto out;
    }
    rc = 0;
out:
    free(full);
    return rc;
}

static int s3_exists(void *driver, const char *key, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    char *full = NULL;
    int rc = -1;

    call_init(&c, d);
    if (new_context(&ctx, err) < 0)
        goto out;
    full = full_key(d, key);
    S3_head_object(&d->bucket_ctx, full, ctx, &response_handler, &c);
    run(&c, ctx);
    if (call_missing(&c)) {
        rc = 0;
        goto out;
    }
    if (c.timed_out || c.status != S3StatusOK) {
        call_error(&c, err);
        goto out;
    }
    rc = 1;
out:
    free(full);
    return rc;
}

static int s3_del(void *driver, const char *key, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    char *full = NULL;
    int rc = -1;

    call_init(&c, d);
    if (new_context(&ctx, err) < 0)
        goto out;
    full = full_key(d, key);
    S3_delete_object(&d->bucket_ctx, full, ctx, &response_handler, &c);
    run(&c, ctx);
    if (c.timed_out || (c.status != S3StatusOK && !call_missing(&c))) {
        call_error(&c, err);
        goto out;
    }
    rc = 0;
out:
    free(full);
    return rc;
}

/* The copy source goes out verbatim and the server URL-decodes it: '%' becomes "%25". */
static char *copy_source(const struct s3_driver *d, const char *key)
{
    char *full = full_key(d, key);
    char *src = xmalloc(3 * strlen(full) + 1);
    const char *p;
    char *q = src;

    for (p = full; *p != '\0'; p++) {
        if (*p == '%') {
            memcpy(q, "%25", 3);
            q += 3;
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    free(full);
    return src;
}

static int s3_copy(void *driver, const char *from, const char *to, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    char *src = NULL;
    char *dst = NULL;
    int tries;
    int rc = -1;

    call_init(&c, d);
    src = copy_source(d, from);
    dst = full_key(d, to);
    for (tries = 1;; tries++) {
        if (new_context(&ctx, err) < 0)
            goto out;
        S3_copy_object(&d->bucket_ctx, src, NULL, dst, NULL, NULL, 0, NULL, ctx,
                       &response_handler, &c);
        run(&c, ctx);
        if (!raced(&c, tries))
            break;
    }
    if (c.timed_out || c.status != S3StatusOK) {
        call_error(&c, err);
        goto out;
    }
    rc = 0;
out:
    free(src);
    free(dst);
    return rc;
}

static int s3_list(void *driver, const char *prefix, const char *start_after, size_t limit,
                   struct store_page *page, struct error *err)
{
    const struct s3_driver *d = driver;
    S3RequestContext *ctx = NULL;
    struct s3_call c;
    char *full_prefix = NULL;
    char *marker = NULL;
    int past_all = 0;
    size_t i;
    int rc = -1;

    call_init(&c, d);
    /* One key more than asked says whether the page is truncated. */
    c.want = limit;
    full_prefix = full_key(d, prefix);
    if (start_after != NULL)
        marker = full_key(d, start_after);
    /* MinIO refuses (NotImplemented) a marker outside the prefix. One before it
     * excludes nothing; after it, it excludes everything. */
    if (marker != NULL && strncmp(marker, full_prefix, strlen(full_prefix)) != 0) {
        past_all = strcmp(marker, full_prefix) > 0;
        free(marker);
        marker = NULL;
    }
    /*
     * Ask again from the last key until want keys are in or a request finds none,
     * all before the one deadline. S3 answers at most 1000 keys a request, and
     * IsTruncated is not trusted: MinIO (2025 releases) answers a marker listing
     * with a short page and IsTruncated=false while keys follow, when one key is a
     * prefix of its neighbours ("a/d", "a/d.e", "a/d0"). An empty answer is the
     * only sure end, at the price of one more request per listing.
     */
    while (!past_all) {
        size_t ask = c.want - c.n;

        if (ask > S3_LIST_PAGE_MAX)
            ask = S3_LIST_PAGE_MAX;
        c.page_n = 0;
        if (new_context(&ctx, err) < 0)
            goto out;
        S3_list_bucket(&d->bucket_ctx, full_prefix[0] != '\0' ? full_prefix : NULL, marker, NULL,
                       (int)ask, ctx, &list_handler, &c);
        run(&c, ctx);
        if (c.timed_out || c.status != S3StatusOK) {
            call_error(&c, err);
            goto out;
        }
        if (c.n == c.want || c.page_n == 0)
            break;
        free(marker);
        marker = c.last;
        c.last = NULL;
    }
    page->keys = c.keys;
    page->n = c.n;
    c.keys = NULL;
    c.n = 0;
    rc = 0;
out:
    for (i = 0; i < c.n; i++)
        free(c.keys[i]);
    free(c.keys);
    free(c.last);
    free(marker);
    free(full_prefix);
    return rc;
}

static void s3_close(void *driver)
{
    struct s3_driver *d = driver;

    if (d == NULL)
        return;
    if (d->secret_key != NULL)
        OPENSSL_cleanse(d->secret_key, strlen(d->secret_key));
    free(d->secret_key);
    free(d->access_key);
    free(d->host);
    free(d->prefix);
    free(d->bucket);
    free(d);
}

static const struct store_ops s3_ops = {
    .name = "s3",
    .features = STORE_FEATURE_TIMEOUT,
    .put = s3_put,
    .get = s3_get,
    .exists = s3_exists,
    .del = s3_del,
    .move = NULL, /* S3 has no rename: store.c copies, then deletes */
    .copy = s3_copy,
    .list = s3_list,
    .close = s3_close,
};

int store_s3v2_open(const struct s3_url *url, const struct store_config *cfg,
                    struct store_backend *out, struct error *err)
{
    struct s3_driver *d;

    if (cfg->session_token != NULL && cfg->session_token[0] != '\0') {
        error_set(err, HS_ERR_CONFIG, "bad_store_url",
                  "store.session_token: libs3 2.0 cannot send it (use sig=v4)");
        return -1;
    }
    d = xcalloc(1, sizeof(*d));
    d->bucket = xstrdup(url->bucket);
    d->prefix = url->prefix[0] != '\0' ? xasprintf("%s/", url->prefix) : xstrdup("");
    d->prefix_len = strlen(d->prefix);
    /* s3_url refuses sig=v2 without an endpoint: libs3 is for the servers that need it. */
    d->host = xstrdup(url->endpoint);
    d->access_key = xstrdup(cfg->access_key);
    d->secret_key = xstrdup(cfg->secret_key);
    d->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : CONFIG_DEFAULT_STORE_TIMEOUT_MS;
    d->bucket_ctx.hostName = d->host;
    d->bucket_ctx.bucketName = d->bucket;
    d->bucket_ctx.protocol = url->tls ? S3ProtocolHTTPS : S3ProtocolHTTP;
    d->bucket_ctx.uriStyle = url->style == S3_STYLE_VIRTUAL ? S3UriStyleVirtualHost
                                                            : S3UriStylePath;
    d->bucket_ctx.accessKeyId = d->access_key;
    d->bucket_ctx.secretAccessKey = d->secret_key;
    out->ops = &s3_ops;
    out->driver = d;
    out->description = xasprintf("s3://%s%s%s@%s", d->bucket, url->prefix[0] != '\0' ? "/" : "",
                                 url->prefix, d->host);
    return 0;
}

int store_s3v2_global_init(struct error *err)
{
    /* No default host: every bucket context names its endpoint. */
    S3Status status = S3_initialize("hookspool", S3_INIT_ALL, NULL);

    if (status == S3StatusOK && pthread_key_create(&thread_context, context_free) == 0) {
        initialised = 1;
        find_context_wait();
        return 0;
    }
    error_set(err, HS_ERR_PERMANENT, "store_init", "unable to initialise libs3: %s",
              S3_get_status_name(status));
    return -1;
}

void store_s3v2_global_cleanup(void)
{
    S3RequestContext *ctx;

    if (!initialised)
        return;
    initialised = 0;
    /* Other threads' contexts went with their threads; this one's goes now. */
    ctx = pthread_getspecific(thread_context);
    if (ctx != NULL)
        drop_context(ctx);
    pthread_key_delete(thread_context);
    /* libs3's libcurl copy is libs3's own; the program's libcurl is store_s3v4's to clean up. */
    S3_deinitialize();
}
