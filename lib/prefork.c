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

#define PREFORK_YOUNG_MS 1000     /* a worker dying sooner than this is restarted after a pause */
#define PREFORK_STOP_GRACE_MS 10000 /* then SIGKILL */
#define PREFORK_POLL_MS 50

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

struct worker_slot {
    pid_t pid;          /* 0: not running */
    int64_t started_ms; /* monotonic */
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

/* 1 in the new worker, 0 in the parent, -1 when fork failed. */
static int spawn(struct worker_slot *slot)
{
    pid_t pid = fork();

    if (pid < 0) {
        log_error("worker_fork_failed", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        set_handlers(SIG_DFL);
        return 1;
    }
    slot->pid = pid;
    slot->started_ms = clock_mono_ms();
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

int prefork_run(int workers)
{
    struct worker_slot *slots = xcalloc((size_t)workers, sizeof(*slots));
    int started = 0;

    set_handlers(on_stop);
    for (int i = 0; i < workers; i++) {
        int r = spawn(&slots[i]);

        if (r == 1) {
            free(slots);
            return 1;
        }
        started += r == 0;
    }
    if (started == 0) {
        free(slots);
        return -1;
    }
    while (stop_signal == 0) {
        int status;
        /* Polled, not blocking: a stop signal landing just before a blocking waitpid
         * would otherwise wait for the next worker death. */
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            usleep(PREFORK_POLL_MS * 1000);
            continue;
        }
        if (pid < 0)
            break;
        log_exit(pid, status);
        for (int i = 0; i < workers && stop_signal == 0; i++) {
            if (slots[i].pid != pid)
                continue;
            slots[i].pid = 0;
            if (clock_mono_ms() - slots[i].started_ms < PREFORK_YOUNG_MS)
                sleep(1);
            if (stop_signal == 0 && spawn(&slots[i]) == 1) {
                free(slots);
                return 1;
            }
        }
    }
    stop_workers(slots, workers);
    free(slots);
    return 0;
}
