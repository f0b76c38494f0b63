/*
 * config: loading and validating the JSON config (see config.h).
 *
 * The whole file is checked before anything is returned: every object's keys
 * are matched against the keys it may hold, so a typo is an error and never a
 * silently ignored setting. Each error names the field by its path in the
 * document ("sources[2].verify.scheme") and says what is wrong with it.
 *
 * Memory: the config is built in place and freed with config_free() on any
 * error, so every array is allocated zeroed at its final size and its count
 * set before it is filled; a half-built config frees like a whole one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "filter.h"
#include "jsontext.h"
#include "key.h"
#include "pubkey.h"
#include "sig.h"
#include "s3_url.h"
#include "xmalloc.h"

#define FIELD_MAX 192
#define CONFIG_FILE_MAX (16 * 1024 * 1024)
#define SECRET_FILE_MAX (64 * 1024)
#define MAX_BODY_LIMIT (64L * 1024 * 1024)
#define TIMEOUT_MS_LIMIT (24L * 3600 * 1000)
#define SCHEDULE_MAX 100
#define SCHEDULE_DELAY_LIMIT (366L * 24 * 3600)
#define TOLERANCE_S_LIMIT (24L * 3600)
#define CONCURRENCY_LIMIT 1024
#define BREAKER_FAILURES_LIMIT 1000000
#define BREAKER_PAUSE_S_LIMIT (24L * 3600)
#define RESPONSE_BODY_LIMIT (64L * 1024)
#define CONTENT_TYPE_LIMIT 256
#define RESPONSE_DEFAULT_CONTENT_TYPE "text/plain; charset=utf-8"
#define WHSEC_PREFIX "whsec_"

/* get_string() flags */
#define STR_REQUIRED 0x1
#define STR_EMPTY_OK 0x2

static const long DEFAULT_SCHEDULE_S[] = {0, 5, 300, 1800, 7200, 18000, 36000, 36000};

static const char *const TOP_KEYS[] = {"store",   "max_backlog", "backlog_stale_s",
                                       "sources", "drain",       "handler", NULL};
static const char *const STORE_KEYS[] = {"url",        "access_key",    "secret_key",
                                         "timeout_ms", "session_token", NULL};
static const char *const SOURCE_KEYS[] = {"name", "path", "max_body", "require_json", "verify",
                                          "idempotency", "destination", "destinations",
                                          "response", NULL};
static const char *const VERIFY_KEYS[] = {"scheme", "secrets", "tolerance_s", "header",
                                          "algorithm", "encoding", "prefix", "public_key",
                                          "public_url", "verify_token", NULL};
static const char *const IDEMPOTENCY_KEYS[] = {"header", "headers", "json_pointer", "fallback",
                                               NULL};
static const char *const DESTINATION_KEYS[] = {"url", "timeout_ms", "connect_timeout_ms", "sign",
                                               "max_per_second", "breaker_failures",
                                               "breaker_pause_s", "schedule_s", "filter", NULL};
/* A destinations[] entry: the same, plus its name. */
static const char *const NAMED_DESTINATION_KEYS[] = {
    "name", "url", "timeout_ms", "connect_timeout_ms", "sign", "max_per_second",
    "breaker_failures", "breaker_pause_s", "schedule_s", "filter", NULL};
static const char *const RESPONSE_KEYS[] = {"status", "body", "content_type", NULL};
static const char *const SIGN_KEYS[] = {"scheme", "secret", NULL};
static const char *const DRAIN_KEYS[] = {"concurrency", "poll_ms", "schedule_s", NULL};
static const char *const HANDLER_KEYS[] = {"read_timeout_ms", NULL};

/* Sets err to "FIELD: reason" with HS_ERR_CONFIG; returns -1 so callers can return it. */
static int __attribute__((format(printf, 3, 4)))
fail(struct error *err, const char *field, const char *fmt, ...)
{
    char reason[ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (field[0] == '\0')
        error_set(err, HS_ERR_CONFIG, "config", "%s", reason);
    else
        error_set(err, HS_ERR_CONFIG, "config", "%s: %s", field, reason);
    return -1;
}

/* Only an unknown key can make a field name long; cut, it still says where to look. */
static void field_mark_cut(char out[FIELD_MAX], int n)
{
    if (n >= FIELD_MAX)
        memcpy(out + FIELD_MAX - 4, "...", 4);
}

/* "base.key", or "key" at the top level. */
static void field_join(char out[FIELD_MAX], const char *base, const char *key)
{
    int n;

    if (base[0] == '\0')
        n = snprintf(out, FIELD_MAX, "%s", key);
    else
        n = snprintf(out, FIELD_MAX, "%s.%s", base, key);
    field_mark_cut(out, n);
}

static void field_index(char out[FIELD_MAX], const char *base, size_t i)
{
    field_mark_cut(out, snprintf(out, FIELD_MAX, "%s[%zu]", base, i));
}

static int check_object(const json_t *v, const char *field, struct error *err)
{
    if (!json_is_object(v))
        return fail(err, field, "must be an object");
    return 0;
}

/* Every key of obj must be in allowed; the error lists them to help with typos. */
static int check_keys(json_t *obj, const char *base, const char *const *allowed,
                      struct error *err)
{
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value) {
        char field[FIELD_MAX];
        char expected[256] = "";
        size_t used = 0;
        int known = 0;

        for (size_t i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0)
                known = 1;
        }
        if (known)
            continue;
        for (size_t i = 0; allowed[i] != NULL && used < sizeof(expected); i++)
            used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s%s",
                                     i == 0 ? "" : ", ", allowed[i]);
        field_join(field, base, key);
        return fail(err, field, "unknown key (expected one of: %s)", expected);
    }
    return 0;
}

/*
 * The string at obj[key] into *out (borrowed from the JSON tree), or NULL when
 * absent and not STR_REQUIRED. Empty strings are refused unless STR_EMPTY_OK.
 */
