/*
 * test_envelope: build -> parse keeps every byte of the body (UTF-8 text,
 * binary with NUL and 0xff, empty) and of the raw key; the built document has
 * DESIGN.md's field order; header values that are not UTF-8 read as Latin-1;
 * attempts and outcome survive dump -> parse; malformed envelopes are refused
 * with HS_ERR_INPUT and a message that says what is wrong; awkward bodies, keys,
 * headers and paths build, parse and dump back to the very same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope.h"
#include "error.h"
#include "headers.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-22T03:04:05.123Z */
#define T0 1795316645123LL

/* Builds an envelope for source "github" with two headers and parses it back. */
static struct envelope *build_parse(const void *key, size_t key_len, const void *body,
                                    size_t body_len, char **text_out)
{
    struct headers h;
    struct envelope_request req = {"POST", "/hooks/github", "", "203.0.113.9", &h};
    struct envelope *e;
    struct error err;
    size_t len;
    char *text;

    headers_init(&h);
    headers_add(&h, "Content-Type", "application/json");
    headers_add(&h, "X-GitHub-Event", "push");
    text = envelope_build("github", key, key_len, T0, &req, NULL, body, body_len, &len);
    headers_free(&h);
    assert_int_equal(strlen(text), len);
    error_clear(&err);
    e = envelope_parse(text, len, &err);
    if (e == NULL)
        fail_msg("parse: %s", err.msg);
    if (text_out != NULL)
        *text_out = text;
    else
        free(text);
    return e;
}

/* The document handler writes, field for field and in DESIGN.md's order. */
static void test_build_exact(void **state)
{
    char *text;
    struct envelope *e = build_parse("d-1", 3, "{\"a\":1}", 7, &text);

    (void)state;
    assert_string_equal(text, "{\"v\":1,\"source\":\"github\",\"key\":\"d-1\","
                              "\"received_at\":\"2026-11-22T03:04:05.123Z\","
                              "\"request\":{\"method\":\"POST\",\"path\":\"/hooks/github\","
                              "\"query\":\"\",\"remote_addr\":\"203.0.113.9\","
                              "\"headers\":[[\"Content-Type\",\"application/json\"],"
                              "[\"X-GitHub-Event\",\"push\"]]},"
                              "\"body\":\"{\\\"a\\\":1}\",\"body_encoding\":\"utf8\"}");
    assert_string_equal(envelope_source(e), "github");
    assert_string_equal(envelope_key(e), "d-1");
    assert_int_equal(envelope_routed(e), 0);
    assert_int_equal(envelope_destination_count(e), 0);
    assert_int_equal(envelope_attempt_count(e, "default"), 0);
    free(text);
    envelope_free(e);
}

struct body_case {
    const char *name;
    const char *body;
    size_t len;
    const char *encoding;
};

static const struct body_case BODY_CASES[] = {
    {"body: JSON text", "{\"a\":\"b\"}", 9, "utf8"},
    {"body: multi-byte UTF-8", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14, "utf8"},
    {"body: control characters", "a\tb\r\n\x01", 6, "utf8"},
    {"body: empty", "", 0, "utf8"},
    {"body: NUL byte", "a\0b", 3, "base64"},
    {"body: 0xff", "\xff\xfe\x00\x01", 4, "base64"},
    {"body: truncated UTF-8", "ab\xe2\x9c", 4, "base64"},
    {"body: overlong encoding", "\xc0\xaf", 2, "base64"},
    {"body: UTF-16 surrogate", "\xed\xa0\x80", 3, "base64"},
};

static void run_body_case(void **state)
{
    const struct body_case *c = *state;
    char *text;
    char expected_enc[64];
    struct envelope *e = build_parse("k", 1, c->body, c->len, &text);
    unsigned char *body;
    size_t len;
    struct error err;

    error_clear(&err);
    assert_int_equal(envelope_body(e, &body, &len, &err), 0);
    assert_int_equal(len, c->len);
    assert_memory_equal(body, c->body, c->len);
    free(body);
    snprintf(expected_enc, sizeof(expected_enc), "\"body_encoding\":\"%s\"", c->encoding);
    assert_non_null(strstr(text, expected_enc));
    free(text);
    envelope_free(e);
}

