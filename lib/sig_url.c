/*
 * sig_url: schemes that sign the URL the provider was given (see
 * sig_internal.h): HubSpot v3, Square, Twilio and Mandrill.
 *
 * The signed URL is the source's public_url from the config followed, when
 * the request has a query, by '?' and the query exactly as received: never a
 * URL rebuilt from Host or X-Forwarded-* headers, which the sender controls.
 * Twilio and Mandrill add the sorted form parameters of the body, each as
 * name + value; Twilio's JSON requests carry the body's SHA-256 in the
 * bodySHA256 query parameter instead, which is checked against the body.
 */
#include "sig_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

#define HUBSPOT_HEADER "X-HubSpot-Signature-v3"
#define HUBSPOT_TS_HEADER "X-HubSpot-Request-Timestamp"
#define SQUARE_HEADER "x-square-hmacsha256-signature"
#define TWILIO_HEADER "X-Twilio-Signature"
#define MANDRILL_HEADER "X-Mandrill-Signature"
#define TWILIO_BODY_HASH_PARAM "bodySHA256="

/* Appends public_url and the request's query to msg. */
static void add_signed_url(struct buf *msg, const struct verify_config *v,
                           const struct sig_request *req)
{
    assert(v->public_url != NULL);
    sig_message_add_str(msg, v->public_url);
    if (req->query[0] != '\0') {
        sig_message_add_str(msg, "?");
        sig_message_add_str(msg, req->query);
    }
}

/*
 * HubSpot v3: base64 HMAC-SHA256 of method + URL + body + timestamp, the
 * timestamp in epoch milliseconds, as HubSpot's own client library builds it.
 */
int sig_url_hubspot(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err)
{
    struct buf msg;
    const char *ts_text = sig_header(req, HUBSPOT_TS_HEADER);
    int64_t ts_ms = 0;
    int rc = -1;

    sig_message_init(&msg);
    if (sig_header(req, HUBSPOT_HEADER) == NULL) {
        sig_set_missing(err, HUBSPOT_HEADER);
        goto out;
    }
    if (ts_text == NULL) {
        sig_set_missing(err, HUBSPOT_TS_HEADER);
        goto out;
    }
    if (sig_parse_timestamp(ts_text, strlen(ts_text), &ts_ms) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "timestamp in %s is not a whole number of milliseconds", HUBSPOT_TS_HEADER);
        goto out;
    }
    if (sig_check_fresh(v, HUBSPOT_TS_HEADER, ts_ms / 1000, now_s, err) != 0)
        goto out;
    sig_message_add_str(&msg, req->method);
    add_signed_url(&msg, v, req);
    sig_message_add(&msg, req->body, req->body_len);
    sig_message_add_str(&msg, ts_text);
    rc = sig_check_header_mac(v, req, HUBSPOT_HEADER, NULL, VERIFY_BASE64, DIGEST_SHA256,
                              msg.data, msg.len, err);
out:
    buf_free(&msg);
    return rc;
}

/* Square: base64 HMAC-SHA256 of the notification URL + body. */
int sig_url_square(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err)
{
    struct buf msg;
    int rc;

    (void)now_s;
    sig_message_init(&msg);
    add_signed_url(&msg, v, req);
    sig_message_add(&msg, req->body, req->body_len);
    rc = sig_check_header_mac(v, req, SQUARE_HEADER, NULL, VERIFY_BASE64, DIGEST_SHA256,
                              msg.data, msg.len, err);
    buf_free(&msg);
    return rc;
}

/*
 * The URL followed by the body's form parameters sorted by name, each as
 * name + value. A parameter repeated with the same value counts once, as
 * Twilio's library has it.
 */
