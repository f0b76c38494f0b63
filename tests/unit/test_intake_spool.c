/*
 * test_intake_spool: what the handler pipeline writes into the spool (an fs
 * store in a temporary directory), seen from the stored objects:
 *   - no credential is stored: Authorization, Proxy-Authorization, Cookie and
 *     a token source's token header are left out of the envelope, while the
 *     provider's signature header and the other headers stay;
 *   - two webhooks never share an object: a raw key that reads like the
 *     body_sha256 fallback name of another webhook gets a name of its own;
 *   - a backlog count the drain stopped refreshing does not refuse intake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "backlog.h"
#include "buf.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "digest.h"
#include "envelope.h"
#include "headers.h"
#include "intake.h"
#include "store.h"
#include "xmalloc.h"

#define GH_SECRET "gh-secret"
#define GITLAB_TOKEN "glpat-token-never-stored"

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
};

static ssize_t read_body(void *ctx, void *buf, size_t n)
{
    struct body_reader *r = ctx;
    size_t left = r->len - r->pos;

    if (n > left)
        n = left;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;
    char *text;

    strcpy(fx->dir, "/tmp/hookspool-intake-spool.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    text = xasprintf(
        "{\"store\": {\"url\": \"file://%s\"}, \"max_backlog\": 100, \"sources\": ["
        "  {\"name\": \"github\", \"path\": \"/hooks/github\","
        "   \"verify\": {\"scheme\": \"github\", \"secrets\": [\"" GH_SECRET "\"]},"
        "   \"idempotency\": {\"header\": \"X-GitHub-Delivery\"}},"
        "  {\"name\": \"gitlab\", \"path\": \"/hooks/gitlab\","
        "   \"verify\": {\"scheme\": \"token\", \"header\": \"X-Gitlab-Token\","
        "                \"secrets\": [\"" GITLAB_TOKEN "\"]},"
        "   \"idempotency\": {\"header\": \"X-Gitlab-Event-UUID\"}},"
        "  {\"name\": \"plain\", \"path\": \"/hooks/plain\", \"verify\": {\"scheme\": \"none\"},"
        "   \"idempotency\": {\"header\": \"X-Id\", \"fallback\": \"body_sha256\"}}]}",
        fx->dir);
    error_clear(&err);
    fx->cfg = config_parse(text, strlen(text), &err);
    free(text);
    if (fx->cfg == NULL)
        fail_msg("config: %s", err.msg);
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

/* POSTs body to path with the NULL-terminated (name, value) pairs; returns the status. */
static int post(struct fixture *fx, const char *path, const char *body,
                const char *const *headers)
{
    struct intake_request req;
    struct intake_response resp;
    struct body_reader reader = {body, strlen(body), 0};
    int status;

    req.method = "POST";
    req.path = path;
    req.query = "";
    req.remote_addr = "127.0.0.1";
    req.content_length = (long)strlen(body);
    headers_init(&req.headers);
    for (size_t i = 0; headers[i] != NULL; i += 2)
        headers_add(&req.headers, headers[i], headers[i + 1]);
    intake_handle(&fx->in, &req, read_body, &reader, &resp);
    status = resp.status;
    intake_response_free(&resp);
    headers_free(&req.headers);
    return status;
}

/* The stored envelope at key, parsed; fails the test when it is not there. */
static struct envelope *stored(struct fixture *fx, const char *key, char **text)
{
    struct buf data;
    struct error err;
    struct envelope *e;

    buf_init(&data, 1 << 20);
    error_clear(&err);
    if (store_get(fx->store, key, &data, &err) != 0)
        fail_msg("'%s' not stored: %s", key, err.msg);
    e = envelope_parse(data.data, data.len, &err);
    assert_non_null(e);
    *text = xstrndup(data.data, data.len);
    buf_free(&data);
    return e;
}

static void assert_no_header(const struct headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->items[i].name, name) == 0)
            fail_msg("header %s was stored", name);
    }
}

static void test_credentials_are_not_stored(void **state)
{
    struct fixture *fx = *state;
    const char *body = "{\"object_kind\": \"push\"}";
    const char *const headers[] = {
        "Content-Type", "application/json",
        "X-Gitlab-Event-UUID", "uuid-1",
        "X-Gitlab-Token", GITLAB_TOKEN,
        "Authorization", "Basic dXNlcjpwYXNzd29yZA==",
        "proxy-authorization", "Bearer proxy-secret-value",
        "Cookie", "session=cookie-secret-value",
        "X-Gitlab-Event", "Push Hook",
        NULL};
    struct headers h;
    struct envelope *e;
    char *text;

    assert_int_equal(post(fx, "/hooks/gitlab", body, headers), 202);
    e = stored(fx, "pending/gitlab/uuid-1", &text);
    headers_init(&h);
    envelope_headers(e, &h);
    assert_no_header(&h, "X-Gitlab-Token");
    assert_no_header(&h, "Authorization");
    assert_no_header(&h, "Proxy-Authorization");
    assert_no_header(&h, "Cookie");
    assert_string_equal(headers_get(&h, "X-Gitlab-Event"), "Push Hook");
    assert_string_equal(headers_get(&h, "Content-Type"), "application/json");
    /* Not under another name either: no credential value anywhere in the object. */
    assert_null(strstr(text, GITLAB_TOKEN));
    assert_null(strstr(text, "dXNlcjpwYXNzd29yZA=="));
    assert_null(strstr(text, "proxy-secret-value"));
    assert_null(strstr(text, "cookie-secret-value"));
    headers_free(&h);
    envelope_free(e);
    free(text);
}