/* A key that is not UTF-8 is stored as base64 and flagged; a UTF-8 one as is. */
static void test_key_encoding(void **state)
{
    char *text;
    struct envelope *e = build_parse("k\xff\x00z", 4, "", 0, &text);

    (void)state;
    assert_string_equal(envelope_key(e), "a/8Aeg==");
    assert_non_null(strstr(text, "\"key\":\"a/8Aeg==\",\"key_encoding\":\"base64\","));
    free(text);
    envelope_free(e);

    e = build_parse("\xc3\xa9t\xc3\xa9", 5, "", 0, &text);
    assert_string_equal(envelope_key(e), "\xc3\xa9t\xc3\xa9");
    assert_null(strstr(text, "key_encoding"));
    free(text);
    envelope_free(e);
}

/* Headers come back in order; non-UTF-8 values and paths as their Latin-1 reading. */
static void test_headers_latin1(void **state)
{
    struct headers in;
    struct headers out;
    struct envelope_request req = {"POST", "/caf\xe9", "q=\xff", "", &in};
    struct envelope *e;
    struct error err;
    size_t len;
    char *text;

    (void)state;
    headers_init(&in);
    headers_add(&in, "X-Name", "caf\xe9");
    headers_add(&in, "X-Dup", "1");
    headers_add(&in, "x-dup", "2");
    text = envelope_build("s", "k", 1, T0, &req, NULL, "b", 1, &len);
    headers_free(&in);
    assert_non_null(strstr(text, "\"path\":\"/caf\xc3\xa9\",\"query\":\"q=\xc3\xbf\""));
    error_clear(&err);
    e = envelope_parse(text, len, &err);
    assert_non_null(e);
    headers_init(&out);
    envelope_headers(e, &out);
    assert_int_equal(out.n, 3);
    assert_string_equal(out.items[0].name, "X-Name");
    assert_string_equal(out.items[0].value, "caf\xc3\xa9");
    assert_string_equal(out.items[1].value, "1");
    assert_string_equal(out.items[2].name, "x-dup");
    assert_string_equal(out.items[2].value, "2");
    headers_free(&out);
    envelope_free(e);
    free(text);
}

/* What the drain records survives a dump and a parse, in DESIGN.md's order. */
static void test_attempts_outcome(void **state)
{
    char *text;
    char *dumped;
    char *again;
    struct envelope *e = build_parse("k", 1, "\xff", 1, &text);
    struct envelope *e2;
    struct error err;
    unsigned char *body;
    size_t len;
    size_t len2;

    (void)state;
    envelope_add_attempt(e, "ci", T0, 500, "server error", 12);
    envelope_add_attempt(e, "ci", T0 + 1000, 0, NULL, 15000);
    envelope_add_attempt(e, "ci", T0 + 2000, 0, "connect: refused \xff", 3);
    assert_int_equal(envelope_attempt_count(e, "ci"), 3);
    assert_int_equal(envelope_attempt_count(e, "other"), 0);
    assert_int_equal(envelope_last_status(e, "ci"), 0);
    envelope_set_due(e, "ci", 1795316700);
    assert_int_equal(envelope_due(e, "ci"), 1795316700);
    assert_null(envelope_outcome_state(e, "ci"));
    envelope_set_outcome(e, "ci", "dead", T0 + 3000, 0, "attempts exhausted");
    envelope_set_outcome(e, "ci", "done", T0 + 4000, 200, NULL);
    /* An outcome ends the destination: its due goes. */
    assert_int_equal(envelope_due(e, "ci"), 0);
    assert_string_equal(envelope_outcome_state(e, "ci"), "done");
    dumped = envelope_dump(e, 0, &len);
    assert_int_equal(strlen(dumped), len);
    assert_non_null(strstr(
        dumped, "\"body_encoding\":\"base64\",\"deliveries\":{\"ci\":{\"attempts\":["
                "{\"at\":\"2026-11-22T03:04:05.123Z\",\"status\":500,\"error\":\"server error\","
                "\"ms\":12},{\"at\":\"2026-11-22T03:04:06.123Z\",\"ms\":15000},"
                "{\"at\":\"2026-11-22T03:04:07.123Z\",\"error\":\"connect: refused \xc3\xbf\","
                "\"ms\":3}],"
                "\"outcome\":{\"state\":\"done\",\"at\":\"2026-11-22T03:04:09.123Z\","
                "\"status\":200}}}}"));

    error_clear(&err);
    e2 = envelope_parse(dumped, len, &err);
    assert_non_null(e2);
    assert_int_equal(envelope_attempt_count(e2, "ci"), 3);
    assert_int_equal(envelope_body(e2, &body, &len2, &err), 0);
    assert_int_equal(len2, 1);
    assert_int_equal(body[0], 0xff);
    free(body);
    /* Parsing and dumping again changes nothing. */
    again = envelope_dump(e2, 0, &len2);
    assert_string_equal(again, dumped);
    free(again);
    envelope_add_attempt(e2, "ci", T0, 503, NULL, 1);
    assert_int_equal(envelope_attempt_count(e2, "ci"), 4);
    assert_int_equal(envelope_last_status(e2, "ci"), 503);

    /* The indented form, for show: one field per line. */
    again = envelope_dump(e2, 1, &len2);
    assert_non_null(strstr(again, "{\n  \"v\": 1,\n  \"source\": \"github\",\n"));
    free(again);
    envelope_free(e2);
    free(dumped);
    free(text);
    envelope_free(e);
}

