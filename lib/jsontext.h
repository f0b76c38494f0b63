/*
 * jsontext: RFC 8259 JSON text, checked and searched in place, without building a tree.
 *
 * A webhook body is the provider's bytes, and the provider's JSON may hold what a
 * tree parser refuses: integers past 64 bits (18446744073709551615), reals past
 * double (1e400), lone surrogate escapes ("\ud800"), "\u0000", nesting deeper than
 * a parser's stack. RFC 8259 allows all of them, so jsontext_validate() accepts
 * every RFC 8259 JSON text and nothing else, in one pass, with memory of one bit
 * per nesting level and no limit on depth or number size. jsontext_pointer() then
 * finds an RFC 6901 pointer's value and hands back its raw span, so a number is
 * taken as its literal text and a string is decoded only when asked
 * (jsontext_string()).
 *
 * Policy where RFC 8259 leaves a choice:
 *   - a UTF-8 byte order mark before the text is ignored (section 8.1 allows it);
 *   - the text must be UTF-8 (section 8.1): an invalid byte sequence anywhere, in a
 *     string or outside, is refused; escapes of lone surrogates are accepted and
 *     decode to their three-byte (generalised UTF-8) form;
 *   - an object with a repeated name: a pointer takes the last member of that name,
 *     as JSON.parse and jansson do.
 *
 * Call order: jsontext_validate() on the text, then any number of jsontext_pointer()
 * calls on the same text. Nothing is allocated but by jsontext_string().
 */
#ifndef HS_JSONTEXT_H
#define HS_JSONTEXT_H

#include <stddef.h>

#include "error.h"

enum jsontext_type {
    JSONTEXT_OBJECT,
    JSONTEXT_ARRAY,
    JSONTEXT_STRING,
    JSONTEXT_NUMBER,
    JSONTEXT_TRUE,
    JSONTEXT_FALSE,
    JSONTEXT_NULL,
};

/* A value inside a text: its type and its bytes as they stand in the text (a string
 * with its quotes and escapes, a number as written). Borrowed from the text. */
struct jsontext_value {
    enum jsontext_type type;
    const char *raw;
    size_t raw_len;
};

/*
 * 0 when text[0..len) is one RFC 8259 JSON text (any value, whitespace around it, an
 * optional leading UTF-8 BOM); else -1 with err set: HS_ERR_INPUT, tag "invalid_json",
 * and a message naming the problem and its byte offset ("unexpected byte 0x7d at
 * byte 12"). text need not be NUL-terminated.
 */
int jsontext_validate(const char *text, size_t len, struct error *err)
    __attribute__((warn_unused_result));

/* 1 when pointer is a valid RFC 6901 pointer: "" or "/"-led reference tokens where '~'
 * is only "~0" or "~1" (what config_load checks of every configured pointer). */
int jsontext_pointer_valid(const char *pointer);

/*
 * Finds the value at an RFC 6901 pointer ("" is the whole text; "~1" is '/', "~0" is
 * '~'; array tokens are decimal indexes without leading zeros, and "-" names no
 * element). text must have passed jsontext_validate(); on other text the answer is
 * meaningless, but nothing outside text[0..len) is read. Returns 1 and fills *out
 * when found, 0 when absent, -1 when pointer is not a valid RFC 6901 pointer.
 */
int jsontext_pointer(const char *text, size_t len, const char *pointer,
                     struct jsontext_value *out) __attribute__((warn_unused_result));

/* The decoded bytes of a JSONTEXT_STRING value found in a validated text, fresh and
 * NUL-terminated (a "\u0000" inside decodes to a NUL byte, counted in *len). */
char *jsontext_string(const struct jsontext_value *v, size_t *len);

#endif
