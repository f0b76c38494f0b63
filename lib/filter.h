/*
 * filter: which webhooks a destination receives (DESIGN.md "Destinations and
 * filters").
 *
 *   filter    := condition | {"all": [filter, ...]} | {"any": [filter, ...]}
 *              | {"not": filter}
 *   condition := {field, test}
 *   field     := "header": NAME          matched case-insensitively, compared
 *                                        as a string (the first such header)
 *              | "json_pointer": "/a/b"  RFC 6901 into the body
 *   test      := "equals": V | "in": [V, ...] | "prefix": "s" | "exists": true|false
 *
 * A missing field fails every test but "exists": false. A body that is not
 * JSON (RFC 8259, jsontext) matches no pointer; in a body that is, a value
 * too large for a number type (1e400, an integer beyond 64 bits) exists, but
 * equals nothing and has no prefix, and the rest of the body is unaffected. JSON values
 * compare by type and value: 1 is not "1", true is not 1, null only equals
 * null; numbers compare by their value whatever their spelling, so 1, 1.0 and
 * 1e0 are equal (RFC 8259 has one number type); strings compare byte for
 * byte; arrays element by element in order; objects member by member, in any
 * order. "prefix" holds for strings only. A header's tests take strings only,
 * which filter_parse checks.
 *
 * The body is checked and searched in place (jsontext); only the value a
 * pointer lands on is decoded (jansson), to compare it.
 *
 * Call order: filter_parse (at config load) -> for each webhook:
 * filter_subject_new -> filter_match... -> filter_subject_free; filter_free
 * at config free. A parsed filter is read-only and may be shared between
 * threads; a subject belongs to one thread.
 */
#ifndef HS_FILTER_H
#define HS_FILTER_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "headers.h"

#define FILTER_DEPTH_MAX 32 /* nesting of all/any/not */

struct filter;

/*
 * Compiles spec, the value of a "filter" key; field names it in messages
 * ("sources[0].destinations[1].filter"), so a failure reads
 * "sources[0].destinations[1].filter.in: must be a non-empty array"
 * (HS_ERR_CONFIG). spec is not kept: the filter owns copies of its values.
 * Caller owns the result.
 */
struct filter *filter_parse(const json_t *spec, const char *field, struct error *err);

/* NULL-safe. */
void filter_free(struct filter *f);

/* One webhook as filters see it: its headers and body, borrowed, and its body parsed
 * once, when the first pointer condition needs it. */
struct filter_subject;

/* headers and body are borrowed and must outlive the subject. */
struct filter_subject *filter_subject_new(const struct headers *headers, const void *body,
                                          size_t body_len);

/* 1 when the webhook passes f, else 0. A NULL filter passes every webhook. */
int filter_match(const struct filter *f, struct filter_subject *s);

/* NULL-safe. */
void filter_subject_free(struct filter_subject *s);

#endif
