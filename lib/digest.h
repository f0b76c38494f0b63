/*
 * digest: HMAC and SHA-256 through OpenSSL, and the constant-time compare.
 *
 * Output buffers are caller-owned and at least DIGEST_MAX bytes.
 */
#ifndef HS_DIGEST_H
#define HS_DIGEST_H

#include <stddef.h>

#define DIGEST_MAX 64 /* SHA-512 */

enum digest_alg { DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA512 };

/*
 * HMAC of data under key into out; returns the digest length (20, 32 or 64),
 * or 0 when OpenSSL could not compute it (no provider offers the digest, as
 * under a restrictive OpenSSL config). 0 is an error, never an empty MAC.
 */
size_t digest_hmac(enum digest_alg alg, const void *key, size_t key_len, const void *data,
                   size_t data_len, unsigned char out[DIGEST_MAX])
    __attribute__((warn_unused_result));

/*
 * SHA-256 of data into out (32 bytes); 0, or -1 when OpenSSL could not compute it
 * (as digest_hmac returns 0). The digest is fetched once per process.
 */
int digest_sha256(const void *data, size_t n, unsigned char out[32])
    __attribute__((warn_unused_result));

/* SHA-256 of data as 64 lowercase hex digits plus NUL. */
void digest_sha256_hex(const void *data, size_t n, char out[65]);

/*
 * 1 when a and b hold the same bytes; the time depends only on the lengths.
 * Empty inputs never match: an empty signature is never a valid one.
 */
int digest_equal(const void *a, size_t a_len, const void *b, size_t b_len);

#endif
