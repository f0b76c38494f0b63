/*
 * headers: an ordered list of HTTP header (name, value) pairs.
 *
 * Names keep the case they were added with and match case-insensitively.
 * The list owns copies of everything added to it.
 */
#ifndef HS_HEADERS_H
#define HS_HEADERS_H

#include <stddef.h>

struct header {
    char *name;
    char *value;
};

struct headers {
    struct header *items;
    size_t n;
    size_t alloc;
};

void headers_init(struct headers *h);

/* Appends a copy of (name, value); duplicates are kept in order. */
void headers_add(struct headers *h, const char *name, const char *value);

/* The value of the first header named name (any case), or NULL. Borrowed. */
const char *headers_get(const struct headers *h, const char *name);

/*
 * Adds a header from a CGI/FastCGI variable: HTTP_X_GITHUB_EVENT becomes
 * X-Github-Event; CONTENT_TYPE becomes Content-Type. Other names are ignored.
 */
void headers_add_cgi(struct headers *h, const char *var_name, const char *value);

/*
 * 1 when a header named name (any case) carries a credential for the hop into
 * hookspool: Authorization, Proxy-Authorization, Cookie, or secret_header (the
 * header a token source's shared token comes in; NULL when none). Such a header
 * is never stored, logged or forwarded; a provider's signature header is no
 * credential (it proves one body, and destinations re-verify it).
 */
int headers_is_credential(const char *name, const char *secret_header);

void headers_free(struct headers *h);

#endif
