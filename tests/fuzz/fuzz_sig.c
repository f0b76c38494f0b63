/*
 * fuzz_sig: sig_verify under every scheme against arbitrary headers, query
 * and body, and the parsers behind the schemes (form parameters, public
 * keys).
 *
 * Input: the first byte picks the Standard Webhooks header family (even:
 * webhook-*, odd: svix-*); the rest is up to FUZZ_VALUES newline-separated
 * values, then the body (everything after the last separator used). Value 0
 * goes to every signature header (Paddle's ts;h1 list, Stripe's, base64 DER
 * for SendGrid, Authorization for Postmark...), value 1 to the timestamps
 * (epoch seconds, milliseconds, RFC 3339 for Twitch), value 2 to the message
 * ids, value 3 is the query (Twilio's bodySHA256). The body is also parsed
 * as a form and as public keys of both kinds. Each run must neither crash
 * nor leak, every refusal must be HS_ERR_AUTH with one of the three tags,
 * and what sig_standard_sign produces for the body must verify.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "form.h"
#include "headers.h"
#include "pubkey.h"
#include "sig.h"
#include "xmalloc.h"

#define FUZZ_VALUES 4
#define FUZZ_NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char SECRET_A[] = "fuzz-secret";
static unsigned char SECRET_B[] = "whsec_rotated";
/* A Standard Webhooks key as config stores it: decoded bytes, NUL included on purpose. */
static unsigned char SECRET_RAW[] = {0x31, 0xf2, 0x90, 0xf6, 0x00, 0x06, 0x29, 0x8a, 0xab, 0x4f};

/* Writable because struct verify_config holds plain char pointers. */
static char HMAC_HEADER[] = "X-Sig";
static char HMAC_PREFIX[] = "sha=";
static char PUBLIC_URL[] = "https://hooks.example.com/hooks/fuzz";

/* RFC 8032's test 1 public key, and a P-256 SubjectPublicKeyInfo (DER). */
static unsigned char ED25519_KEY[] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
static unsigned char P256_KEY[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x0a, 0x53, 0xd5, 0xdc, 0x4f,
    0x1a, 0x8b, 0x38, 0xf0, 0xe8, 0xf9, 0x61, 0x76, 0x48, 0xb6, 0xf7, 0xd3, 0xcf, 0x4b, 0xf2, 0x97,
    0xdb, 0xa7, 0x71, 0xa7, 0xbe, 0x0d, 0x89, 0xd0, 0x5e, 0x88, 0xbf, 0xe5, 0xaa, 0xf9, 0xb8, 0x09,
    0xb7, 0xd3, 0x54, 0x8f, 0x2e, 0xd6, 0xfe, 0x29, 0x02, 0x47, 0xac, 0x3e, 0xf7, 0xb7, 0x21, 0x0c,
    0x00, 0x91, 0xbf, 0xde, 0xe0, 0x56, 0x7f, 0xaf, 0x70, 0x08, 0x38};

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

static void verify_as(struct verify_config *v, const struct sig_request *req)
{
    struct error err;

    error_clear(&err);
    check_outcome(sig_verify(v, req, FUZZ_NOW, &err), &err);
}

/* Every scheme, and for the generic one every algorithm, encoding and prefix choice. */
static void verify_all(const struct sig_request *req)
{
    static const enum digest_alg ALGS[] = {DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA512};
    struct verify_config v;

    memset(&v, 0, sizeof(v));
    v.secrets = SECRETS;
    v.n_secrets = sizeof(SECRETS) / sizeof(SECRETS[0]);
    v.tolerance_s = 300;
    v.header = HMAC_HEADER;
    v.public_url = PUBLIC_URL;
    /* Every enum value up to the last one, whatever name the table gives it. */
    for (int s = VERIFY_NONE; s <= VERIFY_GITEA; s++) {
        v.scheme = (enum verify_scheme)s;
        v.public_key = s == VERIFY_SENDGRID ? P256_KEY : ED25519_KEY;
        v.public_key_len = s == VERIFY_SENDGRID ? sizeof(P256_KEY) : sizeof(ED25519_KEY);
        verify_as(&v, req);
    }
    v.scheme = VERIFY_HMAC;
    for (size_t a = 0; a < sizeof(ALGS) / sizeof(ALGS[0]); a++) {
        v.algorithm = ALGS[a];
        v.encoding = VERIFY_HEX;
        v.prefix = NULL;
        verify_as(&v, req);
        v.prefix = HMAC_PREFIX;
        verify_as(&v, req);
        v.encoding = VERIFY_BASE64;
        verify_as(&v, req);
        v.prefix = NULL;
        verify_as(&v, req);
    }
}

