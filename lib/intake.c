/*
 * intake: the handler's pipeline (see intake.h).
 *
 * intake_run() does the checks in DESIGN.md's order and fails with an error
 * whose code says what went wrong; intake_handle() turns that into the HTTP
 * answer in one place (answer_refusal), so status codes cannot drift apart.
 */
#include "intake.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "codec.h"
#include "envelope.h"
#include "handshake.h"
#include "jsonout.h"
#include "jsontext.h"
#include "key.h"
#include "log.h"
#include "sig.h"
#include "xmalloc.h"

#define RETRY_AFTER_STORE_S 5
#define RETRY_AFTER_BACKLOG_S 30
#define READ_CHUNK 65536
#define JSON_CONTENT_TYPE "application/json"

struct intake_result {
    const struct source_config *source;
    char *raw_key;      /* owned; may contain any bytes */
    size_t raw_key_len;
    char *encoded_key;  /* owned */
    int is_handshake;   /* 1: answered by handshake, nothing stored */
    struct handshake_answer handshake;
};

void intake_init(struct intake *in, const struct config *cfg, struct store *store)
{
    in->cfg = cfg;
    in->store = store;
    in->backlog.read_at_ms = 0;
    in->backlog.backlog = 0;
}

/*
 * The mount: the longest directory prefix all sources' paths share ("/hooks" for
 * "/hooks/github" and "/hooks/stripe", "" when they share none). Every web server
 * hands over the full request path, however it splits it into SCRIPT_NAME and
 * PATH_INFO, so the health check is found by that path alone: "<mount>/_health".
 */
static size_t parent_len(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? (size_t)(slash - path) : 0;
}

static size_t mount_len(const struct config *cfg)
{
    const char *first = cfg->sources[0].path;
    size_t n = parent_len(first);

    for (size_t i = 1; i < cfg->n_sources; i++) {
        const char *p = cfg->sources[i].path;
        size_t pn = parent_len(p);
        size_t k = 0;

        while (k < n && k < pn && p[k] == first[k])
            k++;
        /* Back to a boundary both directories share, not the middle of a name. */
        while (k > 0 && !((k == n || first[k] == '/') && (k == pn || p[k] == '/')))
            k--;
        n = k;
    }
    return n;
}

static int is_health_path(const struct config *cfg, const char *path)
{
    static const char name[] = "/_health";
    size_t n = cfg->n_sources > 0 ? mount_len(cfg) : 0;

    return strncmp(path, cfg->n_sources > 0 ? cfg->sources[0].path : "", n) == 0 &&
           strcmp(path + n, name) == 0;
}

/* The head as ENVELOPE_HEAD_MAX counts it (see envelope.h). */
static size_t head_len(const struct intake_request *req)
{
    size_t n = strlen(req->method) + strlen(req->path) + strlen(req->query) +
               strlen(req->remote_addr);

    for (size_t i = 0; i < req->headers.n; i++)
        n += strlen(req->headers.items[i].name) + strlen(req->headers.items[i].value) + 4;
    return n;
}

/*
 * Reads the body, at most max_body + 1 bytes, so an oversized one is never read whole.
 * A read that fails is the connection's fault or ours (a closed or stalled FastCGI
 * peer), never the sender's: 503. A body that ends before its Content-Length is cut
 * short: 400, and nothing of it is kept.
 */
static int read_capped_body(const struct source_config *src, const struct intake_request *req,
                            intake_read_fn read_body, void *ctx, struct buf *body,
                            struct error *err)
{
    char chunk[READ_CHUNK];

    if (req->content_length > 0 && (size_t)req->content_length > src->max_body) {
        error_set(err, HS_ERR_TOO_LARGE, "body_too_large",
                  "body of %ld bytes is over the limit of %zu bytes for source '%s'",
                  req->content_length, src->max_body, src->name);
        return -1;
    }
    for (;;) {
        size_t want = src->max_body + 1 - body->len;
        ssize_t got;

        if (want > sizeof(chunk))
            want = sizeof(chunk);
        got = read_body(ctx, chunk, want);
        if (got < 0) {
            error_set(err, HS_ERR_TRANSIENT, "body_unreadable",
                      "unable to read the request body from the web server; retry later");
            return -1;
        }
        if (got == 0)
            break;
        if (buf_append(body, chunk, (size_t)got) != 0 || body->len == src->max_body + 1) {
            error_set(err, HS_ERR_TOO_LARGE, "body_too_large",
                      "body is over the limit of %zu bytes for source '%s'", src->max_body,
                      src->name);
            return -1;
        }
    }
    if (req->content_length >= 0 && body->len < (size_t)req->content_length) {
        error_set(err, HS_ERR_INPUT, "body_truncated",
                  "body of %zu bytes is shorter than its Content-Length of %ld", body->len,
                  req->content_length);
        return -1;
    }
    return 0;
}

