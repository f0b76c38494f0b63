/*
 * test_key: idempotency-key encoding (plain bytes kept, everything else %XX,
 * a leading '.' encoded, long keys hashed exactly past 200 bytes), object
 * keys built and split again for all four states, malformed object keys
 * refused, source names, and the shard hash.
 *
 * Expected SHA-256 values were computed independently (Python hashlib).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "key.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Hex digits of the length a hashed name has (64), one short, and not hex. */
#define HEX64 "7ffe4ce6d10a40a0c0343b1932b4c5636c4a9914f7ad186c09a37dccc5a9a24a"
#define HEX63 "7ffe4ce6d10a40a0c0343b1932b4c5636c4a9914f7ad186c09a37dccc5a9a24"
#define HEX64_UPPER "7FFE4CE6D10A40A0C0343B1932B4C5636C4A9914F7AD186C09A37DCCC5A9A24A"
#define NON_HEX64 "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"
#define HASHED_LOOKALIKE "sha256-" HEX64

struct encode_case {
    const char *name;
    const char *raw;
    size_t len;
    const char *expected;
};

static const struct encode_case ENCODE_CASES[] = {
    {"encode: plain stays", "abc", 3, "abc"},
    {"encode: all plain classes", "AZaz09._-", 9, "AZaz09._-"},
    {"encode: slash", "a/b", 3, "a%2Fb"},
    {"encode: dot-dot-slash", "../x", 4, "%2E.%2Fx"},
    {"encode: leading dot", ".x", 2, "%2Ex"},
    {"encode: lone dot", ".", 1, "%2E"},
    {"encode: inner and trailing dots", "a..b.", 5, "a..b."},
    {"encode: NUL", "a\0b", 3, "a%00b"},
    {"encode: space", "a b", 3, "a%20b"},
    {"encode: 0xff", "\xff", 1, "%FF"},
    {"encode: UTF-8 bytes", "\xc3\xa9", 2, "%C3%A9"},
    {"encode: percent and tilde", "%~+", 3, "%25%7E%2B"},
    {"encode: backslash and colon", "a\\b:c", 5, "a%5Cb%3Ac"},
    {"encode: newline", "a\r\n", 3, "a%0D%0A"},
    {"encode: empty", "", 0, ""},
    /* A raw key that reads like a hashed name must not name a hashed key's object. */
    {"encode: raw key reading sha256-<64 hex> gets %73", "sha256-" HEX64, 71, "%73ha256-" HEX64},
    {"encode: sha256- + 63 hex stays", "sha256-" HEX63, 70, "sha256-" HEX63},
    {"encode: sha256- + 65 hex stays", "sha256-" HEX64 "0", 72, "sha256-" HEX64 "0"},
    {"encode: sha256- + uppercase hex stays", "sha256-" HEX64_UPPER, 71, "sha256-" HEX64_UPPER},
    {"encode: sha256- + 64 non-hex stays", "sha256-" NON_HEX64, 71, "sha256-" NON_HEX64},
    {"encode: escaped byte never reads hashed", "sha256-" HEX63 "/", 71,
     "sha256-" HEX63 "%2F"},
};

/* Long keys, made of count times fill, then tail. */
struct long_case {
    const char *name;
    char fill;
    size_t count;
    const char *tail;
    const char *expected; /* NULL: the encoded key is the input unchanged (all plain) */
};

static const struct long_case LONG_CASES[] = {
    {"long: 10 KB key is hashed", 'a', 10240, "",
     "sha256-7ffe4ce6d10a40a0c0343b1932b4c5636c4a9914f7ad186c09a37dccc5a9a24a"},
    {"long: 200 plain bytes stay", 'a', 200, "", NULL},
    {"long: 201 plain bytes are hashed", 'a', 201, "",
     "sha256-a92efd82109373e58f9a2056dee01e807e216ce6075f7051207c0a9f7d666e50"},
    {"long: 66 slashes + 2 bytes is exactly 200", '/', 66, "ab", NULL},
    {"long: 67 slashes (201 encoded) are hashed", '/', 67, "",
     "sha256-3eb1349aab9dc074e2028d6801ffe27e5de46b30e87a4e66e5fbb0b764f514e1"},
    {"long: 198 bytes + an escape crossing 200", 'a', 198, "/",
     "sha256-190026eeb4bc21be7e027f4ee0e6b201b4994142d28243b4e044dbbace0b78ae"},
};

static void run_encode_case(void **state)
{
    const struct encode_case *c = *state;
    char *out = key_encode(c->raw, c->len);

    assert_string_equal(out, c->expected);
    free(out);
}

