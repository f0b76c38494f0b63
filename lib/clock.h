/*
 * clock: wall and monotonic time, and the RFC 3339 UTC form the envelope uses.
 */
#ifndef HS_CLOCK_H
#define HS_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_ISO_MAX 32

/* Wall-clock milliseconds since the epoch. */
int64_t clock_now_ms(void);

/* Monotonic milliseconds, for durations and timeouts. */
int64_t clock_mono_ms(void);

/* "2026-11-22T03:04:05.123Z" for the given epoch milliseconds. */
void clock_iso8601(int64_t epoch_ms, char out[CLOCK_ISO_MAX]);

/* The inverse of clock_iso8601: epoch milliseconds of that exact form; -1 when text
 * is not it. */
int clock_parse_iso8601(const char *text, int64_t *epoch_ms) __attribute__((warn_unused_result));

#endif