/*
 * The key from the first configured header present, else from the JSON pointer: a
 * non-empty string's decoded bytes, or a number's literal text (of any size: the
 * provider sends the same text again). 0 found, 1 absent.
 */
static int find_idempotency_key(const struct idempotency_config *idem,
                                const struct intake_request *req, const struct buf *json,
                                struct intake_result *r)
{
    struct jsontext_value value;

    for (size_t i = 0; i < idem->n_headers; i++) {
        const char *v = headers_get(&req->headers, idem->headers[i]);

        if (v != NULL && v[0] != '\0') {
            r->raw_key_len = strlen(v);
            r->raw_key = xstrndup(v, r->raw_key_len);
            return 0;
        }
    }
    if (idem->json_pointer == NULL || json == NULL ||
        jsontext_pointer(json->data != NULL ? json->data : "", json->len, idem->json_pointer,
                         &value) != 1)
        return 1;
    if (value.type == JSONTEXT_NUMBER) {
        r->raw_key = xstrndup(value.raw, value.raw_len);
        r->raw_key_len = value.raw_len;
        return 0;
    }
    if (value.type == JSONTEXT_STRING) {
        r->raw_key = jsontext_string(&value, &r->raw_key_len);
        if (r->raw_key_len > 0)
            return 0;
        free(r->raw_key);
        r->raw_key = NULL;
    }
    return 1;
}

static int take_idempotency_key(const struct source_config *src,
                                const struct intake_request *req, const struct buf *json,
                                const struct buf *body, struct intake_result *r,
                                struct error *err)
{
    if (find_idempotency_key(&src->idempotency, req, json, r) == 0)
        return 0;
    if (src->idempotency.fallback == IDEMPOTENCY_REJECT) {
        error_set(err, HS_ERR_INPUT, "missing_idempotency_key",
                  "no idempotency key in the request (source '%s' takes it from %s)", src->name,
                  src->idempotency.n_headers > 0 ? src->idempotency.headers[0]
                                                 : src->idempotency.json_pointer);
        return -1;
    }
    /* A hashed name already: it must not go through key_encode like a raw key. */
    r->raw_key = key_hashed(body->data != NULL ? body->data : "", body->len);
    r->raw_key_len = strlen(r->raw_key);
    r->encoded_key = xstrdup(r->raw_key);
    return 0;
}

/*
 * A failed store call is a 503 whatever its code: a bare 404 from a misrouted
 * endpoint must not read as "unknown path", nor any 4xx tell the provider to give up.
 */
static void store_unavailable(struct error *err)
{
    err->code = HS_ERR_TRANSIENT;
    err->tag = "store_unavailable";
}

static int intake_run(struct intake *in, const struct intake_request *req,
                      intake_read_fn read_body, void *ctx, struct intake_result *r,
                      struct error *err)
{
    const struct source_config *src;
    struct buf body;
    struct envelope_request env_req;
    char object[KEY_OBJECT_MAX + 1];
    char *envelope = NULL;
    size_t envelope_len = 0;
    struct sig_request sreq;
    int64_t now_s;
    size_t head;
    long backlog;
    int get_handshake;
    int handshake;
    int rc = -1;

