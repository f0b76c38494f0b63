/* filter: parsing and evaluating destination filters (see filter.h). */
#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "log.h"
#include "xmalloc.h"

#define FILTER_FIELD_MAX 256

enum filter_kind { FILTER_ALL, FILTER_ANY, FILTER_NOT, FILTER_COND };
enum filter_source { FILTER_HEADER, FILTER_POINTER };
enum filter_test { FILTER_EQUALS, FILTER_IN, FILTER_PREFIX, FILTER_EXISTS };

struct filter {
    enum filter_kind kind;
    /* FILTER_ALL, FILTER_ANY: n >= 1 children; FILTER_NOT: one */
    struct filter **children;
    size_t n;
    /* FILTER_COND */
    enum filter_source source;
    char *name;       /* the header name, or the pointer */
    enum filter_test test;
    json_t *values;   /* an array: equals' one value, in's values, prefix's string */
    int exists;       /* FILTER_EXISTS: what is asked */
};

struct filter_subject {
    const struct headers *headers;
    const void *body;
    size_t body_len;
    int checked;      /* the body was validated once */
    int is_json;      /* it is one RFC 8259 text */
};

static const char *const COMBINATORS[] = {"all", "any", "not"};
static const char *const FIELDS[] = {"header", "json_pointer"};
static const char *const TESTS[] = {"equals", "in", "prefix", "exists"};

static int fail(struct error *err, const char *field, const char *reason)
{
    error_set(err, HS_ERR_CONFIG, "config", "%s: %s", field, reason);
    return -1;
}

static void join(char out[FILTER_FIELD_MAX], const char *base, const char *key)
{
    int n = snprintf(out, FILTER_FIELD_MAX, "%s.%s", base, key);

    if (n >= FILTER_FIELD_MAX)
        memcpy(out + FILTER_FIELD_MAX - 4, "...", 4);
}

static void index_of(char out[FILTER_FIELD_MAX], const char *base, size_t i)
{
    int n = snprintf(out, FILTER_FIELD_MAX, "%s[%zu]", base, i);

    if (n >= FILTER_FIELD_MAX)
        memcpy(out + FILTER_FIELD_MAX - 4, "...", 4);
}

/* jansson returns NULL here only when it cannot allocate: abort, as xmalloc does. */
static json_t *must(json_t *v)
{
    if (v == NULL) {
        log_error("out_of_memory", "jansson allocation failed");
        abort();
    }
    return v;
}

static int one_of(const char *key, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, names[i]) == 0)
            return (int)i;
    }
    return -1;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* RFC 9110 token characters. */
static int header_name_valid(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c) != NULL)
            return 0;
    }
    return 1;
}

static struct filter *parse_at(const json_t *spec, const char *field, int depth,
                               struct error *err);

static struct filter *parse_combinator(const json_t *spec, const char *key, const char *field,
                                       int depth, struct error *err)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    const json_t *v = json_object_get(spec, key);
    char sub[FILTER_FIELD_MAX];
    char item[FILTER_FIELD_MAX];

    join(sub, field, key);
    if (strcmp(key, "not") == 0) {
        f->kind = FILTER_NOT;
        f->children = xcalloc(1, sizeof(*f->children));
        f->children[0] = parse_at(v, sub, depth + 1, err);
        f->n = 1;
        if (f->children[0] == NULL)
            goto fail;
        return f;
    }
    f->kind = strcmp(key, "all") == 0 ? FILTER_ALL : FILTER_ANY;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        fail(err, sub, "must be a non-empty array of filters");
        goto fail;
    }
    f->children = xcalloc(json_array_size(v), sizeof(*f->children));
    for (size_t i = 0; i < json_array_size(v); i++) {
        index_of(item, sub, i);
        f->children[i] = parse_at(json_array_get(v, i), item, depth + 1, err);
        if (f->children[i] == NULL)
            goto fail;
        f->n++;
    }
    return f;
fail:
    filter_free(f);
    return NULL;
}

