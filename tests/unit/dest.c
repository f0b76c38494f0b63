/* dest: the unit tests' scripted destination (see dest.h). */
#include "dest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"

#define DEST_REQUEST_MAX 65536

/* The value of header name in the request head [data, end), copied into out; 0 found. */
static int request_header(const char *data, const char *end, const char *name, char *out,
                          size_t cap)
{
    size_t n = strlen(name);
    const char *line = strstr(data, "\r\n");

    while (line != NULL && line + 2 < end) {
        const char *next;
        const char *v;

        line += 2;
        next = strstr(line, "\r\n");
        if (next == NULL || next > end)
            return -1;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            v = line + n + 1;
            while (*v == ' ')
                v++;
            if ((size_t)(next - v) >= cap)
                return -1;
            memcpy(out, v, (size_t)(next - v));
            out[next - v] = '\0';
            return 0;
        }
        line = next;
    }
    return -1;
}

/* Counts a request of key; returns how many it has seen of key, this one included. */
static int dest_count(struct dest *d, const char *key)
{
    size_t i;
    int n = 0;

    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->n_hits && strcmp(d->hits[i].key, key) != 0; i++)
        ;
    if (i == d->n_hits && d->n_hits < DEST_KEYS_MAX) {
        snprintf(d->hits[i].key, sizeof(d->hits[i].key), "%s", key);
        d->hits[i].n = 0;
        d->n_hits++;
    }
    if (i < d->n_hits)
        n = ++d->hits[i].n;
    else
        d->bad++;
    pthread_mutex_unlock(&d->lock);
    return n;
}

/* Reads one whole request (head and Content-Length body), counts it and answers. */
static void dest_answer(struct dest *d, int conn)
{
    static char req[DEST_REQUEST_MAX + 1];
    char key[KEY_ENCODED_MAX + 1];
    char named[65] = "";
    char length[32];
    int seen;
    int flaky;
    const char *end = NULL;
    const char *answer;
    size_t len = 0;
    ssize_t got;

    for (;;) {
        got = read(conn, req + len, DEST_REQUEST_MAX - len);
        if (got <= 0)
            break;
        len += (size_t)got;
        req[len] = '\0';
        end = strstr(req, "\r\n\r\n");
        if (end != NULL && request_header(req, end + 2, "Content-Length", length,
                                          sizeof(length)) == 0 &&
            len >= (size_t)(end + 4 - req) + strtoul(length, NULL, 10))
            break;
        end = NULL;
    }
    if (end == NULL || request_header(req, end + 2, "Idempotency-Key", key, sizeof(key)) != 0) {
        pthread_mutex_lock(&d->lock);
        d->bad++;
        pthread_mutex_unlock(&d->lock);
        close(conn);
        return;
    }
    (void)request_header(req, end + 2, "Hookspool-Destination", named, sizeof(named));
    pthread_mutex_lock(&d->lock);
    memcpy(d->last_destination, named, sizeof(named));
    pthread_mutex_unlock(&d->lock);
    seen = dest_count(d, key);
    flaky = strncmp(req, "POST /flaky", 11) == 0;
    if (strncmp(req, "POST /slow", 10) == 0 ||
        (strncmp(req, "POST /flakyslow", 15) == 0 && seen > 1)) {
        struct timespec ts = {0, DEST_SLOW_MS * 1000000L};

        nanosleep(&ts, NULL);
    }
    if (strncmp(req, "POST /gone", 10) == 0)
        answer = "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    else if (strncmp(req, "POST /fail", 10) == 0 || strncmp(req, "POST /slowfail", 14) == 0 ||
             (flaky && seen == 1))
        answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n";
    else
        answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    /* A client that gave up is the drain's business; the test sees it in the spool. */
    (void)send(conn, answer, strlen(answer), MSG_NOSIGNAL);
    close(conn);
}

static void *dest_main(void *arg)
{
    struct dest *d = arg;

    for (;;) {
        struct pollfd p[2] = {{d->fd, POLLIN, 0}, {d->wake[0], POLLIN, 0}};
        int conn;

        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents != 0)
            break;
        conn = accept(d->fd, NULL, NULL);
        if (conn >= 0)
            dest_answer(d, conn);
    }
    return NULL;
}

void dest_start(struct dest *d)
{
    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    d->fd = loopback_listen(64, &d->port);
    assert_true(d->fd >= 0);
    assert_int_equal(pipe(d->wake), 0);
    assert_int_equal(pthread_create(&d->thread, NULL, dest_main, d), 0);
}

void dest_stop(struct dest *d)
{
    assert_int_equal(write(d->wake[1], "x", 1), 1);
    pthread_join(d->thread, NULL);
    close(d->wake[0]);
    close(d->wake[1]);
    close(d->fd);
    pthread_mutex_destroy(&d->lock);
}

int dest_hits(struct dest *d, const char *key)
{
    int n = 0;

    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->n_hits; i++) {
        if (strcmp(d->hits[i].key, key) == 0)
            n = d->hits[i].n;
    }
    pthread_mutex_unlock(&d->lock);
    return n;
}

int dest_bad(struct dest *d)
{
    int bad;

    pthread_mutex_lock(&d->lock);
    bad = d->bad;
    pthread_mutex_unlock(&d->lock);
    return bad;
}

void dest_reset(struct dest *d)
{
    pthread_mutex_lock(&d->lock);
    d->n_hits = 0;
    pthread_mutex_unlock(&d->lock);
}

void dest_last_destination(struct dest *d, char out[65])
{
    pthread_mutex_lock(&d->lock);
    memcpy(out, d->last_destination, 65);
    pthread_mutex_unlock(&d->lock);
}
