/*
 * buf: a growable byte buffer with a hard cap set at creation.
 *
 * Every buffer filled from outside (request body, listings, object bodies,
 * delivery responses) gets a cap, so no peer can make us allocate without
 * bound. The data is always NUL-terminated (the NUL is not counted in len),
 * so text can be used as a C string.
 *
 * Call order: buf_init -> buf_append... -> buf_take or buf_free.
 */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stddef.h>

struct buf {
    char *data;     /* NULL until the first append */
    size_t len;     /* bytes held, without the trailing NUL */
    size_t alloc;   /* bytes allocated */
    size_t max;     /* cap on len; appending past it fails */
};

/* Starts an empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* Appends n bytes; returns 0, or -1 (and appends nothing) when len would pass max. */
int buf_append(struct buf *b, const void *data, size_t n) __attribute__((warn_unused_result));

/* Appends a C string; same contract as buf_append. */
int buf_append_str(struct buf *b, const char *s) __attribute__((warn_unused_result));

/* Empties the buffer, keeping its memory and cap. */
void buf_reset(struct buf *b);

/* Hands the data (NUL-terminated, never NULL) to the caller and empties b. */
char *buf_take(struct buf *b, size_t *len);

/* Frees the data; b can be reused after buf_init. NULL-safe. */
void buf_free(struct buf *b);

#endif
