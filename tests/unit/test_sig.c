/*
 * test_sig: sig_verify for every scheme against each provider's published
 * example, plus the ways a request goes wrong (wrong or rotated secret,
 * malformed signature, missing header, stale timestamp either way), and
 * sig_standard_sign against the Standard Webhooks example.
 *
 * One table row is one cmocka test. Every refusal must carry HS_ERR_AUTH,
 * the expected tag and a message that repeats neither a secret nor a header
 * value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "config.h"
#include "error.h"
#include "headers.h"
#include "sig.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define CASE_SECRETS_MAX 3
#define CASE_HEADERS_MAX 4

#define MISSING "missing_signature"
#define BAD "bad_signature"
#define STALE "stale_timestamp"

/* GitHub's "Testing the webhook payload validation" values. */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_HEX "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define GH_HEX_UPPER "757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"
/* GH_HEX with its last digit dropped: odd length, or replaced by a non-hex one. */
#define GH_HEX_ODD "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1"
#define GH_HEX_G "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g"
#define GH_EMPTY_HEX "66a0c074deaa0f489ead6537e0d32f9a344b90bbeda705b6ed45ecd3b413fb40"

/* Stripe publishes no vector: these were computed independently (Python hmac). */
#define ST_SECRET "whsec_test_stripe_secret"
#define ST_OLD_SECRET "whsec_old"
#define ST_TS 1700000000
#define ST_BODY "{\"id\":\"evt_1\",\"object\":\"event\"}"
#define ST_HEX "a3f7577b5518684477bd9612ead24a821d41229f67ec05caf431fdba6938f2cf"
#define ST_OLD_HEX "9119b75c4afa8bb5f71433cb34179a57aa261c58b80b417f1f537251b0cd38a8"
#define ST_HEX_ODD "a3f7577b5518684477bd9612ead24a821d41229f67ec05caf431fdba6938f2c"
#define ST_EMPTY_HEX "226b9648a0f2b5aa12b957d3e9cd0b1ef095452843c06c538b49824923be1b75"

/* Shopify: computed independently as well. */
#define SH_SECRET "shpss_shopify_secret"
#define SH_BODY "{\"id\":820982911946154508}"
#define SH_B64 "7tYlNpRaZDLpdiCZWCDdDwwf9/oXqmD0ACeEofxrNBo="
#define SH_EMPTY_B64 "jVMc7dFbByun968TPptrdTm8SoBCU5NnIB2UYkh+syc="

/* Slack's "Verifying requests from Slack" walk-through. */
#define SL_SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define SL_TS 1531420618
#define SL_BODY                                                                                    \
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="        \
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"   \
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"            \
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."              \
    "803a0bc887a14d10d2c447fce8b6703c"
#define SL_HEX "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define SL_EMPTY_HEX "55f41ec73231010289b54e669149ea021fccab11b5524355523533ce930cb739"

/* The Standard Webhooks specification's example. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS 1614265330
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SW_B64 "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#define SW_EMPTY_SIG "v1,/n9JD+QvCBymh/dplZctdnJL3Jc/7vU4siQ5cz50QYY="

/* Generic hmac: HMAC of "payload" under "generic-key", computed independently. */
#define HM_SECRET "generic-key"
#define HM_BODY "payload"
#define HM_SHA1_HEX "71354db3f5939fe82a4de9475e3fc0961e6498a6"
#define HM_SHA512_B64                                                                              \
    "KYMyCLd2fq+TglOdw3k/1auzpxPhDIqyfEfqNKMUsn+eSw4e81tLvgJJSS/2B8p/0CQP+wrPg9P5gsVvDmZImw=="
#define HM_SHA256_HEX_UPPER "8FED92DF350A1C60E1A51C03FDC79022C8A50ED96B99DBA100ECC78ECF60A73A"

struct sig_case {
    const char *name;
    enum verify_scheme scheme;
    const char *secrets[CASE_SECRETS_MAX];     /* NULL-terminated; whsec_ decoded for STANDARD */
    const char *headers[CASE_HEADERS_MAX][2];  /* {name, value}; a NULL name ends the list */
    const char *body;
    int64_t now_s;
    const char *expected;                      /* NULL: valid; else the error tag */
    /* VERIFY_HMAC and VERIFY_TOKEN only */
    const char *header;
    enum digest_alg algorithm;
    enum verify_encoding encoding;
    const char *prefix;
    /* URL-signing schemes only */
    const char *public_url;
    const char *query;
    long tolerance_s; /* 0: CONFIG_DEFAULT_TOLERANCE_S */
};

