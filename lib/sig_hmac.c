/*
 * sig_hmac: schemes with one MAC in one header (see sig_internal.h).
 *
 * Most providers MAC the raw body and differ only in the header, a literal
 * prefix, the encoding and the hash: those are one table row each in
 * BODY_MACS. The others add a timestamp to the message: Slack and Zoom sign
 * "v0:TS:body", Twitch signs id + timestamp + body, and Linear signs the
 * body alone but carries its timestamp inside it (webhookTimestamp, ms),
 * so the timestamp is read only from a body whose MAC matched.
 */
#include "sig_internal.h"

#include <assert.h>
#include <jansson.h>
#include <string.h>

struct body_mac {
    const char *header;
    const char *prefix; /* NULL: none */
    enum verify_encoding encoding;
    enum digest_alg alg;
};

static const struct body_mac GITHUB = {"X-Hub-Signature-256", "sha256=", VERIFY_HEX,
                                       DIGEST_SHA256};
static const struct body_mac SHOPIFY = {"X-Shopify-Hmac-Sha256", NULL, VERIFY_BASE64,
                                        DIGEST_SHA256};
static const struct body_mac BITBUCKET = {"X-Hub-Signature", "sha256=", VERIFY_HEX,
                                          DIGEST_SHA256};
static const struct body_mac INTERCOM = {"X-Hub-Signature", "sha1=", VERIFY_HEX, DIGEST_SHA1};
static const struct body_mac TYPEFORM = {"Typeform-Signature", "sha256=", VERIFY_BASE64,
                                         DIGEST_SHA256};
static const struct body_mac WOOCOMMERCE = {"X-WC-Webhook-Signature", NULL, VERIFY_BASE64,
                                            DIGEST_SHA256};
static const struct body_mac META = {"X-Hub-Signature-256", "sha256=", VERIFY_HEX,
                                     DIGEST_SHA256};
static const struct body_mac TWITTER = {"X-Twitter-Webhooks-Signature", "sha256=",
                                        VERIFY_BASE64, DIGEST_SHA256};
static const struct body_mac DROPBOX = {"X-Dropbox-Signature", NULL, VERIFY_HEX, DIGEST_SHA256};
static const struct body_mac GITEA = {"X-Gitea-Signature", NULL, VERIFY_HEX, DIGEST_SHA256};

#define LINEAR_HEADER "Linear-Signature"
#define LINEAR_TS_FIELD "webhookTimestamp"
#define TWITCH_ID_HEADER "Twitch-Eventsub-Message-Id"
#define TWITCH_TS_HEADER "Twitch-Eventsub-Message-Timestamp"
#define TWITCH_SIG_HEADER "Twitch-Eventsub-Message-Signature"

static int check_body_mac(const struct body_mac *m, const struct verify_config *v,
                          const struct sig_request *req, struct error *err)
{
    return sig_check_header_mac(v, req, m->header, m->prefix, m->encoding, m->alg, req->body,
                                req->body_len, err);
}

int sig_hmac_generic(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                     struct error *err)
{
    (void)now_s;
    assert(v->header != NULL);
    return sig_check_header_mac(v, req, v->header, v->prefix, v->encoding, v->algorithm,
                                req->body, req->body_len, err);
}

#define BODY_MAC_SCHEME(fn, spec)                                                                 \
    int fn(const struct verify_config *v, const struct sig_request *req, int64_t now_s,         \
           struct error *err)                                                                    \
    {                                                                                            \
        (void)now_s;                                                                             \
        return check_body_mac(&(spec), v, req, err);                                             \
    }

BODY_MAC_SCHEME(sig_hmac_github, GITHUB)
BODY_MAC_SCHEME(sig_hmac_shopify, SHOPIFY)
BODY_MAC_SCHEME(sig_hmac_bitbucket, BITBUCKET)
BODY_MAC_SCHEME(sig_hmac_intercom, INTERCOM)
BODY_MAC_SCHEME(sig_hmac_typeform, TYPEFORM)
BODY_MAC_SCHEME(sig_hmac_woocommerce, WOOCOMMERCE)
BODY_MAC_SCHEME(sig_hmac_meta, META)
BODY_MAC_SCHEME(sig_hmac_twitter, TWITTER)
BODY_MAC_SCHEME(sig_hmac_dropbox, DROPBOX)
BODY_MAC_SCHEME(sig_hmac_gitea, GITEA)

