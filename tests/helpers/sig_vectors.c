/*
 * sig_vectors: checks the signature vectors of tests/vectors/make.mjs
 * (signed by the providers' own libraries) with config_parse and
 * sig_verify, and prints TAP lines.
 *
 *   sig_vectors FILE.json
 *
 * Each case must load as a config and verify. Then each must be refused:
 * with the case's wrong secret or key, with the body's last byte changed
 * (a token scheme, which signs no body, must still accept that one),
 * without each of its signature headers, with the clock past the tolerance
 * either way (timestamped schemes), and with another public_url or query
 * (URL-signing schemes). Exit 0 when every check passed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "headers.h"
#include "sig.h"
#include "xmalloc.h"

static int n_checks;
static int n_failed;

static void report(int ok, const char *name, const char *what, const char *detail)
{
    n_checks++;
    if (ok) {
        printf("ok %d - %s: %s\n", n_checks, name, what);
        return;
    }
    n_failed++;
    printf("not ok %d - %s: %s\n", n_checks, name, what);
    printf("# %s\n", detail);
}

/* A one-source config around verify; NULL (and err set) when it does not load. */
static struct config *load(json_t *verify, struct error *err)
{
    json_t *doc = json_pack("{s:{s:s}, s:[{s:s, s:s, s:O, s:{s:s}}]}", "store", "url",
                            "file:///tmp/hookspool-sig-vectors", "sources", "name", "v", "path",
                            "/v", "verify", verify, "idempotency", "header", "X-Id");
    char *text = json_dumps(doc, JSON_COMPACT);
    struct config *cfg = config_parse(text, strlen(text), err);

    free(text);
    json_decref(doc);
    return cfg;
}

struct request {
    const char *query;
    struct headers headers;
    char *body;
    size_t body_len;
    long now;
};

/* sig_verify under verify; "" when valid, else the refusal's tag (or "config: ..."). */
static const char *attempt(json_t *verify, const struct request *r, long now, char *detail,
                           size_t detail_len)
{
    struct config *cfg;
    struct error err;
    const char *tag = "";

    error_clear(&err);
    cfg = load(verify, &err);
    if (cfg == NULL) {
        snprintf(detail, detail_len, "config refused: %s", err.msg);
        return "config";
    }
    error_clear(&err);
    if (sig_verify(&cfg->sources[0].verify,
                   &(struct sig_request){"POST", r->query, &r->headers, r->body, r->body_len},
                   now, &err) != 0) {
        tag = err.code == HS_ERR_AUTH ? err.tag : "not_auth";
        snprintf(detail, detail_len, "refused (%s): %s", err.tag, err.msg);
    } else {
        snprintf(detail, detail_len, "accepted");
    }
    config_free(cfg);
    return tag;
}

static void expect(json_t *verify, const struct request *r, long now, const char *name,
                   const char *what, const char *want)
{
    char detail[ERROR_MSG_MAX + 64];
    const char *got = attempt(verify, r, now, detail, sizeof(detail));

    report(strcmp(got, want) == 0, name, what, detail);
}

static void headers_from(struct headers *h, json_t *list, const char *left_out)
{
    size_t i;
    json_t *pair;

    headers_init(h);
    json_array_foreach(list, i, pair) {
        const char *n = json_string_value(json_array_get(pair, 0));

        if (left_out == NULL || strcmp(n, left_out) != 0)
            headers_add(h, n, json_string_value(json_array_get(pair, 1)));
    }
}

static void check_case(json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *verify = json_object_get(c, "verify");
    json_t *wrong = json_deep_copy(verify);
    json_t *sig_headers = json_object_get(c, "signature_headers");
    json_t *hlist = json_object_get(c, "headers");
    const char *body = json_string_value(json_object_get(c, "body"));
    struct config *cfg;
    struct error err;
    struct request r;
    long tolerance = 0;
    size_t i;
    json_t *h;

    r.query = json_string_value(json_object_get(c, "query"));
    r.now = (long)json_integer_value(json_object_get(c, "now"));
    r.body = xstrdup(body);
    r.body_len = strlen(body);
    headers_from(&r.headers, hlist, NULL);

    expect(verify, &r, r.now, name, "valid", "");
    json_object_update(wrong, json_object_get(c, "wrong"));
    expect(wrong, &r, r.now, name, "wrong secret or key", "bad_signature");

    r.body[r.body_len - 1] ^= 0x01;
    if (json_is_true(json_object_get(c, "unsigned_body")))
        expect(verify, &r, r.now, name, "body is not signed (a token scheme)", "");
    else
        expect(verify, &r, r.now, name, "tampered body", "bad_signature");
    r.body[r.body_len - 1] ^= 0x01;

    json_array_foreach(sig_headers, i, h) {
        struct request missing = r;
        char what[128];

        headers_from(&missing.headers, hlist, json_string_value(h));
        snprintf(what, sizeof(what), "missing %s", json_string_value(h));
        expect(verify, &missing, r.now, name, what, "missing_signature");
        headers_free(&missing.headers);
    }

    error_clear(&err);
    cfg = load(verify, &err);
    if (cfg != NULL)
        tolerance = cfg->sources[0].verify.tolerance_s;
    config_free(cfg);
    if (json_is_true(json_object_get(c, "timestamped"))) {
        expect(verify, &r, r.now + tolerance + 2, name, "stale timestamp", "stale_timestamp");
        expect(verify, &r, r.now - tolerance - 2, name, "timestamp from the future",
               "stale_timestamp");
    }
    if (json_object_get(verify, "public_url") != NULL) {
        json_t *moved = json_deep_copy(verify);
        struct request other = r;
        char *query = NULL;

        json_object_set_new(moved, "public_url",
                            json_sprintf("%s/x", json_string_value(
                                                     json_object_get(verify, "public_url"))));
        expect(moved, &r, r.now, name, "tampered public_url", "bad_signature");
        query = xasprintf("%s%sx=1", r.query, r.query[0] != '\0' ? "&" : "");
        other.query = query;
        expect(verify, &other, r.now, name, "tampered query", "bad_signature");
        free(query);
        json_decref(moved);
    }
    json_decref(wrong);
    headers_free(&r.headers);
    free(r.body);
}

int main(int argc, char **argv)
{
    json_error_t jerr;
    json_t *cases;
    size_t i;
    json_t *c;

    if (argc != 2) {
        fprintf(stderr, "usage: sig_vectors FILE.json\n");
        return 2;
    }
    cases = json_load_file(argv[1], 0, &jerr);
    if (!json_is_array(cases) || json_array_size(cases) == 0) {
        fprintf(stderr, "sig_vectors: %s: no cases (%s)\n", argv[1], jerr.text);
        return 2;
    }
    json_array_foreach(cases, i, c)
        check_case(c);
    json_decref(cases);
    printf("1..%d\n", n_checks);
    return n_failed == 0 ? 0 : 1;
}
