/*
 * key: idempotency-key encoding and the spool's object key layout.
 *
 *   pending/SOURCE/KEY         accepted, due now
 *   retry/DUE/SOURCE/KEY       failed, due at DUE (10-digit zero-padded epoch s)
 *   done/SOURCE/KEY            delivered
 *   dead/SOURCE/KEY            given up
 *
 * KEY is the encoded idempotency key: bytes in [A-Za-z0-9._-] stay, every
 * other byte becomes %XX (uppercase hex), a leading '.' is encoded too; when
 * that would pass KEY_ENCODED_MAX bytes, KEY is "sha256-" + hex SHA-256 of
 * the raw key (a hashed name; the body_sha256 fallback is the hashed name of
 * the body). An encoded raw key that would read "sha256-" + 64 lowercase hex
 * digits has its first byte encoded ("%73ha256-..."), so a raw key never
 * names the object of a hashed one. So no raw key can name an object outside
 * SOURCE/, nor another webhook's object.
 */
#ifndef HS_KEY_H
#define HS_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KEY_ENCODED_MAX 200
#define KEY_SOURCE_MAX 64
#define KEY_OBJECT_MAX 300 /* longest object key: retry/ + 10 + / + source + / + key */

enum key_state { KEY_PENDING, KEY_RETRY, KEY_DONE, KEY_DEAD };

/* Encodes raw (any bytes, NUL included) into a fresh string. */
char *key_encode(const void *raw, size_t len);

/* The hashed name of data: "sha256-" + 64 lowercase hex digits, fresh. For the
 * body_sha256 fallback, which is a name already and never passes key_encode. */
char *key_hashed(const void *data, size_t len);

/*
 * The inverse of key_encode for keys that were not hashed: %XX back to its
 * byte ("%73ha256-..." included). A hashed name comes back as it is (its
 * raw key is gone). Fresh string (NUL-terminated; it may hold NULs, so use
 * *len); caller frees.
 */
char *key_decode(const char *encoded, size_t *len);

/* 1 when name is a valid source name: [a-z0-9_-]{1,64}. */
int key_source_valid(const char *name);

/* "pending/", "retry/", "done/", "dead/"; NULL for a value outside enum key_state. */
const char *key_state_prefix(enum key_state state);

/* Parses "pending", "retry", "done", "dead"; -1 when unknown. */
int key_state_from_name(const char *name, enum key_state *out);

/* Builds the object key of (state, source, encoded key); due is used by KEY_RETRY only. */
void key_object(enum key_state state, int64_t due, const char *source, const char *encoded,
                char out[KEY_OBJECT_MAX + 1]);

struct key_parts {
    enum key_state state;
    int64_t due; /* KEY_RETRY only; 0 otherwise */
    char source[KEY_SOURCE_MAX + 1];
    char encoded[KEY_ENCODED_MAX + 1];
};

/* Splits an object key; -1 when it is not a well-formed spool key. */
int key_parse(const char *object_key, struct key_parts *out);

/* A stable 64-bit hash of "SOURCE/KEY" (FNV-1a), for --shard I/N. */
uint64_t key_hash(const char *source, const char *encoded);

#endif
