/*
 * sig: provider signature checks and Standard Webhooks signing (see sig.h).
 *
 * Every scheme reduces to the same steps: find the header(s), check the
 * timestamp when the scheme has one, build the signed message, compute the
 * MAC under every configured secret, then decode each signature the request
 * carries and compare it against all of those MACs with digest_equal. The
 * provided signature is decoded to bytes rather than our MAC encoded to text,
 * so hex case never matters and the compare is always over raw MACs.
 *
 * Error messages name the header and say what was wrong with it, never what
 * it held: the value may be a token or a near-miss of a valid signature.
 *
 * A MAC OpenSSL fails to compute is an error of ours (HS_ERR_TRANSIENT), and
 * an empty signature never matches, so a failed HMAC (length 0) can never
 * compare equal to an empty "v1=" entry, with asserts compiled in or not.
 */
#include "sig.h"

#include <assert.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "digest.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Longest timestamp accepted, in digits: 18 keeps the value, and its distance
 * from any int64_t now, free of overflow. Real timestamps have 10.
 */
#define SIG_TIMESTAMP_DIGITS_MAX 18

#define SIG_GITHUB_HEADER "X-Hub-Signature-256"
#define SIG_STRIPE_HEADER "Stripe-Signature"
#define SIG_SHOPIFY_HEADER "X-Shopify-Hmac-Sha256"
#define SIG_SLACK_HEADER "X-Slack-Signature"
#define SIG_SLACK_TS_HEADER "X-Slack-Request-Timestamp"

/* The MAC of one message under every configured secret, each in a DIGEST_MAX slot. */
struct macs {
    unsigned char *bytes;
    size_t n;
    size_t len; /* digest length, the same for every slot */
};

/* A MAC OpenSSL could not compute: not the sender's fault, so never a 4xx (503, retried). */
static void set_hmac_failed(struct error *err)
{
    error_set(err, HS_ERR_TRANSIENT, "hmac_failed",
              "unable to compute an HMAC: OpenSSL refused (check its config and providers)");
}

/* 0, or -1 (err set) when any MAC could not be computed; m is then unusable but freeable. */
static int macs_compute(struct macs *m, const struct verify_config *v, enum digest_alg alg,
                        const void *msg, size_t msg_len, struct error *err)
{
    m->n = v->n_secrets;
    m->len = 0;
    m->bytes = xmalloc(m->n * DIGEST_MAX);
    for (size_t i = 0; i < m->n; i++) {
        m->len = digest_hmac(alg, v->secrets[i].bytes, v->secrets[i].len, msg, msg_len,
                             m->bytes + i * DIGEST_MAX);
        if (m->len == 0) {
            set_hmac_failed(err);
            return -1;
        }
    }
    return 0;
}

/*
 * 1 when sig equals the MAC under any secret. Every secret is compared, so
 * the time does not tell which one matched.
 */
static int macs_match(const struct macs *m, const unsigned char *sig, size_t sig_len)
{
    int match = 0;

    /* digest_equal never matches an empty MAC; the check here says so where it matters. */
    if (m->len == 0 || sig_len == 0)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        match |= digest_equal(m->bytes + i * DIGEST_MAX, m->len, sig, sig_len);
    return match;
}

static void macs_free(struct macs *m)
{
    if (m->bytes != NULL)
        OPENSSL_cleanse(m->bytes, m->n * DIGEST_MAX);
    free(m->bytes);
    m->bytes = NULL;
}

/* Frees a buffer that held key material or a MAC, wiping it first. NULL-safe. */
static void free_wiped(void *p, size_t n)
{
    if (p != NULL)
        OPENSSL_cleanse(p, n);
    free(p);
}

