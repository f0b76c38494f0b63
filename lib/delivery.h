/*
 * delivery: one webhook POSTed to its destination (DESIGN.md "Drain").
 *
 * What goes out: the original body byte for byte, the original headers
 * (Content-Type included) without
 *   - hop-by-hop ones: Connection and every header it names, Keep-Alive,
 *     Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade;
 *   - Host, Content-Length and Expect, which belong to the new request;
 *   - credentials for the hop into hookspool (headers_is_credential:
 *     Authorization, Proxy-Authorization, Cookie, and meta->secret_header),
 *     not for the destination. The envelope no longer stores them; this
 *     covers envelopes stored before. The provider's own signature headers
 *     are kept, so a destination can re-verify them;
 *   - headers hookspool sets itself (Idempotency-Key, Hookspool-*, and the
 *     webhook-* signature headers when hookspool signs);
 *   - anything with a malformed name or a CR/LF/NUL in the value;
 * plus Idempotency-Key: KEY (the encoded key, the same on every attempt),
 * Hookspool-Source, Hookspool-Destination: NAME, Hookspool-Attempt: N (of
 * that destination) and, when the destination has a "sign" secret, Standard
 * Webhooks headers: webhook-id "SOURCE/KEY" (stable across attempts and the
 * same for every destination of the webhook, as the scheme asks), webhook-timestamp (now) and
 * webhook-signature.
 *
 * How: libcurl easy, redirects not followed, http and https only, TLS peer
 * and host verified, connect and total timeouts from the destination's
 * config. At most DELIVERY_BODY_KEEP bytes of the answer are kept (for the
 * error text); the rest is read and dropped.
 *
 * Call order: delivery_new (one per thread; it keeps connections alive
 * between calls) -> delivery_post... -> delivery_free. The pure helpers
 * (delivery_headers, delivery_retry_after) need no handle.
 */
#ifndef HS_DELIVERY_H
#define HS_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "headers.h"

#define DELIVERY_ERROR_MAX 256       /* error text kept per attempt, NUL included */
#define DELIVERY_BODY_KEEP 1024      /* answer bytes kept for the error text */
#define DELIVERY_RETRY_AFTER_MAX 86400 /* a longer Retry-After is cut to one day */

/* What the added headers say about this attempt. */
struct delivery_meta {
    const char *source;         /* Hookspool-Source */
    const char *key;            /* the encoded key: Idempotency-Key */
    int attempt;                /* 1-based: Hookspool-Attempt */
    const struct secret *sign;  /* NULL or len 0: no Standard Webhooks headers */
    int64_t now_s;              /* webhook-timestamp */
    const char *secret_header;  /* NULL, or a header that carried the source's shared
                                   secret (token scheme): never forwarded */
    const char *destination;    /* Hookspool-Destination: the destination's name */
};

/*
 * Appends to out (initialised by the caller) the headers to send: the kept
 * originals in their order, then hookspool's. body is what gets signed.
 */
void delivery_headers(const struct headers *orig, const struct delivery_meta *meta,
                      const void *body, size_t body_len, struct headers *out);

/*
 * A Retry-After value in seconds from now_s: delta-seconds or an HTTP-date
 * (a date in the past gives 0), cut to DELIVERY_RETRY_AFTER_MAX. -1 when
 * value is NULL or neither form.
 */
long delivery_retry_after(const char *value, int64_t now_s);

struct delivery_target {
    const char *url;
    long timeout_ms;            /* whole request */
    long connect_timeout_ms;
};

struct delivery_result {
    int status;                 /* HTTP status; 0 when no answer came */
    long retry_after_s;         /* from Retry-After; -1 when absent */
    int64_t duration_ms;
    char error[DELIVERY_ERROR_MAX]; /* "" on 2xx; else curl's message or "http N: excerpt" */
};

struct delivery;

/* A handle for one thread. Caller owns it. */
struct delivery *delivery_new(void);

/*
 * POSTs body with headers h (from delivery_headers) to t->url and fills r.
 * 0 when the destination answered (any status), -1 when it did not
 * (timeout, refused, TLS, DNS...), r->error saying why. Safe to repeat.
 */
int delivery_post(struct delivery *d, const struct delivery_target *t, const struct headers *h,
                  const void *body, size_t body_len, struct delivery_result *r)
    __attribute__((warn_unused_result));

/* NULL-safe. */
void delivery_free(struct delivery *d);

#endif