static int get_string(json_t *obj, const char *base, const char *key, int flags, const char **out,
                      struct error *err)
{
    json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    *out = NULL;
    field_join(field, base, key);
    if (v == NULL) {
        if (flags & STR_REQUIRED)
            return fail(err, field, "missing");
        return 0;
    }
    if (!json_is_string(v))
        return fail(err, field, "must be a string");
    if (json_string_length(v) == 0 && !(flags & STR_EMPTY_OK))
        return fail(err, field, "must not be empty");
    *out = json_string_value(v);
    return 0;
}

/* An integer in [min, max], or def when absent. */
static int get_long(json_t *obj, const char *base, const char *key, long min, long max, long def,
                    long *out, struct error *err)
{
    json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];
    json_int_t n;

    field_join(field, base, key);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v))
        return fail(err, field, "must be an integer");
    n = json_integer_value(v);
    if (n < min || n > max) {
        if (max == LONG_MAX)
            return fail(err, field, "must be at least %ld", min);
        return fail(err, field, "must be between %ld and %ld", min, max);
    }
    *out = (long)n;
    return 0;
}

static int get_int(json_t *obj, const char *base, const char *key, int min, int max, int def,
                   int *out, struct error *err)
{
    long n;

    if (get_long(obj, base, key, min, max, def, &n, err) != 0)
        return -1;
    *out = (int)n;
    return 0;
}

static int get_bool(json_t *obj, const char *base, const char *key, int *out, struct error *err)
{
    json_t *v = json_object_get(obj, key);
    char field[FIELD_MAX];

    field_join(field, base, key);
    *out = 0;
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return fail(err, field, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

/* RFC 9110 token characters: what a header name may be made of. */
static int header_name_valid(const char *name)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (name[0] == '\0')
        return 0;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr(extra, c) != NULL))
            return 0;
    }
    return 1;
}

/* A header name at obj[key] (required or not), copied into *out. */
static int get_header_name(json_t *obj, const char *base, const char *key, int flags, char **out,
                           struct error *err)
{
    const char *s;
    char field[FIELD_MAX];

    if (get_string(obj, base, key, flags, &s, err) != 0)
        return -1;
    if (s == NULL)
        return 0;
    field_join(field, base, key);
    if (!header_name_valid(s))
        return fail(err, field, "\"%s\" is not a valid header name", s);
    *out = xstrdup(s);
    return 0;
}

/*
 * Reads a whole file into b, up to b's cap; -1 with errno set (EFBIG when over
 * the cap). With regular_only, anything but a regular file is refused with -2
 * before a read: a secret named "file:/dev/stdin" or a FIFO must not hang the
 * start-up waiting for input.
 */
static int read_file(const char *path, int regular_only, struct buf *b)
{
    int fd = -1;
    int rc = -1;
    int saved;
    struct stat st;
    char chunk[8192];

    fd = open(path, O_RDONLY | O_CLOEXEC | (regular_only ? O_NONBLOCK : 0));
    if (fd < 0)
        goto out;
    if (regular_only && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        rc = -2;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        if (buf_append(b, chunk, (size_t)n) != 0) {
            errno = EFBIG;
            goto out;
        }
    }
    rc = 0;
out:
    saved = errno;
    OPENSSL_cleanse(chunk, sizeof(chunk));
    if (fd >= 0)
        close(fd);
    errno = saved;
    return rc;
}

static void secret_wipe(struct secret *s)
{
    if (s->bytes != NULL) {
        OPENSSL_cleanse(s->bytes, s->len);
        free(s->bytes);
    }
    s->bytes = NULL;
    s->len = 0;
}