static void run_long_case(void **state)
{
    const struct long_case *c = *state;
    size_t tail_len = strlen(c->tail);
    size_t len = c->count + tail_len;
    char *raw = malloc(len + 1);
    char *out;

    assert_non_null(raw);
    memset(raw, c->fill, c->count);
    memcpy(raw + c->count, c->tail, tail_len + 1);
    out = key_encode(raw, len);
    if (c->expected != NULL) {
        assert_string_equal(out, c->expected);
    } else {
        /* Stays encoded byte for byte: 200 bytes exactly. */
        assert_int_equal(strlen(out), KEY_ENCODED_MAX);
        if (c->fill == 'a')
            assert_string_equal(out, raw);
        else
            assert_memory_equal(out, "%2F%2F", 6);
    }
    free(out);
    free(raw);
}

struct object_case {
    const char *name;
    enum key_state state;
    int64_t due;
    const char *source;
    const char *encoded;
    const char *object;
};

static const struct object_case OBJECT_CASES[] = {
    {"object: pending", KEY_PENDING, 0, "github", "abc", "pending/github/abc"},
    {"object: retry", KEY_RETRY, 1795316645, "github", "a%2Fb", "retry/1795316645/github/a%2Fb"},
    {"object: retry due padded", KEY_RETRY, 42, "s", "k", "retry/0000000042/s/k"},
    {"object: retry due 0", KEY_RETRY, 0, "s", "k", "retry/0000000000/s/k"},
    {"object: done", KEY_DONE, 0, "a_b-1", "%2Ex", "done/a_b-1/%2Ex"},
    {"object: dead", KEY_DEAD, 0, "stripe",
     "sha256-7ffe4ce6d10a40a0c0343b1932b4c5636c4a9914f7ad186c09a37dccc5a9a24a",
     "dead/stripe/sha256-7ffe4ce6d10a40a0c0343b1932b4c5636c4a9914f7ad186c09a37dccc5a9a24a"},
};

static void run_object_case(void **state)
{
    const struct object_case *c = *state;
    char object[KEY_OBJECT_MAX + 1];
    struct key_parts parts;

    key_object(c->state, c->due, c->source, c->encoded, object);
    assert_string_equal(object, c->object);
    assert_int_equal(key_parse(object, &parts), 0);
    assert_int_equal(parts.state, c->state);
    assert_int_equal(parts.due, c->due);
    assert_string_equal(parts.source, c->source);
    assert_string_equal(parts.encoded, c->encoded);
}

/* The longest object key fits, and splits back. */
static void test_object_longest(void **state)
{
    char source[KEY_SOURCE_MAX + 1];
    char encoded[KEY_ENCODED_MAX + 1];
    char object[KEY_OBJECT_MAX + 1];
    struct key_parts parts;

    (void)state;
    memset(source, 'z', KEY_SOURCE_MAX);
    source[KEY_SOURCE_MAX] = '\0';
    memset(encoded, '%', KEY_ENCODED_MAX);
    encoded[KEY_ENCODED_MAX] = '\0';
    key_object(KEY_RETRY, 9999999999LL, source, encoded, object);
    assert_int_equal(strlen(object), 6 + 10 + 1 + KEY_SOURCE_MAX + 1 + KEY_ENCODED_MAX);
    assert_int_equal(key_parse(object, &parts), 0);
    assert_int_equal(parts.due, 9999999999LL);
    assert_string_equal(parts.source, source);
    assert_string_equal(parts.encoded, encoded);
}

struct bad_object_case {
    const char *name;
    const char *object;
};

static const struct bad_object_case BAD_OBJECTS[] = {
    {"reject: no key part", "pending/x"},
    {"reject: short due", "retry/123/s/k"},
    {"reject: long due", "retry/17953166450/s/k"},
    {"reject: due with a letter", "retry/17953166a5/s/k"},
    {"reject: retry without due", "retry/s/k"},
    {"reject: upper-case source", "pending/BAD/k"},
    {"reject: leading dot", "pending/s/.x"},
    {"reject: dot-dot", "pending/s/.."},
    {"reject: empty key", "pending/s/"},
    {"reject: empty source", "pending//k"},
    {"reject: slash in key", "pending/s/a/b"},
    {"reject: space in key", "pending/s/a b"},
    {"reject: unknown state", "archive/s/k"},
    {"reject: no state", "s/k"},
    {"reject: empty", ""},
    {"reject: state only", "done/"},
    {"reject: prefix without slash", "pendingx/s/k"},
    {"reject: source of 65",
     "pending/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/k"},
    {"reject: key of 201",
     "pending/s/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaa"},
};

static void run_bad_object(void **state)
{
    const struct bad_object_case *c = *state;
    struct key_parts parts;

    assert_int_equal(key_parse(c->object, &parts), -1);
}