/* The hmac/token fields of a row for any other scheme, and of a token row. */
#define NO_HMAC NULL, DIGEST_SHA256, VERIFY_HEX, NULL, NULL, NULL, 0
#define TOKEN_IN(name) name, DIGEST_SHA256, VERIFY_HEX, NULL, NULL, NULL, 0
/* A URL-signing row: the public_url configured and the request's query. */
#define AT_URL(url, query) NULL, DIGEST_SHA256, VERIFY_HEX, NULL, url, query, 0

/*
 * Twilio's "Validating requests" example: auth token 12345, the URL
 * https://mycompany.com/myapp.php?foo=1&bar=2 and five POST parameters.
 */
#define TW_SECRET "12345"
#define TW_URL "https://mycompany.com/myapp.php"
#define TW_QUERY "foo=1&bar=2"
#define TW_BODY                                                                                    \
    "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To="         \
    "%2B18005551212"
#define TW_SIG "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

static const struct sig_case CASES[] = {
    /* github */
    {"github published example", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX}}, GH_BODY, 0, NULL, NO_HMAC},
    {"github uppercase hex", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX_UPPER}}, GH_BODY, 0, NULL, NO_HMAC},
    {"github header name in another case", VERIFY_GITHUB, {GH_SECRET},
     {{"x-hub-signature-256", "sha256=" GH_HEX}}, GH_BODY, 0, NULL, NO_HMAC},
    {"github empty body", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_EMPTY_HEX}}, "", 0, NULL, NO_HMAC},
    {"github second of two secrets", VERIFY_GITHUB, {"an-older-secret", GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX}}, GH_BODY, 0, NULL, NO_HMAC},
    {"github first of two secrets", VERIFY_GITHUB, {GH_SECRET, "a-newer-secret"},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX}}, GH_BODY, 0, NULL, NO_HMAC},
    {"github wrong secret", VERIFY_GITHUB, {"not-the-secret"},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github body changed", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX}}, "Hello, World?", 0, BAD, NO_HMAC},
    {"github missing header", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature", "sha1=0000"}}, GH_BODY, 0, MISSING, NO_HMAC},
    {"github empty header", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", ""}}, GH_BODY, 0, MISSING, NO_HMAC},
    {"github missing prefix", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", GH_HEX}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github sha1 prefix", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha1=" GH_HEX}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github prefix only", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256="}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github odd-length hex", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX_ODD}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github non-hex digit", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX_G}}, GH_BODY, 0, BAD, NO_HMAC},
    {"github truncated signature", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a"}}, GH_BODY, 0, BAD,
     NO_HMAC},
    {"github trailing garbage", VERIFY_GITHUB, {GH_SECRET},
     {{"X-Hub-Signature-256", "sha256=" GH_HEX "00"}}, GH_BODY, 0, BAD, NO_HMAC},

    /* stripe */
    {"stripe valid", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS + 30, NULL, NO_HMAC},
    {"stripe second v1 matches", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_OLD_HEX ",v1=" ST_HEX ",v0=" ST_OLD_HEX}},
     ST_BODY, ST_TS, NULL, NO_HMAC},
    {"stripe second of two secrets", VERIFY_STRIPE, {ST_OLD_SECRET "x", ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS, NULL, NO_HMAC},
    {"stripe v1 under the older secret", VERIFY_STRIPE, {ST_SECRET, ST_OLD_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_OLD_HEX}}, ST_BODY, ST_TS, NULL, NO_HMAC},
    {"stripe unknown schemes ignored", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v2=zz,junk,,v1=nothex,v1=" ST_HEX}}, ST_BODY, ST_TS,
     NULL, NO_HMAC},
    {"stripe empty body", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_EMPTY_HEX}}, "", ST_TS, NULL, NO_HMAC},
    {"stripe at the edge of tolerance", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS + 300, NULL, NO_HMAC},
    {"stripe wrong secret", VERIFY_STRIPE, {ST_OLD_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe secret without whsec_ prefix", VERIFY_STRIPE, {"test_stripe_secret"},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe only v0 matches", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v0=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe timestamp changed", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000001,v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe too old", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS + 301, STALE, NO_HMAC},
    {"stripe too far in the future", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS - 301, STALE, NO_HMAC},
    {"stripe no timestamp", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe non-numeric timestamp", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=17000000x0,v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe two timestamps", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,t=1700000000,v1=" ST_HEX}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe no v1", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000"}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe odd-length hex", VERIFY_STRIPE, {ST_SECRET},
     {{"Stripe-Signature", "t=1700000000,v1=" ST_HEX_ODD}}, ST_BODY, ST_TS, BAD, NO_HMAC},
    {"stripe missing header", VERIFY_STRIPE, {ST_SECRET}, {{NULL}}, ST_BODY, ST_TS, MISSING,
     NO_HMAC},

    /* shopify */
    {"shopify valid", VERIFY_SHOPIFY, {SH_SECRET},
     {{"X-Shopify-Hmac-Sha256", SH_B64}}, SH_BODY, 0, NULL, NO_HMAC},
    {"shopify empty body", VERIFY_SHOPIFY, {SH_SECRET},
     {{"X-Shopify-Hmac-Sha256", SH_EMPTY_B64}}, "", 0, NULL, NO_HMAC},
    {"shopify second of two secrets", VERIFY_SHOPIFY, {"shpss_old", SH_SECRET},
     {{"X-Shopify-Hmac-Sha256", SH_B64}}, SH_BODY, 0, NULL, NO_HMAC},
    {"shopify wrong secret", VERIFY_SHOPIFY, {"shpss_other"},
     {{"X-Shopify-Hmac-Sha256", SH_B64}}, SH_BODY, 0, BAD, NO_HMAC},
    {"shopify not base64", VERIFY_SHOPIFY, {SH_SECRET},
     {{"X-Shopify-Hmac-Sha256", "7tYlNpRaZDLpdiCZWCDdDwwf9/oXqmD0ACeEofxrNB*="}}, SH_BODY, 0, BAD,
     NO_HMAC},
    {"shopify bad base64 length", VERIFY_SHOPIFY, {SH_SECRET},
     {{"X-Shopify-Hmac-Sha256", "7tYlN"}}, SH_BODY, 0, BAD, NO_HMAC},
    {"shopify missing header", VERIFY_SHOPIFY, {SH_SECRET}, {{NULL}}, SH_BODY, 0, MISSING, NO_HMAC},

    /* slack */
    {"slack published example", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS + 5, NULL, NO_HMAC},
    {"slack empty body", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_EMPTY_HEX}},
     "", SL_TS, NULL, NO_HMAC},
    {"slack second of two secrets", VERIFY_SLACK, {"0123456789abcdef", SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS, NULL, NO_HMAC},
    {"slack wrong secret", VERIFY_SLACK, {"8f742231b10e8888abcd99yyyzzz85a6"},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack too old", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS + 301, STALE, NO_HMAC},
    {"slack too far in the future", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS - 1000, STALE, NO_HMAC},
    {"slack missing prefix", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}, {"X-Slack-Signature", SL_HEX}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack odd-length hex", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"},
      {"X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50"}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack non-numeric timestamp", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618a"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack negative timestamp", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "-1531420618"}, {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack overlong timestamp", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "99999999999999999999999"},
      {"X-Slack-Signature", "v0=" SL_HEX}},
     SL_BODY, SL_TS, BAD, NO_HMAC},
    {"slack missing timestamp", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Signature", "v0=" SL_HEX}}, SL_BODY, SL_TS, MISSING, NO_HMAC},
    {"slack missing signature", VERIFY_SLACK, {SL_SECRET},
     {{"X-Slack-Request-Timestamp", "1531420618"}}, SL_BODY, SL_TS, MISSING, NO_HMAC},

    /* standard-webhooks */
    {"standard published example", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS + 10, NULL, NO_HMAC},
    {"standard svix headers", VERIFY_STANDARD, {SW_SECRET},
     {{"svix-id", SW_ID}, {"svix-timestamp", "1614265330"}, {"svix-signature", SW_SIG}},
     SW_BODY, SW_TS, NULL, NO_HMAC},
    {"standard several signatures, last matches", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"},
      {"webhook-signature", "v1,Zm9vYmFy v1a,c2lnbmVk v2 v1,!!  " SW_SIG}},
     SW_BODY, SW_TS, NULL, NO_HMAC},
    {"standard second of two secrets", VERIFY_STANDARD, {"whsec_c2Vjb25k", SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS, NULL, NO_HMAC},
    {"standard empty body", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", "msg_1"}, {"webhook-timestamp", "1614265330"},
      {"webhook-signature", SW_EMPTY_SIG}},
     "", SW_TS, NULL, NO_HMAC},
    {"standard only v1a carries the value", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"},
      {"webhook-signature", "v1a," SW_B64}},
     SW_BODY, SW_TS, BAD, NO_HMAC},
    {"standard wrong secret", VERIFY_STANDARD, {"whsec_c2Vjb25k"},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS, BAD, NO_HMAC},
    {"standard message id changed", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", "msg_other"}, {"webhook-timestamp", "1614265330"},
      {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS, BAD, NO_HMAC},
    {"standard url-safe base64", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"},
      {"webhook-signature", "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
     SW_BODY, SW_TS, BAD, NO_HMAC},
    {"standard too old", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS + 301, STALE, NO_HMAC},
    {"standard too far in the future", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS - 301, STALE, NO_HMAC},
    {"standard non-numeric timestamp", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330.5"}, {"webhook-signature", SW_SIG}},
     SW_BODY, SW_TS, BAD, NO_HMAC},
    {"standard missing id", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-timestamp", "1614265330"}, {"webhook-signature", SW_SIG}}, SW_BODY, SW_TS,
     MISSING, NO_HMAC},
    {"standard missing signature", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"webhook-timestamp", "1614265330"}}, SW_BODY, SW_TS, MISSING,
     NO_HMAC},
    {"standard mixed webhook and svix headers", VERIFY_STANDARD, {SW_SECRET},
     {{"webhook-id", SW_ID}, {"svix-timestamp", "1614265330"}, {"svix-signature", SW_SIG}},
     SW_BODY, SW_TS, MISSING, NO_HMAC},
    {"standard no headers", VERIFY_STANDARD, {SW_SECRET}, {{NULL}}, SW_BODY, SW_TS, MISSING,
     NO_HMAC},

    /* hmac (generic) */
    {"hmac sha1 hex with prefix", VERIFY_HMAC, {HM_SECRET},
     {{"X-Signature", "sha1=" HM_SHA1_HEX}}, HM_BODY, 0, NULL,
     "X-Signature", DIGEST_SHA1, VERIFY_HEX, "sha1=", NULL, NULL, 0},
    {"hmac sha512 base64", VERIFY_HMAC, {HM_SECRET},
     {{"X-Signature", HM_SHA512_B64}}, HM_BODY, 0, NULL,
     "X-Signature", DIGEST_SHA512, VERIFY_BASE64, NULL, NULL, NULL, 0},
    {"hmac sha256 uppercase hex", VERIFY_HMAC, {"other", HM_SECRET},
     {{"X-Signature", HM_SHA256_HEX_UPPER}}, HM_BODY, 0, NULL,
     "X-Signature", DIGEST_SHA256, VERIFY_HEX, NULL, NULL, NULL, 0},
    {"hmac missing prefix", VERIFY_HMAC, {HM_SECRET},
     {{"X-Signature", HM_SHA1_HEX}}, HM_BODY, 0, BAD,
     "X-Signature", DIGEST_SHA1, VERIFY_HEX, "sha1=", NULL, NULL, 0},
    {"hmac other algorithm", VERIFY_HMAC, {HM_SECRET},
     {{"X-Signature", HM_SHA256_HEX_UPPER}}, HM_BODY, 0, BAD,
     "X-Signature", DIGEST_SHA512, VERIFY_HEX, NULL, NULL, NULL, 0},
    {"hmac wrong secret", VERIFY_HMAC, {"generic-kez"},
     {{"X-Signature", "sha1=" HM_SHA1_HEX}}, HM_BODY, 0, BAD,
     "X-Signature", DIGEST_SHA1, VERIFY_HEX, "sha1=", NULL, NULL, 0},
    {"hmac hex sent to a base64 source", VERIFY_HMAC, {HM_SECRET},
     {{"X-Signature", HM_SHA1_HEX}}, HM_BODY, 0, BAD,
     "X-Signature", DIGEST_SHA1, VERIFY_BASE64, NULL, NULL, NULL, 0},
    {"hmac missing header", VERIFY_HMAC, {HM_SECRET},
     {{"X-Other", "sha1=" HM_SHA1_HEX}}, HM_BODY, 0, MISSING,
     "X-Signature", DIGEST_SHA1, VERIFY_HEX, "sha1=", NULL, NULL, 0},

    /* token */
    {"token matches", VERIFY_TOKEN, {"gitlab-token-1"},
     {{"X-Gitlab-Token", "gitlab-token-1"}}, "{}", 0, NULL, TOKEN_IN("X-Gitlab-Token")},
    {"token second of two", VERIFY_TOKEN, {"gitlab-token-0", "gitlab-token-1"},
     {{"X-Gitlab-Token", "gitlab-token-1"}}, "{}", 0, NULL, TOKEN_IN("X-Gitlab-Token")},
    {"token wrong", VERIFY_TOKEN, {"gitlab-token-1"},
     {{"X-Gitlab-Token", "gitlab-token-2"}}, "{}", 0, BAD, TOKEN_IN("X-Gitlab-Token")},
    {"token prefix of the secret", VERIFY_TOKEN, {"gitlab-token-1"},
     {{"X-Gitlab-Token", "gitlab-token"}}, "{}", 0, BAD, TOKEN_IN("X-Gitlab-Token")},
    {"token secret as prefix", VERIFY_TOKEN, {"gitlab-token-1"},
     {{"X-Gitlab-Token", "gitlab-token-12"}}, "{}", 0, BAD, TOKEN_IN("X-Gitlab-Token")},
    {"token missing", VERIFY_TOKEN, {"gitlab-token-1"}, {{NULL}}, "{}", 0, MISSING,
     TOKEN_IN("X-Gitlab-Token")},
    {"token empty", VERIFY_TOKEN, {"gitlab-token-1"}, {{"X-Gitlab-Token", ""}}, "{}", 0,
     MISSING, TOKEN_IN("X-Gitlab-Token")},

    /* twilio */
    {"twilio published example", VERIFY_TWILIO, {TW_SECRET}, {{"X-Twilio-Signature", TW_SIG}},
     TW_BODY, 0, NULL, AT_URL(TW_URL, TW_QUERY)},
    {"twilio parameters in another order", VERIFY_TWILIO, {TW_SECRET},
     {{"X-Twilio-Signature", TW_SIG}},
     "To=%2B18005551212&From=%2B12349013030&Digits=1234&Caller=%2B12349013030&CallSid="
     "CA1234567890ABCDE",
     0, NULL, AT_URL(TW_URL, TW_QUERY)},
    {"twilio wrong token", VERIFY_TWILIO, {"54321"}, {{"X-Twilio-Signature", TW_SIG}}, TW_BODY, 0,
     BAD, AT_URL(TW_URL, TW_QUERY)},
    {"twilio other public_url", VERIFY_TWILIO, {TW_SECRET}, {{"X-Twilio-Signature", TW_SIG}},
     TW_BODY, 0, BAD, AT_URL("https://mycompany.com/other.php", TW_QUERY)},
    {"twilio query tampered", VERIFY_TWILIO, {TW_SECRET}, {{"X-Twilio-Signature", TW_SIG}},
     TW_BODY, 0, BAD, AT_URL(TW_URL, "foo=1&bar=3")},
    {"twilio parameter tampered", VERIFY_TWILIO, {TW_SECRET}, {{"X-Twilio-Signature", TW_SIG}},
     "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To="
     "%2B18005551212",
     0, BAD, AT_URL(TW_URL, TW_QUERY)},
    {"twilio bad form escape", VERIFY_TWILIO, {TW_SECRET}, {{"X-Twilio-Signature", TW_SIG}},
     "CallSid=%ZZ", 0, BAD, AT_URL(TW_URL, TW_QUERY)},
    {"twilio missing header", VERIFY_TWILIO, {TW_SECRET}, {{NULL}}, TW_BODY, 0, MISSING,
     AT_URL(TW_URL, TW_QUERY)},

    /* none */
    {"none accepts anything", VERIFY_NONE, {NULL}, {{NULL}}, "anything", 0, NULL, NO_HMAC},
};

