/*
 * The handler pipeline without FastCGI: each refusal's status and JSON code,
 * that a refusal writes nothing, that reading stops at max_body + 1 bytes,
 * hostile idempotency keys staying inside pending/SOURCE/, back pressure,
 * and a failing store answering 503 with Retry-After, whatever it failed with;
 * providers' handshakes (GET and POST) answered in their formats, verified
 * first, and writing nothing; sources' own answers to accepted webhooks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "backlog.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "digest.h"
#include "envelope.h"
#include "handshake.h"
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
    const char *headers[12]; /* name, value pairs, NULL-terminated */
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

/* The same with a query string. */
static void call_intake_query(struct fixture *fx, const struct call *c, const char *query,
                              struct intake_response *resp, struct body_reader *reader)
{
    struct intake_request req;

    req.method = c->method;
    req.path = c->path;
    req.query = query;
    req.remote_addr = "127.0.0.1";
    req.content_length = c->content_length == -2 ? (long)c->body_len : c->content_length;
    headers_init(&req.headers);
    for (int i = 0; c->headers[i] != NULL; i += 2)
        headers_add(&req.headers, c->headers[i], c->headers[i + 1]);
    reader->data = c->body;
    reader->len = c->body_len;
    reader->pos = 0;
    reader->total_read = 0;
    reader->fail_at_end = 0;
    intake_handle(&fx->in, &req, read_body, reader, resp);
    headers_free(&req.headers);
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

