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
    char joined[ERROR_MSG_MAX];
    size_t used;
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(joined, sizeof(joined), fmt, ap);
    va_end(ap);
    used = strlen(joined);
    /* Truncation is fine: a long message is cut, never overflowed. */
    if (used + 2 < sizeof(joined)) {
        size_t room = sizeof(joined) - used - 3;
        size_t msg_len = strnlen(err->msg, room);

        memcpy(joined + used, ": ", 2);
        memcpy(joined + used + 2, err->msg, msg_len);
        joined[used + 2 + msg_len] = '\0';
    }
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
    case HS_ERR_METHOD:
        return "method";
    case HS_ERR_FORBIDDEN:
        return "forbidden";
    }
    return "unknown";
}