/*
 * Edge cases of the newer parsers, signed independently with Node's crypto:
 * Twitch's RFC 3339 time with an offset and a fraction, Paddle's ts;h1 list
 * during a secret roll and its five-second tolerance, Linear's timestamp in
 * the body.
 */
#define TWITCH_BODY "{\"event\":{\"user_id\":\"1\"}}"
#define TWITCH_SIG "sha256=f1a5ab243e70eee657e34e662aa5b71785464e380c5f7f08bbb1bba5edf8de0d"
#define TWITCH_HEADERS(ts)                                                                        \
    {{"Twitch-Eventsub-Message-Id", "msg-1"},                                                      \
     {"Twitch-Eventsub-Message-Timestamp", ts},                                                    \
     {"Twitch-Eventsub-Message-Signature", TWITCH_SIG}}
#define PADDLE_BODY "{\"event_id\":\"evt_1\"}"
#define PADDLE_H1 "eacffd5101a394b97b62b11cc2a696b353ff911d9bd8bdc45b79bd4697ff07e5"
#define PADDLE_OLD_H1 "15e3033f6aa22a577cc6e21de268c4c672941c6aff3b65dcb896fcabd7425836"
#define LINEAR_BODY "{\"action\":\"create\",\"webhookTimestamp\":1700000000000}"
#define LINEAR_SIG "07431dbb57f886406178610d676d7f4f2637afa35f6308a12b4a299ea35c28fc"
#define LINEAR_NO_TS_BODY "{\"action\":\"create\"}"
#define LINEAR_NO_TS_SIG "ac9004c0f3875a2c14067c97157535c8b775f12fd3feb7410fb1e4974c1eefac"