/* The webhook's own outcome, with a reason and no status, as for an unparseable object. */
static void test_outcome_reason(void **state)
{
    struct envelope *e = build_parse("k", 1, "b", 1, NULL);
    size_t len;
    char *dumped;

    (void)state;
    envelope_set_outcome(e, NULL, "dead", T0, 0, "410 gone");
    assert_int_equal(envelope_routed(e), 1);
    assert_string_equal(envelope_final_state(e), "dead");
    dumped = envelope_dump(e, 0, &len);
    assert_non_null(strstr(dumped, ",\"deliveries\":{},\"outcome\":{\"state\":\"dead\",\"at\":"
                                   "\"2026-11-22T03:04:05.123Z\",\"reason\":\"410 gone\"}}"));
    assert_null(strstr(dumped, "attempts"));
    free(dumped);
    envelope_free(e);
}

/* Routing records the matching destinations in order, each with no attempt. */
static void test_route(void **state)
{
    static const char *const names[] = {"ci", "tracker", "audit"};
    struct envelope *e = build_parse("k", 1, "b", 1, NULL);
    const char *got[4];
    char *dumped;

    (void)state;
    envelope_route(e, names, 3);
    assert_int_equal(envelope_routed(e), 1);
    assert_int_equal(envelope_destinations(e, got, 4), 3);
    assert_string_equal(got[0], "ci");
    assert_string_equal(got[1], "tracker");
    assert_string_equal(got[2], "audit");
    assert_int_equal(envelope_destinations(e, got, 2), 2);
    assert_int_equal(envelope_has_destination(e, "tracker"), 1);
    assert_int_equal(envelope_has_destination(e, "nope"), 0);
    dumped = envelope_dump(e, 0, NULL);
    assert_non_null(strstr(dumped, "\"deliveries\":{\"ci\":{\"attempts\":[]},"
                                   "\"tracker\":{\"attempts\":[]},\"audit\":{\"attempts\":[]}}"));
    free(dumped);
    envelope_free(e);
}

/* A replay of dead/ starts again only the destinations that gave up; the delivered ones
 * keep their record and are not called again. The old records go to "history". */
