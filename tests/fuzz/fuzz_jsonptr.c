/*
 * Fuzzes the idempotency key's path through an untrusted body: the input's
 * first line is a JSON pointer, the rest a JSON document.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonptr.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *newline = memchr(data, '\n', size);
    size_t pointer_len = newline != NULL ? (size_t)(newline - data) : size;
    char *pointer = xstrndup((const char *)data, pointer_len);
    size_t doc_off = newline != NULL ? pointer_len + 1 : size;
    json_t *doc = json_loadb((const char *)data + doc_off, size - doc_off, JSON_DECODE_ANY, NULL);

    if (doc != NULL) {
        json_t *value = jsonptr_get(doc, pointer);

        if (value != NULL && json_is_string(value))
            (void)json_string_length(value);
        json_decref(doc);
    }
    free(pointer);
    return 0;
}
