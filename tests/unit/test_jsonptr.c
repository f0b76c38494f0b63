/* RFC 6901 JSON Pointer lookups: the RFC's own examples plus malformed pointers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "jsonptr.h"

/* RFC 6901 section 5. */
static const char RFC_DOC[] = "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2,"
                              " \"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7,"
                              " \"m~n\": 8}";

static void test_rfc6901_examples(void **state)
{
    const struct {
        const char *pointer;
        const char *expected; /* compact JSON of the value, NULL when absent */
    } cases[] = {
        {"/foo", "[\"bar\", \"baz\"]"}, {"/foo/0", "\"bar\""}, {"/", "0"},
        {"/a~1b", "1"}, {"/c%d", "2"}, {"/e^f", "3"}, {"/g|h", "4"}, {"/i\\j", "5"},
        {"/k\"l", "6"}, {"/ ", "7"}, {"/m~0n", "8"},
        {"/foo/2", NULL}, {"/foo/01", NULL}, {"/foo/-", NULL}, {"/nope", NULL},
        {"foo", NULL}, {"/m~2n", NULL}, {"/foo/0/x", NULL}, {"/foo/99999999999", NULL},
    };
    json_t *doc = json_loads(RFC_DOC, 0, NULL);

    (void)state;
    assert_non_null(doc);
    assert_ptr_equal(jsonptr_get(doc, ""), doc);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *got = jsonptr_get(doc, cases[i].pointer);

        if (cases[i].expected == NULL) {
            if (got != NULL)
                fail_msg("%s: expected nothing", cases[i].pointer);
            continue;
        }
        json_t *want = json_loads(cases[i].expected, JSON_DECODE_ANY, NULL);

        if (got == NULL || !json_equal(got, want))
            fail_msg("%s: wrong value", cases[i].pointer);
        json_decref(want);
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6901_examples),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