    /* The bound is the point here, not the time: a 1 MiB envelope of the costliest bytes
     * takes seconds to build under valgrind, past the fixture's 500 ms deadline. */
    fx->cfg->store.timeout_ms = 120000;
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


/* --- handshakes --- */

#define OLD_SECRET "rotated-out"
#define VERIFY_TOKEN "meta-t0ken"

struct handshake_fixture {
    struct fixture base;
    EVP_PKEY *discord_key;
};

static char *hex_hmac(const char *secret, const void *msg, size_t len)
{
    unsigned char mac[DIGEST_MAX];
    size_t n = digest_hmac(DIGEST_SHA256, secret, strlen(secret), msg, len, mac);

    assert_true(n > 0);
    return codec_hex_encode(mac, n);
}

static int setup_handshakes(void **state)
{
    struct handshake_fixture *hx = xcalloc(1, sizeof(*hx));
    struct fixture *fx = &hx->base;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    unsigned char pub[32];
    size_t pub_len = sizeof(pub);
    char *pub_hex;
    char *text;
    struct error err;

    assert_non_null(kctx);
    assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
    assert_int_equal(EVP_PKEY_keygen(kctx, &hx->discord_key), 1);
    EVP_PKEY_CTX_free(kctx);
    assert_int_equal(EVP_PKEY_get_raw_public_key(hx->discord_key, pub, &pub_len), 1);
    pub_hex = codec_hex_encode(pub, pub_len);
    strcpy(fx->dir, "/tmp/hookspool-handshake.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
#define HS_SOURCE(name, verify)                                                                   \
    "{\"name\": \"" name "\", \"path\": \"/hooks/" name "\", \"verify\": " verify ","              \
    " \"idempotency\": {\"header\": \"X-Id\", \"fallback\": \"body_sha256\"}}"
    text = xasprintf(
        "{\"store\": {\"url\": \"file://%s\"}, \"sources\": ["
        HS_SOURCE("slack", "{\"scheme\": \"slack\", \"secrets\": [\"" SECRET "\"]}") ","
        HS_SOURCE("zoom", "{\"scheme\": \"zoom\", \"secrets\": [\"" OLD_SECRET "\", \"" SECRET
                          "\"]}") ","
        HS_SOURCE("twitch", "{\"scheme\": \"twitch\", \"secrets\": [\"" SECRET "\"]}") ","
        HS_SOURCE("meta", "{\"scheme\": \"meta\", \"secrets\": [\"" SECRET "\"],"
                          " \"verify_token\": \"" VERIFY_TOKEN "\"}") ","
        HS_SOURCE("twitter", "{\"scheme\": \"twitter\", \"secrets\": [\"" SECRET "\"]}") ","
        HS_SOURCE("dropbox", "{\"scheme\": \"dropbox\", \"secrets\": [\"" SECRET "\"]}") ","
        HS_SOURCE("github", "{\"scheme\": \"github\", \"secrets\": [\"" SECRET "\"]}") ","
        HS_SOURCE("discord", "{\"scheme\": \"discord\", \"public_key\": \"%s\"}") ","
        "{\"name\": \"ok\", \"path\": \"/hooks/ok\", \"verify\": {\"scheme\": \"none\"},"
        " \"idempotency\": {\"header\": \"X-Id\", \"fallback\": \"body_sha256\"},"
        " \"response\": {\"status\": 200, \"body\": \"ok\\u00e9\", \"content_type\": \"text/x\"}},"
        "{\"name\": \"empty\", \"path\": \"/hooks/empty\", \"verify\": {\"scheme\": \"github\","
        " \"secrets\": [\"" SECRET "\"]}, \"idempotency\": {\"header\": \"X-Id\", \"fallback\": \"body_sha256\"},"
        " \"response\": {\"status\": 204}}]}",
        fx->dir, pub_hex);
#undef HS_SOURCE
    error_clear(&err);
    fx->cfg = config_parse(text, strlen(text), &err);
    if (fx->cfg == NULL)
        fail_msg("config: %s", err.msg);
    free(text);
    free(pub_hex);
    fx->store = store_open(&fx->cfg->store, &err);
    assert_non_null(fx->store);
    intake_init(&fx->in, fx->cfg, fx->store);
    *state = hx;
    return 0;
}

static int teardown_handshakes(void **state)
{
    struct handshake_fixture *hx = *state;
    char *cmd = xasprintf("rm -rf '%s'", hx->base.dir);

    store_close(hx->base.store);
    config_free(hx->base.cfg);
    EVP_PKEY_free(hx->discord_key);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(hx);
    return 0;
}

struct get_case {
    const char *name;
    const char *method;
    const char *path;
    const char *query;
    int status;
    const char *content_type; /* NULL: JSON refusal with code */
    const char *body;         /* the exact answer, or the refusal's code */
    const char *allow;
    size_t len; /* the answer's length when it holds a NUL, else 0 */
};

/* GET handshakes: decoded, checked, answered without reading a body; every other GET 405. */
static void test_get_handshakes(void **state)
{
    struct handshake_fixture *hx = *state;
    struct fixture *fx = &hx->base;
    char long_query[HANDSHAKE_VALUE_MAX + 64];
    char *twitter;
    unsigned char mac[DIGEST_MAX];
    size_t mac_len;
    char *b64;

    mac_len = digest_hmac(DIGEST_SHA256, SECRET, strlen(SECRET), "crc/t+k n", 9, mac);
    b64 = codec_base64_encode(mac, mac_len);
    twitter = xasprintf("{\"response_token\":\"sha256=%s\"}", b64);
    free(b64);
    snprintf(long_query, sizeof(long_query), "challenge=%0*d", HANDSHAKE_VALUE_MAX + 1, 7);
    {
        const struct get_case cases[] = {
            {"meta", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" VERIFY_TOKEN, 200,
             "text/plain; charset=utf-8", "1158201444", NULL, 0},
            {"meta, values URL-decoded", "GET", "/hooks/meta",
             "hub.verify_token=meta-t0%6Ben&hub.mode=subscribe&hub.challenge=%3Cb%3Ex+y%00z", 200,
             "text/plain; charset=utf-8", "<b>x y\0z", NULL, 8},
            {"meta, wrong token", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.challenge=1&hub.verify_token=meta-t0ke", 403, NULL,
             "verify_token_mismatch", NULL, 0},
            {"meta, no challenge", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.verify_token=" VERIFY_TOKEN, 400, NULL,
             "missing_handshake_parameter", NULL, 0},
            {"meta, empty challenge", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.challenge=&hub.verify_token=" VERIFY_TOKEN, 400, NULL,
             "missing_handshake_parameter", NULL, 0},
            {"meta, no query", "GET", "/hooks/meta", "", 400, NULL,
             "missing_handshake_parameter", NULL, 0},
            {"meta, challenge twice", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.challenge=1&hub.challenge=2&hub.verify_token=" VERIFY_TOKEN,
             400, NULL, "bad_handshake", NULL, 0},
            {"meta, not subscribe", "GET", "/hooks/meta",
             "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" VERIFY_TOKEN, 400, NULL,
             "bad_handshake", NULL, 0},
            {"meta, bad escape", "GET", "/hooks/meta",
             "hub.mode=subscribe&hub.challenge=%zz&hub.verify_token=" VERIFY_TOKEN, 400, NULL,
             "bad_handshake", NULL, 0},
            {"twitter", "GET", "/hooks/twitter", "crc_token=crc%2Ft%2Bk+n&nonce=1", 200,
             "application/json", twitter, NULL, 0},
            {"twitter, no crc_token", "GET", "/hooks/twitter", "nonce=1", 400, NULL,
             "missing_handshake_parameter", NULL, 0},
            {"dropbox", "GET", "/hooks/dropbox", "challenge=abc%20def", 200,
             "text/plain; charset=utf-8", "abc def", NULL, 0},
            {"dropbox, challenge too long", "GET", "/hooks/dropbox", long_query, 400, NULL,
             "bad_handshake", NULL, 0},
            {"GET to a scheme without a GET handshake", "GET", "/hooks/github", "challenge=1", 405,
             NULL, "method_not_allowed", "POST", 0},
            {"GET to slack", "GET", "/hooks/slack", "challenge=1", 405, NULL,
             "method_not_allowed", "POST", 0},
            {"PUT to meta", "PUT", "/hooks/meta", "", 405, NULL, "method_not_allowed",
             "GET, POST", 0},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            const struct get_case *g = &cases[i];
            struct call c = {g->method, g->path, "{\"x\":1}", 7, -2, {NULL}};
            struct intake_response resp;
            struct body_reader reader;

            call_intake_query(fx, &c, g->query, &resp, &reader);
            if (resp.status != g->status)
                fail_msg("%s: status %d, want %d (%s)", g->name, resp.status, g->status,
                         resp.body);
            if (g->content_type != NULL) {
                size_t want_len = g->len != 0 ? g->len : strlen(g->body);

                assert_string_equal(resp.content_type, g->content_type);
                if (resp.body_len != want_len || memcmp(resp.body, g->body, want_len) != 0)
                    fail_msg("%s: answer '%.*s', want '%s'", g->name, (int)resp.body_len,
                             resp.body, g->body);
            } else {
                assert_string_equal(resp.content_type, "application/json");
                if (strcmp(answer_code(&resp), g->body) != 0)
                    fail_msg("%s: code %s, want %s", g->name, answer_code(&resp), g->body);
            }
            if (g->allow == NULL)
                assert_null(resp.allow);
            else
                assert_string_equal(resp.allow, g->allow);
            /* A GET's body is never read, whatever it answers. */
            assert_int_equal(reader.total_read, 0);
            intake_response_free(&resp);
        }
    }
    free(twitter);
    assert_int_equal(count_objects(fx, ""), 0);
}

static char *slack_signature(const char *secret, long ts, const char *body)
{
    char *msg = xasprintf("v0:%ld:%s", ts, body);
    char *hex = hex_hmac(secret, msg, strlen(msg));
    char *sig = xasprintf("v0=%s", hex);

    free(msg);
    free(hex);
    return sig;
}

static char *twitch_signature(const char *id, const char *ts, const char *body)
{
    char *msg = xasprintf("%s%s%s", id, ts, body);
    char *hex = hex_hmac(SECRET, msg, strlen(msg));
    char *sig = xasprintf("sha256=%s", hex);

    free(msg);
    free(hex);
    return sig;
}

static char *discord_signature(EVP_PKEY *key, const char *ts, const char *body)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *msg = xasprintf("%s%s", ts, body);
    unsigned char sig[64];
    size_t sig_len = sizeof(sig);
    char *hex;

    assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)msg, strlen(msg)), 1);
    hex = codec_hex_encode(sig, sig_len);
    EVP_MD_CTX_free(md);
    free(msg);
    return hex;
}

