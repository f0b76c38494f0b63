/*
 * digest: HMAC, SHA-256 and constant-time compare over OpenSSL (see digest.h).
 *
 * OpenSSL 3's one-shot HMAC() looks HMAC and its digest up by name in the
 * providers on every call (a fetch: string compares, locks, a property query),
 * which cost more than the MAC of a 1 KiB webhook. So each HMAC digest is
 * fetched once, into a context holding the digest and no key, which every call
 * copies and keys; SHA-256 for digest_sha256 likewise. A fetch that fails is not kept: the next call tries again (a
 * provider may be loaded later), and fails the same way until then. What was
 * fetched stays for the life of the process.
 */
#include "digest.h"

#include <assert.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <pthread.h>

#define DIGEST_ALGS 3

static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC_CTX *hmac_templates[DIGEST_ALGS];
static EVP_MD *sha256_md;

static const char *digest_name(enum digest_alg alg)
{
    switch (alg) {
    case DIGEST_SHA1:
        return "SHA1";
    case DIGEST_SHA256:
        return "SHA256";
    case DIGEST_SHA512:
        return "SHA512";
    }
    return "SHA256";
}

/*
 * A fresh context for HMAC with alg and no key: a copy of the template, which is made on
 * first use; NULL while OpenSSL has no HMAC with alg. The copy is made under the lock,
 * so the template is only ever read by one thread at a time.
 */
static EVP_MAC_CTX *hmac_ctx_new(enum digest_alg alg)
{
    EVP_MAC_CTX *t;
    EVP_MAC_CTX *ctx = NULL;

    assert((unsigned)alg < DIGEST_ALGS);
    pthread_mutex_lock(&fetch_lock);
    t = hmac_templates[alg];
    if (t == NULL) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[2];

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                     (char *)digest_name(alg), 0);
        params[1] = OSSL_PARAM_construct_end();
        t = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
        if (t != NULL && EVP_MAC_CTX_set_params(t, params) != 1) {
            EVP_MAC_CTX_free(t);
            t = NULL;
        }
        /* The context holds its own reference to the MAC. */
        EVP_MAC_free(mac);
        hmac_templates[alg] = t;
    }
    if (t != NULL)
        ctx = EVP_MAC_CTX_dup(t);
    pthread_mutex_unlock(&fetch_lock);
    return ctx;
}

size_t digest_hmac(enum digest_alg alg, const void *key, size_t key_len, const void *data,
                   size_t data_len, unsigned char out[DIGEST_MAX])
{
    static const unsigned char empty_key[1];
    EVP_MAC_CTX *ctx = hmac_ctx_new(alg);
    size_t len = 0;

    /* OpenSSL treats a NULL key as "reuse the previous one": never pass NULL. */
    if (ctx == NULL || EVP_MAC_init(ctx, key_len != 0 ? key : empty_key, key_len, NULL) != 1 ||
        EVP_MAC_update(ctx, data, data_len) != 1 ||
        EVP_MAC_final(ctx, out, &len, DIGEST_MAX) != 1)
        len = 0;
    EVP_MAC_CTX_free(ctx);
    return len;
}

int digest_sha256(const void *data, size_t n, unsigned char out[32])
{
    EVP_MD *md;
    unsigned int len = 0;

    pthread_mutex_lock(&fetch_lock);
    if (sha256_md == NULL)
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    md = sha256_md;
    pthread_mutex_unlock(&fetch_lock);
    if (md == NULL || EVP_Digest(data, n, out, &len, md, NULL) != 1 || len != 32)
        return -1;
    return 0;
}

void digest_sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256(data, n, md);
    for (size_t i = 0; i < sizeof(md); i++) {
        out[i * 2] = hex[md[i] >> 4];
        out[i * 2 + 1] = hex[md[i] & 0x0f];
    }
    out[64] = '\0';
}

int digest_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    if (a_len != b_len || a_len == 0)
        return 0;
    return CRYPTO_memcmp(a, b, a_len) == 0;
}
