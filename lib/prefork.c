/* prefork: a supervisor forking workers on a shared socket (see prefork.h). */
#include "prefork.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "xmalloc.h"

#define PREFORK_YOUNG_MS 1000     /* a worker dying sooner than this is a failed start */
#define PREFORK_STOP_GRACE_MS 10000 /* then SIGKILL */
#define PREFORK_POLL_MS 50
#define PREFORK_BACKOFF_FIRST_MS 1000
#define PREFORK_BACKOFF_MAX_MS 30000

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

struct worker_slot {
    pid_t pid;           /* 0: empty */
    int64_t started_ms;  /* monotonic */
    int64_t retry_at_ms; /* empty: when to start it again */
    int failures;        /* starts of this slot that failed in a row */
};

static void set_handlers(void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

static int64_t backoff_ms(int failures)
{
    int64_t ms = PREFORK_BACKOFF_FIRST_MS;

    for (int i = 1; i < failures && ms < PREFORK_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < PREFORK_BACKOFF_MAX_MS ? ms : PREFORK_BACKOFF_MAX_MS;
}

/* A failed start of slot: it is tried again after the backoff. */
static void start_failed(struct worker_slot *slot, int *failed_in_row, int64_t now)
{
    slot->pid = 0;
    slot->failures++;
    slot->retry_at_ms = now + backoff_ms(slot->failures);
    (*failed_in_row)++;
}

/* 1 in the new worker, 0 in the parent (whether or not the fork succeeded). */
static int spawn(struct worker_slot *slot, int *failed_in_row)
{
    int64_t now = clock_mono_ms();
    pid_t pid = fork();

    if (pid < 0) {
        char msg[160];

        start_failed(slot, failed_in_row, now);
        snprintf(msg, sizeof(msg), "unable to start a worker: %s; next try in %ld ms",
                 strerror(errno), (long)(slot->retry_at_ms - now));
        log_error("worker_fork_failed", msg);
        return 0;
    }
    if (pid == 0) {
        set_handlers(SIG_DFL);
        return 1;
    }
    slot->pid = pid;
    slot->started_ms = now;
    return 0;
}

static void log_exit(pid_t pid, int status)
{
    char msg[128];
    struct log_fields f = LOG_FIELDS_INIT;

    if (WIFSIGNALED(status))
        snprintf(msg, sizeof(msg), "worker %ld killed by signal %d", (long)pid, WTERMSIG(status));
    else
        snprintf(msg, sizeof(msg), "worker %ld exited with status %d", (long)pid,
                 WEXITSTATUS(status));
    f.detail = msg;
    log_event(stop_signal != 0 ? LOG_INFO : LOG_WARN, "worker_exited", &f);
}

/* Sends SIGTERM to every worker and reaps them, killing stragglers after the grace. */
static void stop_workers(struct worker_slot *slots, int n)
{
    int64_t deadline = clock_mono_ms() + PREFORK_STOP_GRACE_MS;
    int running = 0;

    for (int i = 0; i < n; i++) {
        if (slots[i].pid > 0) {
            kill(slots[i].pid, SIGTERM);
            running++;
        }
    }
    while (running > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid > 0) {
            for (int i = 0; i < n; i++) {
                if (slots[i].pid == pid) {
                    slots[i].pid = 0;
                    running--;
                }
            }
            continue;
        }
        if (pid < 0 && errno != EINTR)
            break;
        if (clock_mono_ms() > deadline) {
            for (int i = 0; i < n; i++) {
                if (slots[i].pid > 0)
                    kill(slots[i].pid, SIGKILL);
            }
            deadline = clock_mono_ms() + PREFORK_STOP_GRACE_MS;
        }
        usleep(20 * 1000);
    }
}

/* Empties the slot of each worker that exited; a young death is a failed start. */
static void reap(struct worker_slot *slots, int n, int *failed_in_row)
{
    int status;
    pid_t pid;

    /* Polled, not blocking: a stop signal landing just before a blocking waitpid would
     * otherwise wait for the next worker death. */
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int64_t now = clock_mono_ms();

        log_exit(pid, status);
        for (int i = 0; i < n; i++) {
            if (slots[i].pid != pid)
                continue;
            if (now - slots[i].started_ms < PREFORK_YOUNG_MS) {
                start_failed(&slots[i], failed_in_row, now);
            } else {
                slots[i].pid = 0;
                slots[i].failures = 0;
                slots[i].retry_at_ms = now;
            }
        }
    }
}

int prefork_run(int workers)
{
    struct worker_slot *slots = xcalloc((size_t)workers, sizeof(*slots));
    int failed_in_row = 0; /* failed starts since a worker last started and lived */
    int rc = 0;

    set_handlers(on_stop);
    while (stop_signal == 0) {
        int64_t now = clock_mono_ms();
        int running = 0;

        for (int i = 0; i < workers && stop_signal == 0; i++) {
            if (slots[i].pid == 0 && now >= slots[i].retry_at_ms &&
                spawn(&slots[i], &failed_in_row) == 1) {
                free(slots);
                return 1;
            }
            running += slots[i].pid > 0;
            /* A worker that has lived past the young age proves starts work again. */
            if (slots[i].pid > 0 && now - slots[i].started_ms >= PREFORK_YOUNG_MS) {
                slots[i].failures = 0;
                failed_in_row = 0;
            }
        }
        if (running == 0 && failed_in_row >= PREFORK_GIVE_UP_STARTS) {
            log_error("workers_exhausted", "no worker is running and the last starts all "
                                           "failed; the handler cannot serve");
            rc = -1;
            break;
        }
        usleep(PREFORK_POLL_MS * 1000);
        reap(slots, workers, &failed_in_row);
    }
    stop_workers(slots, workers);
    free(slots);
    return rc;
}
