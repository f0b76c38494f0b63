/*
 * Fuzzes the scanner of untrusted bodies: the input's first line is a JSON pointer,
 * the rest a candidate JSON text. Besides memory safety it checks jsontext against
 * jansson, which accepts a subset of RFC 8259 (it refuses numbers past 64 bits or
 * double, lone surrogates and deep nesting): what jansson accepts jsontext must
 * accept (but for a raw NUL, which jansson takes as the end), and a pointer jansson
 * resolves to a string must decode to the same bytes.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 6901 over jansson: the reference the scanner is held to. */
static json_t *reference_lookup(json_t *node, const char *pointer)
{
    char *copy = xstrdup(pointer);
    char *token = copy;

    if (*token == '/')
        token++;
    while (node != NULL && pointer[0] != '\0') {
        char *next = strchr(token, '/');
        char *o = token;

        if (next != NULL)
            *next = '\0';
        for (char *in = token; *in != '\0'; in++)
            *o++ = *in == '~' ? (*++in == '0' ? '~' : '/') : *in;
        *o = '\0';
        if (json_is_object(node)) {
            node = json_object_get(node, token);
        } else if (json_is_array(node)) {
            char *end;
            unsigned long index = strtoul(token, &end, 10);

            node = token[0] >= '0' && token[0] <= '9' && *end == '\0' &&
                           (token[0] != '0' || token[1] == '\0')
                       ? json_array_get(node, index)
                       : NULL;
        } else {
            node = NULL;
        }
        if (next == NULL)
            break;
        token = next + 1;
    }
    free(copy);
    return node;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *newline = memchr(data, '\n', size);
    size_t pointer_len = newline != NULL ? (size_t)(newline - data) : size;
    char *pointer = xstrndup((const char *)data, pointer_len);
    size_t off = newline != NULL ? pointer_len + 1 : size;
    const char *text = (const char *)data + off;
    size_t len = size - off;
    /* A copy of exactly len bytes, so the sanitizer sees any read past the end. */
    char *exact = xmalloc(len > 0 ? len : 1);
    struct jsontext_value v;
    struct error err;
    json_t *doc;
    int valid;
    int rc;

    memcpy(exact, text, len);
    error_clear(&err);
    valid = jsontext_validate(exact, len, &err) == 0;
    doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    /* jansson reads a raw NUL as the end of its input, so it may accept "3\0"; a raw NUL
     * is never RFC 8259 (it is neither whitespace nor allowed unescaped in a string). */
    if (doc != NULL && !valid && memchr(text, '\0', len) == NULL)
        abort(); /* jansson accepted an RFC 8259 text the scanner refused */
    /* The lookup must stay in bounds even on text that was refused. */
    rc = jsontext_pointer(exact, len, pointer, &v);
    if (rc == 1 && (v.raw < exact || v.raw + v.raw_len > exact + len))
        abort();
    if (valid && rc == 1 && v.type == JSONTEXT_STRING) {
        size_t n;
        char *s = jsontext_string(&v, &n);
        json_t *ref = doc != NULL ? reference_lookup(doc, pointer) : NULL;

        if (json_is_string(ref) &&
            (json_string_length(ref) != n || memcmp(json_string_value(ref), s, n) != 0))
            abort();
        free(s);
    }
    json_decref(doc);
    free(exact);
    free(pointer);
    return 0;
}
