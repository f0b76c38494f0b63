/*
 * jsontext: RFC 8259 validation and RFC 6901 lookup over raw JSON text (see jsontext.h).
 *
 * The validator is a loop over one "what may come next" state and a stack of one bit
 * per open container (object or array), so depth costs memory, never C stack. The
 * lookup trusts that the text was validated for its meaning, never for its safety:
 * every index is checked against len, so text that was not validated cannot make it
 * read out of bounds.
 */
#include "jsontext.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

/* What the validator accepts next. */
enum want {
    WANT_VALUE,          /* a value: start, after ':' or after ',' in an array */
    WANT_VALUE_OR_CLOSE, /* just after '[' */
    WANT_NAME,           /* after ',' in an object */
    WANT_NAME_OR_CLOSE,  /* just after '{' */
    WANT_MORE,           /* after a value: ',' or the container's close, or the end */
};

/* Open containers, one bit each: 1 an object, 0 an array. */
struct nest {
    unsigned char *bits;
    size_t depth;
    size_t alloc; /* bytes */
};

static void nest_push(struct nest *n, int is_object)
{
    size_t byte = n->depth / 8;

    if (byte >= n->alloc) {
        n->alloc = n->alloc == 0 ? 64 : n->alloc * 2;
        n->bits = xrealloc(n->bits, n->alloc);
    }
    if (is_object)
        n->bits[byte] |= (unsigned char)(1u << (n->depth % 8));
    else
        n->bits[byte] &= (unsigned char)~(1u << (n->depth % 8));
    n->depth++;
}

static int nest_top_is_object(const struct nest *n)
{
    size_t d = n->depth - 1;

    return (n->bits[d / 8] >> (d % 8)) & 1u;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
    size_t n;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        if (p[0] == 0xe0)
            lo = 0xa0;
        else if (p[0] == 0xed)
            hi = 0x9f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        else if (p[0] == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return n;
}

static int fail_at(struct error *err, size_t at, const char *what)
{
    error_set(err, HS_ERR_INPUT, "invalid_json", "body is not JSON: %s at byte %zu", what, at);
    return -1;
}

/* Checks the string whose opening quote is at *i; leaves *i past the closing one. */
static int scan_string(const unsigned char *t, size_t len, size_t *i, struct error *err)
{
    size_t j = *i + 1;

    while (j < len) {
        unsigned char c = t[j];

        if (c == '"') {
            *i = j + 1;
            return 0;
        }
        if (c < 0x20)
            return fail_at(err, j, "control character in a string");
        if (c == '\\') {
            if (j + 1 >= len)
                break;
            c = t[j + 1];
            if (c == 'u') {
                if (j + 6 > len)
                    break;
                for (size_t k = j + 2; k < j + 6; k++) {
                    if (codec_hex_value((char)t[k]) < 0)
                        return fail_at(err, k, "bad \\u escape");
                }
                j += 6;
            } else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
                j += 2;
            } else {
                return fail_at(err, j, "bad escape");
            }
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence(t + j, len - j);

            if (n == 0)
                return fail_at(err, j, "invalid UTF-8");
            j += n;
            continue;
        }
        j++;
    }
    return fail_at(err, len, "unterminated string");
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at *i, of any length. */
static int scan_number(const unsigned char *t, size_t len, size_t *i, struct error *err)
{
    size_t j = *i;

    if (j < len && t[j] == '-')
        j++;
    if (j < len && t[j] == '0') {
        j++;
    } else if (j < len && is_digit(t[j])) {
        while (j < len && is_digit(t[j]))
            j++;
    } else {
        return fail_at(err, j, "bad number");
    }
    if (j < len && t[j] == '.') {
        j++;
        if (j >= len || !is_digit(t[j]))
            return fail_at(err, j, "bad number");
        while (j < len && is_digit(t[j]))
            j++;
    }
    if (j < len && (t[j] == 'e' || t[j] == 'E')) {
        j++;
        if (j < len && (t[j] == '+' || t[j] == '-'))
            j++;
        if (j >= len || !is_digit(t[j]))
            return fail_at(err, j, "bad number");
        while (j < len && is_digit(t[j]))
            j++;
    }
    *i = j;
    return 0;
}

static int scan_literal(const unsigned char *t, size_t len, size_t *i, struct error *err)
{
    static const char *const words[] = {"true", "false", "null"};

    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t n = strlen(words[w]);

        if (len - *i >= n && memcmp(t + *i, words[w], n) == 0) {
            *i += n;
            return 0;
        }
    }
    return fail_at(err, *i, "unexpected byte");
}

static size_t skip_bom(const unsigned char *t, size_t len)
{
    return len >= 3 && t[0] == 0xef && t[1] == 0xbb && t[2] == 0xbf ? 3 : 0;
}

static size_t skip_ws(const unsigned char *t, size_t len, size_t i)
{
    while (i < len && is_ws(t[i]))
        i++;
    return i;
}

