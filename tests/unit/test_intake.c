/*
 * The handler pipeline without FastCGI: each refusal's status and JSON code,
 * that a refusal writes nothing, that reading stops at max_body + 1 bytes,
 * hostile idempotency keys staying inside pending/SOURCE/, back pressure,
 * and a failing store answering 503 with Retry-After, whatever it failed with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "backlog.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "digest.h"
#include "envelope.h"
#include "intake.h"
#include "store.h"
#include "xmalloc.h"
#include "loopback.h"

#define SECRET "s3cret"

struct fixture {
    char dir[64];
    struct config *cfg;
    struct store *store;
    struct intake in;
};

struct body_reader {
    const char *data;
    size_t len;
    size_t pos;
    size_t total_read;
    int fail_at_end; /* 1: the read after the last byte fails, as a dropped connection does */
};

static ssize_t read_body(void *ctx, void *buf, size_t n)
{
    struct body_reader *r = ctx;
    size_t left = r->len - r->pos;

    if (n > left)
        n = left;
    if (n == 0 && r->fail_at_end)
        return -1;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    r->total_read += n;
    return (ssize_t)n;
}

static struct config *load_config(const char *store_url, long max_backlog)
{
    struct error err;
    char *text = xasprintf(
        "{\"store\": {\"url\": \"%s\", \"timeout_ms\": 500}, \"max_backlog\": %ld,"
        " \"sources\": ["
        "  {\"name\": \"github\", \"path\": \"/hooks/github\", \"max_body\": 1000,"
        "   \"verify\": {\"scheme\": \"github\", \"secrets\": [\"other\", \"" SECRET "\"]},"
        "   \"idempotency\": {\"header\": \"X-GitHub-Delivery\"}},"
        "  {\"name\": \"orders\", \"path\": \"/hooks/orders\","
        "   \"verify\": {\"scheme\": \"none\"},"
        "   \"idempotency\": {\"json_pointer\": \"/order/id\"}},"
        "  {\"name\": \"plain\", \"path\": \"/hooks/plain\","
        "   \"verify\": {\"scheme\": \"none\"},"
        "   \"idempotency\": {\"headers\": [\"X-Id\", \"X-Request-Id\"],"
        "                     \"fallback\": \"body_sha256\"}}]}",
        store_url, max_backlog);
    struct config *cfg;

    error_clear(&err);
    cfg = config_parse(text, strlen(text), &err);
    if (cfg == NULL)
        fail_msg("config: %s", err.msg);
    free(text);
    return cfg;
}

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;
    char *url;

    strcpy(fx->dir, "/tmp/hookspool-intake.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    url = xasprintf("file://%s", fx->dir);
    fx->cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    fx->store = store_open(&fx->cfg->store, &err);
    assert_non_null(fx->store);
    intake_init(&fx->in, fx->cfg, fx->store);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char *cmd = xasprintf("rm -rf '%s'", fx->dir);

    store_close(fx->store);
    config_free(fx->cfg);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx);
    return 0;
}

struct call {
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    long content_length; /* -2: the body's length */
    const char *headers[8]; /* name, value pairs, NULL-terminated */
};

/* fail_read 1: the read after the body fails. */
static void call_intake_reading(struct fixture *fx, const struct call *c,
                                struct intake_response *resp, struct body_reader *reader,
                                int fail_read)
{
    struct intake_request req;

    req.method = c->method;
    req.path = c->path;
    req.query = "";
    req.remote_addr = "127.0.0.1";
    req.content_length = c->content_length == -2 ? (long)c->body_len : c->content_length;
    headers_init(&req.headers);
    for (int i = 0; c->headers[i] != NULL; i += 2)
        headers_add(&req.headers, c->headers[i], c->headers[i + 1]);
    reader->data = c->body;
    reader->len = c->body_len;
    reader->pos = 0;
    reader->total_read = 0;
    reader->fail_at_end = fail_read;
    intake_handle(&fx->in, &req, read_body, reader, resp);
    headers_free(&req.headers);
}

