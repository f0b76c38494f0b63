/* backlog: writing the drain's counts and the handler's cached read (see backlog.h). */
#include "backlog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"

#define BACKLOG_MAX_BYTES (1024 * 1024)

static json_t *counts_json(const struct backlog_counts *c)
{
    json_t *obj = json_object();

    json_object_set_new(obj, "pending", json_integer(c->pending));
    json_object_set_new(obj, "retry", json_integer(c->retry));
    if (c->done >= 0)
        json_object_set_new(obj, "done", json_integer(c->done));
    json_object_set_new(obj, "dead", json_integer(c->dead));
    return obj;
}

int backlog_write(struct store *s, const struct backlog_counts *total,
                  const struct backlog_source *sources, size_t n_sources, struct error *err)
{
    char when[CLOCK_ISO_MAX];
    json_t *doc = NULL;
    json_t *totals;
    json_t *per_source;
    char *text = NULL;
    int rc = -1;

    clock_iso8601(clock_now_ms(), when);
    doc = json_object();
    json_object_set_new(doc, "updated_at", json_string(when));
    json_object_set_new(doc, "backlog", json_integer(total->pending + total->retry));
    totals = counts_json(total);
    json_object_update(doc, totals);
    json_decref(totals);
    per_source = json_object();
    for (size_t i = 0; i < n_sources; i++)
        json_object_set_new(per_source, sources[i].name, counts_json(&sources[i].counts));
    json_object_set_new(doc, "sources", per_source);
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        error_set(err, HS_ERR_INPUT, "backlog", "unable to encode '%s'", BACKLOG_KEY);
        goto out;
    }
    rc = store_put(s, BACKLOG_KEY, text, strlen(text), err);
out:
    free(text);
    json_decref(doc);
    return rc;
}

/* Reads the count and its "updated_at" (-1 when absent or not a time we write). */
static int backlog_read(struct store *s, long *backlog, int64_t *updated_ms, struct error *err)
{
    struct buf data;
    json_t *doc = NULL;
    json_t *value;
    int rc = -1;

    buf_init(&data, BACKLOG_MAX_BYTES);
    if (store_get(s, BACKLOG_KEY, &data, err) != 0)
        goto out;
    doc = json_loadb(data.data, data.len, 0, NULL);
    value = doc != NULL ? json_object_get(doc, "backlog") : NULL;
    if (!json_is_integer(value)) {
        error_set(err, HS_ERR_INPUT, "backlog", "'%s' has no integer \"backlog\"", BACKLOG_KEY);
        goto out;
    }
    *backlog = (long)json_integer_value(value);
    value = json_object_get(doc, "updated_at");
    if (!json_is_string(value) || clock_parse_iso8601(json_string_value(value), updated_ms) != 0)
        *updated_ms = -1;
    rc = 0;
out:
    json_decref(doc);
    buf_free(&data);
    return rc;
}

/* 1 when the cached count is older than stale_s (or undated): logged, once per refresh. */
static int count_is_stale(const struct backlog_cache *cache, long stale_s)
{
    struct log_fields f = LOG_FIELDS_INIT;
    char detail[160];
    int64_t age_s = (clock_now_ms() - cache->updated_ms) / 1000;

    if (cache->updated_ms >= 0 && age_s <= stale_s)
        return 0;
    if (cache->updated_ms < 0)
        snprintf(detail, sizeof(detail),
                 "'%s' has no \"updated_at\": its backlog of %ld is ignored", BACKLOG_KEY,
                 cache->count);
    else
        snprintf(detail, sizeof(detail),
                 "'%s' is %lld s old, over backlog_stale_s %ld: its backlog of %ld is ignored "
                 "(is the drain running?)",
                 BACKLOG_KEY, (long long)age_s, stale_s, cache->count);
    f.detail = detail;
    log_event(LOG_WARN, "backlog_stale", &f);
    return 1;
}

int backlog_current(struct backlog_cache *cache, struct store *s, int64_t now_mono_ms,
                    long stale_s, long *backlog, struct error *err)
{
    long value = 0;
    int64_t updated_ms = -1;

    if (cache->read_at_ms == 0) {
        cache->count = 0;
        cache->updated_ms = -1;
    }
    if (cache->read_at_ms == 0 || now_mono_ms - cache->read_at_ms >= BACKLOG_CACHE_MS) {
        cache->read_at_ms = now_mono_ms;
        if (backlog_read(s, &value, &updated_ms, err) == 0) {
            cache->count = value;
            cache->updated_ms = updated_ms;
        } else if (err->code == HS_ERR_NOT_FOUND) {
            cache->count = 0;
            cache->updated_ms = -1;
        } else {
            log_error("backlog_read_failed", err->msg);
            if (strcmp(err->tag, "store_timeout") == 0)
                return -1;
        }
        cache->backlog = cache->count;
        if (cache->count > 0 && count_is_stale(cache, stale_s))
            cache->backlog = 0;
    }
    error_clear(err);
    *backlog = cache->backlog;
    return 0;
}
