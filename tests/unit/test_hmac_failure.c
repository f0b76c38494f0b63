/*
 * test_hmac_failure: an HMAC OpenSSL cannot compute is an error, and never a
 * match, least of all for an empty signature.
 *
 * OpenSSL really fails here: before anything else touches it, the process
 * loads only OpenSSL's "null" provider, which offers no algorithm, so every
 * HMAC fetch fails (as under an OpenSSL config that enables a provider
 * without HMAC-SHA256). Then an empty "v1=" entry (Stripe), an empty "v1,"
 * entry (Standard Webhooks), an empty "sha256=" (GitHub) and any token must
 * all be refused, with "signature_check_failed", a transient error (503), wherever a MAC
 * was needed; never accepted.
 *
 * The Makefile links this file twice: against the library as built
 * (test_hmac_failure) and against digest.c and sig.c compiled with -DNDEBUG
 * (test_hmac_failure_ndebug), so the refusal never rests on an assert.
 * The last case loads the default provider back and checks the same
 * requests are then refused as bad signatures, and a valid one passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/provider.h>

#include "config.h"
#include "digest.h"
#include "error.h"
#include "headers.h"
#include "sig.h"

#define NOW 1700000000
#define SECRET "whsec_test_stripe_secret"
#define BODY "{\"id\":\"evt_1\",\"object\":\"event\"}"
/* HMAC-SHA256(SECRET, "1700000000." BODY), as in test_sig. */
#define STRIPE_HEX "a3f7577b5518684477bd9612ead24a821d41229f67ec05caf431fdba6938f2cf"

struct request {
    enum verify_scheme scheme;
    const char *names[3];
    const char *values[3];
    enum error_code failed_hmac; /* the refusal while no HMAC can be computed */
};

static const struct request EMPTY_SIGNATURES[] = {
    {VERIFY_STRIPE, {"Stripe-Signature"}, {"t=1700000000,v1="}, HS_ERR_TRANSIENT},
    {VERIFY_STRIPE, {"Stripe-Signature"}, {"t=1700000000,v1=,v1="}, HS_ERR_TRANSIENT},
    {VERIFY_STANDARD,
     {"webhook-id", "webhook-timestamp", "webhook-signature"},
     {"msg_1", "1700000000", "v1,"},
     HS_ERR_TRANSIENT},
    /* A single empty signature is refused before any MAC is computed. */
    {VERIFY_GITHUB, {"X-Hub-Signature-256"}, {"sha256="}, HS_ERR_AUTH},
    {VERIFY_TOKEN, {"X-Gitlab-Token"}, {SECRET}, HS_ERR_TRANSIENT},
};

static OSSL_PROVIDER *null_provider;
static OSSL_PROVIDER *default_provider;

static void config_for(struct verify_config *v, struct secret *s, enum verify_scheme scheme)
{
    memset(v, 0, sizeof(*v));
    s->bytes = (unsigned char *)SECRET;
    s->len = strlen(SECRET);
    v->scheme = scheme;
    v->secrets = s;
    v->n_secrets = 1;
    v->tolerance_s = 300;
    v->header = scheme == VERIFY_TOKEN ? (char *)"X-Gitlab-Token" : NULL;
}

static int verify(const struct request *r, struct error *err)
{
    struct verify_config v;
    struct secret s;
    struct headers h;
    int rc;

    config_for(&v, &s, r->scheme);
    headers_init(&h);
    for (size_t i = 0; i < 3 && r->names[i] != NULL; i++)
        headers_add(&h, r->names[i], r->values[i]);
    error_clear(err);
    rc = sig_verify(&v, &(struct sig_request){"POST", "", &h, BODY, strlen(BODY)}, NOW, err);
    headers_free(&h);
    return rc;
}

static void test_hmac_reports_failure(void **state)
{
    unsigned char out[DIGEST_MAX];

    (void)state;
    assert_int_equal(digest_hmac(DIGEST_SHA256, "k", 1, "data", 4, out), 0);
    assert_int_equal(digest_hmac(DIGEST_SHA1, "k", 1, "data", 4, out), 0);
    assert_int_equal(digest_hmac(DIGEST_SHA512, "k", 1, "data", 4, out), 0);
}

static void test_empty_signature_never_matches_a_failed_hmac(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(EMPTY_SIGNATURES) / sizeof(EMPTY_SIGNATURES[0]); i++) {
        struct error err;

        print_message("case %zu: %s\n", i, EMPTY_SIGNATURES[i].names[0]);
        assert_int_equal(verify(&EMPTY_SIGNATURES[i], &err), -1);
        assert_int_equal(err.code, EMPTY_SIGNATURES[i].failed_hmac);
        if (err.code == HS_ERR_TRANSIENT)
            assert_string_equal(err.tag, "signature_check_failed");
    }
}

/* Once OpenSSL works again, the same empty entries are bad signatures, and a real one passes. */
static void test_with_a_working_openssl(void **state)
{
    static const struct request valid = {
        VERIFY_STRIPE, {"Stripe-Signature"}, {"t=1700000000,v1=" STRIPE_HEX}, HS_OK};
    struct error err;

    (void)state;
    assert_true(OSSL_PROVIDER_unload(null_provider));
    null_provider = NULL;
    default_provider = OSSL_PROVIDER_load(NULL, "default");
    assert_non_null(default_provider);
    for (size_t i = 0; i < sizeof(EMPTY_SIGNATURES) / sizeof(EMPTY_SIGNATURES[0]) - 1; i++) {
        assert_int_equal(verify(&EMPTY_SIGNATURES[i], &err), -1);
        assert_int_equal(err.code, HS_ERR_AUTH);
    }
    assert_int_equal(verify(&valid, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_reports_failure),
        cmocka_unit_test(test_empty_signature_never_matches_a_failed_hmac),
        cmocka_unit_test(test_with_a_working_openssl),
    };
    int failed;

    /* Loaded explicitly, a provider stops OpenSSL loading its default one on first use. */
    null_provider = OSSL_PROVIDER_load(NULL, "null");
    if (null_provider == NULL) {
        fprintf(stderr, "unable to load OpenSSL's null provider\n");
        return 1;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (null_provider != NULL)
        OSSL_PROVIDER_unload(null_provider);
    if (default_provider != NULL)
        OSSL_PROVIDER_unload(default_provider);
    return failed;
}
