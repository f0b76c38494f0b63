/*
 * The filter language (lib/filter.h), table-driven: each case is a filter,
 * a webhook (one header line and a body) and whether the webhook passes. The
 * messages of malformed filters are test_config's, through config_parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "headers.h"

struct match_case {
    const char *name;
    const char *filter;   /* JSON */
    const char *event;    /* X-GitHub-Event, or NULL for none */
    const char *body;     /* raw bytes, NUL-terminated (body_len says otherwise) */
    size_t body_len;      /* 0: strlen(body) */
    int expected;
};

#define PUSH "{\"action\": \"opened\", \"n\": 1, \"f\": 1.5, \"t\": true, \"z\": null," \
             " \"s\": \"1\", \"a\": [1, \"x\", {\"k\": 2}], \"o\": {\"p\": 1, \"q\": [true]}," \
             " \"a/b\": \"slash\", \"m~n\": \"tilde\", \"ref\": \"refs/heads/main\"}"

static const struct match_case CASES[] = {
    /* header tests */
    {"header equals", "{\"header\": \"X-GitHub-Event\", \"equals\": \"push\"}", "push", "", 0, 1},
    {"header equals other", "{\"header\": \"X-GitHub-Event\", \"equals\": \"push\"}", "issues",
     "", 0, 0},
    {"header name any case", "{\"header\": \"x-github-event\", \"equals\": \"push\"}", "push", "",
     0, 1},
    {"header value case kept", "{\"header\": \"X-GitHub-Event\", \"equals\": \"Push\"}", "push",
     "", 0, 0},
    {"header in", "{\"header\": \"X-GitHub-Event\", \"in\": [\"pull_request\", \"push\"]}",
     "push", "", 0, 1},
    {"header in none", "{\"header\": \"X-GitHub-Event\", \"in\": [\"issues\"]}", "push", "", 0,
     0},
    {"header prefix", "{\"header\": \"X-GitHub-Event\", \"prefix\": \"pull\"}", "pull_request",
     "", 0, 1},
    {"header prefix longer", "{\"header\": \"X-GitHub-Event\", \"prefix\": \"pushed\"}", "push",
     "", 0, 0},
    {"header exists", "{\"header\": \"X-GitHub-Event\", \"exists\": true}", "push", "", 0, 1},
    {"header exists false", "{\"header\": \"X-GitHub-Event\", \"exists\": false}", "push", "", 0,
     0},
    {"missing header: exists false", "{\"header\": \"X-GitHub-Event\", \"exists\": false}", NULL,
     "", 0, 1},
    {"missing header: equals", "{\"header\": \"X-GitHub-Event\", \"equals\": \"\"}", NULL, "", 0,
     0},
    {"missing header: prefix", "{\"header\": \"X-GitHub-Event\", \"prefix\": \"\"}", NULL, "", 0,
     0},
    {"empty header equals empty", "{\"header\": \"X-GitHub-Event\", \"equals\": \"\"}", "", "",
     0, 1},
    /* pointers: strings, numbers, the other types */
    {"pointer equals", "{\"json_pointer\": \"/action\", \"equals\": \"opened\"}", NULL, PUSH, 0,
     1},
    {"pointer in", "{\"json_pointer\": \"/action\", \"in\": [\"closed\", \"opened\"]}", NULL,
     PUSH, 0, 1},
    {"pointer prefix", "{\"json_pointer\": \"/ref\", \"prefix\": \"refs/heads/\"}", NULL, PUSH,
     0, 1},
    {"prefix of a number", "{\"json_pointer\": \"/n\", \"prefix\": \"1\"}", NULL, PUSH, 0, 0},
    {"number is not a string", "{\"json_pointer\": \"/n\", \"equals\": \"1\"}", NULL, PUSH, 0, 0},
    {"string is not a number", "{\"json_pointer\": \"/s\", \"equals\": 1}", NULL, PUSH, 0, 0},
    {"string equals string", "{\"json_pointer\": \"/s\", \"equals\": \"1\"}", NULL, PUSH, 0, 1},
    {"1 equals 1", "{\"json_pointer\": \"/n\", \"equals\": 1}", NULL, PUSH, 0, 1},
    {"1 equals 1.0", "{\"json_pointer\": \"/n\", \"equals\": 1.0}", NULL, PUSH, 0, 1},
    {"1 equals 1e0", "{\"json_pointer\": \"/n\", \"equals\": 1e0}", NULL, PUSH, 0, 1},
    {"1.0 in the body equals 1", "{\"json_pointer\": \"/v\", \"equals\": 1}", NULL,
     "{\"v\": 1.0}", 0, 1},
    {"1.5 is not 1", "{\"json_pointer\": \"/f\", \"equals\": 1}", NULL, PUSH, 0, 0},
    {"1.5 equals 1.5", "{\"json_pointer\": \"/f\", \"equals\": 1.5}", NULL, PUSH, 0, 1},
    {"1 in [1.0]", "{\"json_pointer\": \"/n\", \"in\": [\"1\", 1.0]}", NULL, PUSH, 0, 1},
    {"1 in [\"1\"]", "{\"json_pointer\": \"/n\", \"in\": [\"1\"]}", NULL, PUSH, 0, 0},
    {"true is not 1", "{\"json_pointer\": \"/t\", \"equals\": 1}", NULL, PUSH, 0, 0},
    {"true equals true", "{\"json_pointer\": \"/t\", \"equals\": true}", NULL, PUSH, 0, 1},
    {"true is not false", "{\"json_pointer\": \"/t\", \"equals\": false}", NULL, PUSH, 0, 0},
    {"null equals null", "{\"json_pointer\": \"/z\", \"equals\": null}", NULL, PUSH, 0, 1},
    {"null is not false", "{\"json_pointer\": \"/z\", \"equals\": false}", NULL, PUSH, 0, 0},
    {"null exists", "{\"json_pointer\": \"/z\", \"exists\": true}", NULL, PUSH, 0, 1},
    {"array equals in order", "{\"json_pointer\": \"/a\", \"equals\": [1.0, \"x\", {\"k\": 2}]}",
     NULL, PUSH, 0, 1},
    {"array out of order", "{\"json_pointer\": \"/a\", \"equals\": [\"x\", 1, {\"k\": 2}]}", NULL,
     PUSH, 0, 0},
    {"array shorter", "{\"json_pointer\": \"/a\", \"equals\": [1, \"x\"]}", NULL, PUSH, 0, 0},
    {"object in any order", "{\"json_pointer\": \"/o\", \"equals\": {\"q\": [true], \"p\": 1}}",
     NULL, PUSH, 0, 1},
    {"object with one more", "{\"json_pointer\": \"/o\", \"equals\": {\"p\": 1}}", NULL, PUSH, 0,
     0},
    /* nesting inside the body */
    {"array index", "{\"json_pointer\": \"/a/1\", \"equals\": \"x\"}", NULL, PUSH, 0, 1},
    {"deep", "{\"json_pointer\": \"/a/2/k\", \"equals\": 2}", NULL, PUSH, 0, 1},
    {"index past the end", "{\"json_pointer\": \"/a/3\", \"exists\": false}", NULL, PUSH, 0, 1},
    {"escaped slash", "{\"json_pointer\": \"/a~1b\", \"equals\": \"slash\"}", NULL, PUSH, 0, 1},
    {"escaped tilde", "{\"json_pointer\": \"/m~0n\", \"equals\": \"tilde\"}", NULL, PUSH, 0, 1},
    {"whole document", "{\"json_pointer\": \"\", \"equals\": \"push\"}", NULL, "\"push\"", 0, 1},
    /* missing fields */
    {"missing: equals", "{\"json_pointer\": \"/nope\", \"equals\": null}", NULL, PUSH, 0, 0},
    {"missing: in", "{\"json_pointer\": \"/nope\", \"in\": [null, 0, \"\"]}", NULL, PUSH, 0, 0},
    {"missing: prefix", "{\"json_pointer\": \"/nope\", \"prefix\": \"\"}", NULL, PUSH, 0, 0},
    {"missing: exists", "{\"json_pointer\": \"/nope\", \"exists\": true}", NULL, PUSH, 0, 0},
    {"missing: exists false", "{\"json_pointer\": \"/nope\", \"exists\": false}", NULL, PUSH, 0,
     1},
    {"through a string", "{\"json_pointer\": \"/action/0\", \"exists\": false}", NULL, PUSH, 0,
     1},
    /* bodies that are not JSON match no pointer */
    {"not JSON: exists", "{\"json_pointer\": \"\", \"exists\": true}", NULL, "a=1&b=2", 0, 0},
    {"not JSON: exists false", "{\"json_pointer\": \"/a\", \"exists\": false}", NULL, "a=1", 0,
     1},
    {"empty body", "{\"json_pointer\": \"\", \"exists\": true}", NULL, "", 0, 0},
    {"truncated JSON", "{\"json_pointer\": \"/a\", \"exists\": true}", NULL, "{\"a\": 1", 0, 0},
    /* numbers past every number type: valid JSON, so they exist, equal nothing, and
     * leave the rest of the body to match */
    {"number beyond a double exists", "{\"json_pointer\": \"/n\", \"exists\": true}", NULL,
     "{\"n\": 1e400}", 0, 1},
    {"number beyond a double equals nothing", "{\"json_pointer\": \"/n\", \"in\": [0, 1e300]}",
     NULL, "{\"n\": 1e400}", 0, 0},
    {"integer beyond 64 bits exists", "{\"json_pointer\": \"/n\", \"exists\": true}", NULL,
     "{\"n\": 99999999999999999999, \"a\": 1}", 0, 1},
    {"beside an integer beyond 64 bits", "{\"json_pointer\": \"/a\", \"equals\": 1}", NULL,
     "{\"n\": 99999999999999999999, \"a\": 1}", 0, 1},
    {"NUL inside a string", "{\"json_pointer\": \"/s\", \"prefix\": \"a\"}", NULL,
     "{\"s\": \"a\\u0000b\"}", 0, 1},
    {"NUL: not equal to its prefix", "{\"json_pointer\": \"/s\", \"equals\": \"a\"}", NULL,
     "{\"s\": \"a\\u0000b\"}", 0, 0},
    {"bytes after JSON", "{\"json_pointer\": \"/a\", \"exists\": true}", NULL, "{\"a\": 1} x",
     0, 0},
    /* all, any, not, nested */
    {"all true", "{\"all\": [{\"header\": \"X-GitHub-Event\", \"equals\": \"issues\"},"
                 " {\"json_pointer\": \"/action\", \"in\": [\"opened\", \"closed\"]}]}",
     "issues", PUSH, 0, 1},
    {"all one false", "{\"all\": [{\"header\": \"X-GitHub-Event\", \"equals\": \"issues\"},"
                      " {\"json_pointer\": \"/action\", \"in\": [\"closed\"]}]}",
     "issues", PUSH, 0, 0},
    {"any one true", "{\"any\": [{\"header\": \"X-GitHub-Event\", \"equals\": \"issues\"},"
                     " {\"json_pointer\": \"/n\", \"equals\": 1}]}",
     "push", PUSH, 0, 1},
    {"any none", "{\"any\": [{\"header\": \"X-GitHub-Event\", \"equals\": \"issues\"},"
                 " {\"json_pointer\": \"/n\", \"equals\": 2}]}",
     "push", PUSH, 0, 0},
    {"not", "{\"not\": {\"header\": \"X-GitHub-Event\", \"equals\": \"ping\"}}", "push", "", 0,
     1},
    {"not not", "{\"not\": {\"not\": {\"header\": \"X-GitHub-Event\", \"equals\": \"ping\"}}}",
     "push", "", 0, 0},
    {"nested", "{\"any\": [{\"all\": [{\"header\": \"X-GitHub-Event\", \"equals\": \"push\"},"
               " {\"not\": {\"json_pointer\": \"/ref\", \"prefix\": \"refs/tags/\"}}]},"
               " {\"json_pointer\": \"/o/q/0\", \"equals\": false}]}",
     "push", PUSH, 0, 1},
    {"not over a non-JSON body", "{\"not\": {\"json_pointer\": \"/a\", \"equals\": 1}}", NULL,
     "<xml/>", 0, 1},
};