/* The header's value, or NULL when it is absent or empty. */
static const char *header_value(const struct headers *h, const char *name)
{
    const char *value = headers_get(h, name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

static unsigned char *decode_signature(enum verify_encoding enc, const char *text, size_t n,
                                       size_t *out_len)
{
    if (enc == VERIFY_HEX)
        return codec_hex_decode(text, n, out_len);
    return codec_base64_decode(text, n, out_len);
}

/*
 * Splits the next delim-separated field off *cursor; 0 once the string is
 * used up. Empty fields are returned too, and callers pass over what they do not
 * recognise.
 */
static int next_field(const char **cursor, char delim, const char **field, size_t *len)
{
    const char *end;

    if (*cursor == NULL)
        return 0;
    *field = *cursor;
    end = strchr(*cursor, delim);
    if (end == NULL) {
        *len = strlen(*cursor);
        *cursor = NULL;
    } else {
        *len = (size_t)(end - *cursor);
        *cursor = end + 1;
    }
    return 1;
}

/*
 * 1 when an entry of the delim-separated list that starts with prefix decodes
 * (enc) to a signature one of macs matches. Other versions' entries, and ones
 * that do not decode, are passed over: the others may still match. Every
 * entry is compared, without an early exit.
 */
static int any_entry_matches(const struct macs *macs, const char *list, char delim,
                             const char *prefix, enum verify_encoding enc)
{
    size_t prefix_len = strlen(prefix);
    const char *cursor = list;
    const char *field;
    size_t field_len;
    int match = 0;

    while (next_field(&cursor, delim, &field, &field_len)) {
        unsigned char *sig;
        size_t sig_len = 0;

        if (field_len < prefix_len || memcmp(field, prefix, prefix_len) != 0)
            continue;
        sig = decode_signature(enc, field + prefix_len, field_len - prefix_len, &sig_len);
        if (sig != NULL)
            match |= macs_match(macs, sig, sig_len);
        free_wiped(sig, sig_len);
    }
    return match;
}

/* Epoch seconds from 1 to SIG_TIMESTAMP_DIGITS_MAX decimal digits and nothing else. */
static int parse_timestamp(const char *text, size_t n, int64_t *out)
{
    int64_t ts = 0;

    if (n == 0 || n > SIG_TIMESTAMP_DIGITS_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        ts = ts * 10 + (text[i] - '0');
    }
    *out = ts;
    return 0;
}

/* Refuses a timestamp more than the tolerance away from now, in the past or the future. */
static int check_fresh(const struct verify_config *v, const char *name, int64_t ts, int64_t now_s,
                       struct error *err)
{
    /* In uint64_t: the distance between two int64_t always fits, their difference may not. */
    uint64_t distance =
        ts >= now_s ? (uint64_t)ts - (uint64_t)now_s : (uint64_t)now_s - (uint64_t)ts;

    assert(v->tolerance_s >= 0);
    if (distance > (uint64_t)v->tolerance_s) {
        error_set(err, HS_ERR_AUTH, "stale_timestamp",
                  "timestamp in %s is %" PRIu64 " s from now, over the %ld s tolerance", name,
                  distance, v->tolerance_s);
        return -1;
    }
    return 0;
}

/* head (a C string) followed by body: the signed message of the timestamped schemes. */
static unsigned char *join_message(const char *head, const void *body, size_t body_len,
                                   size_t *out_len)
{
    size_t head_len = strlen(head);
    unsigned char *msg = xmalloc(head_len + body_len);

    memcpy(msg, head, head_len);
    if (body_len != 0)
        memcpy(msg + head_len, body, body_len);
    *out_len = head_len + body_len;
    return msg;
}

static void set_missing(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "missing_signature", "missing %s header", name);
}

static void set_bad_timestamp(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "bad_signature", "timestamp in %s is not a whole number of seconds",
              name);
}

static void set_no_match(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "bad_signature",
              "no signature in %s matches any configured secret", name);
}

/*
 * One header holding one MAC of msg, encoded, after an optional literal
 * prefix: github, shopify, slack and the generic hmac scheme.
 */
