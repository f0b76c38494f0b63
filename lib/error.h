/*
 * error: the caller-owned error struct every fallible function fills.
 *
 * A function returns 0/-1 (or pointer/NULL) and, on failure, sets an error
 * with a code that says what the caller must decide, a stable machine tag
 * (the "code" of a JSON refusal, e.g. "bad_signature") and a human message:
 * lowercase, no final period, the object quoted.
 *
 * Codes are never renumbered. The handler maps them to HTTP status in
 * exactly one place (intake.c); the drain maps them to retry or dead-letter.
 */
#ifndef HS_ERROR_H
#define HS_ERROR_H

enum error_code {
    HS_OK = 0,
    HS_ERR_INPUT = 1,     /* bad input: 400, or dead-letter */
    HS_ERR_AUTH = 2,      /* signature or token wrong: 401 */
    HS_ERR_TOO_LARGE = 3, /* over a size cap: 413 */
    HS_ERR_TRANSIENT = 4, /* worth retrying: 503 / retry later */
    HS_ERR_CONFIG = 5,    /* configuration is wrong: exit 2 */
    HS_ERR_NOT_FOUND = 6, /* the object or thing asked for does not exist */
    HS_ERR_PERMANENT = 7, /* a dependency refused for good (access denied, ...) */
    HS_ERR_METHOD = 8,    /* request method not allowed: 405 */
    HS_ERR_FORBIDDEN = 9, /* a handshake's token does not match: 403 */
};

#define ERROR_MSG_MAX 512

struct error {
    enum error_code code;
    const char *tag; /* stable machine code, a static string; "" when unset */
    char msg[ERROR_MSG_MAX];
};

/* Resets err to HS_OK with an empty message. err may be NULL. */
void error_clear(struct error *err);

/* Sets code, tag (static string, may be NULL) and a formatted message; err may be NULL. */
void error_set(struct error *err, enum error_code code, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prepends "CONTEXT: " to the message, keeping code and tag. */
void error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short lowercase name of a code, for logs: "transient", "auth", ... */
const char *error_code_name(enum error_code code);

#endif
