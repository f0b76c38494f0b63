/* digest: HMAC, SHA-256 and constant-time compare over OpenSSL (see digest.h). */
#include "digest.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static const EVP_MD *digest_md(enum digest_alg alg)
{
    switch (alg) {
    case DIGEST_SHA1:
        return EVP_sha1();
    case DIGEST_SHA256:
        return EVP_sha256();
    case DIGEST_SHA512:
        return EVP_sha512();
    }
    return EVP_sha256();
}

size_t digest_hmac(enum digest_alg alg, const void *key, size_t key_len, const void *data,
                   size_t data_len, unsigned char out[DIGEST_MAX])
{
    static const unsigned char empty_key[1];
    unsigned int len = 0;

    assert(key_len <= 0x7fffffff);
    /* OpenSSL treats a NULL key as "reuse the previous one": never pass NULL. */
    if (HMAC(digest_md(alg), key_len != 0 ? key : empty_key, (int)key_len, data, data_len, out,
             &len) == NULL)
        return 0;
    return len;
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
