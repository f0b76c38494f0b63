/*
 * test_backlog: the handler's cached reading of _stats/backlog.json, over an
 * fs store in a temporary directory: a fresh count counts, a count older than
 * backlog_stale_s (or without "updated_at") is ignored with one warning per
 * refresh, a missing file is 0, the cache holds a value for BACKLOG_CACHE_MS,
 * and what backlog_write writes reads back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backlog.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "store.h"
#include "xmalloc.h"

#define STALE_S 300

struct fixture {
    char dir[64];
    char log[80];
    struct store_config cfg;
    struct store *store;
    struct backlog_cache cache;
};

static int setup(void **state)
{
    struct fixture *fx = xcalloc(1, sizeof(*fx));
    struct error err;

    strcpy(fx->dir, "/tmp/hookspool-backlog.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->log, sizeof(fx->log), "%s.log", fx->dir);
    fx->cfg.url = xasprintf("file://%s", fx->dir);
    fx->cfg.timeout_ms = 1000;
    error_clear(&err);
    fx->store = store_open(&fx->cfg, &err);
    assert_non_null(fx->store);
    fx->cache.read_at_ms = 0;
    fx->cache.backlog = 0;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char *cmd = xasprintf("rm -rf '%s' '%s'", fx->dir, fx->log);

    store_close(fx->store);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(fx->cfg.url);
    free(fx);
    return 0;
}

/* Writes the stats object with backlog n, updated age_s ago (age_s < 0: no "updated_at"). */
static void put_stats(struct fixture *fx, long n, long age_s)
{
    char when[CLOCK_ISO_MAX];
    char *text;
    struct error err;

    clock_iso8601(clock_now_ms() - (int64_t)age_s * 1000, when);
    if (age_s >= 0)
        text = xasprintf("{\"updated_at\": \"%s\", \"backlog\": %ld}", when, n);
    else
        text = xasprintf("{\"backlog\": %ld}", n);
    error_clear(&err);
    assert_int_equal(store_put(fx->store, BACKLOG_KEY, text, strlen(text), &err), 0);
    free(text);
}

/* backlog_current at now_mono, with stderr captured; *warnings: "backlog_stale" lines. */
static long current(struct fixture *fx, int64_t now_mono, int *warnings)
{
    int saved = dup(2);
    int fd = open(fx->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct error err;
    long backlog = -1;
    char line[1024];
    FILE *f;

    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
    error_clear(&err);
    assert_int_equal(backlog_current(&fx->cache, fx->store, now_mono, STALE_S, &backlog, &err), 0);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    *warnings = 0;
    f = fopen(fx->log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "\"backlog_stale\"") != NULL)
            (*warnings)++;
    }
    fclose(f);
    return backlog;
}

static void test_fresh_count_counts(void **state)
{
    struct fixture *fx = *state;
    int warnings;

    put_stats(fx, 1000, 10);
    assert_int_equal(current(fx, 1, &warnings), 1000);
    assert_int_equal(warnings, 0);
}

/* The drain stopped while over max_backlog: its last count must not refuse intake forever. */
static void test_stale_count_is_ignored(void **state)
{
    struct fixture *fx = *state;
    int warnings;

    put_stats(fx, 1000, STALE_S + 60);
    assert_int_equal(current(fx, 1, &warnings), 0);
    assert_int_equal(warnings, 1);
    /* From the cache: no new read, no new warning. */
    assert_int_equal(current(fx, 1 + BACKLOG_CACHE_MS - 1, &warnings), 0);
    assert_int_equal(warnings, 0);
    /* The next refresh warns again, once. */
    assert_int_equal(current(fx, 1 + BACKLOG_CACHE_MS, &warnings), 0);
    assert_int_equal(warnings, 1);
    /* The drain is back: its fresh count counts again. */
    put_stats(fx, 1000, 0);
    assert_int_equal(current(fx, 1 + 2 * BACKLOG_CACHE_MS, &warnings), 1000);
    assert_int_equal(warnings, 0);
}

static void test_undated_count_is_ignored(void **state)
{
    struct fixture *fx = *state;
    int warnings;

    put_stats(fx, 1000, -1);
    assert_int_equal(current(fx, 1, &warnings), 0);
    assert_int_equal(warnings, 1);
}

static void test_missing_file_is_zero(void **state)
{
    struct fixture *fx = *state;
    int warnings;

    assert_int_equal(current(fx, 1, &warnings), 0);
    assert_int_equal(warnings, 0);
}

static void test_written_counts_read_back(void **state)
{
    struct fixture *fx = *state;
    struct backlog_counts total = {7, 5, -1, 2};
    struct backlog_source sources[] = {{"github", {7, 5, -1, 2}}};
    struct error err;
    int warnings;

    error_clear(&err);
    assert_int_equal(backlog_write(fx->store, &total, sources, 1, &err), 0);
    assert_int_equal(current(fx, 1, &warnings), 12);
    assert_int_equal(warnings, 0);
}

static void test_parse_iso8601(void **state)
{
    char when[CLOCK_ISO_MAX];
    int64_t ms = 0;

    (void)state;
    clock_iso8601(1795316645123LL, when);
    assert_int_equal(clock_parse_iso8601(when, &ms), 0);
    assert_true(ms == 1795316645123LL);
    assert_int_equal(clock_parse_iso8601("2026-11-22T03:04:05Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22T03:04:05.123", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-11-22 03:04:05.123Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("2026-13-22T03:04:05.123Z", &ms), -1);
    assert_int_equal(clock_parse_iso8601("", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_count_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_count_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undated_count_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_is_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_written_counts_read_back, setup, teardown),
        cmocka_unit_test(test_parse_iso8601),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
