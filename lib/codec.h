/*
 * codec: hex, base64 and UTF-8 checks, for signatures and the envelope.
 *
 * Encoders return a fresh NUL-terminated string the caller frees. Decoders
 * return a fresh buffer (NUL-terminated too, for convenience) or NULL when
 * the input is not valid in that encoding; they never accept partial input.
 */
#ifndef HS_CODEC_H
#define HS_CODEC_H

#include <stddef.h>

/* Lowercase hex of n bytes. */
char *codec_hex_encode(const void *data, size_t n);

/* Decodes hex (either case); NULL on odd length or a non-hex digit. */
/* The value of one hex digit (either case), or -1 when c is none. */
int codec_hex_value(char c);

unsigned char *codec_hex_decode(const char *hex, size_t hex_len, size_t *out_len);

/* Standard base64 with padding (RFC 4648 section 4). */
char *codec_base64_encode(const void *data, size_t n);

/*
 * Decodes standard base64; padding is optional, whitespace is not allowed.
 * NULL on any other character or an impossible length.
 */
unsigned char *codec_base64_decode(const char *b64, size_t b64_len, size_t *out_len);

/* 1 when data is well-formed UTF-8 (no overlongs, no surrogates) without NUL bytes. */
int codec_utf8_valid(const void *data, size_t n);

#endif
