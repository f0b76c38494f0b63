/*
 * hookspool-drain: delivers the spool's webhooks (lib/drain.c) and runs the
 * operator commands (lib/admin.c). This file only reads arguments and the
 * config, opens the store, handles signals and loops; see DESIGN.md "Drain".
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "backlog.h"
#include "census.h"
#include "clock.h"
#include "config.h"
#include "drain.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

enum { EXIT_DONE = 0, EXIT_RESCHEDULED = 1, EXIT_USAGE = 2, EXIT_STORE = 3 };

/* Lock-free, so a signal handler may store it and worker threads read it. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag must be a lock-free atomic");
static atomic_int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct options {
    const char *config;
    int once;
    unsigned shard_i;
    unsigned shard_n;
    int concurrency; /* 0: the config's */
    const char *metrics_file;
    int command;     /* index in argv of the operator command; 0: deliver */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: hookspool-drain [--config F] [--once] [--shard I/N] [--concurrency N]\n"
               "                       [--metrics-file F]\n"
               "       hookspool-drain [--config F] ls STATE [SOURCE] [--destination NAME]\n"
               "                       [--status N] [--long]\n"
               "       hookspool-drain [--config F] show OBJECT_KEY\n"
               "       hookspool-drain [--config F] replay [--destination NAME] OBJECT_KEY...\n"
               "       hookspool-drain [--config F] replay --all dead|done [SOURCE]\n"
               "                       [--destination NAME] [--since T] [--until T] [--dry-run]\n"
               "                       [--limit N]\n"
               "       hookspool-drain [--config F] stats [--json] [--destinations]\n"
               "STATE is one of pending, retry, done, dead. T is 2026-11-22T03:04:05Z,\n"
               "2026-11-22 or epoch seconds, compared with when the webhook was received.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->shard_n = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;

        if (strcmp(a, "--once") == 0) {
            o->once = 1;
        } else if (strcmp(a, "--config") == 0 && v != NULL) {
            o->config = v;
            i++;
        } else if (strcmp(a, "--metrics-file") == 0 && v != NULL) {
            o->metrics_file = v;
            i++;
        } else if (strcmp(a, "--shard") == 0 && v != NULL) {
            if (drain_shard_parse(v, &o->shard_i, &o->shard_n) != 0) {
                fprintf(stderr, "--shard: expected I/N with 0 <= I < N, got '%s'\n", v);
                return -1;
            }
            i++;
        } else if (strcmp(a, "--concurrency") == 0 && v != NULL) {
            long n = strtol(v, &end, 10);

            if (*end != '\0' || n < 1 || n > 1024) {
                fprintf(stderr, "--concurrency: expected 1..1024, got '%s'\n", v);
                return -1;
            }
            o->concurrency = (int)n;
            i++;
        } else if (a[0] != '-' && admin_is_command(a)) {
            o->command = i;
            return 0;
        } else {
            fprintf(stderr, "unknown or incomplete argument '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    /* No SA_RESTART: a sleep between passes ends at once. */
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Writes _stats/backlog.json from the pass's counts (census_after_pass: dead/
 * is listed only for its full count every few minutes), then the metrics
 * file; -1 when the spool could not be counted or written. The metrics file
 * is local, so it is written even then (without the backlog gauge when
 * nothing was counted): monitoring keeps seeing the passes and their
 * failures while the store is down.
 */
static int report(struct store *s, struct census_keeper *k, const struct census *tally,
                  struct metrics *m, const char *metrics_file)
{
    struct census c;
    struct backlog_counts total;
    const struct backlog_counts *counted = NULL;
    struct backlog_source *sources = NULL;
    struct error err;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    error_clear(&err);
    if (tally == NULL) {
        /* A partial listing would understate the backlog: keep the last count. */
        log_error("backlog_count_failed", "the pass did not list the whole spool");
    } else if (census_after_pass(k, s, tally, clock_now_ms(), &c, &err) != 0) {
        log_error("backlog_count_failed", err.msg);
    } else {
        census_backlog(&c, &total, &sources);
        counted = &total;
        if (backlog_write(s, &total, sources, c.n_sources, &err) != 0)
            log_error("backlog_write_failed", err.msg);
        else
            rc = 0;
    }
    error_clear(&err);
    if (metrics_file != NULL && metrics_write(m, metrics_file, counted, &err) != 0)
        log_error("metrics_write_failed", err.msg);
    free(sources);
    census_free(&c);
    return rc;
}

static void log_pass(const struct drain_counts *c, int64_t ms)
{
    char summary[256];
    struct log_fields f = LOG_FIELDS_INIT;

    snprintf(summary, sizeof(summary),
             "delivered=%ld failed=%ld dead=%ld filtered=%ld deferred=%ld duplicates=%ld "
             "store_errors=%ld",
             c->delivered, c->failed, c->dead, c->filtered, c->deferred, c->duplicates,
             c->store_errors);
    f.latency_ms = ms;
    f.detail = summary;
    log_event(LOG_INFO, "pass", &f);
}

static void pause_ms(long ms)
{
    int64_t until = clock_mono_ms() + ms;

    while (!stop_requested && clock_mono_ms() < until) {
        int64_t left = until - clock_mono_ms();
        struct timespec ts = {0, (long)(left < 100 ? left : 100) * 1000000L};

        nanosleep(&ts, NULL);
    }
}

static int run_drain(const struct config *cfg, struct store *s, const struct options *o)
{
    struct drain_options dopts;
    struct drain *d = NULL;
    struct metrics *m = metrics_new();
    struct census_keeper keeper;
    int code = EXIT_DONE;

    memset(&keeper, 0, sizeof(keeper));
    memset(&dopts, 0, sizeof(dopts));
    dopts.cfg = cfg;
    dopts.store = s;
    dopts.concurrency = o->concurrency > 0 ? o->concurrency : cfg->drain.concurrency;
    dopts.shard_i = o->shard_i;
    dopts.shard_n = o->shard_n;
    dopts.metrics = m;
    dopts.stop = &stop_requested;
    d = drain_new(&dopts);
    for (;;) {
        struct drain_counts counts;
        struct error err;
        int64_t started = clock_mono_ms();
        int rc;

        memset(&counts, 0, sizeof(counts));
        error_clear(&err);
        rc = drain_pass(d, &counts, &err);
        if (rc != 0)
            log_error("pass_failed", err.msg);
        metrics_pass(m, clock_now_ms());
        log_pass(&counts, clock_mono_ms() - started);
        /* A stopping drain exits promptly: counting a large spool can wait for the next run. */
        if (!stop_requested && report(s, &keeper, drain_tally(d), m, o->metrics_file) != 0)
            rc = -1;
        if (o->once) {
            code = drain_exit_code(&counts, rc);
            break;
        }
        if (stop_requested)
            break;
        pause_ms(cfg->drain.poll_ms);
        if (stop_requested)
            break;
    }
    drain_free(d);
    census_keeper_free(&keeper);
    metrics_free(m);
    return code;
}

int main(int argc, char **argv)
{
    struct options o;
    struct config *cfg = NULL;
    struct store *s = NULL;
    struct error err;
    const char *path;
    int inited = 0;
    int code = EXIT_USAGE;

    error_clear(&err);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EXIT_DONE;
    }
    if (parse_options(argc, argv, &o) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    path = config_path(o.config);
    cfg = config_load(path, &err);
    if (cfg == NULL) {
        fprintf(stderr, "hookspool-drain: %s\n", err.msg);
        goto out;
    }
    if (store_global_init(&err) != 0) {
        fprintf(stderr, "hookspool-drain: %s\n", err.msg);
        code = EXIT_STORE;
        goto out;
    }
    inited = 1;
    s = store_open(&cfg->store, &err);
    if (s == NULL) {
        fprintf(stderr, "hookspool-drain: %s\n", err.msg);
        code = err.code == HS_ERR_CONFIG || err.code == HS_ERR_INPUT ? EXIT_USAGE : EXIT_STORE;
        goto out;
    }
    if (o.command > 0) {
        code = admin_run(s, cfg, argc - o.command, argv + o.command, stdout, stderr);
        goto out;
    }
    install_signals();
    code = run_drain(cfg, s, &o);
out:
    if (s != NULL)
        store_close(s);
    if (inited)
        store_global_cleanup();
    config_free(cfg);
    return code;
}
