/*
 * fsync_limit: the durable-write bound the file:// store is a ratio against. THREADS
 * threads for SECONDS each repeat what a durable write needs at least: write SIZE
 * bytes to a fresh temp file in DIR, fsync it, close it, rename it to its final name
 * and fsync DIR. Prints one JSON line: ops, seconds, rate, p50_ms, p99_ms, and
 * cpu_ms_per_op, the process's user + system time per write (getrusage): what the
 * kernel spends on the durable calls themselves, which on a machine with few cores
 * bounds the rate of anything else that makes them.
 *
 *   fsync_limit DIR THREADS SECONDS SIZE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS_PER_THREAD 1000000

struct worker {
    pthread_t thread;
    int id;
    long ops;
    double *lat_ms;
};

static int dir_fd;
static size_t size;
static double stop_at;
static char *body;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char tmp[64];
    char name[64];

    while (w->ops < MAX_OPS_PER_THREAD) {
        double t0 = now();
        int fd;

        if (t0 >= stop_at)
            break;
        snprintf(tmp, sizeof(tmp), ".tmp.%d.%ld", w->id, w->ops);
        snprintf(name, sizeof(name), "obj-%d-%ld", w->id, w->ops);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
        if (fd < 0)
            die("open");
        if (write(fd, body, size) != (ssize_t)size)
            die("write");
        if (fsync(fd) != 0)
            die("fsync");
        close(fd);
        if (renameat(dir_fd, tmp, dir_fd, name) != 0)
            die("rename");
        if (fsync(dir_fd) != 0)
            die("fsync dir");
        w->lat_ms[w->ops++] = (now() - t0) * 1000;
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct worker *w;
    double *all;
    double start;
    double took;
    double cpu_ms;
    struct rusage usage;
    long total = 0;
    long k = 0;
    int threads;

    if (argc != 5) {
        fprintf(stderr, "usage: fsync_limit DIR THREADS SECONDS SIZE\n");
        return 2;
    }
    dir_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        die(argv[1]);
    threads = atoi(argv[2]);
    size = (size_t)atol(argv[4]);
    body = malloc(size);
    w = calloc((size_t)threads, sizeof(*w));
    if (body == NULL || w == NULL || threads < 1)
        die("setup");
    memset(body, 'x', size);
    start = now();
    stop_at = start + atof(argv[3]);
    for (int i = 0; i < threads; i++) {
        w[i].id = i;
        w[i].lat_ms = malloc(sizeof(double) * MAX_OPS_PER_THREAD);
        if (w[i].lat_ms == NULL || pthread_create(&w[i].thread, NULL, run, &w[i]) != 0)
            die("thread");
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        total += w[i].ops;
    }
    took = now() - start;
    if (getrusage(RUSAGE_SELF, &usage) != 0)
        die("getrusage");
    cpu_ms = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
             (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
    all = malloc(sizeof(double) * (size_t)(total > 0 ? total : 1));
    if (all == NULL)
        die("malloc");
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, w[i].lat_ms, sizeof(double) * (size_t)w[i].ops);
        k += w[i].ops;
    }
    qsort(all, (size_t)total, sizeof(double), cmp);
    printf("{\"ops\":%ld,\"seconds\":%.3f,\"rate\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
           "\"cpu_ms_per_op\":%.3f}\n",
           total, took, (double)total / took, total ? all[(total - 1) / 2] : 0.0,
           total ? all[(long)((double)(total - 1) * 0.99)] : 0.0, total ? cpu_ms / (double)total : 0.0);
    return 0;
}
