/*
 * metrics: the drain's counters as a Prometheus text file, for
 * node_exporter's textfile collector.
 *
 *   hookspool_delivered_total{source,destination}        deliveries answered 2xx
 *   hookspool_attempts_failed_total{source,destination}  attempts without a 2xx
 *   hookspool_gave_up_total{source,destination}          destinations that gave up on a
 *                                                        webhook (410, schedule spent)
 *   hookspool_dead_total                        webhooks moved to dead/
 *   hookspool_backlog{state="pending|retry|dead"}  objects after the last pass
 *   hookspool_delivery_duration_seconds         histogram of every attempt
 *   hookspool_last_pass_timestamp_seconds       end of the last pass
 *
 * Counters run from the process start (Prometheus handles the reset of a
 * restart). The file is replaced atomically: a temporary file in the same
 * directory, then rename, so the collector never reads half a file.
 *
 * The labelled series are kept for up to METRICS_SERIES_MAX (source,
 * destination) pairs; any beyond count under source="_other",
 * destination="_other", so the file stays bounded.
 *
 * Thread-safe for the recording calls (the drain's workers share one).
 * Call order: metrics_new -> metrics_attempt/_gave_up/_dead/_pass... ->
 * metrics_write... -> metrics_free.
 */
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <stdint.h>

#include "backlog.h"
#include "error.h"

#define METRICS_SERIES_MAX 1024

struct metrics;

struct metrics *metrics_new(void);

/* One delivery attempt to destination of source: status 0 means no answer. */
void metrics_attempt(struct metrics *m, const char *source, const char *destination, int status,
                     int64_t duration_ms);

/* Destination of source gave up on a webhook. */
void metrics_gave_up(struct metrics *m, const char *source, const char *destination);

/* One webhook moved to dead/. */
void metrics_dead(struct metrics *m);

/* A pass ended at now_ms (wall clock). */
void metrics_pass(struct metrics *m, int64_t now_ms);

/* The exposition text, with HELP and TYPE lines; backlog may be NULL (gauge omitted).
 * Caller frees. */
char *metrics_render(struct metrics *m, const struct backlog_counts *backlog);

/* Renders and atomically replaces the file at path. */
int metrics_write(struct metrics *m, const char *path, const struct backlog_counts *backlog,
                  struct error *err) __attribute__((warn_unused_result));

/* NULL-safe. */
void metrics_free(struct metrics *m);

#endif
