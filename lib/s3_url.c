/*
 * s3_url: parsing and checking the s3:// store URL (see s3_url.h). The one parser:
 * config.c checks a URL with it at load, and store.c opens the backend it names.
 */
#include "s3_url.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static int is_lower_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* S3 bucket naming rules: [a-z0-9.-]{3,63}, starting and ending with a letter or digit. */
static int bucket_valid(const char *s, size_t n)
{
    if (n < 3 || n > 63 || !is_lower_digit(s[0]) || !is_lower_digit(s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_digit(s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    }
    return 1;
}

/* Segments of [A-Za-z0-9._-], none empty or starting with '.' (so no "." or ".."). */
static int prefix_valid(const char *s, size_t n)
{
    size_t seg = 0;

    for (size_t i = 0; i <= n; i++) {
        char c = i < n ? s[i] : '/';

        if (c == '/') {
            if (seg == 0)
                return 0;
            seg = 0;
            continue;
        }
        if (seg == 0 && c == '.')
            return 0;
        if (!((c >= 'A' && c <= 'Z') || is_lower_digit(c) || c == '.' || c == '_' || c == '-'))
            return 0;
        seg++;
    }
    return 1;
}

/* HOST:PORT with a DNS name, IPv4 or [IPv6] host and a port in 1..65535. */
static int endpoint_valid(const char *s, size_t n)
{
    const char *colon = NULL;
    size_t host_len;
    long port = 0;

    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == ':') {
            colon = s + i - 1;
            break;
        }
    }
    if (colon == NULL)
        return 0;
    host_len = (size_t)(colon - s);
    if (host_len == 0)
        return 0;
    if (s[0] == '[') {
        if (host_len < 3 || s[host_len - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < host_len; i++) {
            char c = s[i];

            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.'))
                return 0;
        }
    } else {
        for (size_t i = 0; i < host_len; i++) {
            char c = s[i];

            if (!((c >= 'A' && c <= 'Z') || is_lower_digit(c) || c == '.' || c == '-'))
                return 0;
        }
    }
    if (colon + 1 == s + n || n - host_len - 1 > 5)
        return 0;
    for (const char *p = colon + 1; p < s + n; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

/* A region as AWS and the other servers name them: "eu-central-1", "auto", "garage". */
static int region_valid(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_digit(s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    }
    return 1;
}

/* Sets err to a config error; evaluates to -1. */
#define BAD(...) (error_set(err, HS_ERR_CONFIG, "bad_store_url", __VA_ARGS__), -1)

/* Sets *slot to the value, refusing a second one. */
static int once(char **slot, const char *name, const char *v, size_t n, struct error *err)
{
    if (*slot != NULL)
        return BAD("%s given twice", name);
    *slot = xstrndup(v, n);
    return 0;
}

static int parse_param(struct s3_url *u, const char *p, size_t len, char **sig, char **style,
                       char **tls, struct error *err)
{
    const char *eq = memchr(p, '=', len);
    size_t name_len = eq != NULL ? (size_t)(eq - p) : len;
    const char *v = eq != NULL ? eq + 1 : p + len;
    size_t n = len - name_len - (eq != NULL ? 1 : 0);

#define IS(name) (name_len == strlen(name) && strncmp(p, name, name_len) == 0)
    if (IS("endpoint")) {
        if (!endpoint_valid(v, n))
            return BAD("endpoint \"%.*s\" is not HOST:PORT", (int)n, v);
        return once(&u->endpoint, "endpoint", v, n, err);
    }
    if (IS("region")) {
        if (!region_valid(v, n))
            return BAD("region \"%.*s\" is not a region name ([a-z0-9_-]{1,64})", (int)n, v);
        return once(&u->region, "region", v, n, err);
    }
    if (IS("sig")) {
        if (!(n == 2 && (strncmp(v, "v4", 2) == 0 || strncmp(v, "v2", 2) == 0)))
            return BAD("sig must be v4 or v2, not \"%.*s\"", (int)n, v);
        return once(sig, "sig", v, n, err);
    }
    if (IS("style")) {
        if (!((n == 4 && strncmp(v, "path", 4) == 0) || (n == 7 && strncmp(v, "virtual", 7) == 0)))
            return BAD("style must be path or virtual, not \"%.*s\"", (int)n, v);
        return once(style, "style", v, n, err);
    }
    if (IS("tls")) {
        if (n != 1 || (v[0] != '0' && v[0] != '1'))
            return BAD("tls must be 0 or 1");
        return once(tls, "tls", v, n, err);
    }
    if (IS("ca_file")) {
        if (n == 0 || v[0] != '/' || memchr(v, '%', n) != NULL)
            return BAD("ca_file \"%.*s\" is not an absolute path", (int)n, v);
        return once(&u->ca_file, "ca_file", v, n, err);
    }
#undef IS
    return BAD("unknown parameter \"%.*s\" (expected endpoint, region, sig, style, tls, ca_file)",
               (int)len, p);
}

int s3_url_parse(const char *url, struct s3_url *out, struct error *err)
{
    const char *p = url + strlen("s3://");
    size_t bucket_len = strcspn(p, "/?");
    char *sig = NULL;
    char *style = NULL;
    char *tls = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!bucket_valid(p, bucket_len)) {
        (void)BAD("invalid bucket name \"%.*s\"", (int)bucket_len, p);
        goto out;
    }
    out->bucket = xstrndup(p, bucket_len);
    p += bucket_len;
    if (*p == '/') {
        size_t prefix_len = strcspn(p + 1, "?");
        size_t trimmed = prefix_len > 0 && p[prefix_len] == '/' ? prefix_len - 1 : prefix_len;

        /* "s3://b/" is no prefix; "s3://b//" an empty segment. */
        if (prefix_len > 0 && (trimmed == 0 || !prefix_valid(p + 1, trimmed))) {
            (void)BAD("invalid prefix \"%.*s\"", (int)prefix_len, p + 1);
            goto out;
        }
        out->prefix = xstrndup(p + 1, trimmed);
        p += 1 + prefix_len;
    } else {
        out->prefix = xstrdup("");
    }
    if (*p == '?')
        p++;
    while (*p != '\0') {
        size_t len = strcspn(p, "&");

        if (len > 0 && parse_param(out, p, len, &sig, &style, &tls, err) != 0)
            goto out;
        p += len;
        if (*p == '&')
            p++;
    }
    if (out->region == NULL)
        out->region = xstrdup(S3_URL_DEFAULT_REGION);
    out->sig = sig != NULL && strcmp(sig, "v2") == 0 ? S3_SIG_V2 : S3_SIG_V4;
    out->tls = tls == NULL || tls[0] == '1';
    if (style != NULL)
        out->style = strcmp(style, "virtual") == 0 ? S3_STYLE_VIRTUAL : S3_STYLE_PATH;
    else
        out->style = out->endpoint != NULL ? S3_STYLE_PATH : S3_STYLE_VIRTUAL;
    if (out->sig == S3_SIG_V2 && out->endpoint == NULL) {
        /* AWS refuses V2 in every region opened since 2014 and for new buckets. */
        (void)BAD("sig=v2 needs endpoint=HOST:PORT (AWS itself takes sig=v4)");
        goto out;
    }
    if (out->sig == S3_SIG_V2 && out->ca_file != NULL) {
        (void)BAD("ca_file works with sig=v4 only (libs3 2.0 uses the system's CAs)");
        goto out;
    }
    if (out->style == S3_STYLE_VIRTUAL && strchr(out->bucket, '.') != NULL && out->tls) {
        /* BUCKET.HOST with a dot in BUCKET is outside the server's wildcard certificate. */
        (void)BAD("bucket \"%s\" has a dot: use style=path with TLS", out->bucket);
        goto out;
    }
    rc = 0;
out:
    free(sig);
    free(style);
    free(tls);
    return rc;
}

char *s3_url_host(const struct s3_url *u)
{
    char *base = u->endpoint != NULL ? xstrdup(u->endpoint)
                                     : xasprintf("s3.%s.amazonaws.com", u->region);
    char *host;

    if (u->style == S3_STYLE_PATH)
        return base;
    host = xasprintf("%s.%s", u->bucket, base);
    free(base);
    return host;
}

void s3_url_free(struct s3_url *u)
{
    if (u == NULL)
        return;
    free(u->bucket);
    free(u->prefix);
    free(u->endpoint);
    free(u->region);
    free(u->ca_file);
    memset(u, 0, sizeof(*u));
}
