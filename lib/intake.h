/*
 * intake: the handler's request pipeline, without FastCGI.
 *
 * route -> method -> size -> signature -> JSON -> idempotency key ->
 * back pressure -> write pending/SOURCE/KEY -> answer, in DESIGN.md's
 * order. Every refusal is a JSON body {"error", "code"} and writes nothing;
 * 2xx only after the store confirmed the write, answered 202 with JSON or
 * as the source's "response" says. A provider's handshake (handshake.h) is
 * answered at the signature step, in the provider's format, and writes
 * nothing: a GET reaches a source only when its scheme has a GET handshake.
 * handler/main.c adapts FastCGI to this; tests drive it directly.
 */
#ifndef HS_INTAKE_H
#define HS_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backlog.h"
#include "config.h"
#include "headers.h"
#include "store.h"

struct intake {
    const struct config *cfg; /* borrowed */
    struct store *store;      /* borrowed */
    struct backlog_cache backlog;
};

struct intake_request {
    const char *method;
    const char *path;        /* request path without the query */
    const char *query;       /* "" when none */
    const char *remote_addr; /* "" when unknown */
    long content_length;     /* -1 when not given */
    struct headers headers;  /* owned by the caller */
};

/* Reads up to n body bytes into buf; returns bytes read, 0 at the end, -1 on error. */
typedef ssize_t (*intake_read_fn)(void *ctx, void *buf, size_t n);

struct intake_response {
    int status;
    int retry_after_s;        /* > 0: send Retry-After */
    const char *allow;        /* static; the Allow header of a 405, else NULL */
    const char *content_type; /* static or the config's; NULL when there is no body (204) */
    char *body;               /* owned, exactly body_len bytes (NUL-terminated too); NULL
                                 with no body; freed by intake_response_free */
    size_t body_len;
};

void intake_init(struct intake *in, const struct config *cfg, struct store *store);

/*
 * Handles one request: reads the body through read_body (at most the source's
 * max_body + 1 bytes, and only once the route and method are valid), fills
 * resp, and logs one JSON line. Never fails: every problem is an answer.
 */
void intake_handle(struct intake *in, const struct intake_request *req,
                   intake_read_fn read_body, void *read_ctx, struct intake_response *resp);

void intake_response_free(struct intake_response *resp);

#endif
