/*
 * dest: a scripted delivery destination for the unit tests, on a loopback
 * port, in a thread of the test. It reads one request per connection, one
 * connection at a time, counts it by its Idempotency-Key and answers by the
 * path's first segment:
 *
 *   /fail...       500
 *   /slow...       200 after DEST_SLOW_MS (two deliveries of one key overlap)
 *   /slowfail...   500 after DEST_SLOW_MS
 *   /gone...       410
 *   /flakyslow...  500 to a key's first request, then 200 after DEST_SLOW_MS
 *   /flaky...      500 to a key's first request, then 200
 *   anything else  200
 *
 * It keeps the Hookspool-Destination header of the last request (dest_last_destination).
 *
 * Call order: dest_start -> (dest_hits, dest_bad, dest_reset)... -> dest_stop.
 */
#ifndef HS_TEST_DEST_H
#define HS_TEST_DEST_H

#include <pthread.h>
#include <stddef.h>

#include "key.h"

#define DEST_KEYS_MAX 16 /* distinct Idempotency-Keys the destination tells apart */
#define DEST_SLOW_MS 300

struct dest_hit {
    char key[KEY_ENCODED_MAX + 1];
    int n;
};

struct dest {
    int fd;      /* listening */
    int wake[2]; /* a byte on wake[1] stops the thread */
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    struct dest_hit hits[DEST_KEYS_MAX];
    size_t n_hits;
    int bad; /* requests it could not read or place; checked by the test thread */
    char last_destination[65]; /* Hookspool-Destination of the last request, "" none */
};

/* Listens on a free port (d->port) and starts the thread; fails the test when it cannot. */
void dest_start(struct dest *d);

void dest_stop(struct dest *d);

/* Requests seen for key since the last dest_reset. */
int dest_hits(struct dest *d, const char *key);

/* Requests it could not read, or had no room to count. */
int dest_bad(struct dest *d);

void dest_reset(struct dest *d);

/* The Hookspool-Destination header of the last request, copied into out. */
void dest_last_destination(struct dest *d, char out[65]);

#endif