    buf_init(&body, 0);
    src = config_source_by_path(in->cfg, req->path);
    if (src == NULL) {
        error_set(err, HS_ERR_NOT_FOUND, "unknown_path", "no source is mounted at '%s'",
                  req->path);
        goto out;
    }
    r->source = src;
    get_handshake = strcmp(req->method, "GET") == 0 && handshake_allows_get(&src->verify);
    if (strcmp(req->method, "POST") != 0 && !get_handshake) {
        error_set(err, HS_ERR_METHOD, "method_not_allowed",
                  "method %s is not allowed; webhooks are POSTed", req->method);
        goto out;
    }
    head = head_len(req);
    if (head > ENVELOPE_HEAD_MAX) {
        error_set(err, HS_ERR_TOO_LARGE, "headers_too_large",
                  "request headers of %zu bytes are over the limit of %d bytes", head,
                  ENVELOPE_HEAD_MAX);
        goto out;
    }
    if (get_handshake) {
        /* Unsigned by every provider that sends one; nothing of the request is read or kept. */
        if (handshake_answer_get(&src->verify, req->query, &r->handshake, err) != 0)
            goto out;
        r->is_handshake = 1;
        rc = 0;
        goto out;
    }
    buf_init(&body, src->max_body + 1);
    if (read_capped_body(src, req, read_body, ctx, &body, err) != 0)
        goto out;
    sreq = (struct sig_request){req->method, req->query, &req->headers, body.data, body.len};
    now_s = clock_now_ms() / 1000;
    if (sig_verify(&src->verify, &sreq, now_s, err) != 0)
        goto out;
    /* A verified handshake is answered here and goes no further: never stored. */
    handshake = handshake_answer_post(&src->verify, &sreq, now_s, &r->handshake, err);
    if (handshake < 0)
        goto out;
    if (handshake == 1) {
        r->is_handshake = 1;
        rc = 0;
        goto out;
    }
    if (src->require_json &&
        jsontext_validate(body.data != NULL ? body.data : "", body.len, err) != 0)
        goto out;
    if (take_idempotency_key(src, req, src->require_json ? &body : NULL, &body, r, err) != 0)
        goto out;
    if (r->encoded_key == NULL)
        r->encoded_key = key_encode(r->raw_key, r->raw_key_len);
    /* The backlog read and the write share one deadline (DESIGN.md, handler 7-8). */
    store_deadline_set(clock_mono_ms() + in->cfg->store.timeout_ms);
    if (backlog_current(&in->backlog, in->store, clock_mono_ms(), in->cfg->backlog_stale_s,
                        &backlog, err) != 0) {
        store_unavailable(err);
        goto out;
    }
    if (backlog > in->cfg->max_backlog) {
        error_set(err, HS_ERR_TRANSIENT, "backlog_full",
                  "backlog of %ld webhooks is over the limit of %ld; retry later", backlog,
                  in->cfg->max_backlog);
        goto out;
    }
    env_req.method = req->method;
    env_req.path = req->path;
    env_req.query = req->query;
    env_req.remote_addr = req->remote_addr;
    env_req.headers = &req->headers;
    envelope = envelope_build(src->name, r->raw_key, r->raw_key_len, clock_now_ms(), &env_req,
                              sig_secret_header(&src->verify), body.data != NULL ? body.data : "",
                              body.len, &envelope_len);
    /* What intake accepts, the drain can read: the bound holds by construction. */
    assert(envelope_len <= envelope_max_len(src->max_body) - ENVELOPE_DELIVERY_ROOM);
    key_object(KEY_PENDING, 0, src->name, r->encoded_key, object);
    if (store_put(in->store, object, envelope, envelope_len, err) != 0) {
        store_unavailable(err);
        goto out;
    }
    rc = 0;
out:
    store_deadline_clear();
    free(envelope);
    buf_free(&body);
    return rc;
}

/* ,"name": value, as a JSON string even for text that is not UTF-8 (a hostile path
 * quoted in a message). name is JSON already. */
static void answer_field(struct jsonout *o, const char *name, const char *value)
{
    size_t n = strlen(value);

    jsonout_raw(o, name, strlen(name));
    if (codec_utf8_valid(value, n))
        jsonout_string(o, value, n);
    else
        jsonout_lit(o, "\"(request text that is not utf-8)\"");
}

/* A JSON answer of two or three string fields, written directly, one line with its
 * newline: k1..k3 are the JSON before each value ("{\"status\":", ",\"key\":"); k3 NULL
 * for two. */
static void json_answer(struct intake_response *resp, const char *k1, const char *v1,
                        const char *k2, const char *v2, const char *k3, const char *v3)
{
    struct jsonout o;

    jsonout_init(&o, 256);
    answer_field(&o, k1, v1);
    answer_field(&o, k2, v2);
    if (k3 != NULL)
        answer_field(&o, k3, v3);
    jsonout_lit(&o, "}\n");
    resp->content_type = JSON_CONTENT_TYPE;
    resp->body = jsonout_take(&o, &resp->body_len);
}

