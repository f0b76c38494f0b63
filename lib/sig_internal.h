/*
 * sig_internal: what the signature scheme families share; only sig*.c
 * include it.
 *
 * A family file (sig_hmac.c, sig_list.c, sig_url.c, sig_keypair.c,
 * sig_token.c) exports one verifier per scheme, all of type sig_verify_fn;
 * sig.c's table maps names to them. The helpers below (sig_common.c) are the
 * steps every scheme is made of: find a header, parse and check a timestamp,
 * build the signed message, MAC it under every secret and compare against
 * what the request carries. Every verifier follows sig_verify's contract
 * for its return value and error tags.
 */
#ifndef HS_SIG_INTERNAL_H
#define HS_SIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "sig.h"

/*
 * Longest timestamp accepted, in digits: 18 keeps the value, and its distance
 * from any int64_t now, free of overflow. Real timestamps have 10 (13 in ms).
 */
#define SIG_TIMESTAMP_DIGITS_MAX 18

typedef int (*sig_verify_fn)(const struct verify_config *v, const struct sig_request *req,
                             int64_t now_s, struct error *err);

/* The MAC of one message under every configured secret, each in a DIGEST_MAX slot. */
struct sig_macs {
    unsigned char *bytes;
    size_t n;
    size_t len; /* digest length, the same for every slot */
};

/*
 * Computes m for msg under every secret of v. 0, or -1 with HS_ERR_TRANSIENT
 * "signature_check_failed" when the HMAC could not be computed. m is always
 * left so that sig_macs_free may be called.
 */
int sig_macs_compute(struct sig_macs *m, const struct verify_config *v, enum digest_alg alg,
                     const void *msg, size_t msg_len, struct error *err);

/*
 * 1 when sig equals the MAC under any secret; an empty sig never matches.
 * Every secret is compared, so the time does not tell which one matched.
 */
int sig_macs_match(const struct sig_macs *m, const unsigned char *sig, size_t sig_len);

/* Wipes and frees m; repeatable. */
void sig_macs_free(struct sig_macs *m);

/* Frees a buffer that held key material or a MAC, wiping it first. NULL-safe. */
void sig_free_wiped(void *p, size_t n);

/* The header's value, or NULL when it is absent or empty. */
const char *sig_header(const struct sig_request *req, const char *name);

/* Decodes hex or base64 text into a fresh buffer; NULL when it is not valid. */
unsigned char *sig_decode(enum verify_encoding enc, const char *text, size_t n, size_t *out_len);

/*
 * Splits the next delim-separated field off *cursor; 0 once the string is
 * used up. Empty fields are returned too; callers pass over what they do not
 * recognise.
 */
int sig_next_field(const char **cursor, char delim, const char **field, size_t *len);

/* Epoch seconds (or ms) from 1 to SIG_TIMESTAMP_DIGITS_MAX decimal digits, nothing else. */
int sig_parse_timestamp(const char *text, size_t n, int64_t *out);

/*
 * An RFC 3339 date-time ("2019-11-16T10:11:12.634234626Z", or with a
 * +hh:mm offset) as epoch seconds, the fraction dropped. 0, or -1 when the
 * text is not one.
 */
int sig_parse_rfc3339(const char *text, int64_t *out);

/*
 * 0 when ts is at most v->tolerance_s from now_s, either way; else -1 with
 * "stale_timestamp" naming where the timestamp came from.
 */
int sig_check_fresh(const struct verify_config *v, const char *name, int64_t ts, int64_t now_s,
                    struct error *err);

/* Appends n bytes to a message buffer made with an unbounded cap (sig_message_init). */
void sig_message_init(struct buf *msg);
void sig_message_add(struct buf *msg, const void *data, size_t n);
void sig_message_add_str(struct buf *msg, const char *s);

/*
 * The one-header check: value (the header's text, after any literal prefix
 * the caller has checked) decodes with enc to a MAC of msg under some secret.
 * name is for messages.
 */
int sig_check_mac(const struct verify_config *v, const char *name, const char *value,
                  enum verify_encoding enc, enum digest_alg alg, const void *msg, size_t msg_len,
                  struct error *err);

/*
 * Checks the header name holds prefix (may be NULL) followed by an encoded
 * MAC of msg: github, shopify and the other body-MAC schemes.
 */
int sig_check_header_mac(const struct verify_config *v, const struct sig_request *req,
                         const char *name, const char *prefix, enum verify_encoding enc,
                         enum digest_alg alg, const void *msg, size_t msg_len, struct error *err);

void sig_set_missing(struct error *err, const char *name);
void sig_set_bad_timestamp(struct error *err, const char *name);
void sig_set_no_match(struct error *err, const char *name);
void sig_set_check_failed(struct error *err, const char *what);

/* sig_hmac.c: one MAC in one header. */
int sig_hmac_generic(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                     struct error *err);
int sig_hmac_github(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);
int sig_hmac_shopify(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                     struct error *err);
int sig_hmac_bitbucket(const struct verify_config *v, const struct sig_request *req,
                       int64_t now_s, struct error *err);
int sig_hmac_intercom(const struct verify_config *v, const struct sig_request *req,
                      int64_t now_s, struct error *err);
int sig_hmac_typeform(const struct verify_config *v, const struct sig_request *req,
                      int64_t now_s, struct error *err);
int sig_hmac_woocommerce(const struct verify_config *v, const struct sig_request *req,
                         int64_t now_s, struct error *err);
int sig_hmac_meta(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                  struct error *err);
int sig_hmac_twitter(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                     struct error *err);
int sig_hmac_dropbox(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                     struct error *err);
int sig_hmac_gitea(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err);
int sig_hmac_linear(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);
int sig_hmac_slack(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err);
int sig_hmac_zoom(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                  struct error *err);
int sig_hmac_twitch(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);

/* sig_list.c: a timestamp and a list of signatures in headers. */
int sig_list_stripe(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);
int sig_list_paddle(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);
int sig_list_standard(const struct verify_config *v, const struct sig_request *req,
                      int64_t now_s, struct error *err);

/* sig_url.c: the public URL is part of the signed message. */
int sig_url_hubspot(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                    struct error *err);
int sig_url_square(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err);
int sig_url_twilio(const struct verify_config *v, const struct sig_request *req, int64_t now_s,
                   struct error *err);
int sig_url_mandrill(const struct verify_config *v, const struct sig_request *req,
                     int64_t now_s, struct error *err);

/* sig_keypair.c: the provider signs with a private key; config holds the public one. */
int sig_keypair_discord(const struct verify_config *v, const struct sig_request *req,
                        int64_t now_s, struct error *err);
int sig_keypair_sendgrid(const struct verify_config *v, const struct sig_request *req,
                         int64_t now_s, struct error *err);

/* sig_token.c: a shared secret sent as is. */
int sig_token_header(const struct verify_config *v, const struct sig_request *req,
                     int64_t now_s, struct error *err);
int sig_token_basic_auth(const struct verify_config *v, const struct sig_request *req,
                         int64_t now_s, struct error *err);

#endif