static const struct sig_case EDGE_CASES[] = {
    {.name = "twitch offset and fraction", .scheme = VERIFY_TWITCH, .secrets = {"twitch-secret"},
     .headers = TWITCH_HEADERS("2023-11-14T23:13:20.5+01:00"), .body = TWITCH_BODY,
     .now_s = 1700000000, .tolerance_s = 600},
    {.name = "twitch offset read the wrong way is stale", .scheme = VERIFY_TWITCH,
     .secrets = {"twitch-secret"}, .headers = TWITCH_HEADERS("2023-11-14T23:13:20.5+01:00"),
     .body = TWITCH_BODY, .now_s = 1700007200, .tolerance_s = 600, .expected = STALE},
    {.name = "twitch signed time, other text", .scheme = VERIFY_TWITCH,
     .secrets = {"twitch-secret"}, .headers = TWITCH_HEADERS("2023-11-14T22:13:20.5Z"),
     .body = TWITCH_BODY, .now_s = 1700000000, .tolerance_s = 600, .expected = BAD},
    {.name = "twitch not RFC 3339", .scheme = VERIFY_TWITCH, .secrets = {"twitch-secret"},
     .headers = TWITCH_HEADERS("1700000000"), .body = TWITCH_BODY, .now_s = 1700000000,
     .tolerance_s = 600, .expected = BAD},
    {.name = "twitch February 30th", .scheme = VERIFY_TWITCH, .secrets = {"twitch-secret"},
     .headers = TWITCH_HEADERS("2023-02-30T00:00:00Z"), .body = TWITCH_BODY,
     .now_s = 1700000000, .tolerance_s = 600, .expected = BAD},
    {.name = "paddle second h1 of a roll", .scheme = VERIFY_PADDLE, .secrets = {"pdl-secret"},
     .headers = {{"Paddle-Signature", "ts=1700000000;h1=" PADDLE_OLD_H1 ";h1=" PADDLE_H1}},
     .body = PADDLE_BODY, .now_s = 1700000004, .tolerance_s = 5},
    {.name = "paddle old secret only", .scheme = VERIFY_PADDLE, .secrets = {"pdl-secret"},
     .headers = {{"Paddle-Signature", "ts=1700000000;h1=" PADDLE_OLD_H1}}, .body = PADDLE_BODY,
     .now_s = 1700000000, .tolerance_s = 5, .expected = BAD},
    {.name = "paddle six seconds late", .scheme = VERIFY_PADDLE, .secrets = {"pdl-secret"},
     .headers = {{"Paddle-Signature", "ts=1700000000;h1=" PADDLE_H1}}, .body = PADDLE_BODY,
     .now_s = 1700000006, .tolerance_s = 5, .expected = STALE},
    {.name = "paddle two timestamps", .scheme = VERIFY_PADDLE, .secrets = {"pdl-secret"},
     .headers = {{"Paddle-Signature", "ts=1700000000;ts=1700000001;h1=" PADDLE_H1}},
     .body = PADDLE_BODY, .now_s = 1700000000, .tolerance_s = 5, .expected = BAD},
    {.name = "paddle no h1", .scheme = VERIFY_PADDLE, .secrets = {"pdl-secret"},
     .headers = {{"Paddle-Signature", "ts=1700000000"}}, .body = PADDLE_BODY,
     .now_s = 1700000000, .tolerance_s = 5, .expected = BAD},
    {.name = "linear timestamp in the body", .scheme = VERIFY_LINEAR,
     .secrets = {"linear-secret"}, .headers = {{"Linear-Signature", LINEAR_SIG}},
     .body = LINEAR_BODY, .now_s = 1700000059, .tolerance_s = 60},
    {.name = "linear a minute and two seconds late", .scheme = VERIFY_LINEAR,
     .secrets = {"linear-secret"}, .headers = {{"Linear-Signature", LINEAR_SIG}},
     .body = LINEAR_BODY, .now_s = 1700000062, .tolerance_s = 60, .expected = STALE},
    {.name = "linear signed body without a timestamp", .scheme = VERIFY_LINEAR,
     .secrets = {"linear-secret"}, .headers = {{"Linear-Signature", LINEAR_NO_TS_SIG}},
     .body = LINEAR_NO_TS_BODY, .now_s = 1700000000, .tolerance_s = 60, .expected = BAD},
};

