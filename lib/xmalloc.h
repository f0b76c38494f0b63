/*
 * xmalloc: allocation that never returns NULL.
 *
 * Out of memory is not an error path in hookspool: these log one JSON line
 * and abort. Error structs are for real failures (input, disk, network).
 */
#ifndef HS_XMALLOC_H
#define HS_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
/* Copies n bytes and adds a terminating NUL. */
char *xstrndup(const char *s, size_t n);
/* Formats into a fresh string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