/* The parsers on their own: a form is sorted without losing a pair; keys load or are refused. */
static void parse_body(const uint8_t *body, size_t body_len)
{
    struct form form = {NULL, 0};
    struct error err;
    size_t n;

    error_clear(&err);
    if (form_parse(body, body_len, &form, &err) == 0) {
        n = form.n;
        form_sort(&form);
        if (form.n != n)
            abort();
    } else if (err.code != HS_ERR_INPUT) {
        abort();
    }
    form_free(&form);
    if (pubkey_check(PUBKEY_P256, body, body_len, &err) == 0 &&
        pubkey_verify(PUBKEY_P256, body, body_len, "m", 1, body, body_len) < 0)
        abort();
    if (pubkey_check(PUBKEY_ED25519, body, body_len, &err) == 0 &&
        pubkey_verify(PUBKEY_ED25519, body, body_len, "m", 1, body, body_len) < 0)
        abort();
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
    if (sig_verify(&v, &(struct sig_request){"POST", "", &h, body, body_len}, FUZZ_NOW, &err) != 0)
        abort();
    headers_free(&h);
    free(signature);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const NAMES[FUZZ_VALUES - 1][32] = {
        {"X-Hub-Signature-256", "Stripe-Signature", "X-Shopify-Hmac-Sha256", "X-Slack-Signature",
         "webhook-signature", "svix-signature", "X-Sig", "X-Token", "X-Gitlab-Token",
         "Authorization", "X-Hub-Signature", "Linear-Signature", "Typeform-Signature",
         "X-WC-Webhook-Signature", "X-HubSpot-Signature-v3", "X-Twilio-Signature",
         "x-square-hmacsha256-signature", "Paddle-Signature", "x-zm-signature",
         "Twitch-Eventsub-Message-Signature", "X-Twitter-Webhooks-Signature",
         "X-Dropbox-Signature", "X-Signature-Ed25519", "X-Twilio-Email-Event-Webhook-Signature",
         "X-Mandrill-Signature", "X-Gitea-Signature"},
        {"X-Slack-Request-Timestamp", "webhook-timestamp", "svix-timestamp",
         "X-HubSpot-Request-Timestamp", "x-zm-request-timestamp",
         "Twitch-Eventsub-Message-Timestamp", "X-Signature-Timestamp",
         "X-Twilio-Email-Event-Webhook-Timestamp"},
        {"webhook-id", "svix-id", "Twitch-Eventsub-Message-Id"},
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
    for (size_t i = 0; i < FUZZ_VALUES - 1; i++) {
        for (size_t k = 0; k < 32 && NAMES[i][k] != NULL; k++) {
            /* Only one Standard Webhooks family is present, chosen by the first byte. */
            if (strncmp(NAMES[i][k], svix ? "webhook-" : "svix-", svix ? 8 : 5) == 0)
                continue;
            headers_add(&h, NAMES[i][k], values[i]);
        }
    }
    verify_all(&(struct sig_request){"POST", values[3], &h, data + pos, size - pos});
    parse_body(data + pos, size - pos);
    check_sign_round_trip(values[2], data + pos, size - pos);
    headers_free(&h);
    for (size_t i = 0; i < FUZZ_VALUES; i++)
        free(values[i]);
    return 0;
}
