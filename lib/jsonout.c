/*
 * jsonout: writing JSON text directly (see jsonout.h).
 *
 * Strings are copied in runs: a table marks the bytes that need an escape, the
 * bytes between them go out with one memcpy. The room for a whole string
 * (JSONOUT_ESCAPE_MAX per byte) is reserved once, so the loop never checks it.
 */
#include "jsonout.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

/* 0: the byte goes out as it is; else the letter after the backslash ('u': \u00XX). */
static const char ESCAPE[256] = {
    ['\0'] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', [0x0b] = 'u',
    ['\f'] = 'f', ['\r'] = 'r', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

static const char HEX_UPPER[] = "0123456789ABCDEF";

/* Whether none of 8 bytes needs an escape: none below 0x20, none '"', none '\\'. The
 * usual bit tricks, exact about whether any byte matches: (x - 0x0101..) & ~x & 0x8080..
 * is not 0 when x has a zero byte (x ^ '"'.. has one where x has a '"'), and with
 * 0x2020.. in place of 0x0101.. when x has a byte below 0x20. */
static int plain_word(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101u;
    const uint64_t high = 0x8080808080808080u;
    uint64_t w;
    uint64_t quote;
    uint64_t backslash;

    memcpy(&w, p, sizeof(w));
    quote = w ^ (ones * '"');
    backslash = w ^ (ones * '\\');
    return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
             ((backslash - ones) & ~backslash)) &
            high) == 0;
}

void jsonout_init(struct jsonout *o, size_t hint)
{
    o->alloc = hint < 64 ? 64 : hint;
    o->data = xmalloc(o->alloc);
    o->data[0] = '\0';
    o->len = 0;
}

/* Room for n more bytes and the NUL. */
static void reserve(struct jsonout *o, size_t n)
{
    size_t need = o->len + n + 1;

    if (need <= o->alloc)
        return;
    while (o->alloc < need)
        o->alloc *= 2;
    o->data = xrealloc(o->data, o->alloc);
}

void jsonout_raw(struct jsonout *o, const char *s, size_t n)
{
    reserve(o, n);
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

/* Writes the escape of byte c at p; returns the bytes written. */
static size_t escape(char *p, unsigned char c)
{
    char e = ESCAPE[c];

    p[0] = '\\';
    p[1] = e;
    if (e != 'u')
        return 2;
    p[2] = '0';
    p[3] = '0';
    p[4] = HEX_UPPER[c >> 4];
    p[5] = HEX_UPPER[c & 0x0f];
    return 6;
}

void jsonout_string(struct jsonout *o, const void *utf8, size_t n)
{
    const unsigned char *s = utf8;
    const unsigned char *end = s + n;
    char *p;

    reserve(o, n * JSONOUT_ESCAPE_MAX + 2);
    p = o->data + o->len;
    *p++ = '"';
    while (s < end) {
        const unsigned char *run = s;

        while (end - s >= 8 && plain_word(s))
            s += 8;
        while (s < end && ESCAPE[*s] == 0)
            s++;
        memcpy(p, run, (size_t)(s - run));
        p += s - run;
        if (s < end)
            p += escape(p, *s++);
    }
    *p++ = '"';
    *p = '\0';
    o->len = (size_t)(p - o->data);
}

void jsonout_latin1(struct jsonout *o, const void *bytes, size_t n)
{
    const unsigned char *s = bytes;
    char *p;

    reserve(o, n * JSONOUT_ESCAPE_MAX + 2);
    p = o->data + o->len;
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];

        if (c >= 0x80) {
            *p++ = (char)(0xc0 | c >> 6);
            *p++ = (char)(0x80 | (c & 0x3f));
        } else if (ESCAPE[c] != 0) {
            p += escape(p, c);
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    *p = '\0';
    o->len = (size_t)(p - o->data);
}

void jsonout_text(struct jsonout *o, const char *s)
{
    size_t n;

    if (s == NULL)
        s = "";
    n = strlen(s);
    if (codec_utf8_valid(s, n))
        jsonout_string(o, s, n);
    else
        jsonout_latin1(o, s, n);
}

void jsonout_int(struct jsonout *o, int64_t v)
{
    char digits[24];
    size_t i = sizeof(digits);
    /* The magnitude as unsigned, so INT64_MIN needs no special case. */
    uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        digits[--i] = (char)('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (v < 0)
        digits[--i] = '-';
    jsonout_raw(o, digits + i, sizeof(digits) - i);
}

char *jsonout_take(struct jsonout *o, size_t *len)
{
    char *text = o->data;

    if (len != NULL)
        *len = o->len;
    o->data = NULL;
    o->len = 0;
    o->alloc = 0;
    return text;
}

void jsonout_free(struct jsonout *o)
{
    free(o->data);
    o->data = NULL;
    o->len = 0;
    o->alloc = 0;
}
