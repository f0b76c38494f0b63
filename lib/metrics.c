/* metrics: counters and the atomically written Prometheus text file (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "xmalloc.h"

#define METRICS_TEXT_MAX (1024 * 1024) /* METRICS_SERIES_MAX series of three counters */

/* Upper bounds in milliseconds: from a fast local answer to a slow timeout. */
static const int64_t BUCKETS_MS[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
                                     30000, 60000};
#define N_BUCKETS (sizeof(BUCKETS_MS) / sizeof(BUCKETS_MS[0]))

/* The counters of one (source, destination). Names are config names: [a-z0-9_-]. */
struct series {
    char source[65];
    char destination[65];
    uint64_t delivered;
    uint64_t failed;
    uint64_t gave_up;
};

struct metrics {
    pthread_mutex_t lock;
    struct series *series; /* in first-seen order */
    size_t n_series;
    uint64_t dead;
    uint64_t buckets[N_BUCKETS]; /* non-cumulative; summed when rendered */
    uint64_t count;
    int64_t sum_ms;
    int64_t last_pass_ms;        /* 0: no pass yet */
};

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof(*m));

    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->series);
    free(m);
}

/* The series of (source, destination), made on first use; the lock is held. */
static struct series *series_of(struct metrics *m, const char *source, const char *destination)
{
    struct series *x;

    for (size_t i = 0; i < m->n_series; i++) {
        x = &m->series[i];
        if (strcmp(x->source, source) == 0 && strcmp(x->destination, destination) == 0)
            return x;
    }
    /* One slot short of full: the last one, "_other", takes the rest. */
    if (m->n_series >= METRICS_SERIES_MAX - 1 && strcmp(source, "_other") != 0)
        return series_of(m, "_other", "_other");
    m->series = xrealloc(m->series, (m->n_series + 1) * sizeof(*m->series));
    x = &m->series[m->n_series++];
    memset(x, 0, sizeof(*x));
    snprintf(x->source, sizeof(x->source), "%s", source);
    snprintf(x->destination, sizeof(x->destination), "%s", destination);
    return x;
}

void metrics_attempt(struct metrics *m, const char *source, const char *destination, int status,
                     int64_t duration_ms)
{
    struct series *x;

    pthread_mutex_lock(&m->lock);
    x = series_of(m, source, destination);
    if (status >= 200 && status <= 299)
        x->delivered++;
    else
        x->failed++;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        if (duration_ms <= BUCKETS_MS[i]) {
            m->buckets[i]++;
            break;
        }
    }
    m->count++;
    m->sum_ms += duration_ms > 0 ? duration_ms : 0;
    pthread_mutex_unlock(&m->lock);
}

void metrics_gave_up(struct metrics *m, const char *source, const char *destination)
{
    pthread_mutex_lock(&m->lock);
    series_of(m, source, destination)->gave_up++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_dead(struct metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->dead++;
    pthread_mutex_unlock(&m->lock);
}

void metrics_pass(struct metrics *m, int64_t now_ms)
{
    pthread_mutex_lock(&m->lock);
    m->last_pass_ms = now_ms;
    pthread_mutex_unlock(&m->lock);
}

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct buf *b, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* The text has a fixed shape, far below the cap. */
    if (buf_append_str(b, line) != 0)
        abort();
}

static void counter(struct buf *b, const char *name, const char *help, uint64_t value)
{
    add(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)value);
}

