/*
 * store_backend: what a store backend implements, for store.c and the backends only.
 *
 * Callers see lib/store.h. Behind it, store.c parses the URL scheme, checks every
 * key (STORE_KEY_MAX, the character set, no empty or dot-led segment), measures and
 * logs failures, and supplies what a backend lacks (a move as copy then delete).
 * A backend only does the I/O, so its ops may assume:
 *   - keys are valid (store_key_valid), and a prefix is "" or a valid key with or
 *     without one trailing '/';
 *   - start_after is NULL or a string of key characters;
 *   - max_keys >= 1, and the get buffer is empty with the caller's cap;
 *   - from != to in copy and move.
 * An op returns 0 (exists: 1 or 0) or -1 with err set to a code and a short reason
 * without the key, e.g. "timed out after 3000 ms"; store.c prefixes
 * "unable to write 'KEY'" and logs it.
 *
 * Each backend exports its constructor (and, for the S3 ones, the process-wide init);
 * its ops table is static const and filled by field name.
 *
 * Thread safety: every op may run on several threads at once on one driver.
 */
#ifndef HS_STORE_BACKEND_H
#define HS_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "s3_url.h"
#include "store.h"

/* Longest key: S3's own limit, and far above KEY_OBJECT_MAX. */
#define STORE_KEY_MAX 1024

/*
 * Every op gives up after the configured timeout_ms by itself. Without this bit (a
 * local disk cannot interrupt a syscall) store.c logs each call that overran it, so
 * a stalling disk shows up in the logs.
 */
#define STORE_FEATURE_TIMEOUT (1u << 0)

struct store_ops {
    const char *name; /* "fs", "s3": for logs */
    unsigned features; /* STORE_FEATURE_* */

    /*
     * put: required. Writes the whole object under key, replacing any object there;
     * creates whatever parents the backend needs. Atomic: a reader sees the old
     * object or the new one, never a part. Safe to repeat.
     */
    int (*put)(void *driver, const char *key, const void *data, size_t len, struct error *err);

    /*
     * get: required. Appends the object to out; HS_ERR_NOT_FOUND when key is missing,
     * HS_ERR_TOO_LARGE when it passes out's cap. Reads one version of the object.
     * No side effects; safe to repeat.
     */
    int (*get)(void *driver, const char *key, struct buf *out, struct error *err);

    /*
     * exists: required. 1 when an object is at key, 0 when not (a missing key is not
     * an error), -1 on error. No side effects; safe to repeat.
     */
    int (*exists)(void *driver, const char *key, struct error *err);

    /*
     * del: required. Removes key; a missing key is success. Atomic; safe to repeat.
     */
    int (*del)(void *driver, const char *key, struct error *err);

    /*
     * move: optional, for a backend with a native rename. Moves from -> to, replacing
     * any object at to; HS_ERR_NOT_FOUND when from is missing. Atomic: afterwards
     * exactly one of the two names holds the object. Safe to repeat only in the
     * sense that a repeat after success reports HS_ERR_NOT_FOUND.
     * NULL: store.c moves with copy, then del, so copy is required.
     */
    int (*move)(void *driver, const char *from, const char *to, struct error *err);

    /*
     * copy: optional; required when move is NULL. Copies from -> to inside the
     * backend (no bytes through this process), replacing any object at to;
     * HS_ERR_NOT_FOUND when from is missing. Atomic for readers of to, like put.
     * Safe to repeat.
     */
    int (*copy)(void *driver, const char *from, const char *to, struct error *err);

    /*
     * list: required. Fills page->keys/n with at most limit keys that start with
     * prefix and sort strictly after start_after (NULL: from the beginning), in
     * byte order; fewer than limit only when no more follow. store.c asks for one
     * key more than its caller and sets truncated from that. Memory is bounded by
     * limit, never by the number of objects. Objects written or removed during a
     * list may or may not appear. No side effects; safe to repeat.
     */
    int (*list)(void *driver, const char *prefix, const char *start_after, size_t limit,
                struct store_page *page, struct error *err);

    /* close: required. Frees the driver; no op runs on it concurrently or after. */
    void (*close)(void *driver);
};

/* What a constructor hands to store.c. */
struct store_backend {
    const struct store_ops *ops;
    void *driver;      /* passed to every op, freed by ops->close */
    char *description; /* for logs, without credentials; store.c owns and frees it */
};

/*
 * The fs backend. url is "file:///ABSOLUTE/DIR"; the directory (and its parents) is
 * created when missing. HS_ERR_CONFIG for a malformed URL, HS_ERR_PERMANENT or
 * HS_ERR_TRANSIENT when the directory cannot be made or opened.
 */
int store_fs_open(const char *url, const struct store_config *cfg, struct store_backend *out,
                  struct error *err) __attribute__((warn_unused_result));

/*
 * The S3 backends, one per signature. url is the parsed store URL (s3_url.h); cfg has
 * the credentials (store.c checked access_key and secret_key are there). Neither does
 * I/O at open, and neither fails but for what was checked before.
 *   v4: libcurl + lib/sigv4, every server (cfg->session_token, when set, is sent);
 *   v2: libs3 2.0, for servers that only know signature V2 (url->endpoint is set).
 */
int store_s3v4_open(const struct s3_url *url, const struct store_config *cfg,
                    struct store_backend *out, struct error *err)
    __attribute__((warn_unused_result));
int store_s3v2_open(const struct s3_url *url, const struct store_config *cfg,
                    struct store_backend *out, struct error *err)
    __attribute__((warn_unused_result));

/* Process-wide setup and teardown (curl and libxml2; libs3), from store_global_init/_cleanup. */
int store_s3v4_global_init(struct error *err) __attribute__((warn_unused_result));
void store_s3v4_global_cleanup(void);
int store_s3v2_global_init(struct error *err) __attribute__((warn_unused_result));
void store_s3v2_global_cleanup(void);

/* When the op running on this thread must end, on clock_mono_ms: timeout_ms from now,
 * or the caller's earlier store_deadline_set. A backend with STORE_FEATURE_TIMEOUT
 * takes each op's deadline from here. */
int64_t store_call_deadline_ms(long timeout_ms);

/* 1 when key is a valid store key (see store.c). */
int store_key_valid(const char *key);

#endif