static void string_wipe(char *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/*
 * Resolves the secret reference v ("env:NAME", "file:/path" or a literal) into
 * out. When standard, the value is a Standard Webhooks secret: an optional
 * "whsec_" and base64, stored decoded. Errors name the variable or file, never
 * the value.
 */
static int resolve_secret(const json_t *v, const char *field, int standard, struct secret *out,
                          struct error *err)
{
    struct buf file;
    const char *ref;
    const unsigned char *raw = NULL;
    size_t raw_len = 0;
    const char *b64;
    size_t b64_len;
    int rc = -1;

    buf_init(&file, SECRET_FILE_MAX);
    if (!json_is_string(v)) {
        fail(err, field, "must be a string");
        goto out;
    }
    ref = json_string_value(v);
    if (strncmp(ref, "env:", 4) == 0) {
        const char *value = getenv(ref + 4);

        if (ref[4] == '\0') {
            fail(err, field, "\"env:\" needs a variable name");
            goto out;
        }
        if (value == NULL) {
            fail(err, field, "environment variable %s is not set", ref + 4);
            goto out;
        }
        if (value[0] == '\0') {
            fail(err, field, "environment variable %s is empty", ref + 4);
            goto out;
        }
        raw = (const unsigned char *)value;
        raw_len = strlen(value);
    } else if (strncmp(ref, "file:", 5) == 0) {
        const char *path = ref + 5;
        int got;

        if (path[0] != '/') {
            fail(err, field, "\"file:\" needs an absolute path");
            goto out;
        }
        got = read_file(path, 1, &file);
        if (got != 0) {
            fail(err, field, "unable to read \"%s\": %s", path,
                 got == -2 ? "not a regular file"
                           : errno == EFBIG ? "file too large" : strerror(errno));
            goto out;
        }
        /* Editors and `echo` end files with a newline that is not part of the secret. */
        if (file.len > 0 && file.data[file.len - 1] == '\n')
            file.len--;
        if (file.len == 0) {
            fail(err, field, "file \"%s\" is empty", path);
            goto out;
        }
        raw = (const unsigned char *)file.data;
        raw_len = file.len;
    } else {
        if (ref[0] == '\0') {
            fail(err, field, "must not be empty");
            goto out;
        }
        raw = (const unsigned char *)ref;
        raw_len = strlen(ref);
    }

    if (!standard) {
        out->bytes = xmalloc(raw_len + 1);
        memcpy(out->bytes, raw, raw_len);
        out->bytes[raw_len] = '\0';
        out->len = raw_len;
        rc = 0;
        goto out;
    }
    b64 = (const char *)raw;
    b64_len = raw_len;
    if (b64_len >= strlen(WHSEC_PREFIX) &&
        memcmp(b64, WHSEC_PREFIX, strlen(WHSEC_PREFIX)) == 0) {
        b64 += strlen(WHSEC_PREFIX);
        b64_len -= strlen(WHSEC_PREFIX);
    }
    out->bytes = codec_base64_decode(b64, b64_len, &out->len);
    if (out->bytes == NULL || out->len == 0) {
        secret_wipe(out);
        fail(err, field, "not a Standard Webhooks secret (\"whsec_\" followed by base64)");
        goto out;
    }
    rc = 0;
out:
    if (file.data != NULL)
        OPENSSL_cleanse(file.data, file.alloc);
    buf_free(&file);
    return rc;
}

/* A resolved secret that must be text (S3 credentials): no NUL inside. */
static int resolve_text_secret(json_t *obj, const char *base, const char *key, char **out,
                               struct error *err)
{
    struct secret s = {NULL, 0};
    char field[FIELD_MAX];
    json_t *v = json_object_get(obj, key);

    field_join(field, base, key);
    if (v == NULL)
        return fail(err, field, "missing");
    if (resolve_secret(v, field, 0, &s, err) != 0)
        return -1;
    if (strlen((const char *)s.bytes) != s.len) {
        secret_wipe(&s);
        return fail(err, field, "must not contain NUL bytes");
    }
    *out = (char *)s.bytes;
    return 0;
}

/* The URL is parsed by the store's own parser, so what loads here also opens. */
static int s3_url_check(const char *url, const char *field, struct error *err)
{
    struct s3_url u;
    int rc = s3_url_parse(url, &u, err);

    s3_url_free(&u);
    return rc == 0 ? 0 : fail(err, field, "%s", err->msg);
}

static int load_store(json_t *root, struct store_config *st, struct error *err)
{
    json_t *obj = json_object_get(root, "store");
    const char *url;

    if (obj == NULL)
        return fail(err, "store", "missing");
    if (check_object(obj, "store", err) != 0 || check_keys(obj, "store", STORE_KEYS, err) != 0)
        return -1;
    if (get_string(obj, "store", "url", STR_REQUIRED, &url, err) != 0)
        return -1;
    st->url = xstrdup(url);
    if (strncmp(url, "s3://", 5) == 0) {
        if (s3_url_check(url, "store.url", err) != 0)
            return -1;
        if (resolve_text_secret(obj, "store", "access_key", &st->access_key, err) != 0 ||
            resolve_text_secret(obj, "store", "secret_key", &st->secret_key, err) != 0)
            return -1;
        /* Temporary credentials (STS, an instance role) come with a session token. */
        if (json_object_get(obj, "session_token") != NULL &&
            resolve_text_secret(obj, "store", "session_token", &st->session_token, err) != 0)
            return -1;
    } else if (strncmp(url, "file://", 7) == 0) {
        if (url[7] != '/' || url[8] == '\0')
            return fail(err, "store.url", "must be file:///ABSOLUTE/DIR");
        if (json_object_get(obj, "access_key") != NULL)
            return fail(err, "store.access_key", "not used by file:// stores");
        if (json_object_get(obj, "secret_key") != NULL)
            return fail(err, "store.secret_key", "not used by file:// stores");
        if (json_object_get(obj, "session_token") != NULL)
            return fail(err, "store.session_token", "not used by file:// stores");
    } else {
        return fail(err, "store.url",
                    "must be s3://BUCKET[/PREFIX][?endpoint=HOST:PORT&region=R...] or "
                    "file:///ABSOLUTE/DIR");
    }
    return get_long(obj, "store", "timeout_ms", 1, TIMEOUT_MS_LIMIT,
                    CONFIG_DEFAULT_STORE_TIMEOUT_MS, &st->timeout_ms, err);
}

/* A verify key that the scheme would ignore is refused, like an unknown key. */
static int verify_key_unused(json_t *obj, const char *base, const char *key,
                             const char *scheme, struct error *err)
{
    char field[FIELD_MAX];

    if (json_object_get(obj, key) == NULL)
        return 0;
    field_join(field, base, key);
    return fail(err, field, "not used by scheme \"%s\"", scheme);
}

/* Each verify key the scheme does not need is refused. */
static int verify_keys_unused(json_t *obj, const char *vbase, const struct sig_scheme_info *info,
                              struct error *err)
{
    static const struct {
        const char *key;
        unsigned needs;
    } KEYS[] = {
        {"secrets", SIG_NEEDS_SECRETS},       {"tolerance_s", SIG_TIMESTAMPED},
        {"header", SIG_NEEDS_HEADER},         {"algorithm", SIG_HMAC_OPTIONS},
        {"encoding", SIG_HMAC_OPTIONS},       {"prefix", SIG_HMAC_OPTIONS},
        {"public_url", SIG_NEEDS_PUBLIC_URL}, {"verify_token", SIG_NEEDS_VERIFY_TOKEN},
        {"public_key", SIG_KEY_ED25519 | SIG_KEY_P256},
    };

    for (size_t i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++) {
        if ((info->needs & KEYS[i].needs) == 0 &&
            verify_key_unused(obj, vbase, KEYS[i].key, info->name, err) != 0)
            return -1;
    }
    return 0;
}

/* "algorithm", "encoding" and "prefix" of the generic hmac scheme. */
static int load_hmac_options(json_t *obj, const char *vbase, struct verify_config *v,
                             struct error *err)
{
    char field[FIELD_MAX];
    const char *s;

    if (get_string(obj, vbase, "algorithm", 0, &s, err) != 0)
        return -1;
    field_join(field, vbase, "algorithm");
    if (s == NULL || strcmp(s, "sha256") == 0)
        v->algorithm = DIGEST_SHA256;
    else if (strcmp(s, "sha1") == 0)
        v->algorithm = DIGEST_SHA1;
    else if (strcmp(s, "sha512") == 0)
        v->algorithm = DIGEST_SHA512;
    else
        return fail(err, field, "unknown algorithm \"%s\" (expected sha1, sha256, sha512)", s);
    if (get_string(obj, vbase, "encoding", 0, &s, err) != 0)
        return -1;
    field_join(field, vbase, "encoding");
    if (s == NULL || strcmp(s, "hex") == 0)
        v->encoding = VERIFY_HEX;
    else if (strcmp(s, "base64") == 0)
        v->encoding = VERIFY_BASE64;
    else
        return fail(err, field, "unknown encoding \"%s\" (expected hex, base64)", s);
    if (get_string(obj, vbase, "prefix", 0, &s, err) != 0)
        return -1;
    if (s != NULL)
        v->prefix = xstrdup(s);
    return 0;
}

/*
 * "public_url": the absolute http(s) URL the provider was given, which
 * URL-signing schemes sign. Without a query or fragment: the request's own
 * query is what gets appended, so a query here would be signed twice.
 */
static int load_public_url(json_t *obj, const char *vbase, struct verify_config *v,
                           struct error *err)
{
    char field[FIELD_MAX];
    const char *s;
    size_t scheme_len;

    if (get_string(obj, vbase, "public_url", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, vbase, "public_url");
    scheme_len = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    if (scheme_len == 0 || s[scheme_len] == '\0' || s[scheme_len] == '/')
        return fail(err, field, "must be an absolute http:// or https:// URL");
    for (const char *p = s; *p != '\0'; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f)
            return fail(err, field, "must not hold spaces or control characters");
    }
    if (strchr(s, '?') != NULL || strchr(s, '#') != NULL)
        return fail(err, field, "must not hold a query or fragment: the request's own query is "
                                "signed after it");
    v->public_url = xstrdup(s);
    return 0;
}

/* "public_key": hex Ed25519 (discord) or base64 DER SubjectPublicKeyInfo P-256 (sendgrid). */
static int load_public_key(json_t *obj, const char *vbase, struct verify_config *v,
                           unsigned needs, struct error *err)
{
    char field[FIELD_MAX];
    struct error key_err;
    const char *s;
    int ed25519 = (needs & SIG_KEY_ED25519) != 0;

    if (get_string(obj, vbase, "public_key", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, vbase, "public_key");
    if (ed25519)
        v->public_key = codec_hex_decode(s, strlen(s), &v->public_key_len);
    else
        v->public_key = codec_base64_decode(s, strlen(s), &v->public_key_len);
    if (v->public_key == NULL)
        return fail(err, field, "must be %s", ed25519 ? "hex" : "base64");
    error_clear(&key_err);
    if (pubkey_check(ed25519 ? PUBKEY_ED25519 : PUBKEY_P256, v->public_key, v->public_key_len,
                     &key_err) != 0)
        return fail(err, field, "%s", key_err.msg);
    return 0;
}

static int load_verify(json_t *src, const char *base, struct verify_config *v,
                       struct error *err)
{
    char vbase[FIELD_MAX];
    char field[FIELD_MAX];
    const struct sig_scheme_info *info;
    json_t *obj;
    json_t *secrets;
    const char *scheme_name;
    size_t i;

    field_join(vbase, base, "verify");
    obj = json_object_get(src, "verify");
    if (obj == NULL)
        return fail(err, vbase, "missing");
    if (check_object(obj, vbase, err) != 0 || check_keys(obj, vbase, VERIFY_KEYS, err) != 0)
        return -1;
    if (get_string(obj, vbase, "scheme", STR_REQUIRED, &scheme_name, err) != 0)
        return -1;
    info = sig_scheme_find(scheme_name);
    field_join(field, vbase, "scheme");
    if (info == NULL)
        return fail(err, field, "unknown scheme \"%s\"", scheme_name);
    v->scheme = info->scheme;
    if (verify_keys_unused(obj, vbase, info, err) != 0)
        return -1;
    if (get_long(obj, vbase, "tolerance_s", 1, TOLERANCE_S_LIMIT,
                 info->default_tolerance_s != 0 ? info->default_tolerance_s
                                                : CONFIG_DEFAULT_TOLERANCE_S,
                 &v->tolerance_s, err) != 0)
        return -1;

    v->algorithm = DIGEST_SHA256;
    v->encoding = VERIFY_HEX;
    if (info->token_header != NULL)
        v->header = xstrdup(info->token_header);
    if ((info->needs & SIG_NEEDS_HEADER) != 0 &&
        get_header_name(obj, vbase, "header", STR_REQUIRED, &v->header, err) != 0)
        return -1;
    if ((info->needs & SIG_HMAC_OPTIONS) != 0 && load_hmac_options(obj, vbase, v, err) != 0)
        return -1;
    if ((info->needs & SIG_NEEDS_PUBLIC_URL) != 0 && load_public_url(obj, vbase, v, err) != 0)
        return -1;
    if ((info->needs & (SIG_KEY_ED25519 | SIG_KEY_P256)) != 0 &&
        load_public_key(obj, vbase, v, info->needs, err) != 0)
        return -1;
    if ((info->needs & SIG_NEEDS_VERIFY_TOKEN) != 0) {
        json_t *token = json_object_get(obj, "verify_token");

        field_join(field, vbase, "verify_token");
        if (token == NULL)
            return fail(err, field, "missing");
        if (resolve_secret(token, field, 0, &v->verify_token, err) != 0)
            return -1;
    }

    if ((info->needs & SIG_NEEDS_SECRETS) == 0)
        return 0;
    secrets = json_object_get(obj, "secrets");
    field_join(field, vbase, "secrets");
    if (secrets == NULL)
        return fail(err, field, "missing");
    if (!json_is_array(secrets) || json_array_size(secrets) == 0)
        return fail(err, field, "must be a non-empty array of strings");
    v->n_secrets = json_array_size(secrets);
    v->secrets = xcalloc(v->n_secrets, sizeof(*v->secrets));
    for (i = 0; i < v->n_secrets; i++) {
        char item[FIELD_MAX];

        field_index(item, field, i);
        if (resolve_secret(json_array_get(secrets, i), item,
                           (info->needs & SIG_WHSEC_SECRETS) != 0, &v->secrets[i], err) != 0)
            return -1;
        /* Postmark sends the user:password of its webhook URL: without ':' nothing matches. */
        if (v->scheme == VERIFY_POSTMARK &&
            memchr(v->secrets[i].bytes, ':', v->secrets[i].len) == NULL)
            return fail(err, item,
                        "must be user:password, as in the webhook URL given to Postmark");
    }
    return 0;
}

static int load_idempotency(json_t *src, const char *base, struct source_config *sc,
                            struct error *err)
{
    struct idempotency_config *id = &sc->idempotency;
    char ibase[FIELD_MAX];
    char field[FIELD_MAX];
    json_t *obj;
    json_t *headers;
    const char *s;

    field_join(ibase, base, "idempotency");
    obj = json_object_get(src, "idempotency");
    if (obj == NULL)
        return fail(err, ibase, "missing");
    if (check_object(obj, ibase, err) != 0 || check_keys(obj, ibase, IDEMPOTENCY_KEYS, err) != 0)
        return -1;

    headers = json_object_get(obj, "headers");
    if (json_object_get(obj, "header") != NULL && headers != NULL)
        return fail(err, ibase, "give \"header\" or \"headers\", not both");
    if (json_object_get(obj, "header") != NULL) {
        id->headers = xcalloc(1, sizeof(*id->headers));
        id->n_headers = 1;
        if (get_header_name(obj, ibase, "header", STR_REQUIRED, &id->headers[0], err) != 0)
            return -1;
    } else if (headers != NULL) {
        field_join(field, ibase, "headers");
        if (!json_is_array(headers) || json_array_size(headers) == 0)
            return fail(err, field, "must be a non-empty array of header names");
        id->n_headers = json_array_size(headers);
        id->headers = xcalloc(id->n_headers, sizeof(*id->headers));
        for (size_t i = 0; i < id->n_headers; i++) {
            json_t *h = json_array_get(headers, i);
            char item[FIELD_MAX];

            field_index(item, field, i);
            if (!json_is_string(h))
                return fail(err, item, "must be a string");
            if (!header_name_valid(json_string_value(h)))
                return fail(err, item, "\"%s\" is not a valid header name",
                            json_string_value(h));
            id->headers[i] = xstrdup(json_string_value(h));
        }
    }

    if (get_string(obj, ibase, "json_pointer", STR_EMPTY_OK, &s, err) != 0)
        return -1;
    if (s != NULL) {
        field_join(field, ibase, "json_pointer");
        if (!jsontext_pointer_valid(s))
            return fail(err, field, "\"%s\" is not a JSON pointer (\"/id\", or \"\")", s);
        id->json_pointer = xstrdup(s);
        /* The key comes out of the body, so the body has to be JSON. */
        sc->require_json = 1;
    }
    if (id->n_headers == 0 && id->json_pointer == NULL)
        return fail(err, ibase, "needs \"header\", \"headers\" or \"json_pointer\"");

    if (get_string(obj, ibase, "fallback", 0, &s, err) != 0)
        return -1;
    field_join(field, ibase, "fallback");
    if (s == NULL || strcmp(s, "reject") == 0)
        id->fallback = IDEMPOTENCY_REJECT;
    else if (strcmp(s, "body_sha256") == 0)
        id->fallback = IDEMPOTENCY_BODY_SHA256;
    else
        return fail(err, field, "unknown fallback \"%s\" (expected reject, body_sha256)", s);
    return 0;
}

/* A list of delays in seconds at obj[key] ("schedule_s"): its length is the attempts. */
static int load_schedule(json_t *obj, const char *base, const char *key, long **out, size_t *n,
                         struct error *err)
{
    json_t *sched = json_object_get(obj, key);
    char field[FIELD_MAX];

    field_join(field, base, key);
    if (!json_is_array(sched) || json_array_size(sched) == 0)
        return fail(err, field, "must be a non-empty array of delays in seconds");
    if (json_array_size(sched) > SCHEDULE_MAX)
        return fail(err, field, "at most %d attempts", SCHEDULE_MAX);
    *n = json_array_size(sched);
    *out = xcalloc(*n, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        json_t *v = json_array_get(sched, i);
        char item[FIELD_MAX];

        field_index(item, field, i);
        if (!json_is_integer(v))
            return fail(err, item, "must be an integer");
        if (json_integer_value(v) < 0 || json_integer_value(v) > SCHEDULE_DELAY_LIMIT)
            return fail(err, item, "must be between 0 and %ld", SCHEDULE_DELAY_LIMIT);
        (*out)[i] = (long)json_integer_value(v);
    }
    return 0;
}

/* One destination object at dbase: "destination", or an entry of "destinations" (named). */
static int load_destination(json_t *obj, const char *dbase, int named,
                            struct destination_config *d, struct error *err)
{
    char sbase[FIELD_MAX];
    char field[FIELD_MAX];
    json_t *sign;
    json_t *rate;
    const char *s;
    long n;

    if (check_object(obj, dbase, err) != 0 ||
        check_keys(obj, dbase, named ? NAMED_DESTINATION_KEYS : DESTINATION_KEYS, err) != 0)
        return -1;
    if (named) {
        if (get_string(obj, dbase, "name", STR_REQUIRED, &s, err) != 0)
            return -1;
        field_join(field, dbase, "name");
        if (!key_source_valid(s))
            return fail(err, field, "\"%s\" is not a valid destination name ([a-z0-9_-]{1,64})",
                        s);
    } else {
        s = CONFIG_DEFAULT_DESTINATION;
    }
    d->name = xstrdup(s);
    if (get_string(obj, dbase, "url", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, dbase, "url");
    if (!((strncmp(s, "http://", 7) == 0 && s[7] != '\0' && s[7] != '/') ||
          (strncmp(s, "https://", 8) == 0 && s[8] != '\0' && s[8] != '/')))
        return fail(err, field, "must be an http:// or https:// URL");
    d->url = xstrdup(s);

    if (get_long(obj, dbase, "timeout_ms", 1, TIMEOUT_MS_LIMIT, CONFIG_DEFAULT_DEST_TIMEOUT_MS,
                 &d->timeout_ms, err) != 0)
        return -1;
    if (json_object_get(obj, "connect_timeout_ms") == NULL) {
        /* The default must not outlast a short total timeout set on its own. */
        d->connect_timeout_ms = CONFIG_DEFAULT_CONNECT_TIMEOUT_MS < d->timeout_ms
                                    ? CONFIG_DEFAULT_CONNECT_TIMEOUT_MS
                                    : d->timeout_ms;
    } else {
        if (get_long(obj, dbase, "connect_timeout_ms", 1, d->timeout_ms, 0,
                     &d->connect_timeout_ms, err) != 0)
            return -1;
    }

    rate = json_object_get(obj, "max_per_second");
    field_join(field, dbase, "max_per_second");
    if (rate != NULL) {
        if (!json_is_number(rate))
            return fail(err, field, "must be a number");
        if (json_number_value(rate) < 0)
            return fail(err, field, "must be at least 0");
        d->max_per_second = json_number_value(rate);
    }
    if (get_int(obj, dbase, "breaker_failures", 1, BREAKER_FAILURES_LIMIT,
                CONFIG_DEFAULT_BREAKER_FAILURES, &d->breaker_failures, err) != 0)
        return -1;
    if (get_long(obj, dbase, "breaker_pause_s", 1, BREAKER_PAUSE_S_LIMIT,
                 CONFIG_DEFAULT_BREAKER_PAUSE_S, &n, err) != 0)
        return -1;
    d->breaker_pause_s = (int)n;
    /* Without its own, the destination takes drain.schedule_s (config_parse_named). */
    if (json_object_get(obj, "schedule_s") != NULL &&
        load_schedule(obj, dbase, "schedule_s", &d->schedule_s, &d->n_schedule, err) != 0)
        return -1;
    if (json_object_get(obj, "filter") != NULL) {
        field_join(field, dbase, "filter");
        d->filter = filter_parse(json_object_get(obj, "filter"), field, err);
        if (d->filter == NULL)
            return -1;
    }

    sign = json_object_get(obj, "sign");
    if (sign == NULL)
        return 0;
    field_join(sbase, dbase, "sign");
    if (check_object(sign, sbase, err) != 0 || check_keys(sign, sbase, SIGN_KEYS, err) != 0)
        return -1;
    if (get_string(sign, sbase, "scheme", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, sbase, "scheme");
    if (strcmp(s, "standard-webhooks") != 0)
        return fail(err, field, "unknown scheme \"%s\" (expected standard-webhooks)", s);
    field_join(field, sbase, "secret");
    if (json_object_get(sign, "secret") == NULL)
        return fail(err, field, "missing");
    return resolve_secret(json_object_get(sign, "secret"), field, 1, &d->sign_secret, err);
}

/* "destinations": [...], or "destination": {...} as the one destination named "default". */
static int load_destinations(json_t *src, const char *base, struct source_config *sc,
                             struct error *err)
{
    json_t *one = json_object_get(src, "destination");
    json_t *list = json_object_get(src, "destinations");
    char field[FIELD_MAX];
    char item[FIELD_MAX];

    if (one != NULL && list != NULL)
        return fail(err, base, "give \"destination\" or \"destinations\", not both");
    if (one != NULL) {
        sc->destinations = xcalloc(1, sizeof(*sc->destinations));
        sc->n_destinations = 1;
        field_join(field, base, "destination");
        return load_destination(one, field, 0, &sc->destinations[0], err);
    }
    if (list == NULL)
        return 0;
    field_join(field, base, "destinations");
    if (!json_is_array(list) || json_array_size(list) == 0)
        return fail(err, field, "must be a non-empty array of destinations");
    if (json_array_size(list) > CONFIG_DESTINATIONS_MAX)
        return fail(err, field, "at most %d destinations", CONFIG_DESTINATIONS_MAX);
    sc->destinations = xcalloc(json_array_size(list), sizeof(*sc->destinations));
    for (size_t i = 0; i < json_array_size(list); i++) {
        struct destination_config *d = &sc->destinations[i];

        field_index(item, field, i);
        sc->n_destinations++;
        if (load_destination(json_array_get(list, i), item, 1, d, err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(sc->destinations[j].name, d->name) == 0) {
                char name[FIELD_MAX];

                field_join(name, item, "name");
                return fail(err, name, "duplicate destination name \"%s\"", d->name);
            }
        }
    }
    return 0;
}

/* A destination without "schedule_s" gets its own copy of drain.schedule_s. */
static void inherit_schedules(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        for (size_t j = 0; j < cfg->sources[i].n_destinations; j++) {
            struct destination_config *d = &cfg->sources[i].destinations[j];

            if (d->schedule_s != NULL)
                continue;
            d->n_schedule = cfg->drain.n_schedule;
            d->schedule_s = xcalloc(d->n_schedule, sizeof(*d->schedule_s));
            memcpy(d->schedule_s, cfg->drain.schedule_s, d->n_schedule * sizeof(long));
        }
    }
}

static int path_char_valid(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '?' && c != '#';
}

/*
 * "response": {"status": 2xx, "body": "...", "content_type": "..."}. Only a success
 * can be configured (refusals keep their JSON errors); a 204 or 205 carries no body;
 * the content type becomes a header, so it is printable ASCII without line breaks.
 */
static int load_response(json_t *src, const char *base, struct response_config *rc,
                         struct error *err)
{
    json_t *obj = json_object_get(src, "response");
    char rbase[FIELD_MAX];
    char field[FIELD_MAX];
    const char *body;
    const char *type;
    long status;

    if (obj == NULL)
        return 0;
    field_join(rbase, base, "response");
    if (check_object(obj, rbase, err) != 0 || check_keys(obj, rbase, RESPONSE_KEYS, err) != 0)
        return -1;
    field_join(field, rbase, "status");
    if (json_object_get(obj, "status") == NULL)
        return fail(err, field, "missing");
    if (get_long(obj, rbase, "status", 200, 299, 0, &status, err) != 0)
        return fail(err, field, "must be a success status, 200 to 299");
    if (get_string(obj, rbase, "body", STR_EMPTY_OK, &body, err) != 0 ||
        get_string(obj, rbase, "content_type", 0, &type, err) != 0)
        return -1;
    if (body != NULL) {
        size_t len = json_string_length(json_object_get(obj, "body"));

        field_join(field, rbase, "body");
        if (status == 204 || status == 205)
            return fail(err, field, "a %ld answer has no body", status);
        if ((long)len > RESPONSE_BODY_LIMIT)
            return fail(err, field, "%zu bytes is over the limit of %ld", len,
                        RESPONSE_BODY_LIMIT);
        rc->body = xmalloc(len + 1);
        memcpy(rc->body, body, len + 1);
        rc->body_len = len;
    }
    if (type != NULL) {
        field_join(field, rbase, "content_type");
        if (body == NULL)
            return fail(err, field, "is only for an answer with a body");
        if (strlen(type) > CONTENT_TYPE_LIMIT)
            return fail(err, field, "is over %d characters", CONTENT_TYPE_LIMIT);
        for (const char *p = type; *p != '\0'; p++) {
            if (*p < 0x20 || *p > 0x7e)
                return fail(err, field, "must be printable ASCII on one line");
        }
    }
    rc->status = (int)status;
    if (body != NULL)
        rc->content_type = xstrdup(type != NULL ? type : RESPONSE_DEFAULT_CONTENT_TYPE);
    return 0;
}

static int load_source(json_t *src, const char *base, struct source_config *sc,
                       struct error *err)
{
    char field[FIELD_MAX];
    const char *s;
    long max_body;
    size_t n;

    if (check_object(src, base, err) != 0 || check_keys(src, base, SOURCE_KEYS, err) != 0)
        return -1;
    if (get_string(src, base, "name", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, base, "name");
    if (!key_source_valid(s))
        return fail(err, field, "\"%s\" is not a valid source name ([a-z0-9_-]{1,64})", s);
    sc->name = xstrdup(s);

    if (get_string(src, base, "path", STR_REQUIRED, &s, err) != 0)
        return -1;
    field_join(field, base, "path");
    n = strlen(s);
    if (s[0] != '/')
        return fail(err, field, "\"%s\" must start with \"/\"", s);
    for (size_t i = 0; i < n; i++) {
        if (!path_char_valid((unsigned char)s[i]))
            return fail(err, field, "\"%s\" may not contain spaces, '?', '#' or non-ASCII", s);
    }
    /* GET /_health under the mount is the health check; a source cannot shadow it. */
    if (n >= 8 && strcmp(s + n - 8, "/_health") == 0)
        return fail(err, field, "\"%s\" is reserved for the health check", s);
    sc->path = xstrdup(s);

    if (get_long(src, base, "max_body", 1, MAX_BODY_LIMIT, CONFIG_DEFAULT_MAX_BODY, &max_body,
                 err) != 0)
        return -1;
    sc->max_body = (size_t)max_body;
    if (get_bool(src, base, "require_json", &sc->require_json, err) != 0)
        return -1;
    if (load_verify(src, base, &sc->verify, err) != 0)
        return -1;
    if (load_idempotency(src, base, sc, err) != 0)
        return -1;
    if (load_response(src, base, &sc->response, err) != 0)
        return -1;
    return load_destinations(src, base, sc, err);
}

static int load_sources(json_t *root, struct config *cfg, struct error *err)
{
    json_t *arr = json_object_get(root, "sources");

    if (arr == NULL)
        return fail(err, "sources", "missing");
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return fail(err, "sources", "must be a non-empty array");
    cfg->n_sources = json_array_size(arr);
    cfg->sources = xcalloc(cfg->n_sources, sizeof(*cfg->sources));
    for (size_t i = 0; i < cfg->n_sources; i++) {
        struct source_config *sc = &cfg->sources[i];
        char base[FIELD_MAX];
        char field[FIELD_MAX];

        field_index(base, "sources", i);
        if (load_source(json_array_get(arr, i), base, sc, err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->sources[j].name, sc->name) == 0) {
                field_join(field, base, "name");
                return fail(err, field, "duplicate source name \"%s\"", sc->name);
            }
            if (strcmp(cfg->sources[j].path, sc->path) == 0) {
                field_join(field, base, "path");
                return fail(err, field, "duplicate path \"%s\"", sc->path);
            }
        }
    }
    return 0;
}

static int load_handler(json_t *root, struct handler_config *h, struct error *err)
{
    /* Optional, like "drain". */
    json_t *obj = json_object_get(root, "handler");

    if (obj != NULL && (check_object(obj, "handler", err) != 0 ||
                        check_keys(obj, "handler", HANDLER_KEYS, err) != 0))
        return -1;
    return get_long(obj, "handler", "read_timeout_ms", 1, TIMEOUT_MS_LIMIT,
                    CONFIG_DEFAULT_READ_TIMEOUT_MS, &h->read_timeout_ms, err);
}

static int load_drain(json_t *root, struct drain_config *dr, struct error *err)
{
    /* The whole section is optional: an absent object reads as all defaults. */
    json_t *obj = json_object_get(root, "drain");
    json_t *sched = json_object_get(obj, "schedule_s");

    if (obj != NULL &&
        (check_object(obj, "drain", err) != 0 || check_keys(obj, "drain", DRAIN_KEYS, err) != 0))
        return -1;
    if (get_int(obj, "drain", "concurrency", 1, CONCURRENCY_LIMIT, CONFIG_DEFAULT_CONCURRENCY,
                &dr->concurrency, err) != 0 ||
        get_long(obj, "drain", "poll_ms", 1, TIMEOUT_MS_LIMIT, CONFIG_DEFAULT_POLL_MS,
                 &dr->poll_ms, err) != 0)
        return -1;

    if (sched == NULL) {
        dr->n_schedule = sizeof(DEFAULT_SCHEDULE_S) / sizeof(DEFAULT_SCHEDULE_S[0]);
        dr->schedule_s = xmalloc(sizeof(DEFAULT_SCHEDULE_S));
        memcpy(dr->schedule_s, DEFAULT_SCHEDULE_S, sizeof(DEFAULT_SCHEDULE_S));
        return 0;
    }
    return load_schedule(obj, "drain", "schedule_s", &dr->schedule_s, &dr->n_schedule, err);
}

/* Overwrites every string in the tree, so literal secrets do not linger in freed memory. */
static void json_wipe_strings(json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;

    if (json_is_string(v)) {
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            json_wipe_strings(item);
        }
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            json_wipe_strings(item);
        }
    }
}

/*
 * jansson's reason for a syntax error without the token it quotes ("invalid escape
 * near '\"s3cr\\q'"): that token may be a literal secret with a typo in it, and the
 * message goes to the log. LINE:COL still say where to look.
 */
static void syntax_reason(const json_error_t *jerr, char out[JSON_ERROR_TEXT_LENGTH])
{
    char *near;

    snprintf(out, JSON_ERROR_TEXT_LENGTH, "%s", jerr->text);
    near = strstr(out, " near '");
    if (near != NULL)
        *near = '\0';
}

/* Parses text; name prefixes syntax errors as "NAME:LINE:COL: ...". */
static struct config *config_parse_named(const char *name, const char *text, size_t len,
                                         struct error *err)
{
    struct config *cfg = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    char reason[JSON_ERROR_TEXT_LENGTH];
    int ok = 0;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        syntax_reason(&jerr, reason);
        error_set(err, HS_ERR_CONFIG, "config", "%s:%d:%d: %s", name, jerr.line, jerr.column,
                  reason);
        goto out;
    }
    if (!json_is_object(root)) {
        error_set(err, HS_ERR_CONFIG, "config", "%s: must be a JSON object", name);
        goto out;
    }
    cfg = xcalloc(1, sizeof(*cfg));
    if (check_keys(root, "", TOP_KEYS, err) != 0 || load_store(root, &cfg->store, err) != 0 ||
        get_long(root, "", "max_backlog", 1, LONG_MAX, CONFIG_DEFAULT_MAX_BACKLOG,
                 &cfg->max_backlog, err) != 0 ||
        get_long(root, "", "backlog_stale_s", 1, CONFIG_BACKLOG_STALE_S_MAX,
                 CONFIG_DEFAULT_BACKLOG_STALE_S, &cfg->backlog_stale_s, err) != 0 ||
        load_sources(root, cfg, err) != 0 || load_drain(root, &cfg->drain, err) != 0 ||
        load_handler(root, &cfg->handler, err) != 0)
        goto out;
    inherit_schedules(cfg);
    ok = 1;
    error_clear(err);
out:
    if (root != NULL) {
        json_wipe_strings(root);
        json_decref(root);
    }
    if (!ok) {
        config_free(cfg);
        cfg = NULL;
    }
    return cfg;
}

