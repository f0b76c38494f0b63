/* log: JSON lines on stderr (see log.h). */
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "codec.h"
#include "jsonout.h"

static enum log_level min_level = LOG_INFO;

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    min_level = level;
}

/* ,"name": and the value; text that is not UTF-8 (a hostile key, say) logs as a placeholder. */
static void field_string(struct jsonout *o, const char *name, const char *value)
{
    size_t n = strlen(value);

    jsonout_lit(o, ",");
    jsonout_raw(o, name, strlen(name));
    if (codec_utf8_valid(value, n))
        jsonout_string(o, value, n);
    else
        jsonout_lit(o, "\"(not utf-8)\"");
}

static void field_int(struct jsonout *o, const char *name, int64_t value)
{
    jsonout_lit(o, ",");
    jsonout_raw(o, name, strlen(name));
    jsonout_int(o, value);
}

/* Written directly (jsonout): the handler logs every request, and building a jansson
 * object per line cost as much as the rest of the request's JSON. */
void log_event(enum log_level level, const char *event, const struct log_fields *f)
{
    char when[CLOCK_ISO_MAX];
    struct jsonout o;
    char *text;
    size_t len;

    if (level < min_level)
        return;
    clock_iso8601(clock_now_ms(), when);
    jsonout_init(&o, 256);
    jsonout_lit(&o, "{\"time\":");
    jsonout_string(&o, when, strlen(when));
    jsonout_lit(&o, ",\"level\":");
    jsonout_string(&o, LEVEL_NAMES[level], strlen(LEVEL_NAMES[level]));
    field_string(&o, "\"event\":", event);
    if (f != NULL) {
        if (f->source != NULL)
            field_string(&o, "\"source\":", f->source);
        if (f->destination != NULL)
            field_string(&o, "\"destination\":", f->destination);
        if (f->key != NULL)
            field_string(&o, "\"key\":", f->key);
        if (f->object != NULL)
            field_string(&o, "\"object\":", f->object);
        if (f->status != 0)
            field_int(&o, "\"status\":", f->status);
        if (f->attempt != 0)
            field_int(&o, "\"attempt\":", f->attempt);
        if (f->latency_ms >= 0)
            field_int(&o, "\"latency_ms\":", f->latency_ms);
        if (f->error != NULL)
            field_string(&o, "\"error\":", f->error);
        if (f->detail != NULL)
            field_string(&o, "\"detail\":", f->detail);
    }
    jsonout_lit(&o, "}\n");
    text = jsonout_take(&o, &len);
    if (write(STDERR_FILENO, text, len) < 0) {
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
