/* Unit tests for lib/guard.c: token bucket and circuit breaker, on a driven clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guard.h"

static void unlimited_always_goes(void **state)
{
    struct guard_limits l = {0, 10, 60};
    struct guard *g = guard_new(&l, 1);
    int64_t wait = 0;

    (void)state;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(guard_admit(g, 0, 1000, &wait), GUARD_GO);
    guard_free(g);
}

static void rate_limit_counts_tokens(void **state)
{
    struct guard_limits l = {5, 10, 60};
    struct guard *g = guard_new(&l, 1);
    int64_t now = 1000;
    int64_t wait = 0;
    int go = 0;

    (void)state;
    /* A full bucket: 5 at once, then a wait of about 200 ms per token. */
    for (int i = 0; i < 10; i++)
        go += guard_admit(g, 0, now, &wait) == GUARD_GO;
    assert_int_equal(go, 5);
    assert_int_equal(guard_admit(g, 0, now, &wait), GUARD_WAIT);
    assert_true(wait >= 190 && wait <= 201);
    assert_int_equal(guard_admit(g, 0, now + 199, &wait), GUARD_WAIT);
    assert_int_equal(guard_admit(g, 0, now + 200, &wait), GUARD_GO);
    /* Over 10 s of continuous asking, about 5 per second get through. */
    go = 0;
    for (int64_t t = now + 201; t < now + 10201; t += 10)
        go += guard_admit(g, 0, t, &wait) == GUARD_GO;
    assert_true(go >= 49 && go <= 51);
    guard_free(g);
}

static void fractional_rate(void **state)
{
    struct guard_limits l = {0.5, 10, 60};
    struct guard *g = guard_new(&l, 1);
    int64_t wait = 0;

    (void)state;
    assert_int_equal(guard_admit(g, 0, 1000, &wait), GUARD_GO);
    assert_int_equal(guard_admit(g, 0, 1000, &wait), GUARD_WAIT);
    assert_true(wait >= 1999 && wait <= 2001);
    assert_int_equal(guard_admit(g, 0, 3000, &wait), GUARD_GO);
    guard_free(g);
}

static void breaker_opens_after_consecutive_failures(void **state)
{
    struct guard_limits l = {0, 3, 60};
    struct guard *g = guard_new(&l, 1);
    int64_t wait = 0;

    (void)state;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(guard_admit(g, 0, 1000, &wait), GUARD_GO);
        guard_report(g, 0, GUARD_FAILURE, 1000);
    }
    /* A success in between resets the count. */
    assert_int_equal(guard_admit(g, 0, 1000, &wait), GUARD_GO);
    guard_report(g, 0, GUARD_SUCCESS, 1000);
    for (int i = 0; i < 3; i++) {
        assert_false(guard_paused(g, 0, 2000));
        assert_int_equal(guard_admit(g, 0, 2000, &wait), GUARD_GO);
        guard_report(g, 0, GUARD_FAILURE, 2000);
    }
    assert_true(guard_paused(g, 0, 2000));
    assert_int_equal(guard_admit(g, 0, 2000, &wait), GUARD_PAUSED);
    assert_int_equal(guard_admit(g, 0, 61999, &wait), GUARD_PAUSED);
    guard_free(g);
}

static void half_open_lets_one_probe(void **state)
{
    struct guard_limits l[2] = {{0, 1, 10}, {0, 1, 10}};
    struct guard *g = guard_new(l, 2);
    int64_t wait = 0;

    (void)state;
    assert_int_equal(guard_admit(g, 0, 0, &wait), GUARD_GO);
    guard_report(g, 0, GUARD_FAILURE, 0);
    /* Slots are independent. */
    assert_int_equal(guard_admit(g, 1, 0, &wait), GUARD_GO);
    guard_report(g, 1, GUARD_SUCCESS, 0);
    assert_int_equal(guard_admit(g, 0, 9999, &wait), GUARD_PAUSED);
    /* Pause over: one probe, the others wait for its outcome. */
    assert_int_equal(guard_admit(g, 0, 10000, &wait), GUARD_GO);
    assert_int_equal(guard_admit(g, 0, 10000, &wait), GUARD_PAUSED);
    guard_report(g, 0, GUARD_FAILURE, 10000);
    assert_int_equal(guard_admit(g, 0, 19999, &wait), GUARD_PAUSED);
    assert_int_equal(guard_admit(g, 0, 20000, &wait), GUARD_GO);
    guard_report(g, 0, GUARD_SUCCESS, 20000);
    assert_int_equal(guard_admit(g, 0, 20000, &wait), GUARD_GO);
    assert_int_equal(guard_admit(g, 0, 20000, &wait), GUARD_GO);
    guard_free(g);
}

static void outcome_of_status(void **state)
{
    static const struct {
        int status;
        enum guard_outcome want;
    } cases[] = {
        {200, GUARD_SUCCESS}, {204, GUARD_SUCCESS}, {400, GUARD_SUCCESS}, {410, GUARD_SUCCESS},
        {0, GUARD_FAILURE},   {429, GUARD_FAILURE}, {500, GUARD_FAILURE}, {503, GUARD_FAILURE},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(guard_outcome_of(cases[i].status), cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unlimited_always_goes),
        cmocka_unit_test(rate_limit_counts_tokens),
        cmocka_unit_test(fractional_rate),
        cmocka_unit_test(breaker_opens_after_consecutive_failures),
        cmocka_unit_test(half_open_lets_one_probe),
        cmocka_unit_test(outcome_of_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