/* One counter per series; field is the offset of its value in struct series. */
static void labelled(struct buf *b, const struct metrics *m, const char *name, const char *help,
                     size_t field)
{
    add(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (size_t i = 0; i < m->n_series; i++) {
        const struct series *x = &m->series[i];
        uint64_t v;

        memcpy(&v, (const char *)x + field, sizeof(v));
        add(b, "%s{source=\"%s\",destination=\"%s\"} %llu\n", name, x->source,
            x->destination, (unsigned long long)v);
    }
}

char *metrics_render(struct metrics *m, const struct backlog_counts *backlog)
{
    struct buf b;
    uint64_t cumulative = 0;

    buf_init(&b, METRICS_TEXT_MAX);
    pthread_mutex_lock(&m->lock);
    labelled(&b, m, "hookspool_delivered_total", "Deliveries answered 2xx, per destination.",
             offsetof(struct series, delivered));
    labelled(&b, m, "hookspool_attempts_failed_total",
             "Delivery attempts without a 2xx answer (error status, timeout, refused).",
             offsetof(struct series, failed));
    labelled(&b, m, "hookspool_gave_up_total",
             "Webhooks a destination gave up on (410, or its schedule spent).",
             offsetof(struct series, gave_up));
    counter(&b, "hookspool_dead_total", "Webhooks given up and moved to dead/.", m->dead);
    if (backlog != NULL) {
        add(&b, "# HELP hookspool_backlog Objects in each spool state after the last pass.\n"
                "# TYPE hookspool_backlog gauge\n");
        add(&b, "hookspool_backlog{state=\"pending\"} %ld\n", backlog->pending);
        add(&b, "hookspool_backlog{state=\"retry\"} %ld\n", backlog->retry);
        add(&b, "hookspool_backlog{state=\"dead\"} %ld\n", backlog->dead);
    }
    add(&b, "# HELP hookspool_delivery_duration_seconds Duration of each delivery attempt.\n"
            "# TYPE hookspool_delivery_duration_seconds histogram\n");
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cumulative += m->buckets[i];
        add(&b, "hookspool_delivery_duration_seconds_bucket{le=\"%g\"} %llu\n",
            (double)BUCKETS_MS[i] / 1000.0, (unsigned long long)cumulative);
    }
    add(&b, "hookspool_delivery_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
        (unsigned long long)m->count);
    add(&b, "hookspool_delivery_duration_seconds_sum %.3f\n", (double)m->sum_ms / 1000.0);
    add(&b, "hookspool_delivery_duration_seconds_count %llu\n", (unsigned long long)m->count);
    add(&b, "# HELP hookspool_last_pass_timestamp_seconds When the last drain pass ended.\n"
            "# TYPE hookspool_last_pass_timestamp_seconds gauge\n"
            "hookspool_last_pass_timestamp_seconds %.3f\n",
        (double)m->last_pass_ms / 1000.0);
    pthread_mutex_unlock(&m->lock);
    return buf_take(&b, NULL);
}

int metrics_write(struct metrics *m, const char *path, const struct backlog_counts *backlog,
                  struct error *err)
{
    const char *slash = strrchr(path, '/');
    char *tmp = NULL;
    char *text = NULL;
    size_t len;
    size_t done = 0;
    int fd = -1;
    int created = 0;
    int closed;
    int rc = -1;

    /* Same directory as the target, so the rename is atomic; a dot name the collector ignores. */
    if (slash != NULL)
        tmp = xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
    else
        tmp = xasprintf(".%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        error_set(err, HS_ERR_CONFIG, "metrics", "unable to create a file next to '%s': %s",
                  path, strerror(errno));
        goto out;
    }
    created = 1;
    text = metrics_render(m, backlog);
    len = strlen(text);
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error_set(err, HS_ERR_TRANSIENT, "metrics", "unable to write '%s': %s", tmp,
                      strerror(errno));
            goto out;
        }
        done += (size_t)n;
    }
    /* mkstemp makes 0600; the collector usually runs as another user. */
    if (fchmod(fd, 0644) != 0) {
        error_set(err, HS_ERR_TRANSIENT, "metrics", "unable to chmod '%s': %s", tmp,
                  strerror(errno));
        goto out;
    }
    closed = close(fd);
    fd = -1;
    if (closed != 0) {
        error_set(err, HS_ERR_TRANSIENT, "metrics", "unable to finish '%s': %s", tmp,
                  strerror(errno));
        goto out;
    }
    if (rename(tmp, path) != 0) {
        error_set(err, HS_ERR_TRANSIENT, "metrics", "unable to rename '%s' to '%s': %s", tmp,
                  path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && created)
        unlink(tmp);
    free(text);
    free(tmp);
    return rc;
}