struct config *config_parse(const char *text, size_t len, struct error *err)
{
    return config_parse_named("config", text, len, err);
}

struct config *config_load(const char *path, struct error *err)
{
    struct config *cfg = NULL;
    struct buf text;

    buf_init(&text, CONFIG_FILE_MAX);
    if (read_file(path, 0, &text) != 0) {
        error_set(err, HS_ERR_CONFIG, "config", "unable to read \"%s\": %s", path,
                  errno == EFBIG ? "file too large" : strerror(errno));
        goto out;
    }
    cfg = config_parse_named(path, text.data != NULL ? text.data : "", text.len, err);
out:
    if (text.data != NULL)
        OPENSSL_cleanse(text.data, text.alloc);
    buf_free(&text);
    return cfg;
}

const char *config_path(const char *explicit_path)
{
    const char *env;

    if (explicit_path != NULL && explicit_path[0] != '\0')
        return explicit_path;
    env = getenv("HOOKSPOOL_CONFIG");
    if (env != NULL && env[0] != '\0')
        return env;
    return CONFIG_DEFAULT_PATH;
}

const struct source_config *config_source_by_path(const struct config *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (strcmp(cfg->sources[i].path, path) == 0)
            return &cfg->sources[i];
    }
    return NULL;
}

const struct source_config *config_source_by_name(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        if (strcmp(cfg->sources[i].name, name) == 0)
            return &cfg->sources[i];
    }
    return NULL;
}