int jsontext_validate(const char *text, size_t len, struct error *err)
{
    const unsigned char *t = (const unsigned char *)text;
    struct nest nest = {NULL, 0, 0};
    enum want want = WANT_VALUE;
    size_t i = skip_bom(t, len);
    int rc = -1;

    for (;;) {
        unsigned char c;

        i = skip_ws(t, len, i);
        if (i >= len) {
            if (want == WANT_MORE && nest.depth == 0)
                rc = 0;
            else
                fail_at(err, i, "unexpected end");
            goto out;
        }
        c = t[i];
        switch (want) {
        case WANT_VALUE_OR_CLOSE:
            if (c == ']') {
                nest.depth--;
                i++;
                want = WANT_MORE;
                continue;
            }
            /* fall through */
        case WANT_VALUE:
            want = WANT_MORE;
            if (c == '{' || c == '[') {
                nest_push(&nest, c == '{');
                want = c == '{' ? WANT_NAME_OR_CLOSE : WANT_VALUE_OR_CLOSE;
                i++;
            } else if (c == '"') {
                if (scan_string(t, len, &i, err) != 0)
                    goto out;
            } else if (c == '-' || is_digit(c)) {
                if (scan_number(t, len, &i, err) != 0)
                    goto out;
            } else if (scan_literal(t, len, &i, err) != 0) {
                goto out;
            }
            continue;
        case WANT_NAME_OR_CLOSE:
            if (c == '}') {
                nest.depth--;
                i++;
                want = WANT_MORE;
                continue;
            }
            /* fall through */
        case WANT_NAME:
            if (c != '"') {
                fail_at(err, i, "expected a member name");
                goto out;
            }
            if (scan_string(t, len, &i, err) != 0)
                goto out;
            i = skip_ws(t, len, i);
            if (i >= len || t[i] != ':') {
                fail_at(err, i, "expected ':'");
                goto out;
            }
            i++;
            want = WANT_VALUE;
            continue;
        case WANT_MORE:
            if (nest.depth == 0) {
                fail_at(err, i, "trailing bytes after the value");
                goto out;
            }
            if (c == ',') {
                want = nest_top_is_object(&nest) ? WANT_NAME : WANT_VALUE;
            } else if (c == (nest_top_is_object(&nest) ? '}' : ']')) {
                nest.depth--;
            } else {
                fail_at(err, i, "expected ',' or the end of the container");
                goto out;
            }
            i++;
            continue;
        }
    }
out:
    free(nest.bits);
    return rc;
}

/* Past the string whose opening quote is at i (bounded by len). */
static size_t skip_string(const unsigned char *t, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return len;
}