/* One signed POST; the answer must be status with exactly body (NULL: none; a code for 4xx). */
static void post_expect(struct fixture *fx, const char *name, const char *path, const char *body,
                        const char **headers, int status, const char *content_type,
                        const char *answer)
{
    struct call c = {"POST", path, body, strlen(body), -2, {NULL}};
    struct intake_response resp;
    struct body_reader reader;

    for (int i = 0; headers[i] != NULL; i++)
        c.headers[i] = headers[i];
    call_intake(fx, &c, &resp, &reader);
    if (resp.status != status)
        fail_msg("%s: status %d, want %d (%s)", name, resp.status, status,
                 resp.body != NULL ? resp.body : "");
    if (status >= 400) {
        assert_string_equal(answer_code(&resp), answer);
    } else if (answer == NULL) {
        assert_null(resp.content_type);
        assert_null(resp.body);
        assert_int_equal(resp.body_len, 0);
    } else if (content_type != NULL) {
        assert_string_equal(resp.content_type, content_type);
        if (resp.body_len != strlen(answer) || memcmp(resp.body, answer, resp.body_len) != 0)
            fail_msg("%s: answer '%s', want '%s'", name, resp.body, answer);
    }
    intake_response_free(&resp);
}

/* POST handshakes: verified first, answered in the provider's format, never stored. */
static void test_post_handshakes(void **state)
{
    struct handshake_fixture *hx = *state;
    struct fixture *fx = &hx->base;
    long now = (long)time(NULL);
    char ts[32];
    char rfc3339[32];
    const char *slack_body =
        "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":"
        "\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}";
    const char *slack_event = "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\"}}";
    const char *slack_empty = "{\"type\":\"url_verification\",\"challenge\":\"\"}";
    const char *zoom_body = "{\"payload\":{\"plainToken\":\"qgg8vlvZRS6UYooatFL8Aw\"},"
                            "\"event_ts\":1654503849680,\"event\":\"endpoint.url_validation\"}";
    const char *twitch_body = "{\"challenge\":\"pogchamp-kappa-360noscope-vohiyo\","
                              "\"subscription\":{\"type\":\"channel.follow\"}}";
    const char *twitch_nochallenge = "{\"subscription\":{\"type\":\"channel.follow\"}}";
    const char *discord_ping = "{\"version\":1,\"application_id\":\"1234\",\"type\":0}";
    const char *discord_interaction = "{\"id\":\"1\",\"token\":\"t\",\"type\":1,\"version\":1}";
    const char *discord_event =
        "{\"version\":1,\"application_id\":\"1234\",\"type\":1,"
        "\"event\":{\"type\":\"APPLICATION_AUTHORIZED\",\"timestamp\":\"2024-10-18T14:42:53Z\"}}";
    char *sig;
    char *old_sig;
    char *expected_token;
    char *zoom_answer;
    char *hex;
    struct tm tm;
    time_t t = (time_t)now;

    snprintf(ts, sizeof(ts), "%ld", now);
    gmtime_r(&t, &tm);
    strftime(rfc3339, sizeof(rfc3339), "%Y-%m-%dT%H:%M:%S.123456789Z", &tm);

    /* Slack: the challenge as text/plain, once the v0 signature holds. */
    sig = slack_signature(SECRET, now, slack_body);
    post_expect(fx, "slack url_verification", "/hooks/slack", slack_body,
                (const char *[]){"X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig, NULL},
                200, "text/plain; charset=utf-8",
                "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    free(sig);
    sig = slack_signature("wrong", now, slack_body);
    post_expect(fx, "slack url_verification, wrong secret", "/hooks/slack", slack_body,
                (const char *[]){"X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig, NULL},
                401, NULL, "bad_signature");
    free(sig);
    post_expect(fx, "slack url_verification, unsigned", "/hooks/slack", slack_body,
                (const char *[]){NULL}, 401, NULL, "missing_signature");
    sig = slack_signature(SECRET, now, slack_empty);
    post_expect(fx, "slack url_verification, empty challenge", "/hooks/slack", slack_empty,
                (const char *[]){"X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig, NULL},
                400, NULL, "bad_handshake");
    free(sig);
    assert_int_equal(count_objects(fx, ""), 0);

    /* Zoom: signed with the older of two secrets, answered with that one. */
    old_sig = slack_signature(OLD_SECRET, now, zoom_body);
    hex = hex_hmac(OLD_SECRET, "qgg8vlvZRS6UYooatFL8Aw", 22);
    zoom_answer =
        xasprintf("{\"plainToken\":\"qgg8vlvZRS6UYooatFL8Aw\",\"encryptedToken\":\"%s\"}", hex);
    post_expect(fx, "zoom url_validation", "/hooks/zoom", zoom_body,
                (const char *[]){"x-zm-request-timestamp", ts, "x-zm-signature", old_sig, NULL},
                200, "application/json", zoom_answer);
    free(hex);
    free(zoom_answer);
    free(old_sig);
    sig = slack_signature(SECRET, now, zoom_body);
    hex = hex_hmac(SECRET, "qgg8vlvZRS6UYooatFL8Aw", 22);
    expected_token = xasprintf("{\"plainToken\":\"qgg8vlvZRS6UYooatFL8Aw\",\"encryptedToken\":\"%s\"}",
                               hex);
    post_expect(fx, "zoom url_validation, current secret", "/hooks/zoom", zoom_body,
                (const char *[]){"x-zm-request-timestamp", ts, "x-zm-signature", sig, NULL}, 200,
                "application/json", expected_token);
    free(hex);
    free(expected_token);
    free(sig);
    sig = slack_signature("wrong", now, zoom_body);
    post_expect(fx, "zoom url_validation, wrong secret", "/hooks/zoom", zoom_body,
                (const char *[]){"x-zm-request-timestamp", ts, "x-zm-signature", sig, NULL}, 401,
                NULL, "bad_signature");
    free(sig);

    /* Twitch: the challenge as text/plain for webhook_callback_verification only. */
    sig = twitch_signature("msg-1", rfc3339, twitch_body);
    post_expect(fx, "twitch verification", "/hooks/twitch", twitch_body,
                (const char *[]){"Twitch-Eventsub-Message-Id", "msg-1",
                                 "Twitch-Eventsub-Message-Timestamp", rfc3339,
                                 "Twitch-Eventsub-Message-Signature", sig,
                                 "Twitch-Eventsub-Message-Type", "webhook_callback_verification",
                                 NULL},
                200, "text/plain; charset=utf-8", "pogchamp-kappa-360noscope-vohiyo");
    post_expect(fx, "twitch verification, tampered", "/hooks/twitch", twitch_nochallenge,
                (const char *[]){"Twitch-Eventsub-Message-Id", "msg-1",
                                 "Twitch-Eventsub-Message-Timestamp", rfc3339,
                                 "Twitch-Eventsub-Message-Signature", sig,
                                 "Twitch-Eventsub-Message-Type", "webhook_callback_verification",
                                 NULL},
                401, NULL, "bad_signature");
    free(sig);
    sig = twitch_signature("msg-2", rfc3339, twitch_nochallenge);
    post_expect(fx, "twitch verification without a challenge", "/hooks/twitch",
                twitch_nochallenge,
                (const char *[]){"Twitch-Eventsub-Message-Id", "msg-2",
                                 "Twitch-Eventsub-Message-Timestamp", rfc3339,
                                 "Twitch-Eventsub-Message-Signature", sig,
                                 "Twitch-Eventsub-Message-Type", "webhook_callback_verification",
                                 NULL},
                400, NULL, "bad_handshake");
    free(sig);

    /* Discord: the webhook-events PING 204 with no body, the interactions PING {"type":1}. */
    sig = discord_signature(hx->discord_key, ts, discord_ping);
    post_expect(fx, "discord webhook ping", "/hooks/discord", discord_ping,
                (const char *[]){"X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts, NULL},
                204, NULL, NULL);
    free(sig);
    sig = discord_signature(hx->discord_key, ts, discord_interaction);
    post_expect(fx, "discord interactions ping", "/hooks/discord", discord_interaction,
                (const char *[]){"X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts, NULL},
                200, "application/json", "{\"type\":1}");
    post_expect(fx, "discord ping with another's signature", "/hooks/discord", discord_ping,
                (const char *[]){"X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts, NULL},
                401, NULL, "bad_signature");
    free(sig);
    assert_int_equal(count_objects(fx, ""), 0);

    /* What only looks like a handshake on another scheme, or is a real event, is stored. */
    sig = slack_signature(SECRET, now, slack_event);
    post_expect(fx, "slack event", "/hooks/slack", slack_event,
                (const char *[]){"X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig, NULL},
                202, NULL, "");
    free(sig);
    sig = discord_signature(hx->discord_key, ts, discord_event);
    post_expect(fx, "discord event", "/hooks/discord", discord_event,
                (const char *[]){"X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts, NULL},
                202, NULL, "");
    free(sig);
    sig = github_signature(slack_body, strlen(slack_body));
    post_expect(fx, "url_verification body to github", "/hooks/github", slack_body,
                (const char *[]){"X-Hub-Signature-256", sig, NULL}, 202, NULL, "");
    free(sig);
    assert_int_equal(count_objects(fx, "pending/slack/"), 1);
    assert_int_equal(count_objects(fx, "pending/discord/"), 1);
    assert_int_equal(count_objects(fx, "pending/github/"), 1);
    assert_int_equal(count_objects(fx, ""), 3);
}

/* A source's "response" answers accepted webhooks; refusals keep their JSON. */
static void test_custom_response(void **state)
{
    struct handshake_fixture *hx = *state;
    struct fixture *fx = &hx->base;
    char *sig = github_signature("{}", 2);

    post_expect(fx, "200 with a body", "/hooks/ok", "{\"a\":1}", (const char *[]){NULL}, 200,
                "text/x", "ok\xc3\xa9");
    post_expect(fx, "204 without one", "/hooks/empty", "{}",
                (const char *[]){"X-Hub-Signature-256", sig, NULL}, 204, NULL, NULL);
    post_expect(fx, "a refusal is still JSON", "/hooks/empty", "{}", (const char *[]){NULL}, 401,
                NULL, "missing_signature");
    free(sig);
    assert_int_equal(count_objects(fx, "pending/ok/"), 1);
    assert_int_equal(count_objects(fx, "pending/empty/"), 1);
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
        cmocka_unit_test_setup_teardown(test_get_handshakes, setup_handshakes,
                                        teardown_handshakes),
        cmocka_unit_test_setup_teardown(test_post_handshakes, setup_handshakes,
                                        teardown_handshakes),
        cmocka_unit_test_setup_teardown(test_custom_response, setup_handshakes,
                                        teardown_handshakes),
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
