/*
 * fuzz_sig: sig_verify under every scheme against arbitrary headers and body.
 *
 * Input: the first byte picks the Standard Webhooks header family (even:
 * webhook-*, odd: svix-*); the rest is up to FUZZ_VALUES newline-separated
 * header values, then the body (everything after the last separator used).
 * Value 0 goes to every signature header, value 1 to the timestamps, value 2
 * to the message id. Each run must neither crash nor leak, every refusal
 * must be HS_ERR_AUTH with one of the three tags, and what sig_standard_sign
 * produces for the body must verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "headers.h"
#include "sig.h"
#include "xmalloc.h"

#define FUZZ_VALUES 3
#define FUZZ_NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char SECRET_A[] = "fuzz-secret";
static unsigned char SECRET_B[] = "whsec_rotated";
/* A Standard Webhooks key as config stores it: decoded bytes, NUL included on purpose. */
static unsigned char SECRET_RAW[] = {0x31, 0xf2, 0x90, 0xf6, 0x00, 0x06, 0x29, 0x8a, 0xab, 0x4f};

/* Writable because struct verify_config holds plain char pointers. */
static char HMAC_HEADER[] = "X-Sig";
static char HMAC_PREFIX[] = "sha=";

static struct secret SECRETS[] = {
    {SECRET_A, sizeof(SECRET_A) - 1},
    {SECRET_B, sizeof(SECRET_B) - 1},
    {SECRET_RAW, sizeof(SECRET_RAW)},
};

static void check_outcome(int rc, const struct error *err)
{
    if (rc == 0)
        return;
    if (rc != -1 || err->code != HS_ERR_AUTH)
        abort();
    if (strcmp(err->tag, "missing_signature") != 0 && strcmp(err->tag, "bad_signature") != 0 &&
        strcmp(err->tag, "stale_timestamp") != 0)
        abort();
}

static void verify_as(struct verify_config *v, const struct headers *h, const uint8_t *body,
                      size_t body_len)
{
    struct error err;

    error_clear(&err);
    check_outcome(sig_verify(v, h, body, body_len, FUZZ_NOW, &err), &err);
}

/* Every scheme, and for the generic one every algorithm, encoding and prefix choice. */
static void verify_all(const struct headers *h, const uint8_t *body, size_t body_len)
{
    static const enum verify_scheme SCHEMES[] = {
        VERIFY_NONE,  VERIFY_GITHUB,   VERIFY_STRIPE, VERIFY_SHOPIFY,
        VERIFY_SLACK, VERIFY_STANDARD, VERIFY_TOKEN,
    };
    static const enum digest_alg ALGS[] = {DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA512};
    struct verify_config v;

    memset(&v, 0, sizeof(v));
    v.secrets = SECRETS;
    v.n_secrets = sizeof(SECRETS) / sizeof(SECRETS[0]);
    v.tolerance_s = 300;
    v.header = HMAC_HEADER;
    for (size_t i = 0; i < sizeof(SCHEMES) / sizeof(SCHEMES[0]); i++) {
        v.scheme = SCHEMES[i];
        verify_as(&v, h, body, body_len);
    }
    v.scheme = VERIFY_HMAC;
    for (size_t a = 0; a < sizeof(ALGS) / sizeof(ALGS[0]); a++) {
        v.algorithm = ALGS[a];
        v.encoding = VERIFY_HEX;
        v.prefix = NULL;
        verify_as(&v, h, body, body_len);
        v.prefix = HMAC_PREFIX;
        verify_as(&v, h, body, body_len);
        v.encoding = VERIFY_BASE64;
        verify_as(&v, h, body, body_len);
        v.prefix = NULL;
        verify_as(&v, h, body, body_len);
    }
}

/* What the drain signs must pass our own verification, whatever the id and body. */
static void check_sign_round_trip(const char *msg_id, const uint8_t *body, size_t body_len)
{
    struct verify_config v;
    struct headers h;
    struct error err;
    char *signature = NULL;

    if (msg_id[0] == '\0')
        return;
    memset(&v, 0, sizeof(v));
    v.scheme = VERIFY_STANDARD;
    v.secrets = &SECRETS[2];
    v.n_secrets = 1;
    v.tolerance_s = 300;
    signature = sig_standard_sign(&SECRETS[2], msg_id, FUZZ_NOW, body, body_len);
    headers_init(&h);
    headers_add(&h, "webhook-id", msg_id);
    headers_add(&h, "webhook-timestamp", "1700000000");
    headers_add(&h, "webhook-signature", signature);
    if (sig_verify(&v, &h, body, body_len, FUZZ_NOW, &err) != 0)
        abort();
    headers_free(&h);
    free(signature);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const NAMES[FUZZ_VALUES][8] = {
        {"X-Hub-Signature-256", "Stripe-Signature", "X-Shopify-Hmac-Sha256", "X-Slack-Signature",
         "webhook-signature", "svix-signature", "X-Sig", "X-Token"},
        {"X-Slack-Request-Timestamp", "webhook-timestamp", "svix-timestamp"},
        {"webhook-id", "svix-id"},
    };
    char *values[FUZZ_VALUES] = {NULL};
    struct headers h;
    int svix;
    size_t pos = 1;

    if (size == 0)
        return 0;
    svix = data[0] & 1;
    for (size_t i = 0; i < FUZZ_VALUES; i++) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (data + pos)) : size - pos;

        /* Header values are C strings: an embedded NUL ends the value early, as in CGI. */
        values[i] = xstrndup((const char *)data + pos, len);
        pos += nl != NULL ? len + 1 : len;
    }
    headers_init(&h);
    for (size_t i = 0; i < FUZZ_VALUES; i++) {
        for (size_t k = 0; k < 8 && NAMES[i][k] != NULL; k++) {
            /* Only one Standard Webhooks family is present, chosen by the first byte. */
            if (strncmp(NAMES[i][k], svix ? "webhook-" : "svix-", svix ? 8 : 5) == 0)
                continue;
            headers_add(&h, NAMES[i][k], values[i]);
        }
    }
    verify_all(&h, data + pos, size - pos);
    check_sign_round_trip(values[2], data + pos, size - pos);
    headers_free(&h);
    for (size_t i = 0; i < FUZZ_VALUES; i++)
        free(values[i]);
    return 0;
}