static void test_reset_delivery(void **state)
{
    static const char *const names[] = {"ci", "audit"};
    struct envelope *e = build_parse("k", 1, "b", 1, NULL);
    struct envelope *e2;
    struct error err;
    char *dumped;
    size_t len;

    (void)state;
    assert_null(envelope_replayed_at(e));
    envelope_route(e, names, 2);
    envelope_add_attempt(e, "ci", T0, 200, NULL, 3);
    envelope_set_outcome(e, "ci", "done", T0, 200, NULL);
    envelope_add_attempt(e, "audit", T0, 410, NULL, 7);
    envelope_set_outcome(e, "audit", "dead", T0, 410, "destination answered 410 gone");
    envelope_set_outcome(e, NULL, "dead", T0, 0, "audit gave up");
    /* A destination the webhook does not have: nothing changes. */
    assert_int_equal(envelope_reset_delivery(e, T0 + 1000, ENVELOPE_REPLAY_GAVE_UP, "nope"), -1);
    assert_null(envelope_replayed_at(e));
    assert_int_equal(envelope_reset_delivery(e, T0 + 1000, ENVELOPE_REPLAY_GAVE_UP, NULL), 1);
    assert_string_equal(envelope_outcome_state(e, "ci"), "done");
    assert_int_equal(envelope_attempt_count(e, "ci"), 1);
    assert_null(envelope_outcome_state(e, "audit"));
    assert_int_equal(envelope_attempt_count(e, "audit"), 0);
    assert_null(envelope_final_state(e));
    /* Nothing gave up any more: a second replay of dead/ would deliver nothing. */
    assert_int_equal(envelope_reset_delivery(e, T0 + 2000, ENVELOPE_REPLAY_GAVE_UP, NULL), -1);
    dumped = envelope_dump(e, 0, &len);
    assert_string_equal(envelope_replayed_at(e), "2026-11-22T03:04:06.123Z");
    assert_non_null(strstr(
        dumped, "\"deliveries\":{\"ci\":{\"attempts\":[{\"at\":\"2026-11-22T03:04:05.123Z\","
                "\"status\":200,\"ms\":3}],\"outcome\":{\"state\":\"done\",\"at\":"
                "\"2026-11-22T03:04:05.123Z\",\"status\":200}},\"audit\":{\"attempts\":[]}},"
                "\"replayed_at\":\"2026-11-22T03:04:06.123Z\",\"history\":["
                "{\"replayed_at\":\"2026-11-22T03:04:06.123Z\",\"deliveries\":{\"audit\":"
                "{\"attempts\":[{\"at\":\"2026-11-22T03:04:05.123Z\",\"status\":410,\"ms\":7}],"
                "\"outcome\":{\"state\":\"dead\",\"at\":\"2026-11-22T03:04:05.123Z\","
                "\"status\":410,\"reason\":\"destination answered 410 gone\"}}},"
                "\"outcome\":{\"state\":\"dead\",\"at\":\"2026-11-22T03:04:05.123Z\","
                "\"reason\":\"audit gave up\"}}]}"));
    free(dumped);
    /* A replay of done/ (or of one named destination) starts it again whatever its state. */
    assert_int_equal(envelope_reset_delivery(e, T0 + 3000, ENVELOPE_REPLAY_GAVE_UP, "ci"), 1);
    assert_int_equal(envelope_attempt_count(e, "ci"), 0);
    envelope_add_attempt(e, "ci", T0, 200, NULL, 3);
    assert_int_equal(envelope_reset_delivery(e, T0 + 4000, ENVELOPE_REPLAY_ALL, NULL), 2);
    dumped = envelope_dump(e, 0, &len);
    error_clear(&err);
    e2 = envelope_parse(dumped, len, &err);
    assert_non_null(e2);
    assert_int_equal(envelope_attempt_count(e2, "ci"), 0);
    assert_int_equal(envelope_destination_count(e2), 2);
    envelope_free(e2);
    free(dumped);
    envelope_free(e);
}

/* A webhook that matched nothing is unrouted by a replay: today's filters decide again. */
static void test_reset_filtered(void **state)
{
    struct envelope *e = build_parse("k", 1, "b", 1, NULL);

    (void)state;
    envelope_route(e, NULL, 0);
    envelope_set_outcome(e, NULL, "filtered", T0, 0, NULL);
    assert_int_equal(envelope_reset_delivery(e, T0 + 1000, ENVELOPE_REPLAY_ALL, "ci"), -1);
    assert_int_equal(envelope_reset_delivery(e, T0 + 1000, ENVELOPE_REPLAY_ALL, NULL), 0);
    assert_int_equal(envelope_routed(e), 0);
    assert_null(envelope_final_state(e));
    envelope_free(e);
}

