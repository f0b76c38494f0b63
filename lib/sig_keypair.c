/*
 * sig_keypair: schemes signed with the provider's private key (see
 * sig_internal.h). The config holds the public key (verify.public_key);
 * there is no shared secret.
 *
 * Discord: X-Signature-Ed25519 is the hex Ed25519 signature of
 * X-Signature-Timestamp + body. SendGrid: X-Twilio-Email-Event-Webhook-
 * Signature is the base64 DER ECDSA P-256 signature over SHA-256 of
 * X-Twilio-Email-Event-Webhook-Timestamp + body. Both timestamps are epoch
 * seconds and are signed, so a replay outside the tolerance is refused.
 */
#include "sig_internal.h"

#include <stdlib.h>
#include <string.h>

#include "pubkey.h"

struct keypair_scheme {
    const char *sig_header;
    const char *ts_header;
    enum verify_encoding encoding;
    enum pubkey_kind kind;
};

static const struct keypair_scheme DISCORD = {"X-Signature-Ed25519", "X-Signature-Timestamp",
                                              VERIFY_HEX, PUBKEY_ED25519};
static const struct keypair_scheme SENDGRID = {"X-Twilio-Email-Event-Webhook-Signature",
                                               "X-Twilio-Email-Event-Webhook-Timestamp",
                                               VERIFY_BASE64, PUBKEY_P256};

static int check_keypair(const struct keypair_scheme *k, const struct verify_config *v,
                         const struct sig_request *req, int64_t now_s, struct error *err)
{
    struct buf msg;
    const char *sig_text = sig_header(req, k->sig_header);
    const char *ts_text = sig_header(req, k->ts_header);
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    int64_t ts = 0;
    int verdict;
    int rc = -1;

    sig_message_init(&msg);
    if (sig_text == NULL) {
        sig_set_missing(err, k->sig_header);
        goto out;
    }
    if (ts_text == NULL) {
        sig_set_missing(err, k->ts_header);
        goto out;
    }
    if (sig_parse_timestamp(ts_text, strlen(ts_text), &ts) != 0) {
        sig_set_bad_timestamp(err, k->ts_header);
        goto out;
    }
    if (sig_check_fresh(v, k->ts_header, ts, now_s, err) != 0)
        goto out;
    sig = sig_decode(k->encoding, sig_text, strlen(sig_text), &sig_len);
    if (sig == NULL || sig_len == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "signature in %s is not valid %s",
                  k->sig_header, k->encoding == VERIFY_HEX ? "hex" : "base64");
        goto out;
    }
    sig_message_add_str(&msg, ts_text);
    sig_message_add(&msg, req->body, req->body_len);
    verdict = pubkey_verify(k->kind, v->public_key, v->public_key_len, msg.data, msg.len, sig,
                            sig_len);
    if (verdict < 0) {
        sig_set_check_failed(err, "public-key signature");
        goto out;
    }
    if (verdict == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "signature in %s does not verify under the configured public key",
                  k->sig_header);
        goto out;
    }
    rc = 0;
out:
    free(sig);
    buf_free(&msg);
    return rc;
}

int sig_keypair_discord(const struct verify_config *v, const struct sig_request *req,
                        int64_t now_s, struct error *err)
{
    return check_keypair(&DISCORD, v, req, now_s, err);
}

int sig_keypair_sendgrid(const struct verify_config *v, const struct sig_request *req,
                         int64_t now_s, struct error *err)
{
    return check_keypair(&SENDGRID, v, req, now_s, err);
}
