/* headers: ordered HTTP header list with case-insensitive lookup (see headers.h). */
#include "headers.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

void headers_init(struct headers *h)
{
    h->items = NULL;
    h->n = 0;
    h->alloc = 0;
}

void headers_add(struct headers *h, const char *name, const char *value)
{
    if (h->n == h->alloc) {
        h->alloc = h->alloc != 0 ? h->alloc * 2 : 16;
        h->items = xrealloc(h->items, h->alloc * sizeof(*h->items));
    }
    h->items[h->n].name = xstrdup(name);
    h->items[h->n].value = xstrdup(value);
    h->n++;
}

int headers_is_credential(const char *name, const char *secret_header)
{
    static const char *const CREDENTIALS[] = {"Authorization", "Proxy-Authorization", "Cookie"};

    for (size_t i = 0; i < sizeof(CREDENTIALS) / sizeof(CREDENTIALS[0]); i++) {
        if (strcasecmp(name, CREDENTIALS[i]) == 0)
            return 1;
    }
    return secret_header != NULL && strcasecmp(name, secret_header) == 0;
}

const char *headers_get(const struct headers *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->items[i].name, name) == 0)
            return h->items[i].value;
    }
    return NULL;
}

void headers_add_cgi(struct headers *h, const char *var_name, const char *value)
{
    const char *src;
    char *name;
    int word_start = 1;
    size_t i;

    if (strcmp(var_name, "CONTENT_TYPE") == 0) {
        headers_add(h, "Content-Type", value);
        return;
    }
    if (strncmp(var_name, "HTTP_", 5) != 0 || var_name[5] == '\0')
        return;
    src = var_name + 5;
    name = xstrdup(src);
    for (i = 0; name[i] != '\0'; i++) {
        if (name[i] == '_') {
            name[i] = '-';
            word_start = 1;
        } else {
            name[i] = (char)(word_start ? toupper((unsigned char)name[i])
                                        : tolower((unsigned char)name[i]));
            word_start = 0;
        }
    }
    headers_add(h, name, value);
    free(name);
}

void headers_free(struct headers *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->items[i].name);
        free(h->items[i].value);
    }
    free(h->items);
    headers_init(h);
}
