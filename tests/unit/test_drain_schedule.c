/* Unit tests for lib/drain.c's pure decisions: next state, DUE with jitter and
 * Retry-After, shards; and lib/metrics.c's text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drain.h"
#include "key.h"
#include "metrics.h"

static void next_state_table(void **state)
{
    static const struct {
        int status;
        size_t attempts;
        size_t n_schedule;
        enum drain_next want;
    } cases[] = {
        {200, 1, 3, DRAIN_NEXT_DONE},  {299, 3, 3, DRAIN_NEXT_DONE},
        {500, 1, 3, DRAIN_NEXT_RETRY}, {500, 2, 3, DRAIN_NEXT_RETRY},
        {500, 3, 3, DRAIN_NEXT_DEAD},  {0, 3, 3, DRAIN_NEXT_DEAD},
        {0, 1, 3, DRAIN_NEXT_RETRY},   {410, 1, 8, DRAIN_NEXT_DEAD},
        {429, 1, 8, DRAIN_NEXT_RETRY}, {404, 1, 8, DRAIN_NEXT_RETRY},
        {302, 1, 8, DRAIN_NEXT_RETRY}, {500, 1, 1, DRAIN_NEXT_DEAD},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(drain_next_state(cases[i].status, cases[i].attempts,
                                          cases[i].n_schedule),
                         cases[i].want);
}

static void due_jitter_bounds(void **state)
{
    const int64_t now = 1800000000;

    (void)state;
    /* A zero delay stays zero whatever the draw. */
    assert_int_equal(drain_due(now, 0, -1.0, -1), now);
    assert_int_equal(drain_due(now, 0, 1.0, -1), now);
    /* +-10 % of the delay at the extremes, exact in the middle. */
    assert_int_equal(drain_due(now, 300, 0.0, -1), now + 300);
    assert_int_equal(drain_due(now, 300, -1.0, -1), now + 270);
    assert_int_equal(drain_due(now, 300, 1.0, -1), now + 330);
    assert_int_equal(drain_due(now, 300, 0.5, -1), now + 315);
    assert_int_equal(drain_due(now, 5, 1.0, -1), now + 6); /* 5.5 rounds up */
    for (double d = -1.0; d <= 1.0; d += 0.125) {
        int64_t due = drain_due(now, 7200, d, -1);

        assert_true(due >= now + 6480 && due <= now + 7920);
    }
}

static void due_retry_after(void **state)
{
    const int64_t now = 1800000000;

    (void)state;
    /* Retry-After pushes later, never earlier. */
    assert_int_equal(drain_due(now, 1, 0.0, 2), now + 2);
    assert_int_equal(drain_due(now, 0, 0.0, 120), now + 120);
    assert_int_equal(drain_due(now, 300, 0.0, 2), now + 300);
    assert_int_equal(drain_due(now, 300, 0.0, 0), now + 300);
    assert_int_equal(drain_due(now, 0, 0.0, 0), now);
}

static void due_key_sorts_in_due_order(void **state)
{
    char a[KEY_OBJECT_MAX + 1];
    char b[KEY_OBJECT_MAX + 1];

    (void)state;
    key_object(KEY_RETRY, drain_due(999999999, 1, 0.0, -1), "s", "k", a);
    key_object(KEY_RETRY, drain_due(1000000000, 5, 0.0, -1), "a", "a", b);
    assert_string_equal(a, "retry/1000000000/s/k");
    assert_true(strcmp(a, b) < 0);
}

