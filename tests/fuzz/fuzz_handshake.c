/*
 * fuzz_handshake: the providers' handshakes over arbitrary queries and
 * bodies: the URL-decoding of GET parameters (meta, twitter, dropbox) and
 * the JSON bodies of the POST ones (slack, zoom, twitch, discord).
 *
 * Input: the first byte picks the scheme (its value modulo 7) and, when
 * odd, adds Twitch's webhook_callback_verification header; the rest up to
 * the first newline is the query, what follows is the body. The POST
 * handshakes are called as if the signature had been verified (Zoom's then
 * finds no secret that signed it, and must refuse rather than answer).
 * Each run must neither crash nor leak; an answer is 200 or 204 and never
 * echoes more than HANDSHAKE_VALUE_MAX bytes (plus Zoom's and Twitter's
 * JSON around them); a refusal carries one of the documented codes.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "handshake.h"
#include "headers.h"
#include "sig.h"
#include "xmalloc.h"

#define FUZZ_NOW 1700000000
/* Zoom's answer is the token twice over (JSON-escaped: up to 6 bytes a byte) and a MAC. */
#define ANSWER_MAX (HANDSHAKE_VALUE_MAX * 6 + 256)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char SECRET[] = "fuzz-secret";
static unsigned char TOKEN[] = "fuzz-verify-token";
static struct secret SECRETS[] = {{SECRET, sizeof(SECRET) - 1}};
static unsigned char ED25519_KEY[32] = {0xd7, 0x5a, 0x98, 0x01};

static const enum verify_scheme SCHEMES[] = {VERIFY_META,  VERIFY_TWITTER, VERIFY_DROPBOX,
                                             VERIFY_SLACK, VERIFY_ZOOM,    VERIFY_TWITCH,
                                             VERIFY_DISCORD};

static int documented(const struct error *err)
{
    static const char *const TAGS[] = {"missing_handshake_parameter", "bad_handshake",
                                       "verify_token_mismatch", "handshake_failed"};

    for (size_t i = 0; i < sizeof(TAGS) / sizeof(TAGS[0]); i++) {
        if (strcmp(err->tag, TAGS[i]) == 0)
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verify_config v;
    struct handshake_answer a;
    struct headers headers;
    struct error err;
    const uint8_t *newline;
    char *query;
    size_t query_len;
    int rc;

    if (size == 0)
        return 0;
    memset(&v, 0, sizeof(v));
    v.scheme = SCHEMES[data[0] % (sizeof(SCHEMES) / sizeof(SCHEMES[0]))];
    v.secrets = SECRETS;
    v.n_secrets = v.scheme == VERIFY_DISCORD ? 0 : 1;
    v.tolerance_s = CONFIG_DEFAULT_TOLERANCE_S;
    v.verify_token.bytes = TOKEN;
    v.verify_token.len = sizeof(TOKEN) - 1;
    v.public_key = ED25519_KEY;
    v.public_key_len = sizeof(ED25519_KEY);
    newline = memchr(data + 1, '\n', size - 1);
    query_len = newline != NULL ? (size_t)(newline - data - 1) : size - 1;
    query = xstrndup((const char *)data + 1, query_len);
    headers_init(&headers);
    if (data[0] & 1)
        headers_add(&headers, "Twitch-Eventsub-Message-Type", "webhook_callback_verification");
    error_clear(&err);
    if (handshake_allows_get(&v)) {
        rc = handshake_answer_get(&v, query, &a, &err);
        assert(rc == 0 || rc == -1);
        if (rc == 0)
            rc = 1;
    } else {
        const uint8_t *body = newline != NULL ? newline + 1 : data + size;
        struct sig_request req = {"POST", query, &headers, body, (size_t)(data + size - body)};

        rc = handshake_answer_post(&v, &req, FUZZ_NOW, &a, &err);
        assert(rc >= -1 && rc <= 1);
        /* No secret signed a fuzzed body: Zoom must never answer. */
        assert(!(rc == 1 && v.scheme == VERIFY_ZOOM));
    }
    if (rc == 1) {
        assert(a.status == 200 || a.status == 204);
        assert((a.status == 204) == (a.body == NULL));
        assert((a.body == NULL) == (a.content_type == NULL));
        assert(a.body_len <= ANSWER_MAX);
    } else if (rc == -1) {
        assert(err.code == HS_ERR_INPUT || err.code == HS_ERR_FORBIDDEN ||
               err.code == HS_ERR_TRANSIENT);
        assert(documented(&err));
    }
    handshake_answer_free(&a);
    headers_free(&headers);
    free(query);
    return 0;
}
