/*
 * handshake: providers' challenges and their answers (see handshake.h).
 *
 * The GET handshakes read the query as form parameters (form.c does the
 * URL-decoding); the POST ones read the verified body with jansson. Each
 * scheme is one small function; the dispatch is by verify scheme, the
 * same enum sig.c dispatches on.
 */
#include "handshake.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "digest.h"
#include "form.h"
#include "headers.h"
#include "xmalloc.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define APPLICATION_JSON "application/json"
#define TWITCH_TYPE_HEADER "Twitch-Eventsub-Message-Type"
#define TWITCH_VERIFICATION "webhook_callback_verification"

int handshake_allows_get(const struct verify_config *v)
{
    return v->scheme == VERIFY_META || v->scheme == VERIFY_TWITTER ||
           v->scheme == VERIFY_DROPBOX;
}

void handshake_answer_free(struct handshake_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->body_len = 0;
}

static void answer_text(struct handshake_answer *a, const char *kind, const char *value,
                        size_t len)
{
    a->status = 200;
    a->content_type = TEXT_PLAIN;
    a->body = xmalloc(len + 1);
    memcpy(a->body, value, len);
    a->body[len] = '\0';
    a->body_len = len;
    a->kind = kind;
}

/* Consumes obj. */
static void answer_json(struct handshake_answer *a, const char *kind, json_t *obj)
{
    a->status = 200;
    a->content_type = APPLICATION_JSON;
    a->body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    /* Only out of memory makes jansson fail, and xmalloc aborts on that first. */
    assert(a->body != NULL);
    a->body_len = strlen(a->body);
    a->kind = kind;
}

static int value_too_long(const char *what, size_t len, struct error *err)
{
    if (len <= HANDSHAKE_VALUE_MAX)
        return 0;
    error_set(err, HS_ERR_INPUT, "bad_handshake",
              "%s of %zu bytes is over the limit of %d bytes", what, len, HANDSHAKE_VALUE_MAX);
    return -1;
}

/*
 * The parameter called name in f: 1 found (*value, *len borrowed from f), 0 absent,
 * -1 with "bad_handshake" when it is given twice.
 */
static int query_param(const struct form *f, const char *name, const char **value, size_t *len,
                       struct error *err)
{
    size_t name_len = strlen(name);
    int found = 0;

    for (size_t i = 0; i < f->n; i++) {
        if (f->params[i].name_len != name_len || memcmp(f->params[i].name, name, name_len) != 0)
            continue;
        if (found) {
            error_set(err, HS_ERR_INPUT, "bad_handshake", "query parameter %s is given twice",
                      name);
            return -1;
        }
        found = 1;
        *value = f->params[i].value;
        *len = f->params[i].value_len;
    }
    return found;
}

/* A parameter the handshake cannot do without, non-empty and bounded. */
static int required_param(const struct form *f, const char *name, const char **value,
                          size_t *len, struct error *err)
{
    int found = query_param(f, name, value, len, err);

    if (found < 0)
        return -1;
    if (found == 0 || *len == 0) {
        error_set(err, HS_ERR_INPUT, "missing_handshake_parameter",
                  "GET is only for the provider's handshake, and the query has no %s", name);
        return -1;
    }
    return value_too_long(name, *len, err);
}

static int meta_get(const struct verify_config *v, const struct form *f,
                    struct handshake_answer *a, struct error *err)
{
    const char *mode, *token, *challenge;
    size_t mode_len, token_len, challenge_len;

    if (required_param(f, "hub.mode", &mode, &mode_len, err) != 0 ||
        required_param(f, "hub.verify_token", &token, &token_len, err) != 0 ||
        required_param(f, "hub.challenge", &challenge, &challenge_len, err) != 0)
        return -1;
    if (mode_len != strlen("subscribe") || memcmp(mode, "subscribe", mode_len) != 0) {
        error_set(err, HS_ERR_INPUT, "bad_handshake", "hub.mode is not \"subscribe\"");
        return -1;
    }
    if (!digest_equal(token, token_len, v->verify_token.bytes, v->verify_token.len)) {
        error_set(err, HS_ERR_FORBIDDEN, "verify_token_mismatch",
                  "hub.verify_token is not the source's verify_token");
        return -1;
    }
    answer_text(a, "meta subscribe", challenge, challenge_len);
    return 0;
}