static void shard_parse_table(void **state)
{
    static const struct {
        const char *text;
        int ok;
        unsigned i;
        unsigned n;
    } cases[] = {
        {"0/1", 1, 0, 1}, {"0/2", 1, 0, 2}, {"1/2", 1, 1, 2},  {"7/8", 1, 7, 8},
        {"2/2", 0, 0, 0}, {"0/0", 0, 0, 0}, {"1", 0, 0, 0},    {"/2", 0, 0, 0},
        {"-1/2", 0, 0, 0}, {"1/2x", 0, 0, 0}, {"a/b", 0, 0, 0}, {"", 0, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned si = 99;
        unsigned sn = 99;
        int rc = drain_shard_parse(cases[i].text, &si, &sn);

        assert_int_equal(rc == 0, cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(si, cases[i].i);
            assert_int_equal(sn, cases[i].n);
        }
    }
}

static void shards_partition_keys(void **state)
{
    char key[32];
    int hits[3] = {0, 0, 0};

    (void)state;
    for (int k = 0; k < 300; k++) {
        int owners = 0;

        snprintf(key, sizeof(key), "key-%d", k);
        assert_true(drain_in_shard("src", key, 0, 1));
        for (unsigned s = 0; s < 3; s++) {
            if (drain_in_shard("src", key, s, 3)) {
                owners++;
                hits[s]++;
            }
        }
        assert_int_equal(owners, 1);
    }
    for (int s = 0; s < 3; s++)
        assert_true(hits[s] > 50);
}

static void exit_codes(void **state)
{
    struct drain_counts c;

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(drain_exit_code(&c, 0), 0);
    c.dead = 3;
    c.delivered = 4;
    assert_int_equal(drain_exit_code(&c, 0), 0);
    c.failed = 1;
    assert_int_equal(drain_exit_code(&c, 0), 1);
    assert_int_equal(drain_exit_code(&c, -1), 3);
    c.store_errors = 1;
    assert_int_equal(drain_exit_code(&c, 0), 3);
}

static void metrics_text(void **state)
{
    struct metrics *m = metrics_new();
    struct backlog_counts b = {4, 2, -1, 1};
    char *text;

    (void)state;
    metrics_attempt(m, "gh", "ci", 200, 3);
    metrics_attempt(m, "gh", "ci", 500, 40);
    metrics_attempt(m, "gh", "tracker", 0, 120000);
    metrics_gave_up(m, "gh", "tracker");
    metrics_dead(m);
    metrics_pass(m, 1800000000500);
    text = metrics_render(m, &b);
    /* One series per destination, in the order first seen. */
    assert_non_null(strstr(text, "# TYPE hookspool_delivered_total counter\n"
                                 "hookspool_delivered_total{source=\"gh\",destination=\"ci\"} 1\n"
                                 "hookspool_delivered_total{source=\"gh\",destination=\"tracker\"}"
                                 " 0\n"));
    assert_non_null(
        strstr(text, "hookspool_attempts_failed_total{source=\"gh\",destination=\"ci\"} 1\n"));
    assert_non_null(strstr(
        text, "hookspool_attempts_failed_total{source=\"gh\",destination=\"tracker\"} 1\n"));
    assert_non_null(
        strstr(text, "hookspool_gave_up_total{source=\"gh\",destination=\"tracker\"} 1\n"));
    assert_non_null(strstr(text, "hookspool_gave_up_total{source=\"gh\",destination=\"ci\"} 0\n"));
    assert_non_null(strstr(text, "hookspool_dead_total 1\n"));
    assert_non_null(strstr(text, "hookspool_backlog{state=\"pending\"} 4\n"));
    assert_non_null(strstr(text, "hookspool_backlog{state=\"retry\"} 2\n"));
    assert_non_null(strstr(text, "hookspool_backlog{state=\"dead\"} 1\n"));
    assert_non_null(strstr(text, "# TYPE hookspool_delivery_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "hookspool_delivery_duration_seconds_bucket{le=\"0.005\"} 1\n"));
    assert_non_null(strstr(text, "hookspool_delivery_duration_seconds_bucket{le=\"0.05\"} 2\n"));
    assert_non_null(strstr(text, "hookspool_delivery_duration_seconds_bucket{le=\"60\"} 2\n"));
    assert_non_null(strstr(text, "hookspool_delivery_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "hookspool_delivery_duration_seconds_count 3\n"));
    assert_non_null(strstr(text, "hookspool_last_pass_timestamp_seconds 1800000000.500\n"));
    free(text);
    text = metrics_render(m, NULL);
    assert_null(strstr(text, "hookspool_backlog{"));
    free(text);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_state_table),
        cmocka_unit_test(due_jitter_bounds),
        cmocka_unit_test(due_retry_after),
        cmocka_unit_test(due_key_sorts_in_due_order),
        cmocka_unit_test(shard_parse_table),
        cmocka_unit_test(shards_partition_keys),
        cmocka_unit_test(exit_codes),
        cmocka_unit_test(metrics_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