static void call_intake(struct fixture *fx, const struct call *c, struct intake_response *resp,
                        struct body_reader *reader)
{
    call_intake_reading(fx, c, resp, reader, 0);
}

static char *github_signature(const char *body, size_t len)
{
    unsigned char mac[DIGEST_MAX];
    size_t n = digest_hmac(DIGEST_SHA256, SECRET, strlen(SECRET), body, len, mac);
    char *hex = codec_hex_encode(mac, n);
    char *sig = xasprintf("sha256=%s", hex);

    free(hex);
    return sig;
}

static size_t count_objects(struct fixture *fx, const char *prefix)
{
    struct store_page page;
    struct error err;
    size_t n;

    error_clear(&err);
    assert_int_equal(store_list(fx->store, prefix, NULL, 1000, &page, &err), 0);
    n = page.n;
    store_page_free(&page);
    return n;
}

static const char *answer_code(const struct intake_response *resp)
{
    static char code[64];
    json_t *doc = json_loads(resp->body, 0, NULL);

    assert_non_null(doc);
    snprintf(code, sizeof(code), "%s", json_string_value(json_object_get(doc, "code")));
    json_decref(doc);
    return code;
}

struct refusal_case {
    const char *name;
    struct call call;
    int status;
    const char *code;
};

static void test_refusals_write_nothing(void **state)
{
    struct fixture *fx = *state;
    static const char big[2000] = {0};
    const struct refusal_case cases[] = {
        {"unknown path", {"POST", "/hooks/nope", "{}", 2, -2, {NULL}}, 404, "unknown_path"},
        {"GET", {"GET", "/hooks/github", "", 0, -2, {NULL}}, 405, "method_not_allowed"},
        {"too large by length",
         {"POST", "/hooks/github", big, sizeof(big), -2, {NULL}}, 413, "body_too_large"},
        {"too large without length",
         {"POST", "/hooks/github", big, sizeof(big), -1, {NULL}}, 413, "body_too_large"},
        {"no signature",
         {"POST", "/hooks/github", "{}", 2, -2, {"X-GitHub-Delivery", "d1", NULL}}, 401,
         "missing_signature"},
        {"wrong signature",
         {"POST", "/hooks/github", "{}", 2, -2,
          {"X-GitHub-Delivery", "d1", "X-Hub-Signature-256",
           "sha256=0000000000000000000000000000000000000000000000000000000000000000", NULL}},
         401, "bad_signature"},
        {"not JSON", {"POST", "/hooks/orders", "{nope", 5, -2, {NULL}}, 400, "invalid_json"},
        {"no key in JSON", {"POST", "/hooks/orders", "{\"order\": {}}", 13, -2, {NULL}}, 400,
         "missing_idempotency_key"},
        {"body shorter than its Content-Length",
         {"POST", "/hooks/plain", "{}", 2, 10, {"X-Id", "short", NULL}}, 400, "body_truncated"},
        {"empty body with a Content-Length",
         {"POST", "/hooks/plain", "", 0, 2, {"X-Id", "empty", NULL}}, 400, "body_truncated"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct intake_response resp;
        struct body_reader reader;

        call_intake(fx, &cases[i].call, &resp, &reader);
        if (resp.status != cases[i].status)
            fail_msg("%s: status %d, want %d (%s)", cases[i].name, resp.status, cases[i].status,
                     resp.body);
        assert_string_equal(answer_code(&resp), cases[i].code);
        assert_int_equal(resp.allow != NULL, cases[i].status == 405);
        assert_true(reader.total_read <= 1001);
        intake_response_free(&resp);
    }
    assert_int_equal(count_objects(fx, ""), 0);
}

static void test_accepts_signed_webhook(void **state)
{
    struct fixture *fx = *state;
    const char *body = "{\"zen\": \"ok\"}";
    char *sig = github_signature(body, strlen(body));
    struct call c = {"POST", "/hooks/github", body, strlen(body), -2,
                     {"X-GitHub-Delivery", "72d3162e-cc78", "X-Hub-Signature-256", sig, NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct buf object;
    struct error err;

    call_intake(fx, &c, &resp, &reader);
    assert_int_equal(resp.status, 202);
    assert_non_null(strstr(resp.body, "\"status\":\"accepted\""));
    intake_response_free(&resp);
    buf_init(&object, 1 << 20);
    error_clear(&err);
    assert_int_equal(store_get(fx->store, "pending/github/72d3162e-cc78", &object, &err), 0);
    assert_non_null(strstr(object.data, "\"source\":\"github\""));
    buf_free(&object);
    free(sig);
}

static void test_json_pointer_and_fallback_keys(void **state)
{
    struct fixture *fx = *state;
    const char *order = "{\"order\": {\"id\": 4711}}";
    struct call by_pointer = {"POST", "/hooks/orders", order, strlen(order), -2, {NULL}};
    const char *nul_order = "{\"order\": {\"id\": \"a\\u0000b/..\"}}";
    struct call nul_key = {"POST", "/hooks/orders", nul_order, strlen(nul_order), -2, {NULL}};
    struct call by_second_header = {
        "POST", "/hooks/plain", "x", 1, -2, {"X-Request-Id", "second", NULL}};
    struct call by_hash = {"POST", "/hooks/plain", "abc", 3, -2, {NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct error err;

    error_clear(&err);
    call_intake(fx, &by_pointer, &resp, &reader);
    assert_int_equal(resp.status, 202);
    intake_response_free(&resp);
    assert_int_equal(store_exists(fx->store, "pending/orders/4711", &err), 1);

    /* A NUL inside a JSON string key is encoded, not a terminator. */
    call_intake(fx, &nul_key, &resp, &reader);
    assert_int_equal(resp.status, 202);
    intake_response_free(&resp);
    assert_int_equal(store_exists(fx->store, "pending/orders/a%00b%2F..", &err), 1);

    call_intake(fx, &by_second_header, &resp, &reader);
    assert_int_equal(resp.status, 202);
    intake_response_free(&resp);
    assert_int_equal(store_exists(fx->store, "pending/plain/second", &err), 1);

    call_intake(fx, &by_hash, &resp, &reader);
    assert_int_equal(resp.status, 202);
    intake_response_free(&resp);
    /* sha256("abc") */
    assert_int_equal(
        store_exists(fx->store,
                     "pending/plain/"
                     "sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                     &err),
        1);
}

static void test_hostile_keys_stay_inside(void **state)
{
    struct fixture *fx = *state;
    char long_key[10241];
    const char *keys[] = {"../../etc/passwd", "a/b", "/", ".", "..", "\xff\xfe", long_key};
    struct store_page page;
    struct error err;

    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", keys[i], NULL}};
        struct intake_response resp;
        struct body_reader reader;

        call_intake(fx, &c, &resp, &reader);
        assert_int_equal(resp.status, 202);
        intake_response_free(&resp);
    }
    error_clear(&err);
    assert_int_equal(store_list(fx->store, "", NULL, 100, &page, &err), 0);
    assert_int_equal(page.n, sizeof(keys) / sizeof(keys[0]));
    for (size_t i = 0; i < page.n; i++) {
        const char *k = page.keys[i] + strlen("pending/plain/");

        assert_int_equal(strncmp(page.keys[i], "pending/plain/", 14), 0);
        assert_null(strchr(k, '/'));
        assert_true(strlen(k) <= 200);
        assert_true(k[0] != '.');
    }
    store_page_free(&page);
}

static void test_backlog_full_answers_503(void **state)
{
    struct fixture *fx = *state;
    struct backlog_counts total = {150, 10, -1, 0};
    struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", "k1", NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct error err;

    error_clear(&err);
    assert_int_equal(backlog_write(fx->store, &total, NULL, 0, &err), 0);
    call_intake(fx, &c, &resp, &reader);
    assert_int_equal(resp.status, 503);
    assert_true(resp.retry_after_s > 0);
    assert_string_equal(answer_code(&resp), "backlog_full");
    intake_response_free(&resp);
    assert_int_equal(count_objects(fx, "pending/"), 0);
}

static void test_store_failure_answers_503(void **state)
{
    struct fixture *fx = *state;
    struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", "k1", NULL}};
    struct call health = {"GET", "/hooks/_health", "", 0, -2, {NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct config *cfg;
    struct store *store;
    struct intake in;
    struct error err;
    char *url;

    call_intake(fx, &health, &resp, &reader);
    assert_int_equal(resp.status, 200);
    intake_response_free(&resp);

    /* An S3 endpoint on a port where nothing listens. */
    url = xasprintf("s3://bucket?endpoint=127.0.0.1:9&tls=0\", \"access_key\": \"a\","
                    " \"secret_key\": \"b");
    cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    store = store_open(&cfg->store, &err);
    assert_non_null(store);
    intake_init(&in, cfg, store);
    fx->in = in;
    call_intake(fx, &c, &resp, &reader);
    assert_int_equal(resp.status, 503);
    assert_true(resp.retry_after_s > 0);
    assert_string_equal(answer_code(&resp), "store_unavailable");
    intake_response_free(&resp);
    call_intake(fx, &health, &resp, &reader);
    assert_int_equal(resp.status, 503);
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    store_close(store);
    config_free(cfg);
}

/* A bucket that does not exist is an unhealthy store, though a HEAD of a key says "absent". */
static void test_health_missing_bucket_is_503(void **state)
{
    struct fixture *fx = *state;
    struct call health = {"GET", "/hooks/_health", "", 0, -2, {NULL}};
    const char *endpoint = getenv("HS_S3_ENDPOINT");
    const char *access = getenv("S3_ACCESS_KEY");
    const char *secret = getenv("S3_SECRET_KEY");
    struct intake_response resp;
    struct body_reader reader;
    struct config *cfg;
    struct store *store;
    struct error err;
    char *url;

    if (endpoint == NULL || access == NULL || secret == NULL)
        fail_msg("HS_S3_ENDPOINT and S3 credentials are not set: run through tests/run");
    url = xasprintf("s3://no-such-bucket-hookspool?endpoint=%s&tls=0\", \"access_key\": \"%s\","
                    " \"secret_key\": \"%s",
                    endpoint, access, secret);
    cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    store = store_open(&cfg->store, &err);
    assert_non_null(store);
    intake_init(&fx->in, cfg, store);
    call_intake(fx, &health, &resp, &reader);
    assert_int_equal(resp.status, 503);
    assert_string_equal(answer_code(&resp), "store_unavailable");
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    store_close(store);
    config_free(cfg);
}

/* A store that stops answering costs one store timeout per request, not two (the
 * backlog read and the write): the provider gets its 503 before its own timeout. */
static void test_stalled_store_costs_one_timeout(void **state)
{
    struct fixture *fx = *state;
    struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", "k1", NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct config *cfg;
    struct store *store;
    struct error err;
    int64_t started;
    int port;
    int fd = loopback_listen(16, &port); /* never accepted: answers never come */
    char *url = xasprintf("s3://bucket?endpoint=127.0.0.1:%d&tls=0\","
                          " \"access_key\": \"a\", \"secret_key\": \"b",
                          port);

    cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    store = store_open(&cfg->store, &err);
    assert_non_null(store);
    intake_init(&fx->in, cfg, store);
    started = clock_mono_ms();
    call_intake(fx, &c, &resp, &reader);
    assert_int_equal(resp.status, 503);
    assert_string_equal(answer_code(&resp), "store_unavailable");
    assert_true(clock_mono_ms() - started < 2 * 500);
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    store_close(store);
    config_free(cfg);
    close(fd);
}

/* An endpoint that answers every request 404 with no body, as a misrouted proxy does. */
struct not_found_server {
    int fd;
    pthread_t thread;
};

static void *serve_not_found(void *arg)
{
    struct not_found_server *srv = arg;
    static const char answer[] =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    for (;;) {
        char chunk[4096];
        int c = accept(srv->fd, NULL, NULL);
        struct pollfd pfd;

        if (c < 0)
            return NULL;
        /* The request head, then the answer; whatever else comes is read and dropped, so
         * the close does not reset the connection before the client read the answer. */
        if (read(c, chunk, sizeof(chunk)) > 0 && write(c, answer, sizeof(answer) - 1) > 0) {
            shutdown(c, SHUT_WR);
            pfd.fd = c;
            pfd.events = POLLIN;
            while (poll(&pfd, 1, 2000) > 0 && read(c, chunk, sizeof(chunk)) > 0)
                continue;
        }
        close(c);
    }
}

/* A store error is a 503 whatever its code: a 404 from the store is not "unknown path",
 * and a provider told 4xx may drop the webhook instead of retrying. */
static void test_store_not_found_answers_503(void **state)
{
    struct fixture *fx = *state;
    struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", "k1", NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct not_found_server srv;
    struct config *cfg;
    struct store *store;
    struct error err;
    int port;
    char *url;

    srv.fd = loopback_listen(16, &port);
    assert_int_equal(pthread_create(&srv.thread, NULL, serve_not_found, &srv), 0);
    url = xasprintf("s3://bucket?endpoint=127.0.0.1:%d&tls=0\", \"access_key\": \"a\","
                    " \"secret_key\": \"b",
                    port);
    cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    store = store_open(&cfg->store, &err);
    assert_non_null(store);
    intake_init(&fx->in, cfg, store);
    call_intake(fx, &c, &resp, &reader);
    if (resp.status != 503)
        fail_msg("status %d, want 503 (%s)", resp.status, resp.body);
    assert_true(resp.retry_after_s > 0);
    assert_string_equal(answer_code(&resp), "store_unavailable");
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    store_close(store);
    config_free(cfg);
    shutdown(srv.fd, SHUT_RDWR);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
}

/* A read that fails is the connection's doing (a stop, a dropped peer), not the
 * sender's: 503 with Retry-After, so the provider sends it again. */
static void test_failed_read_answers_503(void **state)
{
    struct fixture *fx = *state;
    struct call c = {"POST", "/hooks/plain", "{\"a\": 1}", 8, -2, {"X-Id", "k1", NULL}};
    struct intake_response resp;
    struct body_reader reader;

    call_intake_reading(fx, &c, &resp, &reader, 1);
    assert_int_equal(resp.status, 503);
    assert_true(resp.retry_after_s > 0);
    assert_string_equal(answer_code(&resp), "body_unreadable");
    intake_response_free(&resp);
    assert_int_equal(count_objects(fx, ""), 0);
}

/* Numbers past 64 bits or double are RFC 8259 JSON: accepted anywhere in the body, and
 * a pointer that lands on one takes its literal text as the key. */
static void test_json_beyond_int64_and_double(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *body;
        const char *object;
    } cases[] = {
        {"{\"order\": {\"id\": 18446744073709551615}}", "pending/orders/18446744073709551615"},
        {"{\"order\": {\"id\": 1e400}}", "pending/orders/1e400"},
        {"{\"order\": {\"id\": \"k-1\"}, \"total\": 1e400, \"n\": -18446744073709551616}",
         "pending/orders/k-1"},
        {"{\"order\": {\"id\": \"\\ud800\"}, \"deep\": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}",
         "pending/orders/%ED%A0%80"},
    };
    struct error err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct call c = {"POST", "/hooks/orders", cases[i].body, strlen(cases[i].body), -2,
                         {NULL}};
        struct intake_response resp;
        struct body_reader reader;

        call_intake(fx, &c, &resp, &reader);
        if (resp.status != 202)
            fail_msg("case %zu: status %d (%s)", i, resp.status, resp.body);
        intake_response_free(&resp);
        error_clear(&err);
        assert_int_equal(store_exists(fx->store, cases[i].object, &err), 1);
    }
}

static void fill_header(char *value, size_t len)
{
    memset(value, '\x01', len); /* a control byte: the costliest byte to store in JSON */
    value[len] = '\0';
}

/* The head (headers, path, query, address) is capped at ENVELOPE_HEAD_MAX: over it 431;
 * at it, with the body at max_body and made of the costliest bytes, the envelope still
 * fits the size the drain reads. */
static void test_head_cap_and_envelope_bound(void **state)
{
    struct fixture *fx = *state;
    size_t max_body = CONFIG_DEFAULT_MAX_BODY;
    char *body = xmalloc(max_body);
    char *value = xmalloc(ENVELOPE_HEAD_MAX + 1);
    /* What the head holds besides X-Id's value: method, path, address, X-Id's name + 4. */
    size_t rest = strlen("POST") + strlen("/hooks/plain") + strlen("127.0.0.1") +
                  strlen("X-Id") + 4;
    struct intake_response resp;
    struct body_reader reader;
    struct buf object;
    struct store_page page;
    struct error err;

    memset(body, '\x01', max_body);
    fill_header(value, ENVELOPE_HEAD_MAX - rest + 1);
    {
        struct call c = {"POST", "/hooks/plain", body, max_body, -2, {"X-Id", value, NULL}};

        call_intake(fx, &c, &resp, &reader);
        assert_int_equal(resp.status, 431);
        assert_string_equal(answer_code(&resp), "headers_too_large");
        assert_int_equal(reader.total_read, 0);
        intake_response_free(&resp);
        assert_int_equal(count_objects(fx, ""), 0);
    }
    fill_header(value, ENVELOPE_HEAD_MAX - rest);
    {
        struct call c = {"POST", "/hooks/plain", body, max_body, -2, {"X-Id", value, NULL}};

        call_intake(fx, &c, &resp, &reader);
        assert_int_equal(resp.status, 202);
        intake_response_free(&resp);
    }
    error_clear(&err);
    assert_int_equal(store_list(fx->store, "pending/plain/", NULL, 10, &page, &err), 0);
    assert_int_equal(page.n, 1);
    buf_init(&object, envelope_max_len(max_body));
    assert_int_equal(store_get(fx->store, page.keys[0], &object, &err), 0);
    /* The body alone is six bytes per byte; the bound leaves the drain its room. */
    assert_true(object.len > 6 * max_body);
    assert_true(object.len <= envelope_max_len(max_body) - ENVELOPE_DELIVERY_ROOM);
    buf_free(&object);
    store_page_free(&page);
    free(value);
    free(body);
}

/* GET <mount>/_health, where the mount is the sources' shared directory; not under a
 * source's path, not elsewhere. */
static void test_health_only_at_the_mount(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *path;
        int status;
    } cases[] = {
        {"/hooks/_health", 200},        {"/hooks/github/_health", 404},
        {"/other/_health", 404},        {"/_health", 404},
        {"/hooks/_health/x", 404},      {"/hookss/_health", 404},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct call c = {"GET", cases[i].path, "", 0, -2, {NULL}};
        struct intake_response resp;
        struct body_reader reader;

        call_intake(fx, &c, &resp, &reader);
        if (resp.status != cases[i].status)
            fail_msg("%s: status %d, want %d", cases[i].path, resp.status, cases[i].status);
        intake_response_free(&resp);
    }
}

/* Sources that share no directory are mounted at the root; a shared prefix that is not
 * a whole directory ("/a" of "/a/x" and "/ab/y") is no mount. */
static void test_health_mount_of_unrelated_paths(void **state)
{
    struct fixture *fx = *state;
    static const char text[] =
        "{\"store\": {\"url\": \"file:///tmp\"}, \"sources\": ["
        " {\"name\": \"x\", \"path\": \"/a/x\", \"verify\": {\"scheme\": \"none\"},"
        "  \"idempotency\": {\"header\": \"X-Id\"}},"
        " {\"name\": \"y\", \"path\": \"/ab/y\", \"verify\": {\"scheme\": \"none\"},"
        "  \"idempotency\": {\"header\": \"X-Id\"}}]}";
    struct call root = {"GET", "/_health", "", 0, -2, {NULL}};
    struct call under_a = {"GET", "/a/_health", "", 0, -2, {NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct config *cfg;
    struct error err;

    error_clear(&err);
    cfg = config_parse(text, strlen(text), &err);
    assert_non_null(cfg);
    intake_init(&fx->in, cfg, fx->store);
    call_intake(fx, &root, &resp, &reader);
    assert_int_equal(resp.status, 200);
    intake_response_free(&resp);
    call_intake(fx, &under_a, &resp, &reader);
    assert_int_equal(resp.status, 404);
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    config_free(cfg);
}

/* An S3 endpoint that answers the backlog read slowly, then never answers the write. */
struct slow_server {
    int fd;
    long delay_ms;
    pthread_t thread;
};

static void *serve_slow_then_stall(void *arg)
{
    struct slow_server *srv = arg;
    static const char body[] = "{\"backlog\": 0}";
    char answer[256];
    int c;

    snprintf(answer, sizeof(answer),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             sizeof(body) - 1, body);
    while ((c = accept(srv->fd, NULL, NULL)) >= 0) {
        char chunk[8192];
        ssize_t n;

        /* Request heads one by one: GETs answered late, a PUT never. */
        while ((n = read(c, chunk, sizeof(chunk))) > 0) {
            if (strncmp(chunk, "GET ", 4) != 0)
                continue;
            usleep((useconds_t)srv->delay_ms * 1000);
            if (write(c, answer, strlen(answer)) < 0)
                break;
        }
        close(c);
    }
    return NULL;
}

/* The backlog read and the write share one store deadline: a slow read leaves the write
 * only what remains of timeout_ms, so the answer comes within one timeout. */
static void test_backlog_read_and_write_share_one_deadline(void **state)
{
    struct fixture *fx = *state;
    struct call c = {"POST", "/hooks/plain", "{}", 2, -2, {"X-Id", "k1", NULL}};
    struct intake_response resp;
    struct body_reader reader;
    struct slow_server srv;
    struct config *cfg;
    struct store *store;
    struct error err;
    int64_t started;
    int64_t took;
    int port;
    char *url;

    srv.delay_ms = 300; /* of the fixture's timeout_ms 500 */
    srv.fd = loopback_listen(16, &port);
    assert_int_equal(pthread_create(&srv.thread, NULL, serve_slow_then_stall, &srv), 0);
    url = xasprintf("s3://bucket?endpoint=127.0.0.1:%d&tls=0\", \"access_key\": \"a\","
                    " \"secret_key\": \"b",
                    port);
    cfg = load_config(url, 100);
    free(url);
    error_clear(&err);
    store = store_open(&cfg->store, &err);
    assert_non_null(store);
    intake_init(&fx->in, cfg, store);
    started = clock_mono_ms();
    call_intake(fx, &c, &resp, &reader);
    took = clock_mono_ms() - started;
    if (resp.status != 503)
        fail_msg("status %d, want 503 (%s)", resp.status, resp.body);
    assert_string_equal(answer_code(&resp), "store_unavailable");
    if (took < 300 || took > 500 + 150)
        fail_msg("answered after %ld ms; the shared deadline is 500 ms", (long)took);
    intake_response_free(&resp);
    intake_init(&fx->in, fx->cfg, fx->store);
    store_close(store);
    config_free(cfg);
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.thread, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refusals_write_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepts_signed_webhook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_pointer_and_fallback_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_keys_stay_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_full_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failure_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stalled_store_costs_one_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_missing_bucket_is_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_not_found_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_read_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_beyond_int64_and_double, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_cap_and_envelope_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_only_at_the_mount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_health_mount_of_unrelated_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_read_and_write_share_one_deadline, setup,
                                        teardown),
    };
    struct error err;
    int failed;

    error_clear(&err);
    if (store_global_init(&err) != 0)
        return 1;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    store_global_cleanup();
    return failed;
}
