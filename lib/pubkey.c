/* pubkey: Ed25519 and ECDSA P-256 verification through OpenSSL EVP (see pubkey.h). */
#include "pubkey.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

/* The key as an EVP_PKEY, or NULL when the bytes are not a key of that kind. */
static EVP_PKEY *load_key(enum pubkey_kind kind, const unsigned char *key, size_t key_len)
{
    const unsigned char *p = key;
    EVP_PKEY *pkey;
    char group[64];

    if (kind == PUBKEY_ED25519) {
        if (key_len != PUBKEY_ED25519_LEN)
            return NULL;
        return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, key_len);
    }
    if (key_len == 0 || key_len > 0x7fffffff)
        return NULL;
    pkey = d2i_PUBKEY(NULL, &p, (long)key_len);
    /* The whole DER must be the key: trailing bytes are not ours to ignore. */
    if (pkey == NULL || p != key + key_len || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL) != 1 ||
        strcmp(group, "prime256v1") != 0) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

int pubkey_check(enum pubkey_kind kind, const unsigned char *key, size_t key_len,
                 struct error *err)
{
    EVP_PKEY *pkey = load_key(kind, key, key_len);

    ERR_clear_error();
    if (pkey == NULL) {
        if (kind == PUBKEY_ED25519)
            error_set(err, HS_ERR_INPUT, "bad_key", "not an Ed25519 public key (%d bytes)",
                      PUBKEY_ED25519_LEN);
        else
            error_set(err, HS_ERR_INPUT, "bad_key",
                      "not a DER SubjectPublicKeyInfo of a P-256 (prime256v1) key");
        return -1;
    }
    EVP_PKEY_free(pkey);
    return 0;
}

int pubkey_verify(enum pubkey_kind kind, const unsigned char *key, size_t key_len,
                  const void *msg, size_t msg_len, const unsigned char *sig, size_t sig_len)
{
    EVP_PKEY *pkey = load_key(kind, key, key_len);
    EVP_MD_CTX *ctx = NULL;
    int rc = -1;

    if (pkey == NULL)
        goto out;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        goto out;
    /* Ed25519 hashes internally and takes no digest; ECDSA here is over SHA-256. */
    if (EVP_DigestVerifyInit(ctx, NULL, kind == PUBKEY_ED25519 ? NULL : EVP_sha256(), NULL,
                             pkey) != 1)
        goto out;
    /* Any outcome but 1 is about the signature now that key and context are set up. */
    rc = EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}