const struct destination_config *config_destination_by_name(const struct source_config *src,
                                                            const char *name)
{
    for (size_t i = 0; i < src->n_destinations; i++) {
        if (strcmp(src->destinations[i].name, name) == 0)
            return &src->destinations[i];
    }
    return NULL;
}

static void source_free(struct source_config *sc)
{
    free(sc->name);
    free(sc->path);
    for (size_t i = 0; i < sc->verify.n_secrets; i++)
        secret_wipe(&sc->verify.secrets[i]);
    free(sc->verify.secrets);
    free(sc->verify.header);
    free(sc->verify.prefix);
    free(sc->verify.public_url);
    secret_wipe(&sc->verify.verify_token);
    free(sc->verify.public_key);
    for (size_t i = 0; i < sc->idempotency.n_headers; i++)
        free(sc->idempotency.headers[i]);
    free(sc->idempotency.headers);
    free(sc->idempotency.json_pointer);
    free(sc->response.body);
    free(sc->response.content_type);
    for (size_t i = 0; i < sc->n_destinations; i++) {
        free(sc->destinations[i].name);
        free(sc->destinations[i].url);
        secret_wipe(&sc->destinations[i].sign_secret);
        free(sc->destinations[i].schedule_s);
        filter_free(sc->destinations[i].filter);
    }
    free(sc->destinations);
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->store.url);
    string_wipe(cfg->store.access_key);
    string_wipe(cfg->store.secret_key);
    string_wipe(cfg->store.session_token);
    for (size_t i = 0; i < cfg->n_sources; i++)
        source_free(&cfg->sources[i]);
    free(cfg->sources);
    free(cfg->drain.schedule_s);
    OPENSSL_cleanse(cfg, sizeof(*cfg));
    free(cfg);
}