static int verify_single(const struct verify_config *v, const struct headers *h, const char *name,
                         const char *prefix, enum verify_encoding enc, enum digest_alg alg,
                         const void *msg, size_t msg_len, struct error *err)
{
    struct macs macs = {NULL, 0, 0};
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    const char *value = header_value(h, name);
    size_t prefix_len = prefix != NULL ? strlen(prefix) : 0;
    int rc = -1;

    if (value == NULL) {
        set_missing(err, name);
        goto out;
    }
    if (strncmp(value, prefix != NULL ? prefix : "", prefix_len) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "signature in %s does not start with \"%s\"", name, prefix);
        goto out;
    }
    value += prefix_len;
    sig = decode_signature(enc, value, strlen(value), &sig_len);
    if (sig == NULL || sig_len == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "signature in %s is not valid %s", name,
                  enc == VERIFY_HEX ? "hex" : "base64");
        goto out;
    }
    if (macs_compute(&macs, v, alg, msg, msg_len, err) != 0)
        goto out;
    if (!macs_match(&macs, sig, sig_len)) {
        set_no_match(err, name);
        goto out;
    }
    rc = 0;
out:
    macs_free(&macs);
    free_wiped(sig, sig_len);
    return rc;
}

/* Slack: X-Slack-Signature is "v0=" + hex HMAC-SHA256 of "v0:TS:body". */
static int verify_slack(const struct verify_config *v, const struct headers *h, const void *body,
                        size_t body_len, int64_t now_s, struct error *err)
{
    unsigned char *msg = NULL;
    char *head = NULL;
    size_t msg_len = 0;
    const char *ts_text = header_value(h, SIG_SLACK_TS_HEADER);
    int64_t ts = 0;
    int rc = -1;

    if (header_value(h, SIG_SLACK_HEADER) == NULL) {
        set_missing(err, SIG_SLACK_HEADER);
        goto out;
    }
    if (ts_text == NULL) {
        set_missing(err, SIG_SLACK_TS_HEADER);
        goto out;
    }
    if (parse_timestamp(ts_text, strlen(ts_text), &ts) != 0) {
        set_bad_timestamp(err, SIG_SLACK_TS_HEADER);
        goto out;
    }
    if (check_fresh(v, SIG_SLACK_TS_HEADER, ts, now_s, err) != 0)
        goto out;
    /* The timestamp is signed as sent, so it goes into the message as the header's text. */
    head = xasprintf("v0:%s:", ts_text);
    msg = join_message(head, body, body_len, &msg_len);
    rc = verify_single(v, h, SIG_SLACK_HEADER, "v0=", VERIFY_HEX, DIGEST_SHA256, msg, msg_len,
                       err);
out:
    free(head);
    free(msg);
    return rc;
}

/*
 * Stripe: Stripe-Signature is comma-separated key=value pairs: one t=TS and
 * any number of v1=HEX (HMAC-SHA256 of "TS.body"), several while a secret is
 * being rolled. Other keys (v0, test-mode schemes) are ignored, as Stripe's
 * own libraries do.
 */
