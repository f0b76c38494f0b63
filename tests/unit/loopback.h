/*
 * loopback: a listening TCP socket on 127.0.0.1 for the unit tests' scripted
 * peers (destinations, stores that stall or answer oddly). Linked into every
 * unit test binary.
 */
#ifndef HS_TEST_LOOPBACK_H
#define HS_TEST_LOOPBACK_H

/* Binds a free port on 127.0.0.1 and listens; the descriptor, or -1 with errno set.
 * The port goes to *port. Connections complete into the backlog even unaccepted. */
int loopback_listen(int backlog, int *port);

#endif
