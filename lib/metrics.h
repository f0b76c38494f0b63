/*
 * metrics: the drain's counters as a Prometheus text file, for
 * node_exporter's textfile collector.
 *
 *   hookspool_delivered_total                   deliveries answered 2xx
 *   hookspool_attempts_failed_total             attempts without a 2xx
 *   hookspool_dead_total                        webhooks moved to dead/
 *   hookspool_backlog{state="pending|retry|dead"}  objects after the last pass
 *   hookspool_delivery_duration_seconds         histogram of every attempt
 *   hookspool_last_pass_timestamp_seconds       end of the last pass
 *
 * Counters run from the process start (Prometheus handles the reset of a
 * restart). The file is replaced atomically: a temporary file in the same
 * directory, then rename, so the collector never reads half a file.
 *
 * Thread-safe for the recording calls (the drain's workers share one).
 * Call order: metrics_new -> metrics_attempt/metrics_dead/metrics_pass... ->
 * metrics_write... -> metrics_free.
 */
#ifndef HS_METRICS_H
#define HS_METRICS_H

#include <stdint.h>

#include "backlog.h"
#include "error.h"

struct metrics;

struct metrics *metrics_new(void);

/* One delivery attempt: status 0 means no answer. */
void metrics_attempt(struct metrics *m, int status, int64_t duration_ms);

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