static struct filter *parse_condition(const json_t *spec, const char *field, struct error *err)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    const char *key;
    const json_t *value;
    const json_t *name = NULL;
    const json_t *test = NULL;
    int n_fields = 0;
    int n_tests = 0;
    char sub[FILTER_FIELD_MAX];

    f->kind = FILTER_COND;
    json_object_foreach((json_t *)spec, key, value) {
        int i;

        if ((i = one_of(key, FIELDS, COUNT(FIELDS))) >= 0) {
            f->source = (enum filter_source)i;
            name = value;
            n_fields++;
        } else if ((i = one_of(key, TESTS, COUNT(TESTS))) >= 0) {
            f->test = (enum filter_test)i;
            test = value;
            n_tests++;
        } else {
            join(sub, field, key);
            fail(err, sub,
                 "unknown key (expected one of: header, json_pointer, equals, in, prefix, "
                 "exists, all, any, not)");
            goto fail;
        }
    }
    if (n_fields != 1) {
        fail(err, field, "a condition names exactly one field: \"header\" or \"json_pointer\"");
        goto fail;
    }
    if (n_tests != 1) {
        fail(err, field, "a condition has exactly one test: equals, in, prefix or exists");
        goto fail;
    }
    join(sub, field, FIELDS[f->source]);
    if (!json_is_string(name)) {
        fail(err, sub, "must be a string");
        goto fail;
    }
    if (f->source == FILTER_HEADER && !header_name_valid(json_string_value(name))) {
        fail(err, sub, "must be a valid header name");
        goto fail;
    }
    if (f->source == FILTER_POINTER && !jsontext_pointer_valid(json_string_value(name))) {
        fail(err, sub, "must be a JSON pointer (\"/action\", or \"\")");
        goto fail;
    }
    f->name = xstrdup(json_string_value(name));
    join(sub, field, TESTS[f->test]);
    switch (f->test) {
    case FILTER_EXISTS:
        if (!json_is_boolean(test)) {
            fail(err, sub, "must be true or false");
            goto fail;
        }
        f->exists = json_is_true(test);
        break;
    case FILTER_PREFIX:
        if (!json_is_string(test)) {
            fail(err, sub, "must be a string");
            goto fail;
        }
        f->values = must(json_pack("[o]", must(json_deep_copy(test))));
        break;
    case FILTER_EQUALS:
        if (f->source == FILTER_HEADER && !json_is_string(test)) {
            fail(err, sub, "must be a string (a header is compared as a string)");
            goto fail;
        }
        f->values = must(json_pack("[o]", must(json_deep_copy(test))));
        break;
    case FILTER_IN:
        if (!json_is_array(test) || json_array_size(test) == 0) {
            fail(err, sub, "must be a non-empty array");
            goto fail;
        }
        for (size_t i = 0; f->source == FILTER_HEADER && i < json_array_size(test); i++) {
            char item[FILTER_FIELD_MAX];

            if (!json_is_string(json_array_get(test, i))) {
                index_of(item, sub, i);
                fail(err, item, "must be a string (a header is compared as a string)");
                goto fail;
            }
        }
        f->values = must(json_deep_copy(test));
        break;
    }
    return f;
fail:
    filter_free(f);
    return NULL;
}

static struct filter *parse_at(const json_t *spec, const char *field, int depth,
                               struct error *err)
{
    const char *key;
    const json_t *value;

    if (depth > FILTER_DEPTH_MAX) {
        fail(err, field, "nested too deep");
        return NULL;
    }
    if (!json_is_object(spec)) {
        fail(err, field, "must be an object");
        return NULL;
    }
    json_object_foreach((json_t *)spec, key, value) {
        (void)value;
        if (one_of(key, COMBINATORS, COUNT(COMBINATORS)) < 0)
            continue;
        if (json_object_size(spec) != 1) {
            char sub[FILTER_FIELD_MAX];

            join(sub, field, key);
            fail(err, sub, "must be the only key of its object");
            return NULL;
        }
        return parse_combinator(spec, key, field, depth, err);
    }
    return parse_condition(spec, field, err);
}

struct filter *filter_parse(const json_t *spec, const char *field, struct error *err)
{
    return parse_at(spec, field, 0, err);
}

void filter_free(struct filter *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        filter_free(f->children[i]);
    free(f->children);
    free(f->name);
    json_decref(f->values);
    free(f);
}

struct filter_subject *filter_subject_new(const struct headers *headers, const void *body,
                                          size_t body_len)
{
    struct filter_subject *s = xcalloc(1, sizeof(*s));

    s->headers = headers;
    s->body = body;
    s->body_len = body_len;
    return s;
}

void filter_subject_free(struct filter_subject *s)
{
    if (s == NULL)
        return;
    free(s);
}

