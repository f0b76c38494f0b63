/* Unit tests for lib/delivery.c: the outgoing headers, Retry-After, and one
 * POST against a canned loopback server (status, Retry-After, error text,
 * the bytes on the wire), plus a refused connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "delivery.h"
#include "error.h"
#include "headers.h"
#include "sig.h"
#include "loopback.h"

static const char *find(const struct headers *h, const char *name)
{
    return headers_get(h, name);
}

static void headers_filtered_and_added(void **state)
{
    struct headers orig;
    struct headers out;
    struct delivery_meta meta = {"github", "abc%2F1", 3, NULL, 1800000000, "X-Gitlab-Token",
                                  "ci"};

    (void)state;
    headers_init(&orig);
    headers_init(&out);
    headers_add(&orig, "Content-Type", "application/json");
    headers_add(&orig, "X-GitHub-Event", "push");
    headers_add(&orig, "X-Hub-Signature-256", "sha256=00");
    headers_add(&orig, "Connection", "keep-alive, X-Private-Hop");
    headers_add(&orig, "X-Private-Hop", "1");
    headers_add(&orig, "Keep-Alive", "timeout=5");
    headers_add(&orig, "Proxy-Authorization", "Basic eA==");
    headers_add(&orig, "TE", "trailers");
    headers_add(&orig, "Trailer", "X");
    headers_add(&orig, "Transfer-Encoding", "chunked");
    headers_add(&orig, "Upgrade", "h2c");
    headers_add(&orig, "Host", "hooks.example");
    headers_add(&orig, "Content-Length", "12");
    headers_add(&orig, "Expect", "100-continue");
    headers_add(&orig, "Authorization", "Bearer secret");
    headers_add(&orig, "Cookie", "session=1");
    headers_add(&orig, "Idempotency-Key", "forged");
    headers_add(&orig, "Hookspool-Attempt", "99");
    headers_add(&orig, "Bad Name", "x");
    headers_add(&orig, "X-Injected", "a\r\nX-Evil: 1");
    headers_add(&orig, "webhook-id", "msg_provider");
    headers_add(&orig, "X-Empty", "");
    headers_add(&orig, "x-gitlab-token", "shared-secret");
    delivery_headers(&orig, &meta, "{}", 2, &out);

    assert_int_equal(out.n, 9);
    assert_string_equal(out.items[0].name, "Content-Type");
    assert_string_equal(out.items[1].name, "X-GitHub-Event");
    assert_string_equal(out.items[2].name, "X-Hub-Signature-256");
    /* Without signing, the provider's own webhook-* headers pass through. */
    assert_string_equal(find(&out, "webhook-id"), "msg_provider");
    assert_string_equal(find(&out, "X-Empty"), "");
    assert_string_equal(find(&out, "Idempotency-Key"), "abc%2F1");
    assert_string_equal(find(&out, "Hookspool-Source"), "github");
    assert_string_equal(find(&out, "Hookspool-Destination"), "ci");
    assert_string_equal(find(&out, "Hookspool-Attempt"), "3");
    assert_null(find(&out, "Authorization"));
    assert_null(find(&out, "X-Private-Hop"));
    assert_null(find(&out, "X-Injected"));
    assert_null(find(&out, "webhook-signature"));
    headers_free(&orig);
    headers_free(&out);
}

static void headers_signed_verify(void **state)
{
    static const char whsec_b64[] = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    struct secret key = {NULL, 0};
    struct verify_config v;
    struct headers orig;
    struct headers out;
    struct error err;
    struct delivery_meta meta = {"shop", "k1", 1, NULL, 0, NULL, "default"};
    const char body[] = "{\"a\":1}";

    (void)state;
    key.bytes = codec_base64_decode(whsec_b64, strlen(whsec_b64), &key.len);
    assert_non_null(key.bytes);
    meta.sign = &key;
    meta.now_s = (int64_t)time(NULL);
    headers_init(&orig);
    headers_init(&out);
    headers_add(&orig, "webhook-signature", "v1,forged");
    delivery_headers(&orig, &meta, body, strlen(body), &out);
    assert_string_equal(find(&out, "webhook-id"), "shop/k1");
    assert_non_null(find(&out, "webhook-timestamp"));
    assert_string_not_equal(find(&out, "webhook-signature"), "v1,forged");

    /* The receiving side's own check accepts it. */
    memset(&v, 0, sizeof(v));
    v.scheme = VERIFY_STANDARD;
    v.secrets = &key;
    v.n_secrets = 1;
    v.tolerance_s = 300;
    error_clear(&err);
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &out, body, strlen(body)},
                                meta.now_s, &err),
                     0);
    assert_int_not_equal(
        sig_verify(&v, &(struct sig_request){"POST", "", &out, "{}", 2}, meta.now_s, &err), 0);
    free(key.bytes);
    headers_free(&orig);
    headers_free(&out);
}