/* The provider's signature proves the body, not the hop: it stays for destinations. */
static void test_signature_headers_stay(void **state)
{
    struct fixture *fx = *state;
    const char *body = "{\"zen\": \"ok\"}";
    unsigned char mac[DIGEST_MAX];
    size_t n = digest_hmac(DIGEST_SHA256, GH_SECRET, strlen(GH_SECRET), body, strlen(body), mac);
    char *hex = codec_hex_encode(mac, n);
    char *sig = xasprintf("sha256=%s", hex);
    const char *const headers[] = {"X-GitHub-Delivery", "d-1", "X-Hub-Signature-256", sig,
                                   "Authorization", "Bearer front-door", NULL};
    struct headers h;
    struct envelope *e;
    char *text;

    assert_int_equal(n, 32);
    assert_int_equal(post(fx, "/hooks/github", body, headers), 202);
    e = stored(fx, "pending/github/d-1", &text);
    headers_init(&h);
    envelope_headers(e, &h);
    assert_string_equal(headers_get(&h, "X-Hub-Signature-256"), sig);
    assert_no_header(&h, "Authorization");
    headers_free(&h);
    envelope_free(e);
    free(text);
    free(sig);
    free(hex);
}

/*
 * Webhook A has no X-Id, so it is stored under its body's hashed name. Webhook B
 * names exactly that in X-Id: it must get an object of its own and leave A intact.
 */
static void test_raw_key_cannot_take_a_hashed_name(void **state)
{
    struct fixture *fx = *state;
    const char *body_a = "{\"webhook\": \"A\"}";
    const char *body_b = "{\"webhook\": \"B\"}";
    char digest[65];
    char *hashed;
    char *key_a;
    char *key_b;
    char *text_a;
    char *text_b;
    struct envelope *a;
    struct envelope *b;
    unsigned char *body;
    size_t body_len;
    struct error err;
    const char *const no_id[] = {NULL};

    digest_sha256_hex(body_a, strlen(body_a), digest);
    hashed = xasprintf("sha256-%s", digest);
    key_a = xasprintf("pending/plain/%s", hashed);
    key_b = xasprintf("pending/plain/%%73%s", hashed + 1);
    {
        const char *const id_b[] = {"X-Id", hashed, NULL};

        assert_int_equal(post(fx, "/hooks/plain", body_a, no_id), 202);
        assert_int_equal(post(fx, "/hooks/plain", body_b, id_b), 202);
    }
    a = stored(fx, key_a, &text_a);
    b = stored(fx, key_b, &text_b);
    error_clear(&err);
    assert_int_equal(envelope_body(a, &body, &body_len, &err), 0);
    assert_int_equal(body_len, strlen(body_a));
    assert_memory_equal(body, body_a, body_len);
    free(body);
    assert_int_equal(envelope_body(b, &body, &body_len, &err), 0);
    assert_memory_equal(body, body_b, body_len);
    free(body);
    /* B's envelope keeps its raw key as sent. */
    assert_string_equal(envelope_key(b), hashed);
    envelope_free(a);
    envelope_free(b);
    free(text_a);
    free(text_b);
    free(key_a);
    free(key_b);
    free(hashed);
}

/* Writes _stats/backlog.json with backlog n, as a drain did age_s ago. */
static void put_backlog(struct fixture *fx, long n, long age_s)
{
    char when[CLOCK_ISO_MAX];
    char *text;
    struct error err;

    clock_iso8601(clock_now_ms() - (int64_t)age_s * 1000, when);
    text = xasprintf("{\"updated_at\": \"%s\", \"backlog\": %ld}", when, n);
    error_clear(&err);
    assert_int_equal(store_put(fx->store, BACKLOG_KEY, text, strlen(text), &err), 0);
    free(text);
}

/* The drain stopped over max_backlog: past backlog_stale_s its count refuses nothing. */
static void test_stale_backlog_does_not_refuse(void **state)
{
    struct fixture *fx = *state;
    const char *const over[] = {"X-Id", "over", NULL};
    const char *const stale[] = {"X-Id", "stale", NULL};
    struct error err;

    put_backlog(fx, 1000, 0);
    assert_int_equal(post(fx, "/hooks/plain", "{}", over), 503);
    /* A new handler process: the cache starts empty. */
    intake_init(&fx->in, fx->cfg, fx->store);
    put_backlog(fx, 1000, CONFIG_DEFAULT_BACKLOG_STALE_S + 1);
    assert_int_equal(post(fx, "/hooks/plain", "{}", stale), 202);
    error_clear(&err);
    assert_int_equal(store_exists(fx->store, "pending/plain/stale", &err), 1);
    assert_int_equal(store_exists(fx->store, "pending/plain/over", &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_credentials_are_not_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature_headers_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_key_cannot_take_a_hashed_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_backlog_does_not_refuse, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
