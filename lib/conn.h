/*
 * conn: the handler's FastCGI connections, as far as libfcgi cannot be trusted with them.
 *
 * libfcgi (2.4.2) reads a connection with blocking reads, no deadline and no retry on
 * EINTR, accepts every role, answers management records it does not know (leaking
 * 48 bytes each) and, once a request is begun, lets records of another request id
 * silently drop the next record of its own. This module owns what comes around it:
 *
 *   - Stop signals. SIGTERM and SIGINT are blocked except while the process waits
 *     idle (for a connection, or for the next request on a kept connection), so a stop
 *     never interrupts a request: it is noticed when the request is done.
 *   - Accepting. conn_accept() waits on the listening socket (made non-blocking, so
 *     several processes may share it) and returns a blocking connection; libfcgi is
 *     never given the listening socket, so it cannot accept on its own. libfcgi's
 *     FCGI_WEB_SERVER_ADDRS (the IPv4 peers allowed, comma-separated) still holds.
 *   - The first record of each request, looked at (MSG_PEEK) before libfcgi reads it:
 *     a BEGIN_REQUEST for a role other than RESPONDER is answered FCGI_UNKNOWN_ROLE and
 *     the connection closed; a management record other than GET_VALUES, or any other
 *     record, closes the connection.
 *   - A deadline: conn_deadline_arm() gives the connection a time by which it must have
 *     sent what is read next; when it passes, a SIGALRM shuts the socket down, so a
 *     blocked read (libfcgi's or ours) ends at once and a later one sees the end.
 *
 * Call order: conn_signals_init() once, before any thread; then per connection
 * conn_accept() -> conn_deadline_arm() -> conn_check_request() -> libfcgi ...
 * -> conn_deadline_disarm(); conn_wait_request() between requests on a kept one.
 * One connection at a time per process.
 */
#ifndef HS_CONN_H
#define HS_CONN_H

#include "error.h"

#define CONN_ROLE_RESPONDER 1 /* FastCGI's FCGI_RESPONDER, the one role served */

/* Installs the handlers (SIGTERM, SIGINT: stop; SIGALRM: the deadline), ignores SIGPIPE
 * and blocks the stop signals. -1 with err when a signal call fails. */
int conn_signals_init(struct error *err) __attribute__((warn_unused_result));

/* 1 once SIGTERM or SIGINT arrived. */
int conn_stop_requested(void);

/* Makes listen_fd non-blocking, for conn_accept. */
int conn_listen_prepare(int listen_fd, struct error *err) __attribute__((warn_unused_result));

/*
 * Waits for the next connection on listen_fd, stop signals unblocked while it waits.
 * Returns its descriptor (blocking, close-on-exec), -1 once a stop was requested, or -2
 * with err when the listening socket is unusable. Passing failures (a connection reset
 * before it was accepted, out of descriptors) are logged and waited out.
 */
int conn_accept(int listen_fd, struct error *err) __attribute__((warn_unused_result));

/*
 * Between requests on a kept connection: waits up to idle_ms for the peer to send,
 * stop signals unblocked. 1 when there is something to read, 0 when the wait ended
 * (idle too long, or a stop with nothing sent).
 */
int conn_wait_request(int fd, long idle_ms);

/* What the next record on a connection allows. */
enum conn_verdict {
    CONN_SERVE,   /* a RESPONDER's BEGIN_REQUEST (or GET_VALUES): hand it to libfcgi */
    CONN_REFUSED, /* answered or refused here and logged: close the connection */
    CONN_CLOSED,  /* the peer closed, or the deadline passed (logged): close it */
};

/* Looks at the next record (blocking; bounded by the armed deadline). */
enum conn_verdict conn_check_request(int fd);

/* 1 when everything the peer sent on fd has been read: a close then loses nothing it
 * sent and resets nothing we sent, so it needs no lingering read first. */
int conn_all_read(int fd);

/* Closes a connection that is not libfcgi's: the write side first, then what the peer
 * still sends is read and dropped for a moment (so our last words are not lost to a
 * reset), then the descriptor. */
void conn_close(int fd);

/* From now the connection has ms to send what is read next; arming again replaces the
 * deadline. */
void conn_deadline_arm(int fd, long ms);

/* No deadline any more; returns 1 when it had passed (the socket is shut down). */
int conn_deadline_disarm(void);

/* 1 when the deadline armed last has passed. */
int conn_deadline_passed(void);

#endif