static int add_url_and_form(struct buf *msg, const struct verify_config *v,
                            const struct sig_request *req, const char *name, struct error *err)
{
    struct form form = {NULL, 0};
    struct error form_err;
    int rc = -1;

    error_clear(&form_err);
    add_signed_url(msg, v, req);
    if (form_parse(req->body, req->body_len, &form, &form_err) != 0) {
        /* The signature cannot be checked over a body that does not parse. */
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "the body's form parameters, which %s signs, do not parse: %s", name,
                  form_err.msg);
        goto out;
    }
    form_sort(&form);
    for (size_t i = 0; i < form.n; i++) {
        const struct form_param *p = &form.params[i];
        const struct form_param *prev = i > 0 ? &form.params[i - 1] : NULL;

        if (prev != NULL && prev->name_len == p->name_len && prev->value_len == p->value_len &&
            memcmp(prev->name, p->name, p->name_len) == 0 &&
            memcmp(prev->value, p->value, p->value_len) == 0)
            continue;
        sig_message_add(msg, p->name, p->name_len);
        sig_message_add(msg, p->value, p->value_len);
    }
    rc = 0;
out:
    form_free(&form);
    return rc;
}

/* The value of the query parameter whose "name=" is given, or NULL. Not decoded. */
static const char *query_param(const char *query, const char *name_eq, size_t *len)
{
    size_t name_len = strlen(name_eq);
    const char *cursor = query;
    const char *field;
    size_t field_len;

    while (sig_next_field(&cursor, '&', &field, &field_len)) {
        if (field_len >= name_len && memcmp(field, name_eq, name_len) == 0) {
            *len = field_len - name_len;
            return field + name_len;
        }
    }
    return NULL;
}

/*
 * Twilio: base64 HMAC-SHA1 of the URL + sorted form parameters; with a
 * bodySHA256 query parameter (JSON bodies) the URL alone is signed and the
 * parameter must be the hex SHA-256 of the body.
 */
int sig_url_twilio(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err)
{
    struct buf msg;
    size_t hash_len = 0;
    const char *hash = query_param(req->query, TWILIO_BODY_HASH_PARAM, &hash_len);
    int rc = -1;

    (void)now_s;
    sig_message_init(&msg);
    if (sig_header(req, TWILIO_HEADER) == NULL) {
        sig_set_missing(err, TWILIO_HEADER);
        goto out;
    }
    if (hash != NULL) {
        char want[65];
        unsigned char *sent = NULL;
        unsigned char *body_hash = NULL;
        size_t sent_len = 0;
        size_t body_hash_len = 0;
        int match;

        digest_sha256_hex(req->body, req->body_len, want);
        sent = sig_decode(VERIFY_HEX, hash, hash_len, &sent_len);
        body_hash = sig_decode(VERIFY_HEX, want, 64, &body_hash_len);
        match = sent != NULL && digest_equal(sent, sent_len, body_hash, body_hash_len);
        free(sent);
        free(body_hash);
        if (!match) {
            error_set(err, HS_ERR_AUTH, "bad_signature",
                      "the bodySHA256 query parameter is not the SHA-256 of the body");
            goto out;
        }
        add_signed_url(&msg, v, req);
    } else if (add_url_and_form(&msg, v, req, "Twilio", err) != 0) {
        goto out;
    }
    rc = sig_check_header_mac(v, req, TWILIO_HEADER, NULL, VERIFY_BASE64, DIGEST_SHA1, msg.data,
                              msg.len, err);
out:
    buf_free(&msg);
    return rc;
}

/* Mandrill (Mailchimp Transactional): base64 HMAC-SHA1 of the URL + sorted POST parameters. */
int sig_url_mandrill(const struct verify_config *v, const struct sig_request *req,
                     int64_t now_s, struct error *err)
{
    struct buf msg;
    int rc = -1;

    (void)now_s;
    sig_message_init(&msg);
    if (sig_header(req, MANDRILL_HEADER) == NULL) {
        sig_set_missing(err, MANDRILL_HEADER);
        goto out;
    }
    if (add_url_and_form(&msg, v, req, "Mandrill", err) != 0)
        goto out;
    rc = sig_check_header_mac(v, req, MANDRILL_HEADER, NULL, VERIFY_BASE64, DIGEST_SHA1,
                              msg.data, msg.len, err);
out:
    buf_free(&msg);
    return rc;
}
