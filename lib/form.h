/*
 * form: application/x-www-form-urlencoded bodies, as name/value pairs.
 *
 * For the schemes that sign form parameters (Twilio, Mandrill): a body is
 * split on '&', each pair on its first '=', and both sides are decoded
 * ('+' is a space, %XX a byte). Decoded names and values may hold any byte,
 * NUL included, so each has a length; each is NUL-terminated as well.
 *
 * Call order: form_parse -> form_sort (optional) -> form_free.
 */
#ifndef HS_FORM_H
#define HS_FORM_H

#include <stddef.h>

#include "error.h"

struct form_param {
    char *name;
    size_t name_len;
    char *value;
    size_t value_len;
};

struct form {
    struct form_param *params; /* in body order until form_sort */
    size_t n;
};

/*
 * Parses len bytes of body into f (which the caller frees with form_free,
 * even on failure). Empty pairs ("a=1&&b=2") are ignored; a pair without
 * '=' is a name with an empty value. -1 with HS_ERR_INPUT "bad_form" when a
 * '%' is not followed by two hex digits.
 */
int form_parse(const void *body, size_t len, struct form *f, struct error *err)
    __attribute__((warn_unused_result));

/* Sorts the parameters by name, then by value, comparing bytes. */
void form_sort(struct form *f);

/* Frees what form_parse filled in; repeatable, and safe on a zeroed struct. */
void form_free(struct form *f);

#endif
