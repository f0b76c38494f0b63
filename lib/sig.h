/*
 * sig: verifying providers' webhook signatures, and signing our deliveries.
 *
 * A scheme is named in the config (verify.scheme) and looked up here: the
 * table of schemes (sig.c) gives each name its verifier and says which
 * config fields it needs, so config_load asks for exactly those. The
 * verifiers live by family: sig_hmac.c (one MAC in one header), sig_list.c
 * (timestamped lists of signatures: stripe, paddle, standard-webhooks),
 * sig_url.c (schemes that sign the public URL), sig_keypair.c (Ed25519,
 * ECDSA) and sig_token.c (shared tokens and basic auth).
 *
 * Every configured secret is tried (rotation); every compare is
 * constant-time; a timestamped scheme refuses a timestamp more than
 * tolerance_s away from now, either way. A URL-signing scheme signs the
 * source's public_url from the config plus the request's query, never a
 * URL rebuilt from request headers.
 *
 * Nothing here logs: signatures and secrets never leave this module.
 */
#ifndef HS_SIG_H
#define HS_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "headers.h"

/* What a scheme needs from its verify config (struct sig_scheme_info.needs). */
#define SIG_NEEDS_SECRETS 0x01      /* "secrets": one or more */
#define SIG_TIMESTAMPED 0x02        /* "tolerance_s" applies */
#define SIG_NEEDS_HEADER 0x04       /* "header": hmac and token */
#define SIG_HMAC_OPTIONS 0x08       /* "algorithm", "encoding", "prefix": hmac */
#define SIG_NEEDS_PUBLIC_URL 0x10   /* "public_url": the URL the provider was given */
#define SIG_NEEDS_VERIFY_TOKEN 0x20 /* "verify_token": echoed in a GET handshake */
#define SIG_KEY_ED25519 0x40        /* "public_key": 64 hex digits, an Ed25519 key */
#define SIG_KEY_P256 0x80           /* "public_key": base64 DER SubjectPublicKeyInfo, P-256 */
#define SIG_WHSEC_SECRETS 0x100     /* secrets are "whsec_" + base64, stored decoded */

struct sig_scheme_info {
    const char *name;          /* as written in verify.scheme */
    enum verify_scheme scheme; /* what config stores; several names may share one */
    unsigned needs;            /* SIG_* flags */
    long default_tolerance_s;  /* SIG_TIMESTAMPED: the provider's own tolerance */
    const char *token_header;  /* a token scheme's fixed header (gitlab), else NULL */
};

/* The scheme called name, or NULL when there is none. Static; never freed. */
const struct sig_scheme_info *sig_scheme_find(const char *name);

/* What a scheme may read of the request. Everything is borrowed. */
struct sig_request {
    const char *method;            /* "POST", "GET" */
    const char *query;             /* the raw query string without '?', "" when none */
    const struct headers *headers;
    const void *body;              /* may be NULL when body_len is 0 */
    size_t body_len;
};

/*
 * Verifies req against v at time now_s (epoch seconds). 0 when valid.
 * Otherwise -1 with HS_ERR_AUTH and tag:
 *   "missing_signature"  the scheme's header(s) are absent or empty
 *   "bad_signature"      malformed, or no secret produced a matching signature
 *   "stale_timestamp"    the timestamp is outside the tolerance
 * or, when the check itself could not run (OpenSSL failed), HS_ERR_TRANSIENT
 * with tag "signature_check_failed": that is never the sender's fault.
 */
int sig_verify(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
               struct error *err) __attribute__((warn_unused_result));

/* The header that carries the source's secret itself (a token scheme's: token, gitlab), or
 * NULL: a credential, never stored or forwarded (headers_is_credential). Borrowed from v. */
const char *sig_secret_header(const struct verify_config *v);

/*
 * The Standard Webhooks signature header value for (msg_id, timestamp, body)
 * under key: "v1," + base64(HMAC-SHA256(key, "msg_id.timestamp.body")).
 * Fresh string, caller frees.
 */
char *sig_standard_sign(const struct secret *key, const char *msg_id, int64_t timestamp,
                        const void *body, size_t body_len);

#endif
