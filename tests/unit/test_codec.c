/*
 * test_codec: hex and base64 against RFC 4648's vectors, their round trips
 * over every length up to a few blocks, the inputs decoders must refuse,
 * and the UTF-8 check on the sequences that matter for the envelope
 * (overlongs, surrogates, out-of-range, truncated, NUL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length, NUL bytes inside included. */
#define LIT(s) s, sizeof(s) - 1

struct text_case {
    const char *input;
    size_t input_len;
    const char *expected; /* NULL: the decoder must refuse the input */
    size_t expected_len;
};

static void test_hex_encode(void **state)
{
    static const struct text_case cases[] = {
        {LIT(""), LIT("")},
        {LIT("\x00\xff\x10\x7f"), LIT("00ff107f")},
        {LIT("foobar"), LIT("666f6f626172")},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *out = codec_hex_encode(cases[i].input, cases[i].input_len);

        assert_string_equal(out, cases[i].expected);
        free(out);
    }
}

static void test_hex_decode(void **state)
{
    static const struct text_case cases[] = {
        {LIT(""), LIT("")},
        {LIT("00ff107f"), LIT("\x00\xff\x10\x7f")},
        {LIT("00FF107F"), LIT("\x00\xff\x10\x7f")},
        {LIT("aBcD"), LIT("\xab\xcd")},
        {LIT("666f6f626172"), LIT("foobar")},
        {LIT("abc"), NULL, 0},    /* odd length */
        {LIT("0"), NULL, 0},
        {LIT("0g"), NULL, 0},     /* not a hex digit */
        {LIT("g0"), NULL, 0},
        {LIT("0x00"), NULL, 0},
        {LIT(" 00"), NULL, 0},
        {LIT("00 "), NULL, 0},
        {LIT("0\x00"), NULL, 0},  /* NUL inside the given length */
        {LIT("\xc3\xa9"), NULL, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t len = 12345;
        unsigned char *out = codec_hex_decode(cases[i].input, cases[i].input_len, &len);

        if (cases[i].expected == NULL) {
            assert_null(out);
            continue;
        }
        assert_non_null(out);
        assert_int_equal(len, cases[i].expected_len);
        assert_memory_equal(out, cases[i].expected, len);
        assert_int_equal(out[len], '\0');
        free(out);
    }
}

/* RFC 4648 section 10. */
static const struct text_case BASE64_VECTORS[] = {
    {LIT(""), LIT("")},
    {LIT("f"), LIT("Zg==")},
    {LIT("fo"), LIT("Zm8=")},
    {LIT("foo"), LIT("Zm9v")},
    {LIT("foob"), LIT("Zm9vYg==")},
    {LIT("fooba"), LIT("Zm9vYmE=")},
    {LIT("foobar"), LIT("Zm9vYmFy")},
};

static void test_base64_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(BASE64_VECTORS); i++) {
        char *out = codec_base64_encode(BASE64_VECTORS[i].input, BASE64_VECTORS[i].input_len);

        assert_string_equal(out, BASE64_VECTORS[i].expected);
        free(out);
    }
    /* Every alphabet position, + and / included. */
    {
        char *out = codec_base64_encode(LIT("\x00\x10\x83\x10\x51\x87\xfb\xff"));

        assert_string_equal(out, "ABCDEFGH+/8=");
        free(out);
    }
}

static void test_base64_decode(void **state)
{
    static const struct text_case cases[] = {
        /* padding is optional */
        {LIT("Zg"), LIT("f")},
        {LIT("Zm8"), LIT("fo")},
        {LIT("Zm9vYg"), LIT("foob")},
        {LIT("ABCDEFGH+/8="), LIT("\x00\x10\x83\x10\x51\x87\xfb\xff")},
        /* impossible lengths */
        {LIT("Z"), NULL, 0},
        {LIT("Zm9vY"), NULL, 0},
        {LIT("Zm9vY="), NULL, 0},
        /* characters outside the standard alphabet */
        {LIT("Zm9v!A=="), NULL, 0},
        {LIT("Zm9vYg-_"), NULL, 0},
        {LIT("Zm 9v"), NULL, 0},
        {LIT("Zm9v\n"), NULL, 0},
        {LIT("Zm9v\r\n"), NULL, 0},
        {LIT("Zm\x00v"), NULL, 0},
        /* padding where it cannot be */
        {LIT("=Zg="), NULL, 0},
        {LIT("Zg==Zg=="), NULL, 0},
        {LIT("Zg==="), NULL, 0},
        {LIT("Zm9v="), NULL, 0},
        {LIT("Zm9v===="), NULL, 0},
        {LIT("===="), NULL, 0},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(BASE64_VECTORS); i++) {
        size_t len = 12345;
        unsigned char *out =
            codec_base64_decode(BASE64_VECTORS[i].expected, BASE64_VECTORS[i].expected_len, &len);

        assert_non_null(out);
        assert_int_equal(len, BASE64_VECTORS[i].input_len);
        assert_memory_equal(out, BASE64_VECTORS[i].input, len);
        assert_int_equal(out[len], '\0');
        free(out);
    }
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t len = 12345;
        unsigned char *out = codec_base64_decode(cases[i].input, cases[i].input_len, &len);

        if (cases[i].expected == NULL) {
            if (out != NULL)
                fail_msg("case %zu: accepted invalid base64", i);
            continue;
        }
        assert_non_null(out);
        assert_int_equal(len, cases[i].expected_len);
        assert_memory_equal(out, cases[i].expected, len);
        free(out);
    }
}

