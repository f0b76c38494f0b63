/* log: JSON lines on stderr (see log.h). */
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

static enum log_level min_level = LOG_INFO;

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

static void set_string(json_t *obj, const char *name, const char *value)
{
    /* A value that is not UTF-8 (a hostile key, say) still logs, as a placeholder. */
    json_t *s = json_string(value);

    json_object_set_new(obj, name, s != NULL ? s : json_string("(not utf-8)"));
}

void log_event(enum log_level level, const char *event, const struct log_fields *f)
{
    char when[CLOCK_ISO_MAX];
    json_t *line;
    char *text;
    size_t len;

    if (level < min_level)
        return;
    clock_iso8601(clock_now_ms(), when);
    line = json_object();
    json_object_set_new(line, "time", json_string(when));
    json_object_set_new(line, "level", json_string(LEVEL_NAMES[level]));
    json_object_set_new(line, "event", json_string(event));
    if (f != NULL) {
        if (f->source != NULL)
            set_string(line, "source", f->source);
        if (f->destination != NULL)
            set_string(line, "destination", f->destination);
        if (f->key != NULL)
            set_string(line, "key", f->key);
        if (f->object != NULL)
            set_string(line, "object", f->object);
        if (f->status != 0)
            json_object_set_new(line, "status", json_integer(f->status));
        if (f->attempt != 0)
            json_object_set_new(line, "attempt", json_integer(f->attempt));
        if (f->latency_ms >= 0)
            json_object_set_new(line, "latency_ms", json_integer(f->latency_ms));
        if (f->error != NULL)
            set_string(line, "error", f->error);
        if (f->detail != NULL)
            set_string(line, "detail", f->detail);
    }
    text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (text == NULL)
        return;
    len = strlen(text);
    text[len] = '\n'; /* replaces the NUL: one write for the whole line */
    if (write(STDERR_FILENO, text, len + 1) < 0) {
        /* nowhere left to report a failing stderr */
    }
    free(text);
}

void log_error(const char *event, const char *msg)
{
    struct log_fields f = LOG_FIELDS_INIT;

    f.error = msg;
    log_event(LOG_ERROR, event, &f);
}
