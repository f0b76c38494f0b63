/*
 * config: the one JSON file handler and drain share (DESIGN.md "Config").
 *
 * config_load() reads and validates the whole file at start; on any problem
 * it fails with HS_ERR_CONFIG and a message that names the field and the
 * reason: `sources[2].verify.scheme: unknown scheme "githib"`. Secrets are
 * resolved at load (env:NAME, file:/path, or literal) into bytes the config
 * owns and wipes on free; Standard Webhooks secrets ("whsec_" + base64) are
 * stored decoded. After a successful load every field below is valid and
 * defaults are filled in, so callers never re-check.
 *
 * A loaded config is read-only and may be shared between threads.
 */
#ifndef HS_CONFIG_H
#define HS_CONFIG_H

#include <stddef.h>

#include "digest.h"
#include "error.h"

#define CONFIG_DEFAULT_PATH "/etc/hookspool/config.json"
#define CONFIG_DEFAULT_MAX_BODY (1024 * 1024)
#define CONFIG_DEFAULT_TOLERANCE_S 300
#define CONFIG_DEFAULT_STORE_TIMEOUT_MS 3000
#define CONFIG_DEFAULT_DEST_TIMEOUT_MS 15000
#define CONFIG_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define CONFIG_DEFAULT_MAX_BACKLOG 100000
#define CONFIG_DEFAULT_CONCURRENCY 16
#define CONFIG_DEFAULT_BACKLOG_STALE_S 300
#define CONFIG_BACKLOG_STALE_S_MAX (366L * 86400)
#define CONFIG_DEFAULT_POLL_MS 1000
#define CONFIG_DEFAULT_BREAKER_FAILURES 10
#define CONFIG_DEFAULT_BREAKER_PAUSE_S 60
#define CONFIG_DEFAULT_READ_TIMEOUT_MS 30000
#define CONFIG_DEFAULT_DESTINATION "default" /* the name "destination": {...} stands for */
#define CONFIG_DESTINATIONS_MAX 64           /* per source */

/* The verifier a source uses; sig.h's scheme table maps each config name to one. */
enum verify_scheme {
    VERIFY_NONE,
    VERIFY_GITHUB,   /* X-Hub-Signature-256: sha256=HEX(hmac(body)) */
    VERIFY_STRIPE,   /* Stripe-Signature: t=TS,v1=HEX(hmac("TS.body")),... */
    VERIFY_SHOPIFY,  /* X-Shopify-Hmac-Sha256: BASE64(hmac(body)) */
    VERIFY_SLACK,    /* X-Slack-Signature: v0=HEX(hmac("v0:TS:body")), X-Slack-Request-Timestamp */
    VERIFY_STANDARD, /* webhook-id/-timestamp/-signature (or svix-*): v1,BASE64(hmac("id.ts.body")) */
    VERIFY_HMAC,     /* generic: header, algorithm, encoding, optional prefix */
    VERIFY_TOKEN,    /* a shared token in a header (scheme "gitlab": X-Gitlab-Token) */
    VERIFY_BITBUCKET,   /* X-Hub-Signature: sha256=HEX(hmac(body)) */
    VERIFY_LINEAR,      /* Linear-Signature: HEX(hmac(body)), webhookTimestamp (ms) in the body */
    VERIFY_INTERCOM,    /* X-Hub-Signature: sha1=HEX(hmac-sha1(body)) */
    VERIFY_TYPEFORM,    /* Typeform-Signature: sha256=BASE64(hmac(body)) */
    VERIFY_WOOCOMMERCE, /* X-WC-Webhook-Signature: BASE64(hmac(body)) */
    VERIFY_HUBSPOT,     /* X-HubSpot-Signature-v3: BASE64(hmac(method url body ts)) */
    VERIFY_TWILIO,      /* X-Twilio-Signature: BASE64(hmac-sha1(url + sorted form params)) */
    VERIFY_SQUARE,      /* x-square-hmacsha256-signature: BASE64(hmac(url body)) */
    VERIFY_PADDLE,      /* Paddle-Signature: ts=TS;h1=HEX(hmac("TS:body")) */
    VERIFY_ZOOM,        /* x-zm-signature: v0=HEX(hmac("v0:TS:body")), x-zm-request-timestamp */
    VERIFY_TWITCH,      /* Twitch-Eventsub-Message-Signature: sha256=HEX(hmac(id ts body)) */
    VERIFY_META,        /* X-Hub-Signature-256: sha256=HEX(hmac(body)); GET handshake token */
    VERIFY_TWITTER,     /* X-Twitter-Webhooks-Signature: sha256=BASE64(hmac(body)) */
    VERIFY_DROPBOX,     /* X-Dropbox-Signature: HEX(hmac(body)) */
    VERIFY_DISCORD,     /* X-Signature-Ed25519: HEX(ed25519(ts body)), X-Signature-Timestamp */
    VERIFY_SENDGRID,    /* X-Twilio-Email-Event-Webhook-Signature: BASE64(ecdsa-p256(ts body)) */
    VERIFY_MANDRILL,    /* X-Mandrill-Signature: BASE64(hmac-sha1(url + sorted form params)) */
    VERIFY_POSTMARK,    /* Authorization: Basic BASE64(user:password) */
    VERIFY_GITEA,       /* X-Gitea-Signature: HEX(hmac(body)) */
};