static void retry_after_table(void **state)
{
    const int64_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    static const struct {
        const char *value;
        long want;
    } cases[] = {
        {"2", 2},
        {"0", 0},
        {" 120 ", 120},
        {"86400", 86400},
        {"999999999999999999999", DELIVERY_RETRY_AFTER_MAX},
        {"Sun, 06 Nov 1994 08:50:37 GMT", 60},    /* IMF-fixdate */
        {"Sunday, 06-Nov-94 08:49:47 GMT", 10},   /* RFC 850 */
        {"Sun Nov  6 08:49:57 1994", 20},         /* asctime */
        {"Sun, 06 Nov 1994 08:00:00 GMT", 0},     /* in the past */
        {"Mon, 06 Nov 2034 08:00:00 GMT", DELIVERY_RETRY_AFTER_MAX},
        {"-5", -1},
        {"1.5", -1},
        {"soon", -1},
        {"", -1},
    };

    (void)state;
    assert_int_equal(delivery_retry_after(NULL, now), -1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long got = delivery_retry_after(cases[i].value, now);

        if (got != cases[i].want)
            fail_msg("Retry-After '%s': want %ld, got %ld", cases[i].value, cases[i].want, got);
    }
}

/* A one-shot HTTP server: records the request, answers with a canned response. */
struct canned {
    int fd;
    const char *response;
    struct buf request;
};

static void *serve_once(void *arg)
{
    struct canned *c = arg;
    char chunk[4096];
    int conn = accept(c->fd, NULL, NULL);
    ssize_t n;

    if (conn < 0)
        return NULL;
    /* Reads until the client's body is complete: headers end + Content-Length. */
    while ((n = read(conn, chunk, sizeof(chunk))) > 0) {
        const char *end;
        const char *cl;

        if (buf_append(&c->request, chunk, (size_t)n) != 0)
            break;
        end = strstr(c->request.data, "\r\n\r\n");
        cl = strstr(c->request.data, "Content-Length: ");
        if (end != NULL && cl != NULL &&
            c->request.len >= (size_t)(end + 4 - c->request.data) + strtoul(cl + 16, NULL, 10))
            break;
    }
    if (write(conn, c->response, strlen(c->response)) < 0)
        fail_msg("write failed");
    close(conn);
    return NULL;
}

static void post_reads_status_retry_after_and_sends_bytes(void **state)
{
    static const unsigned char body[] = {0x00, 0xff, 'h', 'i', 0x0d, 0x0a, 0x80};
    struct canned c;
    struct delivery *d = delivery_new();
    struct delivery_result r;
    struct headers h;
    pthread_t t;
    char url[64];
    int port;
    const char *wire_body;

    (void)state;
    c.response = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 11\r\n"
                 "Connection: close\r\n\r\nslow\x01\xff down";
    buf_init(&c.request, 65536);
    c.fd = loopback_listen(4, &port);
    assert_true(c.fd >= 0);
    assert_int_equal(pthread_create(&t, NULL, serve_once, &c), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
    headers_init(&h);
    headers_add(&h, "Idempotency-Key", "k");
    headers_add(&h, "X-Empty", "");
    {
        struct delivery_target target = {url, 5000, 2000};

        assert_int_equal(delivery_post(d, &target, &h, body, sizeof(body), &r), 0);
    }
    pthread_join(t, NULL);
    close(c.fd);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after_s, 7);
    assert_string_equal(r.error, "http 429: slow   down");
    assert_true(r.duration_ms >= 0);
    /* On the wire: our headers, no invented Content-Type or Expect, the body exact. */
    assert_non_null(strstr(c.request.data, "POST /hook HTTP/1.1\r\n"));
    assert_non_null(strstr(c.request.data, "\r\nIdempotency-Key: k\r\n"));
    assert_non_null(strstr(c.request.data, "\r\nX-Empty:\r\n"));
    assert_null(strstr(c.request.data, "Content-Type"));
    assert_null(strstr(c.request.data, "Expect"));
    wire_body = strstr(c.request.data, "\r\n\r\n") + 4;
    assert_int_equal(c.request.len - (size_t)(wire_body - c.request.data), sizeof(body));
    assert_memory_equal(wire_body, body, sizeof(body));
    buf_free(&c.request);
    headers_free(&h);
    delivery_free(d);
}

static void post_refused_is_no_answer(void **state)
{
    struct delivery *d = delivery_new();
    struct delivery_result r;
    struct headers h;
    char url[64];
    int port;
    int fd = loopback_listen(4, &port);

    (void)state;
    close(fd); /* nothing listens there now */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    headers_init(&h);
    {
        struct delivery_target target = {url, 2000, 1000};

        assert_int_equal(delivery_post(d, &target, &h, "x", 1, &r), -1);
    }
    assert_int_equal(r.status, 0);
    assert_int_equal(r.retry_after_s, -1);
    assert_true(strlen(r.error) > 0);
    headers_free(&h);
    delivery_free(d);
}

static void post_refuses_other_protocols(void **state)
{
    struct delivery *d = delivery_new();
    struct delivery_result r;
    struct headers h;
    struct delivery_target target = {"file:///etc/passwd", 2000, 1000};

    (void)state;
    headers_init(&h);
    assert_int_equal(delivery_post(d, &target, &h, "x", 1, &r), -1);
    assert_int_equal(r.status, 0);
    headers_free(&h);
    delivery_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(headers_filtered_and_added),
        cmocka_unit_test(headers_signed_verify),
        cmocka_unit_test(retry_after_table),
        cmocka_unit_test(post_reads_status_retry_after_and_sends_bytes),
        cmocka_unit_test(post_refused_is_no_answer),
        cmocka_unit_test(post_refuses_other_protocols),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