/* Fills s with a secret as config_load would store it for scheme. */
static void secret_init(struct secret *s, enum verify_scheme scheme, const char *text)
{
    size_t len = 0;

    if (scheme == VERIFY_STANDARD) {
        assert_memory_equal(text, "whsec_", 6);
        s->bytes = codec_base64_decode(text + 6, strlen(text) - 6, &len);
        assert_non_null(s->bytes);
    } else {
        len = strlen(text);
        s->bytes = (unsigned char *)strdup(text);
        assert_non_null(s->bytes);
    }
    s->len = len;
}

static void run_case(void **state)
{
    const struct sig_case *c = *state;
    struct verify_config v;
    struct headers h;
    struct error err;
    size_t n = 0;
    int rc;

    memset(&v, 0, sizeof(v));
    v.scheme = c->scheme;
    v.tolerance_s = c->tolerance_s != 0 ? c->tolerance_s : CONFIG_DEFAULT_TOLERANCE_S;
    v.header = (char *)c->header;
    v.algorithm = c->algorithm;
    v.encoding = c->encoding;
    v.prefix = (char *)c->prefix;
    v.public_url = (char *)c->public_url;
    while (n < CASE_SECRETS_MAX && c->secrets[n] != NULL)
        n++;
    v.secrets = calloc(n != 0 ? n : 1, sizeof(*v.secrets));
    assert_non_null(v.secrets);
    for (size_t i = 0; i < n; i++)
        secret_init(&v.secrets[i], c->scheme, c->secrets[i]);
    v.n_secrets = n;
    headers_init(&h);
    for (size_t i = 0; i < CASE_HEADERS_MAX && c->headers[i][0] != NULL; i++)
        headers_add(&h, c->headers[i][0], c->headers[i][1]);
    error_clear(&err);

    rc = sig_verify(&v,
                    &(struct sig_request){"POST", c->query != NULL ? c->query : "", &h, c->body,
                                          strlen(c->body)},
                    c->now_s, &err);

    if (c->expected == NULL) {
        if (rc != 0)
            fail_msg("refused with %s: %s", err.tag, err.msg);
    } else {
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, HS_ERR_AUTH);
        assert_string_equal(err.tag, c->expected);
        assert_true(err.msg[0] >= 'a' && err.msg[0] <= 'z');
        /* Secrets, tokens and signatures never reach a message. */
        for (size_t i = 0; i < n; i++)
            assert_null(strstr(err.msg, c->secrets[i]));
        for (size_t i = 0; i < CASE_HEADERS_MAX && c->headers[i][0] != NULL; i++) {
            if (strlen(c->headers[i][1]) >= 8)
                assert_null(strstr(err.msg, c->headers[i][1]));
        }
    }
    for (size_t i = 0; i < n; i++)
        free(v.secrets[i].bytes);
    free(v.secrets);
    headers_free(&h);
}

