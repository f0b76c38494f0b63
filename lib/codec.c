/* codec: hex, base64 and UTF-8 validation (see codec.h). */
#include "codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static const char HEX_DIGITS[] = "0123456789abcdef";
static const char B64_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *codec_hex_encode(const void *data, size_t n)
{
    const unsigned char *p = data;
    char *out = xmalloc(n * 2 + 1);

    for (size_t i = 0; i < n; i++) {
        out[i * 2] = HEX_DIGITS[p[i] >> 4];
        out[i * 2 + 1] = HEX_DIGITS[p[i] & 0x0f];
    }
    out[n * 2] = '\0';
    return out;
}

int codec_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

unsigned char *codec_hex_decode(const char *hex, size_t hex_len, size_t *out_len)
{
    unsigned char *out;

    if (hex_len % 2 != 0)
        return NULL;
    out = xmalloc(hex_len / 2 + 1);
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = codec_hex_value(hex[i * 2]);
        int lo = codec_hex_value(hex[i * 2 + 1]);

        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    out[hex_len / 2] = '\0';
    *out_len = hex_len / 2;
    return out;
}

char *codec_base64_encode(const void *data, size_t n)
{
    const unsigned char *p = data;
    char *out = xmalloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    size_t i = 0;

    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        out[o++] = B64_ALPHABET[v >> 18 & 63];
        out[o++] = B64_ALPHABET[v >> 12 & 63];
        out[o++] = B64_ALPHABET[v >> 6 & 63];
        out[o++] = B64_ALPHABET[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        out[o++] = B64_ALPHABET[v >> 18 & 63];
        out[o++] = B64_ALPHABET[v >> 12 & 63];
        out[o++] = i + 1 < n ? B64_ALPHABET[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned char *codec_base64_decode(const char *b64, size_t b64_len, size_t *out_len)
{
    unsigned char *out;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (b64_len > 0 && b64[b64_len - 1] == '=' && b64_len % 4 != 1)
        b64_len--;
    if (b64_len % 4 == 1)
        return NULL;
    out = xmalloc(b64_len / 4 * 3 + 3);
    for (size_t i = 0; i < b64_len; i++) {
        int v = b64_value(b64[i]);

        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Whether 8 bytes are all ASCII and none is NUL (the usual bit trick for a zero byte). */
static int ascii_word(const unsigned char *p)
{
    const uint64_t high = 0x8080808080808080u;
    const uint64_t ones = 0x0101010101010101u;
    uint64_t w;

    memcpy(&w, p, sizeof(w));
    return (w & high) == 0 && ((w - ones) & ~w & high) == 0;
}

int codec_utf8_valid(const void *data, size_t n)
{
    const unsigned char *s = data;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t extra;

        /* Most webhook text is ASCII: 8 bytes at a time until a byte that is not. */
        if (n - i >= 8 && ascii_word(s + i)) {
            i += 8;
            continue;
        }
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= extra)
            return 0;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        if (cp >= 0xd800 && cp <= 0xdfff)
            return 0;
        i += extra + 1;
    }
    return 1;
}
