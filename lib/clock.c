/* clock: wall/monotonic time and RFC 3339 formatting (see clock.h). */
#include "clock.h"

#include <stdio.h>
#include <string.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_iso8601(int64_t epoch_ms, char out[CLOCK_ISO_MAX])
{
    time_t secs = (time_t)(epoch_ms / 1000);
    struct tm tm;
    size_t n;

    gmtime_r(&secs, &tm);
    n = strftime(out, CLOCK_ISO_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, CLOCK_ISO_MAX - n, ".%03uZ", (unsigned)(epoch_ms % 1000) % 1000u);
}

int clock_parse_iso8601(const char *text, int64_t *epoch_ms)
{
    struct tm tm;
    unsigned ms = 0;
    int used = 0;
    time_t secs;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3uZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
        used != 24 || text[used] != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 ||
        tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    secs = timegm(&tm);
    if (secs == (time_t)-1)
        return -1;
    *epoch_ms = (int64_t)secs * 1000 + ms;
    return 0;
}
