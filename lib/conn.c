/*
 * conn: stop signals, accepting, the first-record check and the read deadline around
 * libfcgi (see conn.h).
 *
 * The deadline is a one-shot ITIMER_REAL. Its handler shuts the connection down
 * (shutdown() is async-signal-safe), which wakes a read blocked in libfcgi and makes
 * every later read see the end of the stream; SA_RESTART keeps the signal itself from
 * failing any other call. The record layout is the FastCGI 1.0 specification's.
 */
/* ppoll and accept4 */
#define _GNU_SOURCE
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <poll.h>
#include <unistd.h>

#include "log.h"

#define FCGI_VERSION_1 1
#define FCGI_BEGIN_REQUEST 1
#define FCGI_END_REQUEST 3
#define FCGI_GET_VALUES 9
#define FCGI_UNKNOWN_ROLE 3
#define FCGI_HEADER_LEN 8
#define FCGI_BEGIN_LEN 8

#define CONN_PEEK_RETRY_MS 10 /* a partial record: look again after this */
#define CONN_BUSY_RETRY_MS 100 /* out of descriptors: accept again after this */
#define CONN_LINGER_MS 500     /* conn_close reads what the peer still sends this long */

static void log_refusal(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t deadline_fd = -1;
static volatile sig_atomic_t deadline_hit;
static sigset_t idle_mask; /* the mask while waiting idle: stop signals let through */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_deadline(int sig)
{
    int saved = errno;

    (void)sig;
    if (deadline_fd >= 0) {
        shutdown(deadline_fd, SHUT_RDWR);
        deadline_hit = 1;
    }
    errno = saved;
}

int conn_signals_init(struct error *err)
{
    struct sigaction sa;
    sigset_t stops;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        goto fail;
    sa.sa_handler = on_deadline;
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        goto fail;
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        goto fail;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stops, &idle_mask) != 0)
        goto fail;
    sigdelset(&idle_mask, SIGTERM);
    sigdelset(&idle_mask, SIGINT);
    return 0;
fail:
    error_set(err, HS_ERR_CONFIG, "signals", "unable to install signal handlers: %s",
              strerror(errno));
    return -1;
}

int conn_stop_requested(void)
{
    return stop_requested;
}

int conn_listen_prepare(int listen_fd, struct error *err)
{
    int flags = fcntl(listen_fd, F_GETFL);

    if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        error_set(err, HS_ERR_CONFIG, "listen_failed",
                  "unable to make the listening socket non-blocking: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Waits for fd to turn readable with the stop signals let through; -1 on a signal. */
static int idle_poll(int fd, long timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    struct timespec ts;

    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
    return ppoll(&pfd, 1, timeout_ms >= 0 ? &ts : NULL, &idle_mask);
}

/*
 * libfcgi's FCGI_WEB_SERVER_ADDRS, kept since connections no longer pass through its
 * accept: when set, a comma-separated list of the IPv4 addresses a TCP peer may have.
 */
static int peer_allowed(const struct sockaddr_storage *peer)
{
    const char *list = getenv("FCGI_WEB_SERVER_ADDRS");
    char addr[INET_ADDRSTRLEN];
    size_t n;

    if (list == NULL || peer->ss_family != AF_INET)
        return 1;
    if (inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, addr,
                  sizeof(addr)) == NULL)
        return 0;
    n = strlen(addr);
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");

        if (len == n && strncmp(p, addr, n) == 0)
            return 1;
        p += len;
        if (*p == '\0')
            break;
    }
    log_refusal("fcgi_peer_refused", "%s is not in FCGI_WEB_SERVER_ADDRS", addr);
    return 0;
}

int conn_accept(int listen_fd, struct error *err)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof(peer);
        int one = 1;
        int fd;

        if (stop_requested)
            return -1;
        fd = accept4(listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
        if (fd >= 0 && !peer_allowed(&peer)) {
            close(fd);
            continue;
        }
        if (fd >= 0) {
            /* Answers are small and final: no Nagle delay. TCP only: a unix socket (lighttpd,
             * Apache) would refuse it, one wasted syscall per request. */
            if (peer.ss_family == AF_INET || peer.ss_family == AF_INET6)
                (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            return fd;
        }
        switch (errno) {
        case EAGAIN:
        case EINTR:
            (void)idle_poll(listen_fd, -1);
            continue;
        case ECONNABORTED:
        case EPROTO:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
            continue; /* that connection is gone; the next one may be fine */
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            log_error("accept_failed", strerror(errno));
            (void)idle_poll(-1, CONN_BUSY_RETRY_MS);
            continue;
        default:
            error_set(err, HS_ERR_TRANSIENT, "accept_failed", "unable to accept: %s",
                      strerror(errno));
            return -2;
        }
    }
}

int conn_wait_request(int fd, long idle_ms)
{
    int rc = idle_poll(fd, idle_ms);

    if (rc < 0 && errno == EINTR) {
        /* A stop: what the peer already sent is a request in flight, and is served. */
        struct pollfd pfd = {fd, POLLIN, 0};

        rc = poll(&pfd, 1, 0);
    }
    return rc > 0;
}

