/*
 * fuzz_key: key_encode on arbitrary bytes, and key_parse on arbitrary text.
 *
 * An encoded key only holds [A-Za-z0-9._%-], is at most KEY_ENCODED_MAX bytes,
 * never starts with '.', and decodes back to the raw key (and then does not
 * read "sha256-" + 64 lowercase hex, which only hashed keys get) or is its SHA-256;
 * every object key built from it splits back into the same parts.
 * Any text key_parse accepts is rebuilt by key_object exactly.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "key.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hex_value(char c)
{
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : c - '0';
}

static int reads_hashed(const char *s)
{
    if (strlen(s) != 71 || strncmp(s, "sha256-", 7) != 0)
        return 0;
    return strspn(s + 7, "0123456789abcdef") == 64;
}

static void check_encoded(const uint8_t *data, size_t size)
{
    char *enc = key_encode(data, size);
    size_t n = strlen(enc);
    char object[KEY_OBJECT_MAX + 1];
    struct key_parts parts;
    int hashed = n == 71 && strncmp(enc, "sha256-", 7) == 0;
    uint8_t *dec;
    size_t d = 0;
    char digest[65];

    assert(n <= KEY_ENCODED_MAX);
    assert(enc[0] != '.');
    for (size_t i = 0; i < n; i++)
        assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%-",
                      enc[i]) != NULL && enc[i] != '\0');
    dec = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        if (enc[i] == '%') {
            dec[d++] = (uint8_t)(hex_value(enc[i + 1]) << 4 | hex_value(enc[i + 2]));
            i += 2;
        } else {
            dec[d++] = (uint8_t)enc[i];
        }
    }
    if (d != size || memcmp(dec, data, size) != 0) {
        /* Not the raw key spelled out, so it must be its hash. */
        digest_sha256_hex(data, size, digest);
        assert(hashed && strcmp(enc + 7, digest) == 0);
    } else {
        /* Spelled out, it never reads like a hashed name, which only hashed keys get. */
        assert(!reads_hashed(enc));
    }
    free(dec);
    /* An empty raw key encodes to "", which is no object name: callers refuse it first. */
    if (size > 0) {
        for (int st = KEY_PENDING; st <= KEY_DEAD; st++) {
            key_object((enum key_state)st, 1795316645, "src", enc, object);
            assert(key_parse(object, &parts) == 0);
            assert(parts.state == (enum key_state)st);
            assert(parts.due == (st == KEY_RETRY ? 1795316645 : 0));
            assert(strcmp(parts.source, "src") == 0);
            assert(strcmp(parts.encoded, enc) == 0);
        }
    }
    free(enc);
}

static void check_parse(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    char object[KEY_OBJECT_MAX + 1];
    struct key_parts parts;

    if (strlen(text) == size && key_parse(text, &parts) == 0) {
        key_object(parts.state, parts.due, parts.source, parts.encoded, object);
        assert(strcmp(object, text) == 0);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_encoded(data, size);
    check_parse(data, size);
    return 0;
}
