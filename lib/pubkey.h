/*
 * pubkey: public-key signature checks through OpenSSL EVP, for providers
 * that sign with a private key: Ed25519 (Discord) and ECDSA P-256 with
 * SHA-256 (SendGrid).
 *
 * Keys are passed as bytes: Ed25519 as its 32 raw bytes, P-256 as a DER
 * SubjectPublicKeyInfo. config_load checks each key once with pubkey_check;
 * pubkey_verify takes the same bytes on every request, so the config holds
 * no OpenSSL objects and stays plain read-only data.
 */
#ifndef HS_PUBKEY_H
#define HS_PUBKEY_H

#include <stddef.h>

#include "error.h"

enum pubkey_kind { PUBKEY_ED25519, PUBKEY_P256 };

#define PUBKEY_ED25519_LEN 32

/*
 * 0 when key holds a valid public key of that kind; else -1 with
 * HS_ERR_INPUT and a message saying what is wrong (no key bytes in it).
 */
int pubkey_check(enum pubkey_kind kind, const unsigned char *key, size_t key_len,
                 struct error *err) __attribute__((warn_unused_result));

/*
 * 1 when sig is a valid signature of msg under key: for Ed25519 the 64-byte
 * signature, for P-256 a DER ECDSA signature over SHA-256(msg). 0 when it is
 * not (a malformed signature included). -1 when the check could not run: the
 * key does not load (never after pubkey_check) or OpenSSL failed.
 */
int pubkey_verify(enum pubkey_kind kind, const unsigned char *key, size_t key_len,
                  const void *msg, size_t msg_len, const unsigned char *sig, size_t sig_len)
    __attribute__((warn_unused_result));

#endif
