/*
 * sig: the table of verify schemes and sig_verify's dispatch (see sig.h).
 *
 * One row per name a config may use. A row says which verifier checks the
 * request, what config fields the scheme needs and the provider's own
 * timestamp tolerance; several names may share one verifier (gitlab is the
 * token scheme in X-Gitlab-Token, svix is standard-webhooks, mailchimp is
 * Mailchimp Transactional, that is mandrill). The verifiers are in the
 * family files named in sig_internal.h.
 */
#include "sig.h"

#include <assert.h>
#include <string.h>

#include "sig_internal.h"

#define SECRETS SIG_NEEDS_SECRETS
#define TIMED (SIG_NEEDS_SECRETS | SIG_TIMESTAMPED)

struct sig_scheme_row {
    struct sig_scheme_info info;
    sig_verify_fn verify;
};

/*
 * Tolerances are the providers' own where they publish one: Twitch ten
 * minutes, Linear one minute, Paddle five seconds (its SDKs' default);
 * else CONFIG_DEFAULT_TOLERANCE_S, five minutes, as Slack, Stripe, HubSpot
 * and Standard Webhooks ask.
 */
static const struct sig_scheme_row ROWS[] = {
    {{"none", VERIFY_NONE, 0, 0, NULL}, NULL},
    {{"hmac", VERIFY_HMAC, SECRETS | SIG_NEEDS_HEADER | SIG_HMAC_OPTIONS, 0, NULL},
     sig_hmac_generic},
    {{"token", VERIFY_TOKEN, SECRETS | SIG_NEEDS_HEADER, 0, NULL}, sig_token_header},
    {{"gitlab", VERIFY_TOKEN, SECRETS, 0, "X-Gitlab-Token"}, sig_token_header},
    {{"postmark", VERIFY_POSTMARK, SECRETS, 0, NULL}, sig_token_basic_auth},
    {{"github", VERIFY_GITHUB, SECRETS, 0, NULL}, sig_hmac_github},
    {{"gitea", VERIFY_GITEA, SECRETS, 0, NULL}, sig_hmac_gitea},
    {{"shopify", VERIFY_SHOPIFY, SECRETS, 0, NULL}, sig_hmac_shopify},
    {{"bitbucket", VERIFY_BITBUCKET, SECRETS, 0, NULL}, sig_hmac_bitbucket},
    {{"intercom", VERIFY_INTERCOM, SECRETS, 0, NULL}, sig_hmac_intercom},
    {{"typeform", VERIFY_TYPEFORM, SECRETS, 0, NULL}, sig_hmac_typeform},
    {{"woocommerce", VERIFY_WOOCOMMERCE, SECRETS, 0, NULL}, sig_hmac_woocommerce},
    {{"meta", VERIFY_META, SECRETS | SIG_NEEDS_VERIFY_TOKEN, 0, NULL}, sig_hmac_meta},
    {{"twitter", VERIFY_TWITTER, SECRETS, 0, NULL}, sig_hmac_twitter},
    {{"dropbox", VERIFY_DROPBOX, SECRETS, 0, NULL}, sig_hmac_dropbox},
    {{"linear", VERIFY_LINEAR, TIMED, 60, NULL}, sig_hmac_linear},
    {{"slack", VERIFY_SLACK, TIMED, 0, NULL}, sig_hmac_slack},
    {{"zoom", VERIFY_ZOOM, TIMED, 0, NULL}, sig_hmac_zoom},
    {{"twitch", VERIFY_TWITCH, TIMED, 600, NULL}, sig_hmac_twitch},
    {{"stripe", VERIFY_STRIPE, TIMED, 0, NULL}, sig_list_stripe},
    {{"paddle", VERIFY_PADDLE, TIMED, 5, NULL}, sig_list_paddle},
    {{"standard-webhooks", VERIFY_STANDARD, TIMED | SIG_WHSEC_SECRETS, 0, NULL},
     sig_list_standard},
    {{"svix", VERIFY_STANDARD, TIMED | SIG_WHSEC_SECRETS, 0, NULL}, sig_list_standard},
    {{"hubspot", VERIFY_HUBSPOT, TIMED | SIG_NEEDS_PUBLIC_URL, 0, NULL}, sig_url_hubspot},
    {{"square", VERIFY_SQUARE, SECRETS | SIG_NEEDS_PUBLIC_URL, 0, NULL}, sig_url_square},
    {{"twilio", VERIFY_TWILIO, SECRETS | SIG_NEEDS_PUBLIC_URL, 0, NULL}, sig_url_twilio},
    {{"mandrill", VERIFY_MANDRILL, SECRETS | SIG_NEEDS_PUBLIC_URL, 0, NULL}, sig_url_mandrill},
    {{"mailchimp", VERIFY_MANDRILL, SECRETS | SIG_NEEDS_PUBLIC_URL, 0, NULL}, sig_url_mandrill},
    {{"discord", VERIFY_DISCORD, SIG_TIMESTAMPED | SIG_KEY_ED25519, 0, NULL},
     sig_keypair_discord},
    {{"sendgrid", VERIFY_SENDGRID, SIG_TIMESTAMPED | SIG_KEY_P256, 0, NULL},
     sig_keypair_sendgrid},
};

#define N_ROWS (sizeof(ROWS) / sizeof(ROWS[0]))

const struct sig_scheme_info *sig_scheme_find(const char *name)
{
    assert(name != NULL);
    for (size_t i = 0; i < N_ROWS; i++) {
        if (strcmp(ROWS[i].info.name, name) == 0)
            return &ROWS[i].info;
    }
    return NULL;
}

/* The verifier of a stored scheme: the first row that names it. */
static sig_verify_fn verifier_of(enum verify_scheme scheme)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        if (ROWS[i].info.scheme == scheme)
            return ROWS[i].verify;
    }
    return NULL;
}

int sig_verify(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
               struct error *err)
{
    struct sig_request r;
    sig_verify_fn verify;

    assert(v != NULL && req != NULL && req->headers != NULL);
    assert(req->body != NULL || req->body_len == 0);
    if (v->scheme == VERIFY_NONE)
        return 0;
    verify = verifier_of(v->scheme);
    if (verify == NULL) {
        /* Only a config that bypassed config_load gets here. */
        error_set(err, HS_ERR_CONFIG, NULL, "unknown verify scheme %d", (int)v->scheme);
        return -1;
    }
    r = *req;
    /* HMAC wants a real pointer even for no data. */
    if (r.body == NULL)
        r.body = "";
    if (r.method == NULL)
        r.method = "POST";
    if (r.query == NULL)
        r.query = "";
    return verify(v, &r, now_s, err);
}

const char *sig_secret_header(const struct verify_config *v)
{
    return v->scheme == VERIFY_TOKEN ? v->header : NULL;
}
