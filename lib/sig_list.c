/*
 * sig_list: schemes whose header holds a timestamp and a list of signatures
 * (see sig_internal.h): Stripe and Paddle (key=value pairs), Standard
 * Webhooks and Svix (a space-separated list beside id and timestamp
 * headers).
 *
 * A list carries several signatures while the provider rolls a secret;
 * entries of other versions, and ones that do not decode, are passed over,
 * since another entry may still match. Every entry is compared, without an
 * early exit.
 */
#include "sig_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

/* A "key=value" list with one timestamp key and any number of signature keys. */
struct pair_list {
    const char *header;
    char delim;          /* between pairs */
    const char *ts_key;  /* with its '=' */
    const char *sig_key; /* with its '=' */
    const char *joiner;  /* the signed message is TS + joiner + body */
};

static const struct pair_list STRIPE = {"Stripe-Signature", ',', "t=", "v1=", "."};
static const struct pair_list PADDLE = {"Paddle-Signature", ';', "ts=", "h1=", ":"};

/* 1 when an entry of list that starts with prefix decodes (enc) to a MAC in macs. */
static int any_entry_matches(const struct sig_macs *macs, const char *list, char delim,
                             const char *prefix, enum verify_encoding enc)
{
    size_t prefix_len = strlen(prefix);
    const char *cursor = list;
    const char *field;
    size_t field_len;
    int match = 0;

    while (sig_next_field(&cursor, delim, &field, &field_len)) {
        unsigned char *sig;
        size_t sig_len = 0;

        if (field_len < prefix_len || memcmp(field, prefix, prefix_len) != 0)
            continue;
        sig = sig_decode(enc, field + prefix_len, field_len - prefix_len, &sig_len);
        if (sig != NULL)
            match |= sig_macs_match(macs, sig, sig_len);
        sig_free_wiped(sig, sig_len);
    }
    return match;
}

/*
 * Stripe and Paddle: exactly one timestamp pair, at least one signature
 * pair (hex HMAC-SHA256 of TS + joiner + body). Unknown keys (Stripe's v0,
 * test-mode schemes) are ignored, as the providers' own libraries do.
 */
static int check_pairs(const struct pair_list *p, const struct verify_config *v,
                       const struct sig_request *req, int64_t now_s, struct error *err)
{
    struct sig_macs macs = {NULL, 0, 0};
    struct buf msg;
    const char *value = sig_header(req, p->header);
    size_t ts_key_len = strlen(p->ts_key);
    size_t sig_key_len = strlen(p->sig_key);
    const char *cursor;
    const char *field;
    size_t field_len;
    const char *ts_text = NULL;
    size_t ts_len = 0;
    size_t n_sigs = 0;
    int64_t ts = 0;
    int rc = -1;

    sig_message_init(&msg);
    if (value == NULL) {
        sig_set_missing(err, p->header);
        goto out;
    }
    cursor = value;
    while (sig_next_field(&cursor, p->delim, &field, &field_len)) {
        if (field_len >= ts_key_len && memcmp(field, p->ts_key, ts_key_len) == 0) {
            /* Two timestamps would leave it open which one was signed. */
            if (ts_text != NULL) {
                error_set(err, HS_ERR_AUTH, "bad_signature", "more than one %s timestamp in %s",
                          p->ts_key, p->header);
                goto out;
            }
            ts_text = field + ts_key_len;
            ts_len = field_len - ts_key_len;
        } else if (field_len >= sig_key_len && memcmp(field, p->sig_key, sig_key_len) == 0) {
            n_sigs++;
        }
    }
    if (ts_text == NULL || sig_parse_timestamp(ts_text, ts_len, &ts) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "no numeric %s timestamp in %s", p->ts_key,
                  p->header);
        goto out;
    }
    if (n_sigs == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "no %s signature in %s", p->sig_key,
                  p->header);
        goto out;
    }
    if (sig_check_fresh(v, p->header, ts, now_s, err) != 0)
        goto out;
    sig_message_add(&msg, ts_text, ts_len);
    sig_message_add_str(&msg, p->joiner);
    sig_message_add(&msg, req->body, req->body_len);
    if (sig_macs_compute(&macs, v, DIGEST_SHA256, msg.data, msg.len, err) != 0)
        goto out;
    if (!any_entry_matches(&macs, value, p->delim, p->sig_key, VERIFY_HEX)) {
        sig_set_no_match(err, p->header);
        goto out;
    }
    rc = 0;