static struct secret standard_example_key(void)
{
    struct secret key;

    secret_init(&key, VERIFY_STANDARD, SW_SECRET);
    return key;
}

static void test_standard_sign_example(void **state)
{
    struct secret key = standard_example_key();
    char *value;

    (void)state;
    value = sig_standard_sign(&key, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY));
    assert_string_equal(value, SW_SIG);
    free(value);
    value = sig_standard_sign(&key, "msg_1", SW_TS, NULL, 0);
    assert_string_equal(value, SW_EMPTY_SIG);
    free(value);
    free(key.bytes);
}

/* What the drain signs, a Standard Webhooks receiver (sig_verify) accepts. */
static void test_standard_sign_round_trip(void **state)
{
    static const unsigned char body[] = {0x00, 0xff, '{', '}', 0x80, '\n'};
    struct secret key = standard_example_key();
    struct verify_config v;
    struct headers h;
    struct error err;
    char *value;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.scheme = VERIFY_STANDARD;
    v.secrets = &key;
    v.n_secrets = 1;
    v.tolerance_s = CONFIG_DEFAULT_TOLERANCE_S;
    value = sig_standard_sign(&key, "msg_2", 4102444800, body, sizeof(body));
    headers_init(&h);
    headers_add(&h, "Webhook-Id", "msg_2");
    headers_add(&h, "Webhook-Timestamp", "4102444800");
    headers_add(&h, "Webhook-Signature", value);
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &h, body, sizeof(body)},
                                4102444800, &err),
                     0);
    /* A binary body one byte short is caught. */
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &h, body, sizeof(body) - 1},
                                4102444800, &err),
                     -1);
    assert_string_equal(err.tag, BAD);
    headers_free(&h);
    free(value);
    free(key.bytes);
}

