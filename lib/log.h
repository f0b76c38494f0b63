/*
 * log: one JSON object per line on stderr.
 *
 * Fields: time, level, event, then whichever of source, destination, key,
 * object, status, attempt, latency_ms, error and detail are set. Secrets,
 * signatures, tokens and Authorization headers are never passed here:
 * callers log names and outcomes, not credentials. A line is written with one write(2), so lines
 * from threads and processes sharing stderr do not interleave.
 */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct log_fields {
    const char *source; /* NULL: omitted */
    const char *key;    /* NULL: omitted */
    const char *object; /* NULL: omitted; the store key acted on */
    int status;         /* 0: omitted */
    int attempt;        /* 0: omitted */
    int64_t latency_ms; /* < 0: omitted */
    const char *error;  /* NULL: omitted */
    const char *detail; /* NULL: omitted; free text such as a pass summary */
    const char *destination; /* NULL: omitted; a source's destination by name */
};

#define LOG_FIELDS_INIT {NULL, NULL, NULL, 0, 0, -1, NULL, NULL, NULL}

/* Lines below this level are dropped; the default is LOG_INFO. */
void log_set_level(enum log_level level);

/* Writes one line; fields may be NULL. */
void log_event(enum log_level level, const char *event, const struct log_fields *fields);

/* Writes one line with just an error message: {"event":..., "error": msg}. */
void log_error(const char *event, const char *msg);

#endif
