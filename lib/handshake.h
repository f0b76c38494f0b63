/*
 * handshake: the challenges providers send before they deliver to a URL,
 * answered in each provider's own format (DESIGN.md "Provider schemes and
 * handshakes"). A handshake is never a webhook: it is answered, logged by
 * the caller, and never stored or delivered.
 *
 *   GET (unsigned; answered before any body is read):
 *     meta     hub.mode=subscribe&hub.verify_token=T&hub.challenge=C:
 *              200 text/plain C when T equals verify_token, else 403
 *     twitter  crc_token=X: 200 JSON {"response_token": "sha256=" +
 *              base64 HMAC-SHA256(X) under the first secret}
 *     dropbox  challenge=C: 200 text/plain C
 *   POST (only once sig_verify accepted the request):
 *     slack    {"type": "url_verification", "challenge": C}: 200 text/plain C
 *     zoom     {"event": "endpoint.url_validation", "payload": {"plainToken": P}}:
 *              200 JSON {"plainToken": P, "encryptedToken": hex HMAC-SHA256(P)}
 *              under the secret that verified the request
 *     twitch   Twitch-Eventsub-Message-Type: webhook_callback_verification,
 *              {"challenge": C}: 200 text/plain C
 *     discord  {"type": 0} (webhook events PING): 204, no body;
 *              {"type": 1} without "event" (interactions PING): 200 {"type": 1}
 *
 * Query values are URL-decoded (form.h); a parameter given twice is
 * refused, so no two readers can disagree on which one counts. Echoed
 * values are at most HANDSHAKE_VALUE_MAX bytes; the handler sends every
 * answer with X-Content-Type-Options: nosniff, so a browser never renders a
 * reflected value as HTML.
 *
 * Nothing here logs or keeps the request; the answer owns its body.
 */
#ifndef HS_HANDSHAKE_H
#define HS_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "sig.h"

/* The longest challenge or token echoed back, in bytes (providers send under 100). */
#define HANDSHAKE_VALUE_MAX 1024

struct handshake_answer {
    int status;               /* 200 or 204 */
    const char *content_type; /* static; NULL when there is no body (204) */
    char *body;               /* owned; NULL with no body; may hold any byte */
    size_t body_len;
    const char *kind;         /* static, for the log: "slack url_verification", ... */
};

/* 1 when v's scheme answers a GET handshake (meta, twitter, dropbox), else 0. */
int handshake_allows_get(const struct verify_config *v);

/*
 * Answers the GET handshake of v's scheme (handshake_allows_get) for the raw
 * query (without '?'). 0 with a filled; else -1 and err:
 *   HS_ERR_INPUT "missing_handshake_parameter"  a parameter the handshake needs is absent
 *   HS_ERR_INPUT "bad_handshake"                not decodable, given twice, hub.mode not
 *                                               subscribe, or a value over HANDSHAKE_VALUE_MAX
 *   HS_ERR_FORBIDDEN "verify_token_mismatch"    meta: hub.verify_token is not verify_token
 *   HS_ERR_TRANSIENT "handshake_failed"         the HMAC could not be computed
 * a is left so that handshake_answer_free may be called either way.
 */
int handshake_answer_get(const struct verify_config *v, const char *query,
                         struct handshake_answer *a, struct error *err)
    __attribute__((warn_unused_result));

/*
 * For a POST that sig_verify(v, req, now_s) accepted: 1 when it is v's
 * scheme's handshake, answered in a; 0 when it is an ordinary webhook (a
 * untouched but freeable); -1 with err when it is a handshake that cannot be
 * answered: HS_ERR_INPUT "bad_handshake" (its challenge is missing, not a
 * string, empty or over HANDSHAKE_VALUE_MAX) or HS_ERR_TRANSIENT
 * "handshake_failed" (the HMAC could not be computed).
 */
int handshake_answer_post(const struct verify_config *v, const struct sig_request *req,
                          int64_t now_s, struct handshake_answer *a, struct error *err)
    __attribute__((warn_unused_result));

/* Frees the body; repeatable, and safe on a zeroed answer. */
void handshake_answer_free(struct handshake_answer *a);

#endif
