/*
 * test_sigv4: lib/sigv4 against published signatures.
 *
 * Two sources, both AWS's own: the Signature V4 test suite (aws4_testsuite, as kept in
 * awslabs/aws-c-auth tests/aws-signing-test-suite/v4: credentials AKIDEXAMPLE, region
 * us-east-1, service "service", 2015-08-30T12:36:00Z), and the four examples of the S3
 * API reference, "Signature Calculations for the Authorization Header: Transferring
 * Payload in a Single Chunk" (credentials AKIAIOSFODNN7EXAMPLE, examplebucket,
 * 2013-05-24T00:00:00Z). Each case gives the request as a client builds it and the
 * documented Authorization header (and, where published, the canonical request).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_HOST "example.amazonaws.com"
#define SUITE_CRED                                                                         \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE "20130524T000000Z"
#define S3_HOST "examplebucket.s3.amazonaws.com"
#define S3_CRED                                                                            \
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

#define MAX_PAIRS 8

struct vector {
    const char *name;
    int s3; /* 1: the S3 examples' identity, else the test suite's */
    const char *method;
    const char *path;
    struct sigv4_pair query[MAX_PAIRS];
    struct sigv4_pair headers[MAX_PAIRS];
    const char *payload_sha256;
    const char *canonical; /* NULL where the source prints none */
    const char *authorization;
};

static size_t count(const struct sigv4_pair *p)
{
    size_t n = 0;

    while (n < MAX_PAIRS && p[n].name != NULL)
        n++;
    return n;
}

