/*
 * test_digest: digest_hmac against RFC 4231 (HMAC-SHA-256 and -512, test
 * cases 1-7) and RFC 2202 (HMAC-SHA-1), digest_sha256_hex and digest_sha256
 * against FIPS 180-2, and digest_equal's answers, including length mismatches.
 *
 * Expected values are the RFCs' hex; the test decodes them itself so a fault
 * in codec cannot hide one here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "digest.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Input bytes: a string, or fill_len copies of fill when text is NULL. */
struct bytes {
    const char *text;
    unsigned char fill;
    size_t fill_len;
};

#define TEXT(s) {s, 0, 0}
#define FILL(b, n) {NULL, b, n}

struct hmac_case {
    const char *name;
    enum digest_alg alg;
    struct bytes key;
    struct bytes data;
    /* The RFC's output; shorter than the digest for the truncation case, which checks a prefix. */
    const char *expected;
};

static const char RFC4231_6_DATA[] = "Test Using Larger Than Block-Size Key - Hash Key First";
static const char RFC4231_7_DATA[] =
    "This is a test using a larger than block-size key and a larger than block-size data. The "
    "key needs to be hashed before being used by the HMAC algorithm.";
/* RFC 4231 test case 4's key: the bytes 0x01 to 0x19. */
static const char RFC4231_4_KEY[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                                    "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19";

static const struct hmac_case HMAC_CASES[] = {
    {"rfc4231 1 sha256", DIGEST_SHA256, FILL(0x0b, 20), TEXT("Hi There"),
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {"rfc4231 2 sha256", DIGEST_SHA256, TEXT("Jefe"), TEXT("what do ya want for nothing?"),
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {"rfc4231 3 sha256", DIGEST_SHA256, FILL(0xaa, 20), FILL(0xdd, 50),
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {"rfc4231 4 sha256", DIGEST_SHA256, TEXT(RFC4231_4_KEY), FILL(0xcd, 50),
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {"rfc4231 5 sha256 truncated", DIGEST_SHA256, FILL(0x0c, 20), TEXT("Test With Truncation"),
     "a3b6167473100ee06e0c796c2955552b"},
    {"rfc4231 6 sha256", DIGEST_SHA256, FILL(0xaa, 131), TEXT(RFC4231_6_DATA),
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {"rfc4231 7 sha256", DIGEST_SHA256, FILL(0xaa, 131), TEXT(RFC4231_7_DATA),
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},

    {"rfc4231 1 sha512", DIGEST_SHA512, FILL(0x0b, 20), TEXT("Hi There"),
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    {"rfc4231 2 sha512", DIGEST_SHA512, TEXT("Jefe"), TEXT("what do ya want for nothing?"),
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    {"rfc4231 3 sha512", DIGEST_SHA512, FILL(0xaa, 20), FILL(0xdd, 50),
     "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
     "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
    {"rfc4231 4 sha512", DIGEST_SHA512, TEXT(RFC4231_4_KEY), FILL(0xcd, 50),
     "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
     "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
    {"rfc4231 5 sha512 truncated", DIGEST_SHA512, FILL(0x0c, 20), TEXT("Test With Truncation"),
     "415fad6271580a531d4179bc891d87a6"},
    {"rfc4231 6 sha512", DIGEST_SHA512, FILL(0xaa, 131), TEXT(RFC4231_6_DATA),
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
     "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    {"rfc4231 7 sha512", DIGEST_SHA512, FILL(0xaa, 131), TEXT(RFC4231_7_DATA),
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
     "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},

    {"rfc2202 1 sha1", DIGEST_SHA1, FILL(0x0b, 20), TEXT("Hi There"),
     "b617318655057264e28bc0b6fb378c8ef146be00"},
    {"rfc2202 2 sha1", DIGEST_SHA1, TEXT("Jefe"), TEXT("what do ya want for nothing?"),
     "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
    {"rfc2202 3 sha1", DIGEST_SHA1, FILL(0xaa, 20), FILL(0xdd, 50),
     "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
    {"rfc2202 6 sha1", DIGEST_SHA1, FILL(0xaa, 80), TEXT(RFC4231_6_DATA),
     "aa4ae5e15272d00e95705637ce8a3b55ed402112"},

    /* Not from an RFC: an empty key over empty data. */
    {"empty key and data sha256", DIGEST_SHA256, TEXT(""), TEXT(""),
     "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
};

/* Fresh copy of the bytes b describes; *len gets their count. */
static unsigned char *bytes_make(const struct bytes *b, size_t *len)
{
    unsigned char *out;

    *len = b->text != NULL ? strlen(b->text) : b->fill_len;
    out = malloc(*len + 1);
    assert_non_null(out);
    if (b->text != NULL)
        memcpy(out, b->text, *len);
    else
        memset(out, b->fill, *len);
    return out;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    assert_true(c >= 'a' && c <= 'f');
    return c - 'a' + 10;
}

/* Lowercase hex to bytes, into out (at least DIGEST_MAX); returns the byte count. */
static size_t from_hex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;

    assert_int_equal(strlen(hex) % 2, 0);
    assert_true(n <= DIGEST_MAX);
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return n;
}

static size_t digest_size(enum digest_alg alg)
{
    switch (alg) {
    case DIGEST_SHA1:
        return 20;
    case DIGEST_SHA256:
        return 32;
    case DIGEST_SHA512:
        return 64;
    }
    return 0;
}

static void run_hmac_case(void **state)
{
    const struct hmac_case *c = *state;
    unsigned char out[DIGEST_MAX];
    unsigned char expected[DIGEST_MAX];
    unsigned char *key;
    unsigned char *data;
    size_t key_len;
    size_t data_len;
    size_t expected_len;
    size_t len;

    key = bytes_make(&c->key, &key_len);
    data = bytes_make(&c->data, &data_len);
    expected_len = from_hex(c->expected, expected);
    len = digest_hmac(c->alg, key, key_len, data, data_len, out);
    assert_int_equal(len, digest_size(c->alg));
    assert_true(expected_len <= len);
    assert_memory_equal(out, expected, expected_len);
    free(key);
    free(data);
}

/*
 * A NULL key of length 0 is the empty key, even right after a call with a
 * real key: OpenSSL reads a NULL key as "keep the previous one".
 */
static void test_hmac_null_key(void **state)
{
    unsigned char out[DIGEST_MAX];
    unsigned char expected[DIGEST_MAX];

    (void)state;
    from_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", expected);
    assert_int_equal(digest_hmac(DIGEST_SHA256, "k", 1, "", 0, out), 32);
    assert_memory_not_equal(out, expected, 32);
    assert_int_equal(digest_hmac(DIGEST_SHA256, NULL, 0, "", 0, out), 32);
    assert_memory_equal(out, expected, 32);
}

static void test_sha256_hex(void **state)
{
    static const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    char out[65];
    unsigned char md[32];
    char *hex;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        memset(out, 'x', sizeof(out));
        digest_sha256_hex(cases[i].input, strlen(cases[i].input), out);
        assert_string_equal(out, cases[i].expected);
        /* digest_sha256, twice: the second call uses the digest the first fetched. */
        for (int k = 0; k < 2; k++) {
            memset(md, 0, sizeof(md));
            assert_int_equal(digest_sha256(cases[i].input, strlen(cases[i].input), md), 0);
            hex = codec_hex_encode(md, sizeof(md));
            assert_string_equal(hex, cases[i].expected);
            free(hex);
        }
    }
}

static void test_equal(void **state)
{
    static const struct {
        const char *a;
        size_t a_len;
        const char *b;
        size_t b_len;
        int expected;
    } cases[] = {
        {"abc", 3, "abc", 3, 1},
        {"abc", 3, "abd", 3, 0},
        {"abc", 3, "Abc", 3, 0},
        {"abc", 3, "ab", 2, 0},
        {"ab", 2, "abc", 3, 0},
        {"", 0, "", 0, 0}, /* an empty MAC or signature never matches */
        {"", 0, "a", 1, 0},
        {"a\0b", 3, "a\0c", 3, 0},
        {"a\0b", 3, "a\0b", 3, 1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(digest_equal(cases[i].a, cases[i].a_len, cases[i].b, cases[i].b_len),
                         cases[i].expected);
    }
}

int main(void)
{
    struct CMUnitTest tests[ARRAY_LEN(HMAC_CASES) + 3];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(HMAC_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = HMAC_CASES[i].name,
            .test_func = run_hmac_case,
            .initial_state = (void *)&HMAC_CASES[i],
        };
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hmac_null_key);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sha256_hex);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_equal);
    assert_int_equal(n, ARRAY_LEN(tests));
    return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
