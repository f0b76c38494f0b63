/*
 * sig: verifying providers' webhook signatures, and signing our deliveries.
 *
 * Schemes (config.h, enum verify_scheme): github, stripe, shopify, slack,
 * standard-webhooks (webhook-* and svix-* headers), generic hmac, token,
 * none. Every configured secret is tried (rotation); every compare is
 * constant-time; timestamped schemes (stripe, slack, standard-webhooks)
 * refuse a timestamp more than tolerance_s away from now, either way.
 *
 * Nothing here logs signatures or secrets: they never leave this module.
 */
#ifndef HS_SIG_H
#define HS_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "headers.h"

/*
 * Verifies body and headers against v at time now_s (epoch seconds).
 * 0 when valid. Otherwise -1 with HS_ERR_AUTH and tag:
 *   "missing_signature"  the scheme's header(s) are absent or empty
 *   "bad_signature"      malformed, or no secret produced a matching signature
 *   "stale_timestamp"    the timestamp is outside the tolerance
 * or -1 with HS_ERR_TRANSIENT and "hmac_failed" when OpenSSL could not compute
 * a MAC (not the sender's fault: answered 503, so the provider retries).
 */
int sig_verify(const struct verify_config *v, const struct headers *h, const void *body,
               size_t body_len, int64_t now_s, struct error *err)
    __attribute__((warn_unused_result));

/* The header that carries the source's secret itself (the token scheme's), or NULL:
 * a credential, never stored or forwarded (headers_is_credential). Borrowed from v. */
const char *sig_secret_header(const struct verify_config *v);

/*
 * The Standard Webhooks signature header value for (msg_id, timestamp, body)
 * under key: "v1," + base64(HMAC-SHA256(key, "msg_id.timestamp.body")).
 * Fresh string, caller frees. An HMAC OpenSSL refuses is logged and aborts
 * the process: a delivery is never sent unsigned or signed wrong.
 */
char *sig_standard_sign(const struct secret *key, const char *msg_id, int64_t timestamp,
                        const void *body, size_t body_len);

#endif