enum verify_encoding { VERIFY_HEX, VERIFY_BASE64 };

enum idempotency_fallback { IDEMPOTENCY_REJECT, IDEMPOTENCY_BODY_SHA256 };

struct secret {
    unsigned char *bytes; /* NUL-terminated for convenience; len excludes it */
    size_t len;
};

struct verify_config {
    enum verify_scheme scheme;
    struct secret *secrets; /* every one is tried, for rotation; n_secrets >= 1 unless NONE */
    size_t n_secrets;
    long tolerance_s;       /* timestamped schemes; "tolerance_s", default 300 */
    /* VERIFY_HMAC and VERIFY_TOKEN only: */
    char *header;           /* "header" (or the scheme's own): the header carrying it */
    enum digest_alg algorithm;      /* "algorithm": sha1|sha256|sha512, default sha256 */
    enum verify_encoding encoding;  /* "encoding": hex|base64, default hex */
    char *prefix;           /* "prefix": e.g. "sha256=", or NULL */
    /* Where sig.h's scheme table asks for them, else NULL / empty: */
    char *public_url;       /* "public_url": absolute http(s) URL, no query, no fragment */
    struct secret verify_token;  /* "verify_token": secret value; len 0 when unset */
    unsigned char *public_key;   /* "public_key" decoded: 32 bytes Ed25519, or DER SPKI P-256 */
    size_t public_key_len;
};

struct idempotency_config {
    char **headers;         /* "header" or "headers": first present wins */
    size_t n_headers;
    char *json_pointer;     /* "json_pointer": RFC 6901 pointer into the body, or NULL */
    enum idempotency_fallback fallback; /* "fallback": reject | body_sha256 */
};

struct filter; /* lib/filter.h */

struct destination_config {
    char *name;             /* [a-z0-9_-]{1,64}, unique within its source; "default" for
                               the one-destination shorthand "destination" */
    char *url;              /* http:// or https:// */
    long timeout_ms;        /* total, default 15000 */
    long connect_timeout_ms;/* default 5000, never above timeout_ms */
    struct secret sign_secret; /* "sign": standard-webhooks; len 0 when unset */
    double max_per_second;  /* 0: unlimited */
    int breaker_failures;   /* default 10 */
    int breaker_pause_s;    /* default 60 */
    long *schedule_s;       /* its own "schedule_s", else a copy of drain.schedule_s */
    size_t n_schedule;      /* >= 1: the attempts it gets */
    struct filter *filter;  /* "filter" (owned); NULL: every webhook */
};

/* "response": the answer to an accepted webhook, in place of 202 and its JSON body. */
struct response_config {
    int status;             /* 200..299; 0: not set, the default answer */
    char *body;             /* "body", NULL when absent; may be empty */
    size_t body_len;
    char *content_type;     /* "content_type" (default "text/plain; charset=utf-8" with a
                               body); NULL without a body */
};

struct source_config {
    char *name;             /* [a-z0-9_-]{1,64}, unique */
    char *path;             /* request path, e.g. "/hooks/github", unique */
    size_t max_body;        /* default 1 MiB */
    int require_json;       /* "require_json", implied by idempotency.json_pointer */
    struct verify_config verify;
    struct idempotency_config idempotency;
    struct destination_config *destinations; /* "destinations", in config order, or the one
                                                "destination" */
    size_t n_destinations;  /* 0: none configured, the source's objects wait in the spool */
    struct response_config response; /* "response", optional */
};

struct store_config {
    char *url;              /* s3://BUCKET[/PREFIX][?PARAMS] (s3_url.h) or file:///DIR */
    char *access_key;       /* resolved; NULL for file:// */
    char *secret_key;       /* resolved; NULL for file:// */
    char *session_token;    /* resolved; optional (STS, IAM roles), NULL when absent */
    long timeout_ms;        /* default 3000 */
};

struct drain_config {
    int concurrency;        /* default 16 */
    long poll_ms;           /* default 1000 */
    long *schedule_s;       /* delay before attempt i+1; length = attempts */
    size_t n_schedule;      /* default [0, 5, 300, 1800, 7200, 18000, 36000, 36000] */
};

struct handler_config {
    long read_timeout_ms;   /* a FastCGI connection's time to send a whole request; 30000 */
};

struct config {
    struct store_config store;
    long max_backlog;       /* default 100000 */
    long backlog_stale_s;   /* default 300: an older backlog count is ignored */
    struct source_config *sources;
    size_t n_sources;
    struct drain_config drain;
    struct handler_config handler;
};

/* Reads and validates the file at path. Caller owns the result. */
struct config *config_load(const char *path, struct error *err);

/* Same from JSON text already in memory (tests, fuzzing). */
struct config *config_parse(const char *text, size_t len, struct error *err);

/* The path to use: explicit (may be NULL), else $HOOKSPOOL_CONFIG, else the default. */
const char *config_path(const char *explicit_path);

/* The source whose path equals path, or NULL. */
const struct source_config *config_source_by_path(const struct config *cfg, const char *path);

/* The source named name, or NULL. */
const struct source_config *config_source_by_name(const struct config *cfg, const char *name);

/* The destination of src named name, or NULL. */
const struct destination_config *config_destination_by_name(const struct source_config *src,
                                                            const char *name);

/* Frees everything and wipes the secrets. NULL-safe. */
void config_free(struct config *cfg);

#endif
