/*
 * The --workers supervisor against real fork failures: the supervisor runs as an
 * otherwise unused user under RLIMIT_NPROC, and the test starts or kills idle
 * "filler" processes of that user, so fork() fails with EAGAIN exactly as on a
 * machine out of processes, and works again once the fillers are gone.
 * A slot whose start failed is filled again once forks work; with no worker left
 * and starts failing, the supervisor exits non-zero; SIGTERM stops it with 0.
 * Needs root (to take an unused user); each case runs its supervisor in a child, in
 * a process group of its own that the teardown kills whatever happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "prefork.h"

struct supervisor {
    uid_t uid;   /* the user it runs as */
    pid_t pid;   /* also its process group, which its workers share */
    int pids_fd; /* each worker writes its pid here once started */
};

/* The supervisor of the running case, killed with its workers by the teardown. */
static struct supervisor current;

/* A user no other process runs as, fresh for each case: processes of an earlier case
 * may still count against RLIMIT_NPROC until they are reaped. */
static uid_t fresh_uid(void)
{
    static unsigned n;

    return (uid_t)(60000 + (unsigned)getpid() % 4000 * 8 + n++ % 8);
}

/* Starts prefork_run(workers) as sv->uid with RLIMIT_NPROC nproc. */
static void start_supervisor_as(struct supervisor *sv, int workers, rlim_t nproc)
{
    uid_t uid = sv->uid;
    int p[2];

    assert_int_equal(pipe(p), 0);
    sv->pid = fork();
    assert_true(sv->pid >= 0);
    if (sv->pid == 0) {
        struct rlimit lim = {nproc, nproc};
        int role;

        close(p[0]);
        if (setpgid(0, 0) != 0 || setgid(uid) != 0 || setuid(uid) != 0 ||
            setrlimit(RLIMIT_NPROC, &lim) != 0)
            _exit(90);
        role = prefork_run(workers);
        if (role == 1) {
            pid_t me = getpid();

            if (write(p[1], &me, sizeof(me)) != (ssize_t)sizeof(me))
                _exit(91);
            for (;;)
                pause(); /* a worker: until SIGTERM (default action) */
        }
        _exit(role == 0 ? 0 : 1);
    }
    close(p[1]);
    setpgid(sv->pid, sv->pid); /* also here, so the teardown never misses the group */
    sv->pids_fd = p[0];
    current = *sv;
}

/* The next worker pid reported within timeout_ms, or 0. */
static pid_t next_worker(struct supervisor *sv, int timeout_ms)
{
    struct pollfd pfd = {sv->pids_fd, POLLIN, 0};
    pid_t pid = 0;

    if (poll(&pfd, 1, timeout_ms) == 1 && read(sv->pids_fd, &pid, sizeof(pid)) == sizeof(pid))
        return pid;
    return 0;
}

/* An idle process of uid, counting against that user's RLIMIT_NPROC until killed. */
static pid_t start_filler(uid_t uid)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(uid) != 0 || setuid(uid) != 0)
            _exit(90);
        for (;;)
            pause();
    }
    return pid;
}

static void kill_filler(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The supervisor's exit status within timeout_ms, or -1 when it is still running. */
static int exit_status(pid_t pid, int timeout_ms)
{
    int64_t until = clock_mono_ms() + timeout_ms;
    int status;

    while (clock_mono_ms() < until) {
        pid_t got = waitpid(pid, &status, WNOHANG);

        if (got == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(20 * 1000);
    }
    return -1;
}

static void stop_supervisor(struct supervisor *sv)
{
    kill(sv->pid, SIGTERM);
    assert_int_equal(exit_status(sv->pid, 15000), 0);
    current.pid = 0;
}

static int kill_supervisor(void **state)
{
    (void)state;
    if (current.pid > 0) {
        kill(-current.pid, SIGKILL);
        waitpid(current.pid, NULL, 0);
    }
    if (current.pids_fd > 0)
        close(current.pids_fd);
    memset(&current, 0, sizeof(current));
    return 0;
}

static int require_root(void **state)
{
    (void)state;
    if (geteuid() != 0)
        fail_msg("the prefork tests need root, to run the supervisor as an unused user");
    return 0;
}

/* A filler takes the room of the second worker (limit 3: filler, supervisor, one
 * worker), so its start fails; once the filler is gone the empty slot is filled
 * again, without any worker dying. */
static void test_failed_start_is_retried(void **state)
{
    struct supervisor sv;
    pid_t filler;
    pid_t first;
    pid_t second;

    (void)state;
    sv.uid = fresh_uid();
    filler = start_filler(sv.uid);
    usleep(100 * 1000); /* the filler has taken its user */
    start_supervisor_as(&sv, 2, 3);
    first = next_worker(&sv, 3000);
    assert_true(first > 0);
    assert_int_equal(next_worker(&sv, 500), 0); /* the second start failed */
    kill_filler(filler);
    second = next_worker(&sv, 5000);
    if (second <= 0)
        fail_msg("the slot whose start failed was never filled again");
    assert_true(second != first);
    stop_supervisor(&sv);
}

/* Both workers die while forks fail: the supervisor cannot serve and exits 1 (so
 * systemd's Restart=on-failure restarts the service), not 0. */
static void test_no_workers_left_exits_nonzero(void **state)
{
    struct supervisor sv;
    pid_t a;
    pid_t b;
    int status;

    pid_t fillers[2];

    (void)state;
    sv.uid = fresh_uid();
    start_supervisor_as(&sv, 2, 3);
    a = next_worker(&sv, 3000);
    b = next_worker(&sv, 3000);
    assert_true(a > 0 && b > 0);
    fillers[0] = start_filler(sv.uid);
    fillers[1] = start_filler(sv.uid);
    usleep(100 * 1000);
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    status = exit_status(sv.pid, 20000);
    kill_filler(fillers[0]);
    kill_filler(fillers[1]);
    if (status != 1) {
        if (status < 0)
            kill(sv.pid, SIGKILL);
        fail_msg("supervisor without workers: status %d, want exit 1", status);
    }
    current.pid = 0;
}

/* A worker killed while forks work is replaced; SIGTERM then stops everything with 0. */
static void test_dead_worker_replaced_then_stop(void **state)
{
    struct supervisor sv;
    pid_t a;
    pid_t b;
    pid_t c;

    (void)state;
    sv.uid = fresh_uid();
    start_supervisor_as(&sv, 2, 10);
    a = next_worker(&sv, 3000);
    b = next_worker(&sv, 3000);
    assert_true(a > 0 && b > 0);
    usleep(1100 * 1000); /* past the age at which a death counts as a failed start */
    kill(a, SIGKILL);
    c = next_worker(&sv, 3000);
    assert_true(c > 0 && c != a && c != b);
    stop_supervisor(&sv);
    assert_int_equal(kill(b, 0), -1); /* stopped with the supervisor */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_failed_start_is_retried, kill_supervisor),
        cmocka_unit_test_teardown(test_no_workers_left_exits_nonzero, kill_supervisor),
        cmocka_unit_test_teardown(test_dead_worker_replaced_then_stop, kill_supervisor),
    };

    return cmocka_run_group_tests(tests, require_root, NULL);
}