/*
 * Envelopes written before fan-out, in that format exactly (top-level "attempts" and
 * "outcome", no "deliveries"), read as destination "default", and are written back
 * in the new format with nothing lost.
 */
static void test_one_destination_format(void **state)
{
    static const char retry[] =
        "{\"v\":1,\"source\":\"github\",\"key\":\"d-1\","
        "\"received_at\":\"2026-11-22T03:04:05.123Z\","
        "\"request\":{\"method\":\"POST\",\"path\":\"/hooks/github\",\"query\":\"\","
        "\"remote_addr\":\"203.0.113.9\",\"headers\":[[\"Content-Type\",\"application/json\"]]},"
        "\"body\":\"{}\",\"body_encoding\":\"utf8\","
        "\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\",\"status\":500,"
        "\"error\":\"HTTP 500\",\"ms\":12},{\"at\":\"2026-11-22T03:04:11.123Z\",\"ms\":15000,"
        "\"error\":\"Operation timed out\"}]}";
    static const char dead[] =
        "{\"v\":1,\"source\":\"github\",\"key\":\"d-2\","
        "\"received_at\":\"2026-11-22T03:04:05.123Z\","
        "\"request\":{\"method\":\"POST\",\"path\":\"/hooks/github\",\"query\":\"\","
        "\"remote_addr\":\"\",\"headers\":[]},\"body\":\"x\",\"body_encoding\":\"utf8\","
        "\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\",\"status\":410,\"ms\":2}],"
        "\"outcome\":{\"state\":\"dead\",\"at\":\"2026-11-22T03:04:06.124Z\",\"status\":410,"
        "\"reason\":\"destination answered 410 gone\"}}";
    struct envelope *e;
    struct error err;
    const char *names[2];
    char *dumped;
    size_t len;

    (void)state;
    error_clear(&err);
    e = envelope_parse(retry, sizeof(retry) - 1, &err);
    assert_non_null(e);
    assert_int_equal(envelope_routed(e), 1);
    assert_int_equal(envelope_destinations(e, names, 2), 1);
    assert_string_equal(names[0], ENVELOPE_LEGACY_DESTINATION);
    assert_int_equal(envelope_attempt_count(e, "default"), 2);
    assert_int_equal(envelope_last_status(e, "default"), 0);
    assert_null(envelope_outcome_state(e, "default"));
    assert_int_equal(envelope_due(e, "default"), 0);
    assert_null(envelope_final_state(e));
    dumped = envelope_dump(e, 0, &len);
    assert_non_null(strstr(dumped, "\"body_encoding\":\"utf8\",\"deliveries\":{\"default\":"
                                   "{\"attempts\":[{\"at\":\"2026-11-22T03:04:06.123Z\","
                                   "\"status\":500,\"error\":\"HTTP 500\",\"ms\":12},"));
    assert_null(strstr(dumped, "}],\"attempts\""));
    free(dumped);
    envelope_free(e);

    e = envelope_parse(dead, sizeof(dead) - 1, &err);
    assert_non_null(e);
    assert_string_equal(envelope_outcome_state(e, "default"), "dead");
    assert_int_equal(envelope_last_status(e, "default"), 410);
    assert_string_equal(envelope_final_state(e), "dead");
    /* Its replay starts "default" again, as before fan-out. */
    assert_int_equal(envelope_reset_delivery(e, T0 + 5000, ENVELOPE_REPLAY_GAVE_UP, NULL), 1);
    assert_int_equal(envelope_attempt_count(e, "default"), 0);
    assert_null(envelope_final_state(e));
    envelope_free(e);
}