static void run_match_case(void **state)
{
    const struct match_case *c = *state;
    json_error_t jerr;
    json_t *spec = json_loads(c->filter, 0, &jerr);
    struct headers h;
    struct filter *f;
    struct filter_subject *s;
    struct error err;
    size_t len = c->body_len != 0 ? c->body_len : strlen(c->body);

    if (spec == NULL)
        fail_msg("filter text: %s", jerr.text);
    error_clear(&err);
    f = filter_parse(spec, "filter", &err);
    json_decref(spec); /* the filter keeps copies */
    if (f == NULL)
        fail_msg("filter refused: %s", err.msg);
    headers_init(&h);
    headers_add(&h, "Content-Type", "application/json");
    if (c->event != NULL)
        headers_add(&h, "X-GitHub-Event", c->event);
    s = filter_subject_new(&h, c->body, len);
    assert_int_equal(filter_match(f, s), c->expected);
    /* Evaluating again (the body is read once) gives the same answer. */
    assert_int_equal(filter_match(f, s), c->expected);
    filter_subject_free(s);
    filter_free(f);
    headers_free(&h);
}

/* No filter: every webhook, JSON or not. */
static void no_filter_passes_everything(void **state)
{
    struct filter_subject *s = filter_subject_new(NULL, "\xff", 1);

    (void)state;
    assert_int_equal(filter_match(NULL, s), 1);
    filter_subject_free(s);
    filter_free(NULL);
    filter_subject_free(NULL);
}

/* Nesting has a bound, so a hostile config cannot exhaust the stack. */
static void nesting_is_bounded(void **state)
{
    char text[4096] = "";
    json_t *spec;
    struct error err;
    struct filter *f;

    (void)state;
    for (int i = 0; i <= FILTER_DEPTH_MAX; i++)
        strcat(text, "{\"not\": ");
    strcat(text, "{\"header\": \"X\", \"exists\": true}");
    for (int i = 0; i <= FILTER_DEPTH_MAX; i++)
        strcat(text, "}");
    spec = json_loads(text, 0, NULL);
    assert_non_null(spec);
    error_clear(&err);
    f = filter_parse(spec, "filter", &err);
    assert_null(f);
    assert_int_equal(err.code, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, ": nested too deep"));
    json_decref(spec);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(CASES) / sizeof(CASES[0]) + 2];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        struct CMUnitTest t = {CASES[i].name, run_match_case, NULL, NULL, (void *)&CASES[i]};

        tests[n++] = t;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(no_filter_passes_everything);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(nesting_is_bounded);
    return _cmocka_run_group_tests("filter", tests, n, NULL, NULL);
}
