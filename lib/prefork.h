/*
 * prefork: several handler processes on one listening socket.
 *
 * When the handler owns its socket (--listen, systemd socket activation) no
 * web server starts and restarts its processes, and one process answers one
 * request at a time. prefork_run() forks N workers that share the socket;
 * the parent only supervises:
 *   - a worker that exits is replaced at once; a start that fails (fork
 *     refused, or the worker died within a second) leaves its slot to be
 *     filled again after a backoff that doubles from 1 s up to 30 s, so a
 *     crash loop cannot spin and a passing shortage heals by itself;
 *   - when no worker is running and the last PREFORK_GIVE_UP_STARTS starts
 *     all failed, it cannot serve: it stops and returns -1, so the service
 *     exits non-zero and its manager (systemd Restart=on-failure) sees it;
 *   - on SIGTERM or SIGINT it sends SIGTERM to the workers, waits for them to
 *     finish their requests (SIGKILL after a grace period), and returns 0.
 *
 * Call it after the socket is open and before any thread starts.
 */
#ifndef HS_PREFORK_H
#define HS_PREFORK_H

#define PREFORK_GIVE_UP_STARTS 5

/*
 * Returns 1 in a worker, which goes on to serve (its signal handlers are the
 * defaults again); 0 in the parent once every worker has exited after a stop
 * signal; -1 in the parent when it gave up (see above).
 */
int prefork_run(int workers) __attribute__((warn_unused_result));

#endif