/* 1 when the body is JSON (RFC 8259, checked on first use, whatever its numbers). */
static int subject_is_json(struct filter_subject *s)
{
    struct error err;

    if (!s->checked) {
        s->checked = 1;
        error_clear(&err);
        s->is_json = s->body_len > 0 && jsontext_validate(s->body, s->body_len, &err) == 0;
    }
    return s->is_json;
}

/*
 * The value at pointer as a jansson value (fresh), found in place by jsontext and
 * decoded alone; *found says whether the pointer names a value at all. A value jansson
 * cannot hold (a number past double, like 1e400, or one inside an array or object)
 * exists but equals nothing: NULL with *found 1.
 */
static json_t *subject_value(struct filter_subject *s, const char *pointer, int *found)
{
    struct jsontext_value v;
    json_error_t jerr;

    *found = subject_is_json(s) && jsontext_pointer(s->body, s->body_len, pointer, &v) == 1;
    if (!*found)
        return NULL;
    return json_loadb(v.raw, v.raw_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
}

/* Numbers by value: an integer and a real are equal when the real is that integer. */
static int numbers_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    if (json_is_real(a)) {
        const json_t *t = a;

        a = b;
        b = t;
    }
    /* a integer, b real: the real must be integral and in range to equal it. */
    {
        double r = json_real_value(b);

        if (!(r >= -9223372036854775808.0 && r < 9223372036854775808.0))
            return 0;
        return (double)(json_int_t)r == r && (json_int_t)r == json_integer_value(a);
    }
}

static int values_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return numbers_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++) {
            if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        }
        return 1;
    case JSON_OBJECT: {
        const char *key;
        json_t *v;

        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, key, v) {
            const json_t *w = json_object_get(b, key);

            if (w == NULL || !values_equal(v, w))
                return 0;
        }
        return 1;
    }
    default: /* true, false, null: the type is the value */
        return 1;
    }
}

static int has_prefix(const json_t *v, const json_t *prefix)
{
    return json_is_string(v) && json_string_length(v) >= json_string_length(prefix) &&
           memcmp(json_string_value(v), json_string_value(prefix), json_string_length(prefix)) ==
               0;
}

/* A header's value against a filter's string value: byte for byte. */
static int header_equals(const char *h, const json_t *v)
{
    return json_is_string(v) && strlen(h) == json_string_length(v) &&
           memcmp(h, json_string_value(v), json_string_length(v)) == 0;
}

static int match_header(const struct filter *f, const struct filter_subject *s)
{
    const char *h = s->headers != NULL ? headers_get(s->headers, f->name) : NULL;
    const json_t *prefix;
    int found = 0;

    if (f->test == FILTER_EXISTS)
        return (h != NULL) == f->exists;
    if (h == NULL)
        return 0;
    if (f->test == FILTER_PREFIX) {
        prefix = json_array_get(f->values, 0);
        return strlen(h) >= json_string_length(prefix) &&
               memcmp(h, json_string_value(prefix), json_string_length(prefix)) == 0;
    }
    for (size_t i = 0; !found && i < json_array_size(f->values); i++)
        found = header_equals(h, json_array_get(f->values, i));
    return found;
}

static int match_pointer(const struct filter *f, struct filter_subject *s)
{
    int exists;
    json_t *v = subject_value(s, f->name, &exists);
    int found = 0;

    if (f->test == FILTER_EXISTS) {
        found = exists == f->exists;
    } else if (v != NULL && f->test == FILTER_PREFIX) {
        found = has_prefix(v, json_array_get(f->values, 0));
    } else if (v != NULL) {
        for (size_t i = 0; !found && i < json_array_size(f->values); i++)
            found = values_equal(v, json_array_get(f->values, i));
    }
    json_decref(v);
    return found;
}

int filter_match(const struct filter *f, struct filter_subject *s)
{
    if (f == NULL)
        return 1;
    switch (f->kind) {
    case FILTER_ALL:
        for (size_t i = 0; i < f->n; i++) {
            if (!filter_match(f->children[i], s))
                return 0;
        }
        return 1;
    case FILTER_ANY:
        for (size_t i = 0; i < f->n; i++) {
            if (filter_match(f->children[i], s))
                return 1;
        }
        return 0;
    case FILTER_NOT:
        return !filter_match(f->children[0], s);
    case FILTER_COND:
        return f->source == FILTER_HEADER ? match_header(f, s) : match_pointer(f, s);
    }
    return 0;
}
