/*
 * store: the spool's object storage, as handler and drain see it.
 *
 * A store is opened from the config's store URL:
 *   file:///ABSOLUTE/DIR                       the embedded fs backend
 *   s3://BUCKET[/PREFIX][?endpoint=HOST:PORT&region=R&sig=v4|v2&style=path|virtual
 *        &tls=0|1&ca_file=/PATH]              S3 (s3_url.h): AWS itself without endpoint=
 * Keys are '/'-separated object names such as "pending/github/abc"; they are
 * produced by key.c, so they never contain "..", empty segments or bytes
 * outside [A-Za-z0-9._%/-]. store.c checks that and refuses anything else.
 *
 * Every call takes a caller-owned struct error and returns 0 or -1. Codes:
 * HS_ERR_NOT_FOUND for a missing key (get, move), HS_ERR_TRANSIENT for what a
 * retry may fix (timeout, connection refused, 5xx, slow down), HS_ERR_PERMANENT
 * for what it will not (access denied, no such bucket), HS_ERR_INPUT for a
 * bad key, HS_ERR_TOO_LARGE for an object over the caller's cap. Every call
 * gives up after the config's timeout_ms.
 *
 * Thread safety: a store handle may be used by several threads at once
 * (the drain's workers share one).
 *
 * Call order: store_global_init once per process (before threads), then
 * store_open -> calls... -> store_close.
 */
#ifndef HS_STORE_H
#define HS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"

struct store;

struct store_page {
    char **keys;    /* full keys, in lexicographic (byte) order */
    size_t n;
    int truncated;  /* 1 when more keys follow the last one */
};

/*
 * Once per process, before any thread starts: initialises the libcurl this
 * program links (delivery and the V4 store use it), libxml2, and libs3, which
 * initialises its own libcurl copy (libcurl-gnutls). store_global_cleanup
 * undoes them, at exit.
 */
int store_global_init(struct error *err) __attribute__((warn_unused_result));
void store_global_cleanup(void);

/* Parses the URL, checks the credentials are present for s3. Does no I/O for s3;
 * creates the directory for file:// when missing. Caller owns the result. */
struct store *store_open(const struct store_config *cfg, struct error *err);

/* Writes data under key, replacing any object there. Atomic: readers see the old
 * object or the whole new one, never a part. Safe to repeat. */
int store_put(struct store *s, const char *key, const void *data, size_t len,
              struct error *err) __attribute__((warn_unused_result));

/* Reads key into out (initialised by the caller with its cap; HS_ERR_TOO_LARGE past it).
 * HS_ERR_NOT_FOUND when missing. */
int store_get(struct store *s, const char *key, struct buf *out, struct error *err)
    __attribute__((warn_unused_result));

/* 1 when key exists, 0 when not, -1 on error. */
int store_exists(struct store *s, const char *key, struct error *err)
    __attribute__((warn_unused_result));

/* Deletes key; a missing key is not an error. Safe to repeat. */
int store_del(struct store *s, const char *key, struct error *err)
    __attribute__((warn_unused_result));

/* Moves from -> to. Native rename where the backend has one, else copy then delete,
 * so a crash leaves two copies and never none. HS_ERR_NOT_FOUND when from is missing. */
int store_move(struct store *s, const char *from, const char *to, struct error *err)
    __attribute__((warn_unused_result));

/* Lists up to max_keys keys that start with prefix and sort strictly after start_after
 * (NULL or "" for the beginning), in byte order. Memory is bounded by max_keys.
 * The caller frees page with store_page_free. */
int store_list(struct store *s, const char *prefix, const char *start_after, size_t max_keys,
               struct store_page *page, struct error *err) __attribute__((warn_unused_result));

void store_page_free(struct store_page *page);

/*
 * Failure injection, for tests (STYLE.md "Failure injection"). Store calls are numbered
 * from 0 at store_open: put, get, exists, del, move and list count one each, once their
 * arguments passed the checks. Of the calls made after this one, the first n run as
 * usual and the next count fail (count < 0: every call from there on), without reaching
 * the backend: HS_ERR_TRANSIENT, tag "store_injected", message "injected failure of call
 * N", prefixed and logged like a backend's failure. n < 0 turns injection off (the
 * default). count 1 is a hiccup the caller lives through; count -1 a store that goes
 * down at call n and stays down until turned off. Safe while other threads use the
 * store, but their calls in flight may fall either side of the change, so a test that
 * needs exact numbers sets it between calls. Costs two atomic loads and an add per call.
 */
void store_fail_after(struct store *s, long n, long count);

/*
 * One deadline for several calls (a request's backlog read and its write): from
 * store_deadline_set until store_deadline_clear, every store call this thread makes
 * gives up at deadline_mono_ms (clock_mono_ms) when that comes before its own
 * timeout_ms, and a call begun at or after it fails at once with HS_ERR_TRANSIENT,
 * tag "store_timeout". Other threads are not affected.
 */
void store_deadline_set(int64_t deadline_mono_ms);
void store_deadline_clear(void);

/* How many calls s has numbered since store_open, failed or not: a test runs a scenario
 * once to learn how many it makes, then fails each of them in turn. */
long store_calls(const struct store *s);

/* A short description for logs, without credentials: "s3://spool@127.0.0.1:9000"
 * (the endpoint, or the AWS host without one). */
const char *store_describe(const struct store *s);

void store_close(struct store *s);

#endif
