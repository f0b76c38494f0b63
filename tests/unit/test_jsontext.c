/*
 * RFC 8259 validation and RFC 6901 lookup over raw text: what a tree parser refuses
 * but the RFC allows (huge numbers, lone surrogates, \u0000, deep nesting) passes;
 * what the RFC forbids (trailing bytes, bad UTF-8, control characters, leading zeros)
 * does not; pointers take the RFC 6901 examples, a number's literal text and the last
 * of repeated names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "xmalloc.h"

struct text_case {
    const char *text;
    size_t len; /* 0: strlen */
};

static int validate(const struct text_case *c)
{
    struct error err;

    error_clear(&err);
    return jsontext_validate(c->text, c->len != 0 ? c->len : strlen(c->text), &err);
}

static void test_accepts_every_rfc8259_text(void **state)
{
    static const struct text_case valid[] = {
        {"{}", 0}, {"[]", 0}, {"0", 0}, {"-0", 0}, {"\"\"", 0}, {"true", 0}, {"false", 0},
        {"null", 0}, {" \t\r\n{ \"a\" : [ 1 , 2 ] } \n", 0},
        {"18446744073709551615", 0}, {"-18446744073709551616", 0},
        {"{\"id\": 123456789012345678901234567890}", 0}, {"1e400", 0}, {"-1E-400", 0},
        {"1.5e+10", 0}, {"0.000000000000000000000000000001", 0},
        {"\"\\u0000\"", 0}, {"\"\\ud800\"", 0}, {"\"\\udc00\\ud800\"", 0},
        {"\"\\ud83d\\ude00\"", 0}, {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0},
        {"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", 0}, {"\"\x7f\"", 0},
        {"\xef\xbb\xbf{\"bom\": true}", 0}, {"{\"a\": 1, \"a\": 2}", 0},
        {"[[[[[[[[[[]]]]]]]]]]", 0}, {"{\"\": {\"\": {}}}", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        if (validate(&valid[i]) != 0)
            fail_msg("refused valid text %zu: %s", i, valid[i].text);
    }
}

static void test_refuses_what_rfc8259_forbids(void **state)
{
    static const struct text_case invalid[] = {
        {"", 0}, {" ", 0}, {"{", 0}, {"[1,]", 0}, {"{\"a\":1,}", 0}, {"{\"a\"}", 0},
        {"{a:1}", 0}, {"[1 2]", 0}, {"{} {}", 0}, {"1 x", 0}, {"01", 0}, {"-", 0},
        {"1.", 0}, {".5", 0}, {"1e", 0}, {"+1", 0}, {"0x10", 0}, {"NaN", 0},
        {"Infinity", 0}, {"tru", 0}, {"nul", 0}, {"'a'", 0}, {"\"a", 0},
        {"\"\\x\"", 0}, {"\"\\u12\"", 0}, {"\"\\u12g4\"", 0}, {"\"a\tb\"", 0},
        {"\"\x01\"", 0}, {"\"\xff\"", 0}, {"\"\xc0\xaf\"", 0}, {"\"\xed\xa0\x80\"", 0},
        {"\"\xf4\x90\x80\x80\"", 0}, {"\"\xe2\x82\"", 0}, {"[1]]", 0}, {"{]", 0}, {"[}", 0},
        {"\xef\xbb", 0}, {"\xef\xbb\xbf", 0}, {"\xef\xbb\xbf\xef\xbb\xbf{}", 0},
        {"{\"a\":1}\0", 8}, {"\0", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        if (validate(&invalid[i]) == 0)
            fail_msg("accepted invalid text %zu: %s", i, invalid[i].text);
    }
}

static void test_error_names_the_offset(void **state)
{
    struct error err;

    (void)state;
    error_clear(&err);
    assert_int_equal(jsontext_validate("{\"a\": 1} x", 10, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_string_equal(err.tag, "invalid_json");
    assert_non_null(strstr(err.msg, "at byte 9"));
}

/* Nesting costs heap bits, not stack: a million levels pass, one unclosed fails. */
static void test_deep_nesting(void **state)
{
    size_t depth = 1000000;
    char *text = xmalloc(2 * depth + 1);
    struct error err;

    (void)state;
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    error_clear(&err);
    assert_int_equal(jsontext_validate(text, 2 * depth, &err), 0);
    assert_int_equal(jsontext_validate(text, 2 * depth - 1, &err), -1);
    for (size_t i = 0; i < depth; i++)
        text[i] = (char)(i % 2 == 0 ? '[' : '{');
    assert_int_equal(jsontext_validate(text, 2 * depth, &err), -1);
    free(text);
}

struct pointer_case {
    const char *pointer;
    int rc;
    enum jsontext_type type;
    const char *raw; /* the value's text when found */
};

static void check_pointers(const char *doc, const struct pointer_case *cases, size_t n)
{
    struct error err;

    error_clear(&err);
    assert_int_equal(jsontext_validate(doc, strlen(doc), &err), 0);
    for (size_t i = 0; i < n; i++) {
        struct jsontext_value v;
        int rc = jsontext_pointer(doc, strlen(doc), cases[i].pointer, &v);

        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].pointer, rc, cases[i].rc);
        if (rc != 1)
            continue;
        if (v.type != cases[i].type || v.raw_len != strlen(cases[i].raw) ||
            memcmp(v.raw, cases[i].raw, v.raw_len) != 0)
            fail_msg("%s: got '%.*s'", cases[i].pointer, (int)v.raw_len, v.raw);
    }
}

/* RFC 6901 section 5, plus malformed pointers and steps that lead nowhere. */
static void test_rfc6901_examples(void **state)
{
    static const char doc[] =
        "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3, \"g|h\": 4,"
        " \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8}";
    static const struct pointer_case cases[] = {
        {"", 1, JSONTEXT_OBJECT, doc},
        {"/foo", 1, JSONTEXT_ARRAY, "[\"bar\", \"baz\"]"},
        {"/foo/0", 1, JSONTEXT_STRING, "\"bar\""},
        {"/foo/1", 1, JSONTEXT_STRING, "\"baz\""},
        {"/", 1, JSONTEXT_NUMBER, "0"},
        {"/a~1b", 1, JSONTEXT_NUMBER, "1"},
        {"/c%d", 1, JSONTEXT_NUMBER, "2"},
        {"/e^f", 1, JSONTEXT_NUMBER, "3"},
        {"/g|h", 1, JSONTEXT_NUMBER, "4"},
        {"/i\\j", 1, JSONTEXT_NUMBER, "5"},
        {"/k\"l", 1, JSONTEXT_NUMBER, "6"},
        {"/ ", 1, JSONTEXT_NUMBER, "7"},
        {"/m~0n", 1, JSONTEXT_NUMBER, "8"},
        {"/foo/2", 0, JSONTEXT_NULL, NULL},
        {"/foo/01", 0, JSONTEXT_NULL, NULL},
        {"/foo/-", 0, JSONTEXT_NULL, NULL},
        {"/foo/99999999999999999999", 0, JSONTEXT_NULL, NULL},
        {"/nope", 0, JSONTEXT_NULL, NULL},
        {"/foo/0/x", 0, JSONTEXT_NULL, NULL},
        {"/nope/m~2n", -1, JSONTEXT_NULL, NULL},
        {"foo", -1, JSONTEXT_NULL, NULL},
        {"/m~2n", -1, JSONTEXT_NULL, NULL},
        {"/m~", -1, JSONTEXT_NULL, NULL},
    };

    (void)state;
    assert_int_equal(strcmp(cases[0].raw, doc), 0);
    check_pointers(doc, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_pointer_values_as_written(void **state)
{
    static const char doc[] =
        "\xef\xbb\xbf { \"big\": 18446744073709551615, \"huge\": 1e400, \"neg\": -0.5,"
        " \"a\": {\"id\": 1}, \"a\": {\"id\": 2}, \"esc\\u0041\": true, \"n\": null,"
        " \"deep\": [[], {}, [1, {\"x\": \"y\"}]], \"f\": false } ";
    static const struct pointer_case cases[] = {
        {"/big", 1, JSONTEXT_NUMBER, "18446744073709551615"},
        {"/huge", 1, JSONTEXT_NUMBER, "1e400"},
        {"/neg", 1, JSONTEXT_NUMBER, "-0.5"},
        {"/a/id", 1, JSONTEXT_NUMBER, "2"},
        {"/escA", 1, JSONTEXT_TRUE, "true"},
        {"/n", 1, JSONTEXT_NULL, "null"},
        {"/f", 1, JSONTEXT_FALSE, "false"},
        {"/deep/2/1/x", 1, JSONTEXT_STRING, "\"y\""},
        {"/deep/0/0", 0, JSONTEXT_NULL, NULL},
        {"/deep/1/x", 0, JSONTEXT_NULL, NULL},
    };

    (void)state;
    check_pointers(doc, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_string_decoding(void **state)
{
    static const struct {
        const char *doc;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"\"plain\"", "plain", 5},
        {"\"a\\u0000b\"", "a\0b", 3},
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
        {"\"\\u00e9\\u20AC\"", "\xc3\xa9\xe2\x82\xac", 5},
        {"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
        {"\"\\ud800x\"", "\xed\xa0\x80x", 4},
        {"\"\\udc00\\ud800\"", "\xed\xb0\x80\xed\xa0\x80", 6},
        {"\"caf\xc3\xa9\"", "caf\xc3\xa9", 5},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jsontext_value v;
        struct error err;
        size_t len;
        char *s;

        error_clear(&err);
        assert_int_equal(jsontext_validate(cases[i].doc, strlen(cases[i].doc), &err), 0);
        assert_int_equal(jsontext_pointer(cases[i].doc, strlen(cases[i].doc), "", &v), 1);
        assert_int_equal(v.type, JSONTEXT_STRING);
        s = jsontext_string(&v, &len);
        if (len != cases[i].len || memcmp(s, cases[i].bytes, len) != 0)
            fail_msg("case %zu: decoded %zu bytes", i, len);
        free(s);
    }
}

/* A member name with escapes matches the pointer token it decodes to, NUL included. */
static void test_escaped_names_match(void **state)
{
    static const char doc[] = "{\"a\\u0000b\": 1, \"\\u002f\": 2, \"\\ud83d\\ude00\": 3}";
    static const char nul_pointer[] = "/a\0b";
    struct jsontext_value v;
    struct error err;

    (void)state;
    error_clear(&err);
    assert_int_equal(jsontext_validate(doc, strlen(doc), &err), 0);
    /* A C-string pointer cannot hold a NUL: "/a" stops there and names no member. */
    assert_int_equal(jsontext_pointer(doc, strlen(doc), nul_pointer, &v), 0);
    assert_int_equal(jsontext_pointer(doc, strlen(doc), "/~1", &v), 1);
    assert_int_equal(v.raw[0], '2');
    assert_int_equal(jsontext_pointer(doc, strlen(doc), "/\xf0\x9f\x98\x80", &v), 1);
    assert_int_equal(v.raw[0], '3');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts_every_rfc8259_text),
        cmocka_unit_test(test_refuses_what_rfc8259_forbids),
        cmocka_unit_test(test_error_names_the_offset),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_rfc6901_examples),
        cmocka_unit_test(test_pointer_values_as_written),
        cmocka_unit_test(test_string_decoding),
        cmocka_unit_test(test_escaped_names_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