/* The one place where error codes become HTTP answers. */
static void answer_refusal(const struct error *err, const struct source_config *source,
                           struct intake_response *resp)
{
    switch (err->code) {
    case HS_ERR_NOT_FOUND:
        resp->status = 404;
        break;
    case HS_ERR_METHOD:
        resp->status = 405;
        resp->allow = source != NULL && handshake_allows_get(&source->verify) ? "GET, POST"
                                                                               : "POST";
        break;
    case HS_ERR_FORBIDDEN:
        resp->status = 403;
        break;
    case HS_ERR_TOO_LARGE:
        resp->status = strcmp(err->tag, "headers_too_large") == 0 ? 431 : 413;
        break;
    case HS_ERR_AUTH:
        resp->status = 401;
        break;
    case HS_ERR_INPUT:
        resp->status = 400;
        break;
    case HS_ERR_TRANSIENT:
    case HS_ERR_PERMANENT:
    case HS_ERR_CONFIG:
    case HS_OK:
        resp->status = 503;
        resp->retry_after_s =
            strcmp(err->tag, "backlog_full") == 0 ? RETRY_AFTER_BACKLOG_S : RETRY_AFTER_STORE_S;
        break;
    }
    json_answer(resp, "{\"error\":", err->msg, ",\"code\":",
                err->tag[0] != '\0' ? err->tag : "error", NULL, NULL);
}

/* 202 with JSON, or the source's own "response" (status, and a body when it sets one). */
static void answer_accepted(const struct intake_result *r, struct intake_response *resp)
{
    const struct response_config *custom = &r->source->response;

    if (custom->status == 0) {
        resp->status = 202;
        json_answer(resp, "{\"status\":", "accepted", ",\"source\":", r->source->name,
                    ",\"key\":", r->encoded_key);
        return;
    }
    resp->status = custom->status;
    if (custom->body != NULL) {
        resp->content_type = custom->content_type;
        resp->body = xmalloc(custom->body_len + 1);
        memcpy(resp->body, custom->body, custom->body_len + 1);
        resp->body_len = custom->body_len;
    }
}

/* A one-key listing, not a HEAD: a HEAD cannot tell a missing bucket from a missing key. */
static void answer_health(struct intake *in, struct intake_response *resp)
{
    struct store_page page;
    struct error err;

    error_clear(&err);
    if (store_list(in->store, "_stats/", NULL, 1, &page, &err) == 0) {
        store_page_free(&page);
        resp->status = 200;
        json_answer(resp, "{\"status\":", "ok", ",\"store\":", store_describe(in->store), NULL,
                    NULL);
        return;
    }
    log_error("health_store_unavailable", err.msg);
    resp->status = 503;
    resp->retry_after_s = RETRY_AFTER_STORE_S;
    json_answer(resp, "{\"error\":", err.msg, ",\"code\":", "store_unavailable", NULL, NULL);
}

void intake_handle(struct intake *in, const struct intake_request *req,
                   intake_read_fn read_body, void *read_ctx, struct intake_response *resp)
{
    int64_t started = clock_mono_ms();
    struct intake_result r;
    struct log_fields f = LOG_FIELDS_INIT;
    const char *event;
    struct error err;

    memset(resp, 0, sizeof(*resp));
    memset(&r, 0, sizeof(r));
    error_clear(&err);
    if (is_health_path(in->cfg, req->path) && strcmp(req->method, "POST") != 0) {
        answer_health(in, resp);
        return;
    }
    if (intake_run(in, req, read_body, read_ctx, &r, &err) != 0) {
        answer_refusal(&err, r.source, resp);
        f.error = err.msg;
        event = "refused";
    } else if (r.is_handshake) {
        resp->status = r.handshake.status;
        resp->content_type = r.handshake.content_type;
        resp->body = r.handshake.body;
        resp->body_len = r.handshake.body_len;
        r.handshake.body = NULL;
        f.detail = r.handshake.kind;
        event = "handshake";
    } else {
        answer_accepted(&r, resp);
        event = "accepted";
    }
    f.source = r.source != NULL ? r.source->name : NULL;
    f.key = r.encoded_key;
    f.status = resp->status;
    f.latency_ms = clock_mono_ms() - started;
    log_event(resp->status < 500 ? LOG_INFO : LOG_WARN, event, &f);
    handshake_answer_free(&r.handshake);
    free(r.raw_key);
    free(r.encoded_key);
}

void intake_response_free(struct intake_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}