out:
    sig_macs_free(&macs);
    buf_free(&msg);
    return rc;
}

int sig_list_stripe(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err)
{
    return check_pairs(&STRIPE, v, req, now_s, err);
}

int sig_list_paddle(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err)
{
    return check_pairs(&PADDLE, v, req, now_s, err);
}

/*
 * Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature, or
 * the same under svix-* (Svix sends those). The signature header is a
 * space-separated list of "VERSION,SIGNATURE"; only v1 (base64 HMAC-SHA256
 * of "id.ts.body") is ours to check, other versions are ignored.
 */
int sig_list_standard(const struct verify_config *v, const struct sig_request *req,
                      int64_t now_s, struct error *err)
{
    static const char *const NAMES[2][3] = {
        {"webhook-id", "webhook-timestamp", "webhook-signature"},
        {"svix-id", "svix-timestamp", "svix-signature"},
    };
    struct sig_macs macs = {NULL, 0, 0};
    struct buf msg;
    const char *const *names;
    const char *values[3];
    int64_t ts = 0;
    int rc = -1;

    sig_message_init(&msg);
    /* The webhook-* set wins when any of its headers is there: a mix is never stitched together. */
    names = NAMES[1];
    for (size_t i = 0; i < 3; i++) {
        if (headers_get(req->headers, NAMES[0][i]) != NULL)
            names = NAMES[0];
    }
    for (size_t i = 0; i < 3; i++) {
        values[i] = sig_header(req, names[i]);
        if (values[i] == NULL) {
            sig_set_missing(err, names[i]);
            goto out;
        }
    }
    if (sig_parse_timestamp(values[1], strlen(values[1]), &ts) != 0) {
        sig_set_bad_timestamp(err, names[1]);
        goto out;
    }
    if (sig_check_fresh(v, names[1], ts, now_s, err) != 0)
        goto out;
    sig_message_add_str(&msg, values[0]);
    sig_message_add_str(&msg, ".");
    sig_message_add_str(&msg, values[1]);
    sig_message_add_str(&msg, ".");
    sig_message_add(&msg, req->body, req->body_len);
    if (sig_macs_compute(&macs, v, DIGEST_SHA256, msg.data, msg.len, err) != 0)
        goto out;
    if (!any_entry_matches(&macs, values[2], ' ', "v1,", VERIFY_BASE64)) {
        sig_set_no_match(err, names[2]);
        goto out;
    }
    rc = 0;
out:
    sig_macs_free(&macs);
    buf_free(&msg);
    return rc;
}

/* The signing side of sig_list_standard, for our own deliveries. */
char *sig_standard_sign(const struct secret *key, const char *msg_id, int64_t timestamp,
                        const void *body, size_t body_len)
{
    unsigned char mac[DIGEST_MAX];
    struct buf msg;
    char *head;
    char *b64;
    char *value;
    size_t mac_len;

    assert(key != NULL && msg_id != NULL);
    assert(body != NULL || body_len == 0);
    sig_message_init(&msg);
    head = xasprintf("%s.%" PRId64 ".", msg_id, timestamp);
    sig_message_add_str(&msg, head);
    sig_message_add(&msg, body, body_len);
    mac_len = digest_hmac(DIGEST_SHA256, key->bytes, key->len, msg.data, msg.len, mac);
    b64 = codec_base64_encode(mac, mac_len);
    value = xasprintf("v1,%s", b64);
    OPENSSL_cleanse(mac, sizeof(mac));
    free(head);
    buf_free(&msg);
    free(b64);
    return value;
}
