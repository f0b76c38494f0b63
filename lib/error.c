/* error: filling and naming the caller-owned error struct (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void error_clear(struct error *err)
{
    if (err == NULL)
        return;
    err->code = HS_OK;
    err->tag = "";
    err->msg[0] = '\0';
}

void error_set(struct error *err, enum error_code code, const char *tag, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    err->code = code;
    err->tag = tag != NULL ? tag : "";
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

void error_prefix(struct error *err, const char *fmt, ...)
{
    char prefix[ERROR_MSG_MAX];
    char joined[ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof(joined), "%s: %s", prefix, err->msg);
    memcpy(err->msg, joined, sizeof(err->msg));
}

const char *error_code_name(enum error_code code)
{
    switch (code) {
    case HS_OK:
        return "ok";
    case HS_ERR_INPUT:
        return "input";
    case HS_ERR_AUTH:
        return "auth";
    case HS_ERR_TOO_LARGE:
        return "too_large";
    case HS_ERR_TRANSIENT:
        return "transient";
    case HS_ERR_CONFIG:
        return "config";
    case HS_ERR_NOT_FOUND:
        return "not_found";
    case HS_ERR_PERMANENT:
        return "permanent";
    }
    return "unknown";
}
