/*
 * jsonout: JSON text written straight into a growing buffer, without building a
 * tree first. What it writes is byte for byte what jansson's compact dump
 * (JSON_COMPACT) writes for the same values: strings escape '"', '\\' and the
 * control characters (\b \f \n \r \t by name, the others as \u00XX with
 * uppercase hex) and nothing else, so '/', DEL and non-ASCII text pass
 * unchanged. Documents written here read back through jansson (envelope_parse,
 * `show`) and dump again to the same bytes.
 *
 * The caller writes the punctuation itself (jsonout_lit), in the order the
 * document needs; jsonout checks nothing about structure. Strings are written
 * from text the caller has checked (jsonout_string: valid UTF-8 without NUL,
 * codec_utf8_valid) or from any bytes read as Latin-1 (jsonout_latin1).
 *
 * Call order: jsonout_init -> jsonout_*... -> jsonout_take (or jsonout_free).
 * Out of memory aborts (xmalloc).
 */
#ifndef HS_JSONOUT_H
#define HS_JSONOUT_H

#include <stddef.h>
#include <stdint.h>

struct jsonout {
    char *data;   /* NUL-terminated after each call */
    size_t len;   /* bytes written, without the NUL */
    size_t alloc; /* bytes allocated */
};

/* The most bytes a string's content takes per input byte ("\u00XX"). */
#define JSONOUT_ESCAPE_MAX 6

/* Starts an empty text with room for about hint bytes. */
void jsonout_init(struct jsonout *o, size_t hint);

/* Appends n bytes as they are: punctuation, names, text already JSON. */
void jsonout_raw(struct jsonout *o, const char *s, size_t n);

/* Appends a string literal as it is. */
#define jsonout_lit(o, literal) jsonout_raw((o), (literal), sizeof(literal) - 1)

/* Appends a JSON string (quotes included) of n bytes of valid UTF-8 without NUL. */
void jsonout_string(struct jsonout *o, const void *utf8, size_t n);

/* Appends a JSON string (quotes included) of n bytes, each read as a Latin-1
 * character (U+0000..U+00FF), so any bytes make valid text. */
void jsonout_latin1(struct jsonout *o, const void *bytes, size_t n);

/* Appends a JSON string of a C string: as UTF-8 when it is, else read as Latin-1. */
void jsonout_text(struct jsonout *o, const char *s);

/* Appends a decimal integer. */
void jsonout_int(struct jsonout *o, int64_t v);

/* Hands the text (NUL-terminated) to the caller, *len set when len is not NULL. */
char *jsonout_take(struct jsonout *o, size_t *len);

/* Frees what was written; NULL-safe on a taken text. */
void jsonout_free(struct jsonout *o);

#endif
