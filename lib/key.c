/*
 * key: idempotency-key encoding and object key layout (see key.h).
 *
 * Encoded raw keys and hashed names ("sha256-" + 64 lowercase hex) are
 * disjoint sets, so two webhooks can only share an object by sharing a key.
 */
#include "key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "xmalloc.h"

static const char *const STATE_NAMES[] = {"pending", "retry", "done", "dead"};
static const char *const STATE_PREFIXES[] = {"pending/", "retry/", "done/", "dead/"};

static int key_byte_plain(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

#define KEY_HASHED_PREFIX "sha256-"
#define KEY_HASHED_PREFIX_LEN (sizeof(KEY_HASHED_PREFIX) - 1)
#define KEY_HASHED_LEN (KEY_HASHED_PREFIX_LEN + 64)

/* 1 when s (NUL-terminated) reads like a hashed name: "sha256-" + 64 lowercase hex digits. */
static int key_reads_hashed(const char *s)
{
    if (strlen(s) != KEY_HASHED_LEN || strncmp(s, KEY_HASHED_PREFIX, KEY_HASHED_PREFIX_LEN) != 0)
        return 0;
    for (const char *c = s + KEY_HASHED_PREFIX_LEN; *c != '\0'; c++) {
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    }
    return 1;
}

char *key_hashed(const void *data, size_t len)
{
    char digest[65];
    char *out = xmalloc(KEY_HASHED_LEN + 1);

    digest_sha256_hex(data, len, digest);
    snprintf(out, KEY_HASHED_LEN + 1, KEY_HASHED_PREFIX "%s", digest);
    return out;
}

char *key_encode(const void *raw, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = raw;
    char *out = xmalloc(KEY_ENCODED_MAX + 1);
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int plain = key_byte_plain(p[i]) && !(i == 0 && p[i] == '.');

        if (o + (plain ? 1 : 3) > KEY_ENCODED_MAX)
            goto hashed;
        if (plain) {
            out[o++] = (char)p[i];
        } else {
            out[o++] = '%';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 0x0f];
        }
    }
    out[o] = '\0';
    /* Hashed names belong to hashed keys: "sha256-<hex>" spelled out as a raw key gets its
     * 's' encoded (73 bytes, well under the cap), and decodes back all the same. */
    if (key_reads_hashed(out)) {
        memmove(out + 3, out + 1, o);
        memcpy(out, "%73", 3);
    }
    return out;

hashed:
    free(out);
    return key_hashed(raw, len);
}

static int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *key_decode(const char *encoded, size_t *len)
{
    size_t n = strlen(encoded);
    char *out = xmalloc(n + 1);
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n ? hex_digit_value(encoded[i + 1]) : -1;
        int lo = i + 2 < n ? hex_digit_value(encoded[i + 2]) : -1;

        if (encoded[i] == '%' && hi >= 0 && lo >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = encoded[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

int key_source_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > KEY_SOURCE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

const char *key_state_prefix(enum key_state state)
{
    if ((unsigned)state > KEY_DEAD)
        return NULL;
    return STATE_PREFIXES[state];
}

int key_state_from_name(const char *name, enum key_state *out)
{
    for (int i = KEY_PENDING; i <= KEY_DEAD; i++) {
        if (strcmp(name, STATE_NAMES[i]) == 0) {
            *out = (enum key_state)i;
            return 0;
        }
    }
    return -1;
}

void key_object(enum key_state state, int64_t due, const char *source, const char *encoded,
                char out[KEY_OBJECT_MAX + 1])
{
    if (state == KEY_RETRY)
        snprintf(out, KEY_OBJECT_MAX + 1, "retry/%010lld/%s/%s", (long long)due, source, encoded);
    else
        snprintf(out, KEY_OBJECT_MAX + 1, "%s%s/%s", STATE_PREFIXES[state], source, encoded);
}

static int key_encoded_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > KEY_ENCODED_MAX || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!key_byte_plain((unsigned char)s[i]) && s[i] != '%')
            return 0;
    }
    return 1;
}

int key_parse(const char *object_key, struct key_parts *out)
{
    const char *rest = NULL;
    const char *slash;
    size_t source_len;

    memset(out, 0, sizeof(*out));
    for (int i = KEY_PENDING; i <= KEY_DEAD; i++) {
        size_t plen = strlen(STATE_PREFIXES[i]);

        if (strncmp(object_key, STATE_PREFIXES[i], plen) == 0) {
            out->state = (enum key_state)i;
            rest = object_key + plen;
            break;
        }
    }
    if (rest == NULL)
        return -1;
    if (out->state == KEY_RETRY) {
        for (int i = 0; i < 10; i++) {
            if (rest[i] < '0' || rest[i] > '9')
                return -1;
            out->due = out->due * 10 + (rest[i] - '0');
        }
        if (rest[10] != '/')
            return -1;
        rest += 11;
    }
    slash = strchr(rest, '/');
    if (slash == NULL)
        return -1;
    source_len = (size_t)(slash - rest);
    if (source_len == 0 || source_len > KEY_SOURCE_MAX)
        return -1;
    memcpy(out->source, rest, source_len);
    out->source[source_len] = '\0';
    if (!key_source_valid(out->source) || !key_encoded_valid(slash + 1))
        return -1;
    strcpy(out->encoded, slash + 1);
    return 0;
}

uint64_t key_hash(const char *source, const char *encoded)
{
    uint64_t h = 14695981039346656037ULL;
    const char *parts[3] = {source, "/", encoded};

    for (int p = 0; p < 3; p++) {
        for (const unsigned char *c = (const unsigned char *)parts[p]; *c != '\0'; c++) {
            h ^= *c;
            h *= 1099511628211ULL;
        }
    }
    return h;
}