static int twitter_get(const struct verify_config *v, const struct form *f,
                       struct handshake_answer *a, struct error *err)
{
    unsigned char mac[DIGEST_MAX];
    const char *token;
    size_t token_len;
    size_t mac_len;
    char *b64;
    char *response;

    if (required_param(f, "crc_token", &token, &token_len, err) != 0)
        return -1;
    /* The consumer secret in use is the first: a CRC is not signed, so none can be picked. */
    mac_len = digest_hmac(DIGEST_SHA256, v->secrets[0].bytes, v->secrets[0].len, token,
                          token_len, mac);
    if (mac_len == 0) {
        error_set(err, HS_ERR_TRANSIENT, "handshake_failed",
                  "could not compute the HMAC of the crc_token");
        return -1;
    }
    b64 = codec_base64_encode(mac, mac_len);
    OPENSSL_cleanse(mac, sizeof(mac));
    response = xasprintf("sha256=%s", b64);
    free(b64);
    answer_json(a, "twitter crc", json_pack("{s:s}", "response_token", response));
    free(response);
    return 0;
}

static int dropbox_get(const struct form *f, struct handshake_answer *a, struct error *err)
{
    const char *challenge;
    size_t len;

    if (required_param(f, "challenge", &challenge, &len, err) != 0)
        return -1;
    answer_text(a, "dropbox challenge", challenge, len);
    return 0;
}

int handshake_answer_get(const struct verify_config *v, const char *query,
                         struct handshake_answer *a, struct error *err)
{
    struct form f = {NULL, 0};
    int rc = -1;

    assert(v != NULL && query != NULL && handshake_allows_get(v));
    memset(a, 0, sizeof(*a));
    if (form_parse(query, strlen(query), &f, err) != 0) {
        error_set(err, HS_ERR_INPUT, "bad_handshake",
                  "the query has a '%%' not followed by two hex digits");
        goto out;
    }
    if (v->scheme == VERIFY_META)
        rc = meta_get(v, &f, a, err);
    else if (v->scheme == VERIFY_TWITTER)
        rc = twitter_get(v, &f, a, err);
    else
        rc = dropbox_get(&f, a, err);
out:
    form_free(&f);
    return rc;
}

/* The string member name of obj, bounded: 1 found (*s borrowed), -1 with "bad_handshake". */
static int challenge_string(json_t *obj, const char *name, const char *what, const char **s,
                            size_t *len, struct error *err)
{
    json_t *value = json_object_get(obj, name);

    if (!json_is_string(value) || json_string_length(value) == 0) {
        error_set(err, HS_ERR_INPUT, "bad_handshake", "%s has no %s string", what, name);
        return -1;
    }
    *s = json_string_value(value);
    *len = json_string_length(value);
    if (value_too_long(name, *len, err) != 0)
        return -1;
    return 1;
}

/* 1 when obj[name] is the string want. */
static int member_is(json_t *obj, const char *name, const char *want)
{
    json_t *value = json_object_get(obj, name);

    return json_is_string(value) && strcmp(json_string_value(value), want) == 0;
}

static int slack_post(json_t *doc, struct handshake_answer *a, struct error *err)
{
    const char *challenge;
    size_t len;

    if (!member_is(doc, "type", "url_verification"))
        return 0;
    if (challenge_string(doc, "challenge", "the url_verification", &challenge, &len, err) < 0)
        return -1;
    answer_text(a, "slack url_verification", challenge, len);
    return 1;
}

static int twitch_verifies(const struct sig_request *req)
{
    const char *type = headers_get(req->headers, TWITCH_TYPE_HEADER);

    return type != NULL && strcmp(type, TWITCH_VERIFICATION) == 0;
}

static int twitch_post(const struct sig_request *req, json_t *doc, struct handshake_answer *a,
                       struct error *err)
{
    const char *challenge;
    size_t len;