/* Past the value that starts at i. */
static size_t skip_value(const unsigned char *t, size_t len, size_t i)
{
    size_t depth = 0;

    if (i >= len)
        return len;
    if (t[i] == '"')
        return skip_string(t, len, i);
    if (t[i] != '{' && t[i] != '[') {
        while (i < len && (is_digit(t[i]) || strchr("+-.eEtrufalsn", t[i]) != NULL) &&
               t[i] != '\0')
            i++;
        return i;
    }
    while (i < len) {
        unsigned char c = t[i];

        if (c == '"') {
            i = skip_string(t, len, i);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
        i++;
    }
    return len;
}

/* Appends code point cp as (generalised) UTF-8: surrogates get their three-byte form. */
static size_t put_utf8(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The four hex digits at t[i..i+4) (-1 when short or not hex). */
static long hex4(const unsigned char *t, size_t len, size_t i)
{
    long v = 0;

    if (i + 4 > len)
        return -1;
    for (size_t k = i; k < i + 4; k++) {
        int h = codec_hex_value((char)t[k]);

        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/*
 * Decodes the next character of the string being read at *i into out (up to 4 bytes)
 * and returns its byte count; 0 at the closing quote or the end of the text.
 */
static size_t decode_next(const unsigned char *t, size_t len, size_t *i, unsigned char *out)
{
    size_t j = *i;
    long cp;
    long lo;

    if (j >= len || t[j] == '"')
        return 0;
    if (t[j] != '\\') {
        out[0] = t[j];
        *i = j + 1;
        return 1;
    }
    if (j + 1 >= len)
        return 0;
    *i = j + 2;
    switch (t[j + 1]) {
    case 'b':
        out[0] = '\b';
        return 1;
    case 'f':
        out[0] = '\f';
        return 1;
    case 'n':
        out[0] = '\n';
        return 1;
    case 'r':
        out[0] = '\r';
        return 1;
    case 't':
        out[0] = '\t';
        return 1;
    case 'u':
        break;
    default: /* '"', '\\', '/' */
        out[0] = t[j + 1];
        return 1;
    }
    cp = hex4(t, len, j + 2);
    if (cp < 0)
        return 0;
    *i = j + 6;
    /* A high surrogate followed by an escaped low one is one character. */
    if (cp >= 0xd800 && cp <= 0xdbff && j + 12 <= len && t[j + 6] == '\\' && t[j + 7] == 'u') {
        lo = hex4(t, len, j + 8);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            *i = j + 12;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
    }
    return put_utf8((uint32_t)cp, out);
}

/* 1 when the string at i decodes to exactly name[0..name_len). */
static int string_equals(const unsigned char *t, size_t len, size_t i, const char *name,
                         size_t name_len)
{
    unsigned char ch[4];
    size_t at = 0;
    size_t n;

    i++;
    while ((n = decode_next(t, len, &i, ch)) > 0) {
        if (at + n > name_len || memcmp(name + at, ch, n) != 0)
            return 0;
        at += n;
    }
    return at == name_len;
}

char *jsontext_string(const struct jsontext_value *v, size_t *len)
{
    const unsigned char *t = (const unsigned char *)v->raw;
    /* Decoding never grows: an escape is at least as long as its bytes. */
    char *out = xmalloc(v->raw_len + 1);
    size_t i = 1;
    size_t o = 0;
    size_t n;

    while ((n = decode_next(t, v->raw_len, &i, (unsigned char *)out + o)) > 0)
        o += n;
    out[o] = '\0';
    *len = o;
    return out;
}

/* The next reference token of pointer at *p, unescaped into a fresh string; NULL (with
 * *bad set) for a '~' not followed by '0' or '1'. */
static char *next_token(const char **p, size_t *token_len, int *bad)
{
    const char *start = *p + 1; /* past the '/' */
    size_t span = strcspn(start, "/");
    char *token = xmalloc(span + 1);
    size_t o = 0;

    for (size_t k = 0; k < span; k++) {
        if (start[k] != '~') {
            token[o++] = start[k];
        } else if (k + 1 < span && (start[k + 1] == '0' || start[k + 1] == '1')) {
            token[o++] = start[k + 1] == '0' ? '~' : '/';
            k++;
        } else {
            free(token);
            *bad = 1;
            return NULL;
        }
    }
    token[o] = '\0';
    *token_len = o;
    *p = start + span;
    return token;
}

/* The start of member name's value in the object at i (the last one of that name), or
 * len when it has none. */
static size_t object_member(const unsigned char *t, size_t len, size_t i, const char *name,
                            size_t name_len)
{
    size_t found = len;

    i = skip_ws(t, len, i + 1);
    while (i < len && t[i] == '"') {
        int match = string_equals(t, len, i, name, name_len);

        i = skip_ws(t, len, skip_string(t, len, i));
        if (i >= len || t[i] != ':')
            return len;
        i = skip_ws(t, len, i + 1);
        if (match)
            found = i;
        i = skip_ws(t, len, skip_value(t, len, i));
        if (i >= len || t[i] != ',')
            break;
        i = skip_ws(t, len, i + 1);
    }
    return found;
}

/* The start of element token (a decimal index) of the array at i, or len. */
static size_t array_element(const unsigned char *t, size_t len, size_t i, const char *token,
                            size_t token_len)
{
    size_t index = 0;

    if (token_len == 0 || token_len > 18 || (token_len > 1 && token[0] == '0'))
        return len;
    for (size_t k = 0; k < token_len; k++) {
        if (!is_digit((unsigned char)token[k]))
            return len;
        index = index * 10 + (size_t)(token[k] - '0');
    }
    i = skip_ws(t, len, i + 1);
    if (i >= len || t[i] == ']')
        return len;
    for (;;) {
        if (index-- == 0)
            return i;
        i = skip_ws(t, len, skip_value(t, len, i));
        if (i >= len || t[i] != ',')
            return len;
        i = skip_ws(t, len, i + 1);
    }
}

static enum jsontext_type type_at(unsigned char c)
{
    switch (c) {
    case '{':
        return JSONTEXT_OBJECT;
    case '[':
        return JSONTEXT_ARRAY;
    case '"':
        return JSONTEXT_STRING;
    case 't':
        return JSONTEXT_TRUE;
    case 'f':
        return JSONTEXT_FALSE;
    case 'n':
        return JSONTEXT_NULL;
    default:
        return JSONTEXT_NUMBER;
    }
}

int jsontext_pointer_valid(const char *pointer)
{
    if (pointer[0] != '\0' && pointer[0] != '/')
        return 0;
    for (const char *p = pointer; *p != '\0'; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return 0;
    }
    return 1;
}

int jsontext_pointer(const char *text, size_t len, const char *pointer,
                     struct jsontext_value *out)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = skip_ws(t, len, skip_bom(t, len));
    const char *p = pointer;

    if (p[0] != '\0' && p[0] != '/')
        return -1;
    while (*p == '/') {
        size_t token_len = 0;
        int bad = 0;
        char *token = next_token(&p, &token_len, &bad);

        if (token == NULL)
            return -1;
        if (i >= len)
            i = len;
        else if (t[i] == '{')
            i = object_member(t, len, i, token, token_len);
        else if (t[i] == '[')
            i = array_element(t, len, i, token, token_len);
        else
            i = len;
        free(token);
        /* An absent step: the rest of the pointer must still be well-formed. */
        if (i >= len) {
            while (*p == '/') {
                token = next_token(&p, &token_len, &bad);
                if (token == NULL)
                    return -1;
                free(token);
            }
            return 0;
        }
    }
    if (i >= len)
        return 0;
    out->type = type_at(t[i]);
    out->raw = text + i;
    out->raw_len = skip_value(t, len, i) - i;
    return 1;
}