/* A request with no body at all (NULL, 0) is verified like an empty one. */
static void test_null_body(void **state)
{
    struct secret key = {(unsigned char *)GH_SECRET, sizeof(GH_SECRET) - 1};
    struct verify_config v;
    struct headers h;
    struct error err;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.scheme = VERIFY_GITHUB;
    v.secrets = &key;
    v.n_secrets = 1;
    headers_init(&h);
    headers_add(&h, "X-Hub-Signature-256", "sha256=" GH_EMPTY_HEX);
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &h, NULL, 0}, 0, &err), 0);
    headers_free(&h);
}

/* Timestamps are compared without overflow however far apart they are. */
static void test_extreme_now(void **state)
{
    struct secret key = {(unsigned char *)SL_SECRET, sizeof(SL_SECRET) - 1};
    struct verify_config v;
    struct headers h;
    struct error err;

    (void)state;
    memset(&v, 0, sizeof(v));
    v.scheme = VERIFY_SLACK;
    v.secrets = &key;
    v.n_secrets = 1;
    v.tolerance_s = CONFIG_DEFAULT_TOLERANCE_S;
    headers_init(&h);
    headers_add(&h, "X-Slack-Request-Timestamp", "999999999999999999");
    headers_add(&h, "X-Slack-Signature", "v0=" SL_HEX);
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &h, SL_BODY, strlen(SL_BODY)},
                                INT64_MIN, &err),
                     -1);
    assert_string_equal(err.tag, STALE);
    assert_int_equal(sig_verify(&v, &(struct sig_request){"POST", "", &h, SL_BODY, strlen(SL_BODY)},
                                INT64_MAX, &err),
                     -1);
    assert_string_equal(err.tag, STALE);
    headers_free(&h);
}

int main(void)
{
    struct CMUnitTest tests[ARRAY_LEN(CASES) + ARRAY_LEN(EDGE_CASES) + 4];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = CASES[i].name,
            .test_func = run_case,
            .initial_state = (void *)&CASES[i],
        };
    }
    for (size_t i = 0; i < ARRAY_LEN(EDGE_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = EDGE_CASES[i].name,
            .test_func = run_case,
            .initial_state = (void *)&EDGE_CASES[i],
        };
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_standard_sign_example);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_standard_sign_round_trip);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_null_body);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_extreme_now);
    assert_int_equal(n, ARRAY_LEN(tests));
    return cmocka_run_group_tests_name("sig", tests, NULL, NULL);
}