static void test_source_valid(void **state)
{
    static const char *const good[] = {
        "github", "a", "a_b-1", "0",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 64 */
    };
    static const char *const bad[] = {
        "", "GitHub", "a.b", "a/b", "a b", "\xc3\xa9", "..",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        if (!key_source_valid(good[i]))
            fail_msg("refused \"%s\"", good[i]);
    }
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (key_source_valid(bad[i]))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_state_names(void **state)
{
    static const char *const names[] = {"pending", "retry", "done", "dead"};
    static const char *const prefixes[] = {"pending/", "retry/", "done/", "dead/"};
    enum key_state st;

    (void)state;
    for (int i = KEY_PENDING; i <= KEY_DEAD; i++) {
        assert_int_equal(key_state_from_name(names[i], &st), 0);
        assert_int_equal(st, i);
        assert_string_equal(key_state_prefix((enum key_state)i), prefixes[i]);
    }
    assert_int_equal(key_state_from_name("Done", &st), -1);
    assert_int_equal(key_state_from_name("", &st), -1);
}

/* FNV-1a of "github/abc", fixed so shards stay stable across releases. */
static void test_hash(void **state)
{
    (void)state;
    assert_int_equal(key_hash("github", "abc"), 0x3df037e67eaf8d69ULL);
    assert_true(key_hash("github", "abd") != key_hash("github", "abc"));
}

/* key_decode undoes key_encode, NULs and high bytes included; hashed keys stay hashed. */
static void test_decode_round_trip(void **state)
{
    static const char *const raws[] = {"abc", "a/b c", "../etc", ".hidden", "%41", ""};
    const char nul_key[] = {'a', '\0', '\xff', 'b'};
    char *encoded;
    char *decoded;
    size_t len;

    (void)state;
    for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
        encoded = key_encode(raws[i], strlen(raws[i]));
        decoded = key_decode(encoded, &len);
        assert_int_equal(len, strlen(raws[i]));
        assert_memory_equal(decoded, raws[i], len);
        free(encoded);
        free(decoded);
    }
    encoded = key_encode(nul_key, sizeof(nul_key));
    decoded = key_decode(encoded, &len);
    assert_int_equal(len, sizeof(nul_key));
    assert_memory_equal(decoded, nul_key, len);
    free(encoded);
    free(decoded);
    decoded = key_decode("sha256-00ff", &len);
    assert_string_equal(decoded, "sha256-00ff");
    free(decoded);
    /* The raw key that reads like a hashed name comes back from its %73 form. */
    encoded = key_encode(HASHED_LOOKALIKE, strlen(HASHED_LOOKALIKE));
    assert_string_equal(encoded, "%73ha256-" HEX64);
    decoded = key_decode(encoded, &len);
    assert_string_equal(decoded, HASHED_LOOKALIKE);
    free(encoded);
    free(decoded);
}

/* The fallback's hashed name: "sha256-" + the body's SHA-256, never a raw key's encoding. */
static void test_hashed_names_and_raw_keys_are_disjoint(void **state)
{
    char *fallback;
    char *raw;

    (void)state;
    fallback = key_hashed("{}", 2);
    assert_string_equal(fallback,
                        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    raw = key_encode(fallback, strlen(fallback));
    assert_string_not_equal(raw, fallback);
    free(raw);
    free(fallback);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_object_longest), cmocka_unit_test(test_source_valid),
        cmocka_unit_test(test_state_names),    cmocka_unit_test(test_hash),
        cmocka_unit_test(test_decode_round_trip),
        cmocka_unit_test(test_hashed_names_and_raw_keys_are_disjoint),
    };
    struct CMUnitTest tests[ARRAY_LEN(fixed) + ARRAY_LEN(ENCODE_CASES) + ARRAY_LEN(LONG_CASES) +
                            ARRAY_LEN(OBJECT_CASES) + ARRAY_LEN(BAD_OBJECTS)];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ARRAY_LEN(ENCODE_CASES); i++)
        tests[n++] = (struct CMUnitTest){.name = ENCODE_CASES[i].name,
                                         .test_func = run_encode_case,
                                         .initial_state = (void *)&ENCODE_CASES[i]};
    for (size_t i = 0; i < ARRAY_LEN(LONG_CASES); i++)
        tests[n++] = (struct CMUnitTest){.name = LONG_CASES[i].name,
                                         .test_func = run_long_case,
                                         .initial_state = (void *)&LONG_CASES[i]};
    for (size_t i = 0; i < ARRAY_LEN(OBJECT_CASES); i++)
        tests[n++] = (struct CMUnitTest){.name = OBJECT_CASES[i].name,
                                         .test_func = run_object_case,
                                         .initial_state = (void *)&OBJECT_CASES[i]};
    for (size_t i = 0; i < ARRAY_LEN(BAD_OBJECTS); i++)
        tests[n++] = (struct CMUnitTest){.name = BAD_OBJECTS[i].name,
                                         .test_func = run_bad_object,
                                         .initial_state = (void *)&BAD_OBJECTS[i]};
    return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