/* Fields from a newer writer are kept through parse and dump. */
static void test_unknown_fields_kept(void **state)
{
    static const char text[] =
        "{\"v\":1,\"source\":\"s\",\"key\":\"k\",\"request\":{\"headers\":[]},"
        "\"body\":\"\",\"body_encoding\":\"utf8\",\"trace\":{\"id\":7}}";
    struct envelope *e;
    struct error err;
    char *dumped;
    size_t len;

    (void)state;
    error_clear(&err);
    e = envelope_parse(text, strlen(text), &err);
    assert_non_null(e);
    dumped = envelope_dump(e, 0, &len);
    assert_string_equal(dumped, text);
    free(dumped);
    envelope_free(e);
}

static void test_bad_base64_body(void **state)
{
    static const char text[] =
        "{\"v\":1,\"source\":\"s\",\"key\":\"k\",\"request\":{\"headers\":[]},"
        "\"body\":\"!!!!\",\"body_encoding\":\"base64\"}";
    struct envelope *e;
    struct error err;
    unsigned char *body;
    size_t len;

    (void)state;
    error_clear(&err);
    e = envelope_parse(text, strlen(text), &err);
    assert_non_null(e);
    assert_int_equal(envelope_body(e, &body, &len, &err), -1);
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_string_equal(err.msg, "envelope: \"body\" is not valid base64");
    assert_null(body);
    envelope_free(e);
}

struct bad_case {
    const char *name;
    const char *text;
    const char *expected;
};

#define REQ "\"request\":{\"headers\":[]}"
#define BODY "\"body\":\"\",\"body_encoding\":\"utf8\""
#define HEAD "\"v\":1,\"source\":\"s\",\"key\":\"k\""