/*
 * Linear: the body's MAC first, then its webhookTimestamp, epoch
 * milliseconds, within the tolerance.
 */
int sig_hmac_linear(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err)
{
    json_t *doc = NULL;
    json_t *ts;
    int rc = -1;

    if (sig_check_header_mac(v, req, LINEAR_HEADER, NULL, VERIFY_HEX, DIGEST_SHA256, req->body,
                             req->body_len, err) != 0)
        goto out;
    doc = json_loadb(req->body, req->body_len, 0, NULL);
    ts = json_object_get(doc, LINEAR_TS_FIELD);
    if (!json_is_integer(ts) || json_integer_value(ts) < 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "body has no " LINEAR_TS_FIELD " in whole milliseconds");
        goto out;
    }
    rc = sig_check_fresh(v, "the body's " LINEAR_TS_FIELD, (int64_t)(json_integer_value(ts) / 1000),
                         now_s, err);
out:
    json_decref(doc);
    return rc;
}

/* Slack and Zoom: sig_name holds "v0=" + hex HMAC-SHA256 of "v0:TS:body", TS from ts_name. */
static int check_v0(const struct verify_config *v, const struct sig_request *req,
                    const char *sig_name, const char *ts_name, int64_t now_s, struct error *err)
{
    struct buf msg;
    const char *ts_text = sig_header(req, ts_name);
    int64_t ts = 0;
    int rc = -1;

    sig_message_init(&msg);
    if (sig_header(req, sig_name) == NULL) {
        sig_set_missing(err, sig_name);
        goto out;
    }
    if (ts_text == NULL) {
        sig_set_missing(err, ts_name);
        goto out;
    }
    if (sig_parse_timestamp(ts_text, strlen(ts_text), &ts) != 0) {
        sig_set_bad_timestamp(err, ts_name);
        goto out;
    }
    if (sig_check_fresh(v, ts_name, ts, now_s, err) != 0)
        goto out;
    /* The timestamp is signed as sent, so it goes into the message as the header's text. */
    sig_message_add_str(&msg, "v0:");
    sig_message_add_str(&msg, ts_text);
    sig_message_add_str(&msg, ":");
    sig_message_add(&msg, req->body, req->body_len);
    rc = sig_check_header_mac(v, req, sig_name, "v0=", VERIFY_HEX, DIGEST_SHA256, msg.data,
                              msg.len, err);
out:
    buf_free(&msg);
    return rc;
}

int sig_hmac_slack(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err)
{
    return check_v0(v, req, "X-Slack-Signature", "X-Slack-Request-Timestamp", now_s, err);
}

int sig_hmac_zoom(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                  struct error *err)
{
    return check_v0(v, req, "x-zm-signature", "x-zm-request-timestamp", now_s, err);
}

/*
 * Twitch EventSub: "sha256=" + hex HMAC-SHA256 of message id + timestamp +
 * body, the timestamp an RFC 3339 date-time.
 */
int sig_hmac_twitch(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err)
{
    static const char *const NAMES[] = {TWITCH_SIG_HEADER, TWITCH_ID_HEADER, TWITCH_TS_HEADER};
    struct buf msg;
    const char *id = sig_header(req, TWITCH_ID_HEADER);
    const char *ts_text = sig_header(req, TWITCH_TS_HEADER);
    int64_t ts = 0;
    int rc = -1;

    sig_message_init(&msg);
    for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++) {
        if (sig_header(req, NAMES[i]) == NULL) {
            sig_set_missing(err, NAMES[i]);
            goto out;
        }
    }
    if (sig_parse_rfc3339(ts_text, &ts) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "timestamp in %s is not an RFC 3339 time",
                  TWITCH_TS_HEADER);
        goto out;
    }
    if (sig_check_fresh(v, TWITCH_TS_HEADER, ts, now_s, err) != 0)
        goto out;
    sig_message_add_str(&msg, id);
    sig_message_add_str(&msg, ts_text);
    sig_message_add(&msg, req->body, req->body_len);
    rc = sig_check_header_mac(v, req, TWITCH_SIG_HEADER, "sha256=", VERIFY_HEX, DIGEST_SHA256,
                              msg.data, msg.len, err);
out:
    buf_free(&msg);
    return rc;
}