/* encode -> decode gives the bytes back, for every length over a few blocks and every byte. */
static void test_round_trips(void **state)
{
    unsigned char data[256];
    uint32_t x = 2463534242u;

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++) {
        /* xorshift32: varied bytes, the same on every run */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    data[0] = 0x00;
    data[1] = 0xff;
    for (size_t n = 0; n <= sizeof(data); n++) {
        char *hex = codec_hex_encode(data, n);
        char *b64 = codec_base64_encode(data, n);
        unsigned char *back;
        size_t len = 0;

        assert_int_equal(strlen(hex), n * 2);
        back = codec_hex_decode(hex, strlen(hex), &len);
        assert_non_null(back);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
        free(back);

        assert_int_equal(strlen(b64), (n + 2) / 3 * 4);
        back = codec_base64_decode(b64, strlen(b64), &len);
        assert_non_null(back);
        assert_int_equal(len, n);
        assert_memory_equal(back, data, n);
        free(back);

        free(hex);
        free(b64);
    }
}

struct utf8_case {
    const char *input;
    size_t len;
    int valid;
};

static void test_utf8(void **state)
{
    static const struct utf8_case cases[] = {
        {LIT(""), 1},
        {LIT("plain ascii {\"a\": 1}\n\t"), 1},
        {LIT("\x7f"), 1},
        {LIT("\xc2\x80"), 1},                 /* U+0080, smallest two-byte */
        {LIT("caf\xc3\xa9"), 1},              /* U+00E9 */
        {LIT("\xdf\xbf"), 1},                 /* U+07FF */
        {LIT("\xe0\xa0\x80"), 1},             /* U+0800, smallest three-byte */
        {LIT("\xe2\x82\xac"), 1},             /* U+20AC euro */
        {LIT("\xed\x9f\xbf"), 1},             /* U+D7FF, just below the surrogates */
        {LIT("\xee\x80\x80"), 1},             /* U+E000, just above them */
        {LIT("\xef\xbf\xbd"), 1},             /* U+FFFD */
        {LIT("\xf0\x90\x80\x80"), 1},         /* U+10000, smallest four-byte */
        {LIT("\xf0\x9f\x98\x80"), 1},         /* U+1F600 */
        {LIT("\xf4\x8f\xbf\xbf"), 1},         /* U+10FFFF, the last code point */
        {LIT("a\x00" "b"), 0},                /* NUL */
        {LIT("\x00"), 0},
        {LIT("\xc0\x80"), 0},                 /* overlong NUL */
        {LIT("\xc0\xaf"), 0},                 /* overlong '/' */
        {LIT("\xc1\xbf"), 0},                 /* overlong U+007F */
        {LIT("\xe0\x80\x80"), 0},             /* overlong, three bytes */
        {LIT("\xe0\x9f\xbf"), 0},             /* overlong U+07FF */
        {LIT("\xf0\x80\x80\x80"), 0},         /* overlong, four bytes */
        {LIT("\xf0\x8f\xbf\xbf"), 0},         /* overlong U+FFFF */
        {LIT("\xed\xa0\x80"), 0},             /* U+D800, high surrogate */
        {LIT("\xed\xbf\xbf"), 0},             /* U+DFFF, low surrogate */
        {LIT("\xed\xa0\xbd\xed\xb8\x80"), 0}, /* CESU-8 surrogate pair */
        {LIT("\xf4\x90\x80\x80"), 0},         /* U+110000, past the last code point */
        {LIT("\xf5\x80\x80\x80"), 0},
        {LIT("\xf8\x88\x80\x80\x80"), 0},     /* five-byte form */
        {LIT("\xfe"), 0},
        {LIT("\xff"), 0},
        {LIT("\x80"), 0},                     /* continuation byte alone */
        {LIT("a\xbf"), 0},
        {LIT("\xc3"), 0},                     /* truncated */
        {LIT("\xe2\x82"), 0},
        {LIT("\xf0\x9f\x98"), 0},
        {LIT("caf\xc3"), 0},
        {LIT("\xc3\x28"), 0},                 /* bad continuation */
        {LIT("\xe2\x28\xac"), 0},
        {LIT("\xf0\x9f\x28\x80"), 0},
        {LIT("\xe9"), 0},                     /* Latin-1 'e' acute */
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (codec_utf8_valid(cases[i].input, cases[i].len) != cases[i].valid)
            fail_msg("case %zu: expected %s", i, cases[i].valid ? "valid" : "invalid");
    }
}

/* The check honours the length it is given, not a NUL: a prefix of a sequence is refused. */
static void test_utf8_length_bounds(void **state)
{
    static const char euro[] = "\xe2\x82\xac";

    (void)state;
    assert_int_equal(codec_utf8_valid(euro, 3), 1);
    assert_int_equal(codec_utf8_valid(euro, 2), 0);
    assert_int_equal(codec_utf8_valid(euro, 1), 0);
    assert_int_equal(codec_utf8_valid(euro, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_encode),   cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_base64_encode), cmocka_unit_test(test_base64_decode),
        cmocka_unit_test(test_round_trips),  cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_utf8_length_bounds),
    };

    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