static const struct bad_case BAD_CASES[] = {
    {"bad: not JSON", "{\"v\":1,", "envelope: 1:7: string or '}' expected near end of file"},
    {"bad: empty", "", "envelope: 1:0: '[' or '{' expected near end of file"},
    {"bad: array", "[1]", "envelope: not a JSON object"},
    {"bad: duplicate key", "{\"v\":1,\"v\":1}",
     "envelope: 1:10: duplicate object key near '\"v\"'"},
    {"bad: v missing", "{\"source\":\"s\",\"key\":\"k\"," REQ "," BODY "}",
     "envelope: \"v\" must be 1"},
    {"bad: v 2", "{\"v\":2,\"source\":\"s\",\"key\":\"k\"," REQ "," BODY "}",
     "envelope: \"v\" must be 1"},
    {"bad: v string", "{\"v\":\"1\",\"source\":\"s\",\"key\":\"k\"," REQ "," BODY "}",
     "envelope: \"v\" must be 1"},
    {"bad: source missing", "{\"v\":1,\"key\":\"k\"," REQ "," BODY "}",
     "envelope: \"source\" missing"},
    {"bad: source number", "{\"v\":1,\"source\":1,\"key\":\"k\"," REQ "," BODY "}",
     "envelope: \"source\" must be a string"},
    {"bad: key missing", "{\"v\":1,\"source\":\"s\"," REQ "," BODY "}",
     "envelope: \"key\" missing"},
    {"bad: key null", "{\"v\":1,\"source\":\"s\",\"key\":null," REQ "," BODY "}",
     "envelope: \"key\" must be a string"},
    {"bad: key_encoding", "{" HEAD ",\"key_encoding\":\"hex\"," REQ "," BODY "}",
     "envelope: \"key_encoding\" must be \"utf8\" or \"base64\""},
    {"bad: received_at number", "{" HEAD ",\"received_at\":5," REQ "," BODY "}",
     "envelope: \"received_at\" must be a string"},
    {"bad: request missing", "{" HEAD "," BODY "}",
     "envelope: \"request\" missing or not an object"},
    {"bad: request array", "{" HEAD ",\"request\":[]," BODY "}",
     "envelope: \"request\" missing or not an object"},
    {"bad: method number", "{" HEAD ",\"request\":{\"method\":1,\"headers\":[]}," BODY "}",
     "envelope: request \"method\" must be a string"},
    {"bad: headers missing", "{" HEAD ",\"request\":{}," BODY "}",
     "envelope: \"request.headers\" missing or not an array"},
    {"bad: header not a pair", "{" HEAD ",\"request\":{\"headers\":[[\"a\"]]}," BODY "}",
     "envelope: \"request.headers[0]\" must be [name, value] strings"},
    {"bad: header three strings",
     "{" HEAD ",\"request\":{\"headers\":[[\"a\",\"b\"],[\"a\",\"b\",\"c\"]]}," BODY "}",
     "envelope: \"request.headers[1]\" must be [name, value] strings"},
    {"bad: header value number", "{" HEAD ",\"request\":{\"headers\":[[\"a\",1]]}," BODY "}",
     "envelope: \"request.headers[0]\" must be [name, value] strings"},
    {"bad: header object", "{" HEAD ",\"request\":{\"headers\":[{}]}," BODY "}",
     "envelope: \"request.headers[0]\" must be [name, value] strings"},
    {"bad: body missing", "{" HEAD "," REQ ",\"body_encoding\":\"utf8\"}",
     "envelope: \"body\" missing"},
    {"bad: body number", "{" HEAD "," REQ ",\"body\":1,\"body_encoding\":\"utf8\"}",
     "envelope: \"body\" must be a string"},
    {"bad: body_encoding missing", "{" HEAD "," REQ ",\"body\":\"\"}",
     "envelope: \"body_encoding\" missing"},
    {"bad: body_encoding hex", "{" HEAD "," REQ ",\"body\":\"\",\"body_encoding\":\"hex\"}",
     "envelope: \"body_encoding\" must be \"utf8\" or \"base64\""},
    {"bad: body with NUL escape",
     "{" HEAD "," REQ ",\"body\":\"a\\u0000\",\"body_encoding\":\"utf8\"}",
     "envelope: 1:71: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000\"'"},
    {"bad: attempts object", "{" HEAD "," REQ "," BODY ",\"attempts\":{}}",
     "envelope: \"attempts\" must be an array"},
    {"bad: outcome string", "{" HEAD "," REQ "," BODY ",\"outcome\":\"done\"}",
     "envelope: \"outcome\" must be an object with a \"state\""},
    {"bad: deliveries array", "{" HEAD "," REQ "," BODY ",\"deliveries\":[]}",
     "envelope: \"deliveries\" must be an object"},
    {"bad: delivery not an object", "{" HEAD "," REQ "," BODY ",\"deliveries\":{\"ci\":1}}",
     "envelope: \"deliveries\" members must be objects"},
    {"bad: delivery attempts", "{" HEAD "," REQ "," BODY ",\"deliveries\":{\"ci\":"
     "{\"attempts\":[1]}}}",
     "envelope: deliveries member \"attempts[0]\" must be an object"},
    {"bad: delivery due", "{" HEAD "," REQ "," BODY ",\"deliveries\":{\"ci\":{\"due\":\"x\"}}}",
     "envelope: deliveries member \"due\" must be an integer"},
};

static void run_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct envelope *e;
    struct error err;

    error_clear(&err);
    e = envelope_parse(c->text, strlen(c->text), &err);
    if (e != NULL) {
        envelope_free(e);
        fail_msg("accepted, expected \"%s\"", c->expected);
    }
    assert_int_equal(err.code, HS_ERR_INPUT);
    assert_string_equal(err.msg, c->expected);
}

/*
 * Awkward text, for the round trip: every escape jansson knows, every other control
 * character, DEL, '/', quotes and backslashes at both ends, multi-byte UTF-8 of each
 * length, U+2028, U+FFFF, U+10FFFF, and bytes that are not UTF-8.
 */
static const char *const FRAGMENTS[] = {
    "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f", "\x7f", "\x0b", "\x1b",
    "a", "{\"k\":[1,2]}", " ", "\xc3\xa9", "\xe2\x80\xa8", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
    "\xf0\x9f\x98\x80", "\\u0000", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\x80",
};