static const struct vector VECTORS[] = {
    {"get-vanilla", 0, "GET", "/", {{0}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
     SIGV4_EMPTY_SHA256,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"post-vanilla", 0, "POST", "/", {{0}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256, NULL,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"get-vanilla-query-order-key-case", 0, "GET", "/",
     {{"Param2", "value2"}, {"Param1", "value1"}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
     "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" SIGV4_EMPTY_SHA256,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-unreserved", 0, "GET", "/",
     {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256, NULL,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-unreserved", 0, "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {{0}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256, NULL,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8", 0, "GET", "/\xe1\x88\xb4", {{0}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
     "host;x-amz-date\n" SIGV4_EMPTY_SHA256,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space", 0, "GET", "/example space/", {{0}},
     {{"Host", SUITE_HOST}, {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
     "host;x-amz-date\n" SIGV4_EMPTY_SHA256,
     SUITE_CRED "SignedHeaders=host;x-amz-date, "
                "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-header-value-trim", 0, "GET", "/", {{0}},
     {{"Host", SUITE_HOST}, {"My-Header1", "value1"}, {"My-Header2", " \"a   b   c\""},
      {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
     "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" SIGV4_EMPTY_SHA256,
     SUITE_CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-vanilla-with-session-token", 0, "GET", "/", {{0}},
     {{"Host", SUITE_HOST},
      {"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"},
      {"X-Amz-Date", SUITE_DATE}},
     SIGV4_EMPTY_SHA256, NULL,
     SUITE_CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
    /* The suite's current form signs the body hash and length as headers ... */
    {"post-x-www-form-urlencoded", 0, "POST", "/", {{0}},
     {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", SUITE_HOST},
      {"Content-Length", "13"},
      {"X-Amz-Date", SUITE_DATE},
      {"x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\n"
     "host:example.amazonaws.com\n"
     "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
     "x-amz-date:20150830T123600Z\n\n"
     "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     SUITE_CRED "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, "
                "Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
    /* ... its first form (botocore's copy) only the payload hash line. */
    {"post-x-www-form-urlencoded (2015 form)", 0, "POST", "/", {{0}},
     {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", SUITE_HOST},
      {"X-Amz-Date", SUITE_DATE}},
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e", NULL,
     SUITE_CRED "SignedHeaders=content-type;host;x-amz-date, "
                "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"s3: GET object with a range", 1, "GET", "/test.txt", {{0}},
     {{"Host", S3_HOST}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", SIGV4_EMPTY_SHA256},
      {"x-amz-date", S3_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
     "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
     "host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256,
     S3_CRED "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
             "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
    /* The key "test$file.text": '$' is signed (and sent) as %24. */
    {"s3: PUT object", 1, "PUT", "/test$file.text", {{0}},
     {{"Host", S3_HOST}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-date", S3_DATE}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}},
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
     "host:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
     "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
     S3_CRED "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
             "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
    {"s3: GET bucket lifecycle", 1, "GET", "/", {{"lifecycle", ""}},
     {{"Host", S3_HOST}, {"x-amz-content-sha256", SIGV4_EMPTY_SHA256}, {"x-amz-date", S3_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
     "host;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256,
     S3_CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
             "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
    {"s3: list objects", 1, "GET", "/", {{"prefix", "J"}, {"max-keys", "2"}},
     {{"Host", S3_HOST}, {"x-amz-content-sha256", SIGV4_EMPTY_SHA256}, {"x-amz-date", S3_DATE}},
     SIGV4_EMPTY_SHA256,
     "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n"
     "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
     "host;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_SHA256,
     S3_CRED "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
             "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
};

static struct sigv4_request request_of(const struct vector *v)
{
    struct sigv4_request r;

    r.method = v->method;
    r.path = v->path;
    r.query = v->query;
    r.n_query = count(v->query);
    r.headers = v->headers;
    r.n_headers = count(v->headers);
    r.payload_sha256 = v->payload_sha256;
    return r;
}

static void test_vectors(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(VECTORS) / sizeof(VECTORS[0]); i++) {
        const struct vector *v = &VECTORS[i];
        struct sigv4_request r = request_of(v);
        struct sigv4_signer *s = v->s3 ? sigv4_new(S3_AK, S3_SK, "us-east-1", "s3")
                                       : sigv4_new(SUITE_AK, SUITE_SK, "us-east-1", "service");
        char *creq = sigv4_canonical_request(&r);
        char *auth = sigv4_authorization(s, &r, v->s3 ? S3_DATE : SUITE_DATE);

        print_message("# %s\n", v->name);
        if (v->canonical != NULL && strcmp(creq, v->canonical) != 0)
            fail_msg("%s: canonical request\n%s\nwant\n%s", v->name, creq, v->canonical);
        assert_non_null(auth);
        if (strcmp(auth, v->authorization) != 0)
            fail_msg("%s: authorization\n%s\nwant\n%s", v->name, auth, v->authorization);
        free(creq);
        free(auth);
        sigv4_free(s);
    }
}

/* The cached key is the day's: a second day, or a second region, signs differently. */
static void test_key_per_day_and_region(void **state)
{
    struct sigv4_request r = request_of(&VECTORS[0]);
    struct sigv4_signer *s = sigv4_new(SUITE_AK, SUITE_SK, "us-east-1", "service");
    struct sigv4_signer *eu = sigv4_new(SUITE_AK, SUITE_SK, "eu-central-1", "service");
    char *first = sigv4_authorization(s, &r, SUITE_DATE);
    char *again = sigv4_authorization(s, &r, SUITE_DATE);
    char *next_day = sigv4_authorization(s, &r, "20150831T123600Z");
    char *back = sigv4_authorization(s, &r, SUITE_DATE);
    char *other_region = sigv4_authorization(eu, &r, SUITE_DATE);

    (void)state;
    assert_string_equal(first, VECTORS[0].authorization);
    assert_string_equal(again, first);
    assert_string_equal(back, first);
    assert_non_null(strstr(next_day, "/20150831/us-east-1/service/"));
    assert_string_not_equal(next_day + strlen(next_day) - 64, first + strlen(first) - 64);
    assert_non_null(strstr(other_region, "/20150830/eu-central-1/service/"));
    assert_string_not_equal(other_region + strlen(other_region) - 64, first + strlen(first) - 64);
    free(first);
    free(again);
    free(next_day);
    free(back);
    free(other_region);
    sigv4_free(s);
    sigv4_free(eu);
}

/* Store keys hold %XX: the '%' itself is encoded, once, in path and query alike. */
static void test_uri_encode(void **state)
{
    static const struct {
        const char *in;
        int keep_slash;
        const char *out;
    } cases[] = {
        {"pending/github/a%2Fb", 1, "pending/github/a%252Fb"},
        {"pending/github/a%2Fb", 0, "pending%2Fgithub%2Fa%252Fb"},
        {"k/a._%-b~", 1, "k/a._%25-b~"},
        {"a b+c=d&e", 0, "a%20b%2Bc%3Dd%26e"},
        {"\xe1\x88\xb4", 0, "%E1%88%B4"},
        {"", 1, ""},
    };
    struct sigv4_pair query[] = {{"start-after", "p/k%25"}, {"prefix", "p/"}};
    struct sigv4_pair headers[] = {{"host", "h"}};
    struct sigv4_request r = {"GET", "/b/k%41", query, 2, headers, 1, SIGV4_EMPTY_SHA256};
    char *creq;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = sigv4_uri_encode(cases[i].in, strlen(cases[i].in), cases[i].keep_slash);

        assert_string_equal(got, cases[i].out);
        free(got);
    }
    creq = sigv4_canonical_request(&r);
    assert_string_equal(creq, "GET\n/b/k%2541\nprefix=p%2F&start-after=p%2Fk%2525\nhost:h\n\n"
                              "host\n" SIGV4_EMPTY_SHA256);
    free(creq);
}

static void test_date(void **state)
{
    char d[SIGV4_DATE_LEN];

    (void)state;
    sigv4_date(1440938160, d);
    assert_string_equal(d, "20150830T123600Z");
    sigv4_date(0, d);
    assert_string_equal(d, "19700101T000000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_key_per_day_and_region),
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_date),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