static int verify_stripe(const struct verify_config *v, const struct headers *h, const void *body,
                         size_t body_len, int64_t now_s, struct error *err)
{
    struct macs macs = {NULL, 0, 0};
    unsigned char *msg = NULL;
    char *head = NULL;
    size_t msg_len = 0;
    const char *value = header_value(h, SIG_STRIPE_HEADER);
    const char *cursor;
    const char *field;
    size_t field_len;
    const char *ts_text = NULL;
    size_t ts_len = 0;
    size_t n_v1 = 0;
    int64_t ts = 0;
    int rc = -1;

    if (value == NULL) {
        set_missing(err, SIG_STRIPE_HEADER);
        goto out;
    }
    cursor = value;
    while (next_field(&cursor, ',', &field, &field_len)) {
        if (field_len >= 2 && memcmp(field, "t=", 2) == 0) {
            /* Two timestamps would leave it open which one was signed. */
            if (ts_text != NULL) {
                error_set(err, HS_ERR_AUTH, "bad_signature", "more than one t= timestamp in %s",
                          SIG_STRIPE_HEADER);
                goto out;
            }
            ts_text = field + 2;
            ts_len = field_len - 2;
        } else if (field_len >= 3 && memcmp(field, "v1=", 3) == 0) {
            n_v1++;
        }
    }
    if (ts_text == NULL || parse_timestamp(ts_text, ts_len, &ts) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "no numeric t= timestamp in %s",
                  SIG_STRIPE_HEADER);
        goto out;
    }
    if (n_v1 == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "no v1= signature in %s",
                  SIG_STRIPE_HEADER);
        goto out;
    }
    if (check_fresh(v, SIG_STRIPE_HEADER, ts, now_s, err) != 0)
        goto out;
    head = xasprintf("%.*s.", (int)ts_len, ts_text);
    msg = join_message(head, body, body_len, &msg_len);
    if (macs_compute(&macs, v, DIGEST_SHA256, msg, msg_len, err) != 0)
        goto out;
    if (!any_entry_matches(&macs, value, ',', "v1=", VERIFY_HEX)) {
        set_no_match(err, SIG_STRIPE_HEADER);
        goto out;
    }
    rc = 0;
out:
    macs_free(&macs);
    free(head);
    free(msg);
    return rc;
}

/*
 * Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature, or
 * the same under svix-* (Svix sends those). The signature header is a
 * space-separated list of "VERSION,SIGNATURE"; only v1 (base64 HMAC-SHA256
 * of "id.ts.body") is ours to check, other versions are ignored.
 */
static int verify_standard(const struct verify_config *v, const struct headers *h,
                           const void *body, size_t body_len, int64_t now_s, struct error *err)
{
    static const char *const NAMES[2][3] = {
        {"webhook-id", "webhook-timestamp", "webhook-signature"},
        {"svix-id", "svix-timestamp", "svix-signature"},
    };
    struct macs macs = {NULL, 0, 0};
    unsigned char *msg = NULL;
    char *head = NULL;
    size_t msg_len = 0;
    const char *const *names;
    const char *values[3];
    int64_t ts = 0;
    int rc = -1;

    /* The webhook-* set wins when any of its headers is there: a mix is never stitched together. */
    names = NAMES[1];
    for (size_t i = 0; i < 3; i++) {
        if (headers_get(h, NAMES[0][i]) != NULL)
            names = NAMES[0];
    }
    for (size_t i = 0; i < 3; i++) {
        values[i] = header_value(h, names[i]);
        if (values[i] == NULL) {
            set_missing(err, names[i]);
            goto out;
        }
    }
    if (parse_timestamp(values[1], strlen(values[1]), &ts) != 0) {
        set_bad_timestamp(err, names[1]);
        goto out;
    }
    if (check_fresh(v, names[1], ts, now_s, err) != 0)
        goto out;
    head = xasprintf("%s.%s.", values[0], values[1]);
    msg = join_message(head, body, body_len, &msg_len);
    if (macs_compute(&macs, v, DIGEST_SHA256, msg, msg_len, err) != 0)
        goto out;
    if (!any_entry_matches(&macs, values[2], ' ', "v1,", VERIFY_BASE64)) {
        set_no_match(err, names[2]);
        goto out;
    }
    rc = 0;
out:
    macs_free(&macs);
    free(head);
    free(msg);
    return rc;
}

