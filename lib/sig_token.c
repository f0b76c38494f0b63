/*
 * sig_token: schemes where the request carries the shared secret itself
 * (see sig_internal.h): a token in a header (token, gitlab) and HTTP basic
 * auth (postmark, whose webhook URL holds user:password).
 *
 * The sent value and each secret are compared as HMACs under a fixed key,
 * so the compare is over equal lengths and its time says nothing about the
 * secret's length either. The envelope never stores Authorization, and a
 * token source's header is dropped too.
 */
#include "sig_internal.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

#define AUTHORIZATION "Authorization"

/* 1 when value equals a secret, 0 when none, -1 when the HMAC could not be computed. */
static int equals_a_secret(const struct verify_config *v, const void *value, size_t value_len)
{
    unsigned char sent[DIGEST_MAX];
    unsigned char want[DIGEST_MAX];
    int match = 0;
    int rc = -1;

    if (digest_hmac(DIGEST_SHA256, "token", 5, value, value_len, sent) != 32)
        goto out;
    for (size_t i = 0; i < v->n_secrets; i++) {
        if (digest_hmac(DIGEST_SHA256, "token", 5, v->secrets[i].bytes, v->secrets[i].len,
                        want) != 32)
            goto out;
        match |= digest_equal(sent, 32, want, 32);
    }
    rc = match;
out:
    OPENSSL_cleanse(sent, sizeof(sent));
    OPENSSL_cleanse(want, sizeof(want));
    return rc;
}

int sig_token_header(const struct verify_config *v, const struct sig_request *req,
                     int64_t now_s, struct error *err)
{
    const char *value;
    int match;

    (void)now_s;
    assert(v->header != NULL);
    value = sig_header(req, v->header);
    if (value == NULL) {
        sig_set_missing(err, v->header);
        return -1;
    }
    match = equals_a_secret(v, value, strlen(value));
    if (match < 0) {
        sig_set_check_failed(err, "HMAC");
        return -1;
    }
    if (!match) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "token in %s does not match any configured token", v->header);
        return -1;
    }
    return 0;
}

/* Authorization: Basic BASE64(user:password), the pair compared with each secret. */
int sig_token_basic_auth(const struct verify_config *v, const struct sig_request *req,
                         int64_t now_s, struct error *err)
{
    const char *value = sig_header(req, AUTHORIZATION);
    unsigned char *credentials = NULL;
    size_t credentials_len = 0;
    int match;
    int rc = -1;

    (void)now_s;
    if (value == NULL) {
        sig_set_missing(err, AUTHORIZATION);
        goto out;
    }
    if (strncasecmp(value, "Basic ", 6) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "%s is not Basic credentials",
                  AUTHORIZATION);
        goto out;
    }
    value += 6;
    while (*value == ' ')
        value++;
    credentials = codec_base64_decode(value, strlen(value), &credentials_len);
    if (credentials == NULL || memchr(credentials, ':', credentials_len) == NULL) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "%s does not hold base64 user:password",
                  AUTHORIZATION);
        goto out;
    }
    match = equals_a_secret(v, credentials, credentials_len);
    if (match < 0) {
        sig_set_check_failed(err, "HMAC");
        goto out;
    }
    if (!match) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "credentials in %s do not match any configured user:password", AUTHORIZATION);
        goto out;
    }
    rc = 0;
out:
    sig_free_wiped(credentials, credentials_len);
    return rc;
}
