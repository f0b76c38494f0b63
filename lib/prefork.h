/*
 * prefork: several handler processes on one listening socket.
 *
 * When the handler owns its socket (--listen, systemd socket activation) no
 * web server starts and restarts its processes, and one process answers one
 * request at a time. prefork_run() forks N workers that share the socket;
 * the parent only supervises: it restarts a worker that dies (waiting a
 * second first when the worker died young, so a crash loop cannot spin),
 * and on SIGTERM or SIGINT sends SIGTERM to the workers, waits for them to
 * finish their requests (SIGKILL after a grace period), and returns.
 *
 * Call it after the socket is open and before any thread starts.
 */
#ifndef HS_PREFORK_H
#define HS_PREFORK_H

/*
 * Returns 1 in a worker, which goes on to serve (its signal handlers are the
 * defaults again); 0 in the parent once every worker has exited after a stop
 * signal; -1 in the parent when no worker could be started.
 */
int prefork_run(int workers) __attribute__((warn_unused_result));

#endif