/* A shared token sent as is: the header must equal one of the secrets. */
static int verify_token(const struct verify_config *v, const struct headers *h, struct error *err)
{
    unsigned char sent[DIGEST_MAX];
    unsigned char want[DIGEST_MAX];
    const char *value;
    size_t value_len;
    int match = 0;
    int ok;

    assert(v->header != NULL);
    value = header_value(h, v->header);
    if (value == NULL) {
        set_missing(err, v->header);
        return -1;
    }
    /* Compare digests, not the strings: equal lengths, so the time says nothing about the
     * token's length either. */
    value_len = strlen(value);
    ok = digest_hmac(DIGEST_SHA256, "token", 5, value, value_len, sent) == 32;
    for (size_t i = 0; ok && i < v->n_secrets; i++) {
        ok = digest_hmac(DIGEST_SHA256, "token", 5, v->secrets[i].bytes, v->secrets[i].len,
                         want) == 32;
        match |= ok && digest_equal(sent, 32, want, 32);
    }
    OPENSSL_cleanse(sent, sizeof(sent));
    OPENSSL_cleanse(want, sizeof(want));
    if (!ok) {
        set_hmac_failed(err);
        return -1;
    }
    if (!match) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "token in %s does not match any configured token", v->header);
        return -1;
    }
    return 0;
}

int sig_verify(const struct verify_config *v, const struct headers *h, const void *body,
               size_t body_len, int64_t now_s, struct error *err)
{
    assert(v != NULL && h != NULL);
    assert(body != NULL || body_len == 0);
    /* HMAC wants a real pointer even for no data. */
    if (body == NULL)
        body = "";
    switch (v->scheme) {
    case VERIFY_NONE:
        return 0;
    case VERIFY_GITHUB:
        return verify_single(v, h, SIG_GITHUB_HEADER, "sha256=", VERIFY_HEX, DIGEST_SHA256, body,
                             body_len, err);
    case VERIFY_SHOPIFY:
        return verify_single(v, h, SIG_SHOPIFY_HEADER, NULL, VERIFY_BASE64, DIGEST_SHA256, body,
                             body_len, err);
    case VERIFY_HMAC:
        assert(v->header != NULL);
        return verify_single(v, h, v->header, v->prefix, v->encoding, v->algorithm, body,
                             body_len, err);
    case VERIFY_STRIPE:
        return verify_stripe(v, h, body, body_len, now_s, err);
    case VERIFY_SLACK:
        return verify_slack(v, h, body, body_len, now_s, err);
    case VERIFY_STANDARD:
        return verify_standard(v, h, body, body_len, now_s, err);
    case VERIFY_TOKEN:
        return verify_token(v, h, err);
    }
    /* Only a config that bypassed config_load gets here. */
    error_set(err, HS_ERR_CONFIG, NULL, "unknown verify scheme %d", (int)v->scheme);
    return -1;
}

const char *sig_secret_header(const struct verify_config *v)
{
    return v->scheme == VERIFY_TOKEN ? v->header : NULL;
}

char *sig_standard_sign(const struct secret *key, const char *msg_id, int64_t timestamp,
                        const void *body, size_t body_len)
{
    unsigned char mac[DIGEST_MAX];
    unsigned char *msg = NULL;
    char *head = NULL;
    char *b64 = NULL;
    char *value = NULL;
    size_t msg_len = 0;
    size_t mac_len;

    assert(key != NULL && msg_id != NULL);
    assert(body != NULL || body_len == 0);
    head = xasprintf("%s.%" PRId64 ".", msg_id, timestamp);
    msg = join_message(head, body, body_len, &msg_len);
    mac_len = digest_hmac(DIGEST_SHA256, key->bytes, key->len, msg, msg_len, mac);
    if (mac_len == 0) {
        /* An unsigned or wrongly signed delivery must never leave: as fatal as no memory. */
        log_error("hmac_failed", "unable to sign a delivery: OpenSSL refused an HMAC-SHA256");
        abort();
    }
    b64 = codec_base64_encode(mac, mac_len);
    value = xasprintf("v1,%s", b64);
    OPENSSL_cleanse(mac, sizeof(mac));
    free(head);
    free(msg);
    free(b64);
    return value;
}