    if (!twitch_verifies(req))
        return 0;
    if (challenge_string(doc, "challenge", "the " TWITCH_VERIFICATION, &challenge, &len, err) <
        0)
        return -1;
    answer_text(a, "twitch " TWITCH_VERIFICATION, challenge, len);
    return 1;
}

/*
 * The secret that verified req: Zoom's answer is made with the secret token it
 * signed with, which during a rotation may be any of the configured ones.
 */
static const struct secret *zoom_signing_secret(const struct verify_config *v,
                                                const struct sig_request *req, int64_t now_s)
{
    for (size_t i = 0; i < v->n_secrets; i++) {
        struct verify_config one = *v;
        struct error ignored;

        one.secrets = &v->secrets[i];
        one.n_secrets = 1;
        if (sig_verify(&one, req, now_s, &ignored) == 0)
            return &v->secrets[i];
    }
    return NULL;
}

static int zoom_post(const struct verify_config *v, const struct sig_request *req,
                     int64_t now_s, json_t *doc, struct handshake_answer *a, struct error *err)
{
    unsigned char mac[DIGEST_MAX];
    const struct secret *secret;
    const char *plain;
    size_t len;
    size_t mac_len = 0;
    char *hex;

    if (!member_is(doc, "event", "endpoint.url_validation"))
        return 0;
    if (challenge_string(json_object_get(doc, "payload"), "plainToken",
                         "the endpoint.url_validation payload", &plain, &len, err) < 0)
        return -1;
    secret = zoom_signing_secret(v, req, now_s);
    if (secret != NULL)
        mac_len = digest_hmac(DIGEST_SHA256, secret->bytes, secret->len, plain, len, mac);
    if (mac_len == 0) {
        error_set(err, HS_ERR_TRANSIENT, "handshake_failed",
                  "could not compute the encryptedToken of the plainToken");
        return -1;
    }
    hex = codec_hex_encode(mac, mac_len);
    OPENSSL_cleanse(mac, sizeof(mac));
    answer_json(a, "zoom endpoint.url_validation",
                json_pack("{s:s%,s:s}", "plainToken", plain, len, "encryptedToken", hex));
    free(hex);
    return 1;
}

/*
 * Discord's two PINGs: webhook events send type 0 and want 204; an
 * interactions endpoint gets type 1 (no "event": a webhook event of type 1
 * always carries one) and wants {"type": 1} back.
 */
static int discord_post(json_t *doc, struct handshake_answer *a)
{
    json_t *type = json_object_get(doc, "type");

    if (!json_is_integer(type))
        return 0;
    if (json_integer_value(type) == 0) {
        a->status = 204;
        a->kind = "discord webhook ping";
        return 1;
    }
    if (json_integer_value(type) == 1 && json_object_get(doc, "event") == NULL) {
        answer_json(a, "discord interactions ping", json_pack("{s:i}", "type", 1));
        return 1;
    }
    return 0;
}

int handshake_answer_post(const struct verify_config *v, const struct sig_request *req,
                          int64_t now_s, struct handshake_answer *a, struct error *err)
{
    json_t *doc;
    int rc = 0;

    assert(v != NULL && req != NULL);
    memset(a, 0, sizeof(*a));
    if (v->scheme != VERIFY_SLACK && v->scheme != VERIFY_ZOOM && v->scheme != VERIFY_TWITCH &&
        v->scheme != VERIFY_DISCORD)
        return 0;
    doc = json_loadb(req->body != NULL ? req->body : "", req->body_len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        if (v->scheme == VERIFY_TWITCH && twitch_verifies(req)) {
            error_set(err, HS_ERR_INPUT, "bad_handshake",
                      "the " TWITCH_VERIFICATION " body is not a JSON object");
            return -1;
        }
        /* Any other body that is not a JSON object is no handshake: it is a webhook. */
        return 0;
    }
    switch (v->scheme) {
    case VERIFY_SLACK:
        rc = slack_post(doc, a, err);
        break;
    case VERIFY_ZOOM:
        rc = zoom_post(v, req, now_s, doc, a, err);
        break;
    case VERIFY_TWITCH:
        rc = twitch_post(req, doc, a, err);
        break;
    default:
        rc = discord_post(doc, a);
        break;
    }
    json_decref(doc);
    return rc;
}