/* A text of up to 12 fragments chosen by *seed; NUL-free, so also a header value. */
static size_t awkward_text(uint32_t *seed, char *out, size_t cap)
{
    size_t n = 0;
    size_t parts;

    *seed = *seed * 1103515245u + 12345u;
    parts = (*seed >> 16) % 13;
    for (size_t i = 0; i < parts; i++) {
        const char *f;

        *seed = *seed * 1103515245u + 12345u;
        f = FRAGMENTS[(*seed >> 16) % ARRAY_LEN(FRAGMENTS)];
        assert_true(n + strlen(f) < cap);
        memcpy(out + n, f, strlen(f));
        n += strlen(f);
    }
    out[n] = '\0';
    return n;
}

/*
 * The built text parses, gives back every byte of body and key and every header, and
 * dumps again to the very same bytes: what envelope_build writes is what jansson's
 * compact dump of the same document writes, so stored envelopes read and rewrite
 * unchanged whichever side wrote them. Over 3000 seeded awkward bodies, keys, header
 * values and paths.
 */
static void test_round_trip_awkward(void **state)
{
    uint32_t seed = 20261201;

    (void)state;
    for (int round = 0; round < 3000; round++) {
        char body[256], key[256], value[256], path[256];
        size_t body_len = awkward_text(&seed, body, sizeof(body));
        size_t key_len = awkward_text(&seed, key, sizeof(key));
        struct headers in;
        struct headers out;
        struct envelope_request req;
        struct envelope *e;
        struct error err;
        unsigned char *got;
        size_t got_len;
        size_t len;
        size_t dumped_len;
        char *text;
        char *dumped;

        awkward_text(&seed, value, sizeof(value));
        awkward_text(&seed, path, sizeof(path));
        /* A NUL in the body, now and then: base64. */
        if (round % 7 == 0 && body_len > 0)
            body[body_len / 2] = '\0';
        headers_init(&in);
        headers_add(&in, "X-Awkward", value);
        headers_add(&in, "Content-Type", "application/json");
        req = (struct envelope_request){"POST", path, value, path, &in};
        text = envelope_build("github", key_len > 0 ? key : "k", key_len > 0 ? key_len : 1, T0,
                              &req, NULL, body, body_len, &len);
        assert_int_equal(strlen(text), len);
        error_clear(&err);
        e = envelope_parse(text, len, &err);
        if (e == NULL)
            fail_msg("round %d: parse: %s in %s", round, err.msg, text);
        assert_int_equal(envelope_body(e, &got, &got_len, &err), 0);
        assert_int_equal(got_len, body_len);
        assert_memory_equal(got, body, body_len);
        free(got);
        headers_init(&out);
        envelope_headers(e, &out);
        assert_int_equal(out.n, 2);
        assert_string_equal(out.items[1].value, "application/json");
        headers_free(&out);
        dumped = envelope_dump(e, 0, &dumped_len);
        if (dumped_len != len || memcmp(dumped, text, len) != 0)
            fail_msg("round %d: built  %s\n  dumped %s", round, text, dumped);
        free(dumped);
        envelope_free(e);
        free(text);
        headers_free(&in);
    }
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_build_exact),       cmocka_unit_test(test_key_encoding),
        cmocka_unit_test(test_headers_latin1),    cmocka_unit_test(test_attempts_outcome),
        cmocka_unit_test(test_outcome_reason),    cmocka_unit_test(test_unknown_fields_kept),
        cmocka_unit_test(test_bad_base64_body),   cmocka_unit_test(test_reset_delivery),
        cmocka_unit_test(test_route),             cmocka_unit_test(test_reset_filtered),
        cmocka_unit_test(test_one_destination_format),
        cmocka_unit_test(test_round_trip_awkward),
    };
    struct CMUnitTest tests[ARRAY_LEN(fixed) + ARRAY_LEN(BODY_CASES) + ARRAY_LEN(BAD_CASES)];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ARRAY_LEN(BODY_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = BODY_CASES[i].name,
            .test_func = run_body_case,
            .initial_state = (void *)&BODY_CASES[i],
        };
    }
    for (size_t i = 0; i < ARRAY_LEN(BAD_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = BAD_CASES[i].name,
            .test_func = run_bad_case,
            .initial_state = (void *)&BAD_CASES[i],
        };
    }
    return cmocka_run_group_tests_name("envelope", tests, NULL, NULL);
}
