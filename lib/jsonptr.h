/*
 * jsonptr: RFC 6901 JSON Pointer lookup in a jansson document.
 *
 * Used to take an idempotency key from the body ("json_pointer": "/id").
 * "" is the whole document; "~1" is '/', "~0" is '~'; array tokens are
 * decimal indexes without leading zeros.
 */
#ifndef HS_JSONPTR_H
#define HS_JSONPTR_H

#include <jansson.h>

/* The value at pointer in root (borrowed), or NULL when it is absent or the pointer
 * is malformed. */
json_t *jsonptr_get(json_t *root, const char *pointer);

#endif