void conn_deadline_arm(int fd, long ms)
{
    struct itimerval t;

    memset(&t, 0, sizeof(t));
    /* A timer still running for another connection is stopped before deadline_fd names
     * this one; one running for this connection is simply replaced by the next call. */
    if (deadline_fd >= 0 && deadline_fd != fd)
        setitimer(ITIMER_REAL, &t, NULL);
    deadline_hit = 0;
    deadline_fd = fd;
    t.it_value.tv_sec = ms / 1000;
    t.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &t, NULL);
}

int conn_deadline_disarm(void)
{
    struct itimerval t;

    memset(&t, 0, sizeof(t));
    setitimer(ITIMER_REAL, &t, NULL);
    deadline_fd = -1;
    return deadline_hit;
}

int conn_deadline_passed(void)
{
    return deadline_hit;
}

int conn_all_read(int fd)
{
    int queued = 0;

    return ioctl(fd, FIONREAD, &queued) == 0 && queued == 0;
}

void conn_close(int fd)
{
    char drop[4096];

    if (shutdown(fd, SHUT_WR) == 0) {
        conn_deadline_arm(fd, CONN_LINGER_MS);
        while (read(fd, drop, sizeof(drop)) > 0)
            continue;
        conn_deadline_disarm();
    }
    close(fd);
}

/* Waits for n bytes at the head of fd's queue without taking them: 1, or 0 when the
 * peer closed or the deadline passed first. */
static int peek_exact(int fd, unsigned char *buf, size_t n)
{
    for (;;) {
        ssize_t got = recv(fd, buf, n, MSG_PEEK | MSG_WAITALL);

        if (got == (ssize_t)n)
            return 1;
        if (got == 0 || (got < 0 && errno != EINTR) || deadline_hit)
            return 0;
        if (got > 0)
            usleep(CONN_PEEK_RETRY_MS * 1000);
    }
}

static void log_refusal(const char *event, const char *fmt, ...)
{
    struct log_fields f = LOG_FIELDS_INIT;
    char detail[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    f.detail = detail;
    log_event(LOG_WARN, event, &f);
}

/* Takes the BEGIN_REQUEST off the connection and answers it FCGI_UNKNOWN_ROLE. */
static void refuse_role(int fd, const unsigned char *begin, int request_id)
{
    unsigned char taken[FCGI_HEADER_LEN + FCGI_BEGIN_LEN + 255];
    size_t len = FCGI_HEADER_LEN + FCGI_BEGIN_LEN + begin[6];
    unsigned char end[16] = {FCGI_VERSION_1, FCGI_END_REQUEST, (unsigned char)(request_id >> 8),
                             (unsigned char)request_id, 0, 8, 0, 0,
                             0, 0, 0, 0, FCGI_UNKNOWN_ROLE, 0, 0, 0};

    if (recv(fd, taken, len, MSG_WAITALL) == (ssize_t)len)
        (void)send(fd, end, sizeof(end), MSG_NOSIGNAL);
}

enum conn_verdict conn_check_request(int fd)
{
    unsigned char rec[FCGI_HEADER_LEN + FCGI_BEGIN_LEN];
    int request_id;
    int content_len;
    /* Mostly the whole BEGIN_REQUEST is there already: one look takes it. */
    ssize_t seen = recv(fd, rec, sizeof(rec), MSG_PEEK);

    if (seen < FCGI_HEADER_LEN && !peek_exact(fd, rec, FCGI_HEADER_LEN))
        goto closed;
    request_id = rec[2] << 8 | rec[3];
    content_len = rec[4] << 8 | rec[5];
    if (rec[0] != FCGI_VERSION_1) {
        log_refusal("fcgi_record_refused", "FastCGI version %d (type %d), not 1", rec[0], rec[1]);
        return CONN_REFUSED;
    }
    if (rec[1] == FCGI_BEGIN_REQUEST && request_id != 0 && content_len == FCGI_BEGIN_LEN) {
        int role;

        if (seen < (ssize_t)sizeof(rec) && !peek_exact(fd, rec, sizeof(rec)))
            goto closed;
        role = rec[8] << 8 | rec[9];
        if (role == CONN_ROLE_RESPONDER)
            return CONN_SERVE;
        refuse_role(fd, rec, request_id);
        log_refusal("fcgi_role_refused", "role %d of request %d: only RESPONDER is served", role,
                    request_id);
        return CONN_REFUSED;
    }
    if (rec[1] == FCGI_GET_VALUES && request_id == 0)
        return CONN_SERVE;
    log_refusal("fcgi_record_refused",
                "record type %d for request %d where a request must begin", rec[1], request_id);
    return CONN_REFUSED;
closed:
    if (deadline_hit)
        log_event(LOG_WARN, "fcgi_read_timeout", NULL);
    return CONN_CLOSED;
}
