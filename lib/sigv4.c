/*
 * sigv4: AWS Signature Version 4, with digest's HMAC and SHA-256 (see sigv4.h).
 *
 * Everything is built in a struct buf without a practical cap: the inputs are the
 * store's own keys and headers, bounded by STORE_KEY_MAX and a handful of fields.
 */
#include "sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "xmalloc.h"

#define SIGV4_BUF_MAX (1u << 24)
#define SIGV4_DAY_LEN 8 /* YYYYMMDD */
#define SIGV4_KEY_LEN 32

struct sigv4_signer {
    char *access_key;
    char *secret_key;
    char *region;
    char *service;
    pthread_mutex_t lock;           /* guards the cached key below */
    char day[SIGV4_DAY_LEN + 1];    /* the day the key is for; "" before the first */
    unsigned char key[SIGV4_KEY_LEN];
};

struct sigv4_signer *sigv4_new(const char *access_key, const char *secret_key,
                               const char *region, const char *service)
{
    struct sigv4_signer *s = xcalloc(1, sizeof(*s));

    s->access_key = xstrdup(access_key);
    s->secret_key = xstrdup(secret_key);
    s->region = xstrdup(region);
    s->service = xstrdup(service);
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void sigv4_free(struct sigv4_signer *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s->secret_key, strlen(s->secret_key));
    OPENSSL_cleanse(s->key, sizeof(s->key));
    pthread_mutex_destroy(&s->lock);
    free(s->access_key);
    free(s->secret_key);
    free(s->region);
    free(s->service);
    free(s);
}

void sigv4_date(time_t t, char out[SIGV4_DATE_LEN])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, SIGV4_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm);
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static void append(struct buf *b, const void *data, size_t n)
{
    /* The cap is far above anything a store request holds: reaching it is a bug. */
    if (buf_append(b, data, n) != 0)
        abort();
}

static void append_str(struct buf *b, const char *s)
{
    append(b, s, strlen(s));
}

static void append_encoded(struct buf *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[3];

        if (unreserved(c) || (keep_slash && c == '/')) {
            append(b, &s[i], 1);
            continue;
        }
        esc[0] = '%';
        esc[1] = hex[c >> 4];
        esc[2] = hex[c & 15];
        append(b, esc, 3);
    }
}

char *sigv4_uri_encode(const char *s, size_t n, int keep_slash)
{
    struct buf b;

    buf_init(&b, SIGV4_BUF_MAX);
    append_encoded(&b, s, n, keep_slash);
    return buf_take(&b, NULL);
}

/* A query parameter or a header, in the form it is signed. */
struct item {
    char *name;
    char *value;
};

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a;
    const struct item *y = b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->value, y->value);
}

static void items_free(struct item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(items[i].name);
        free(items[i].value);
    }
    free(items);
}

/* A header value as signed: no leading or trailing blanks, inner runs folded to one space. */
static char *header_value(const char *v)
{
    size_t len = strlen(v);
    char *out = xmalloc(len + 1);
    size_t n = 0;
    int blank = 0;

    while (*v == ' ' || *v == '\t')
        v++;
    for (; *v != '\0'; v++) {
        if (*v == ' ' || *v == '\t') {
            blank = 1;
            continue;
        }
        if (blank && n > 0)
            out[n++] = ' ';
        blank = 0;
        out[n++] = *v;
    }
    out[n] = '\0';
    return out;
}

static char *lowercase(const char *s)
{
    char *out = xstrdup(s);
    char *p;

    for (p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

static struct item *sorted_headers(const struct sigv4_request *r)
{
    struct item *h = xcalloc(r->n_headers + 1, sizeof(*h));
    size_t i;

    for (i = 0; i < r->n_headers; i++) {
        h[i].name = lowercase(r->headers[i].name);
        h[i].value = header_value(r->headers[i].value);
    }
    qsort(h, r->n_headers, sizeof(*h), item_cmp);
    return h;
}

/* "a;b;c": the sorted header names. */
static void append_signed_names(struct buf *b, const struct item *h, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (i > 0)
            append(b, ";", 1);
        append_str(b, h[i].name);
    }
}

static void build_canonical(struct buf *b, const struct sigv4_request *r, const struct item *h)
{
    struct item *q = xcalloc(r->n_query + 1, sizeof(*q));
    size_t i;

    append_str(b, r->method);
    append(b, "\n", 1);
    append_encoded(b, r->path, strlen(r->path), 1);
    append(b, "\n", 1);
    /* Sorted by the encoded names: that is the order the server computes. */
    for (i = 0; i < r->n_query; i++) {
        q[i].name = sigv4_uri_encode(r->query[i].name, strlen(r->query[i].name), 0);
        q[i].value = sigv4_uri_encode(r->query[i].value, strlen(r->query[i].value), 0);
    }
    qsort(q, r->n_query, sizeof(*q), item_cmp);
    for (i = 0; i < r->n_query; i++) {
        if (i > 0)
            append(b, "&", 1);
        append_str(b, q[i].name);
        append(b, "=", 1);
        append_str(b, q[i].value);
    }
    items_free(q, r->n_query);
    append(b, "\n", 1);
    for (i = 0; i < r->n_headers; i++) {
        append_str(b, h[i].name);
        append(b, ":", 1);
        append_str(b, h[i].value);
        append(b, "\n", 1);
    }
    append(b, "\n", 1);
    append_signed_names(b, h, r->n_headers);
    append(b, "\n", 1);
    append_str(b, r->payload_sha256);
}

char *sigv4_canonical_request(const struct sigv4_request *r)
{
    struct item *h = sorted_headers(r);
    struct buf b;

    buf_init(&b, SIGV4_BUF_MAX);
    build_canonical(&b, r, h);
    items_free(h, r->n_headers);
    return buf_take(&b, NULL);
}

static void hex(const unsigned char *md, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * n] = '\0';
}

/* digest's HMAC, not OpenSSL's one-shot HMAC(): it fetches HMAC once per process, not
 * once per call. */
static int hmac(const void *key, size_t key_len, const char *data, size_t data_len,
                unsigned char out[SIGV4_KEY_LEN])
{
    unsigned char md[DIGEST_MAX];
    size_t len = digest_hmac(DIGEST_SHA256, key, key_len, data, data_len, md);

    if (len != SIGV4_KEY_LEN)
        return -1;
    memcpy(out, md, SIGV4_KEY_LEN);
    OPENSSL_cleanse(md, sizeof(md));
    return 0;
}

/* The day's signing key into out, derived on the first request of each day. */
static int signing_key(struct sigv4_signer *s, const char *day, unsigned char out[SIGV4_KEY_LEN])
{
    unsigned char k[SIGV4_KEY_LEN];
    char *secret = NULL;
    int rc = -1;

    pthread_mutex_lock(&s->lock);
    if (strcmp(s->day, day) == 0) {
        memcpy(out, s->key, SIGV4_KEY_LEN);
        rc = 0;
        goto out;
    }
    secret = xasprintf("AWS4%s", s->secret_key);
    if (hmac(secret, strlen(secret), day, strlen(day), k) != 0 ||
        hmac(k, sizeof(k), s->region, strlen(s->region), k) != 0 ||
        hmac(k, sizeof(k), s->service, strlen(s->service), k) != 0 ||
        hmac(k, sizeof(k), "aws4_request", strlen("aws4_request"), k) != 0)
        goto out;
    memcpy(s->key, k, SIGV4_KEY_LEN);
    snprintf(s->day, sizeof(s->day), "%s", day);
    memcpy(out, k, SIGV4_KEY_LEN);
    rc = 0;
out:
    pthread_mutex_unlock(&s->lock);
    if (secret != NULL) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

char *sigv4_authorization(struct sigv4_signer *s, const struct sigv4_request *r,
                          const char *date)
{
    struct item *h = sorted_headers(r);
    unsigned char md[SIGV4_KEY_LEN];
    unsigned char key[SIGV4_KEY_LEN];
    unsigned char sig[SIGV4_KEY_LEN];
    char day[SIGV4_DAY_LEN + 1];
    char creq_hex[2 * SIGV4_KEY_LEN + 1];
    char sig_hex[2 * SIGV4_KEY_LEN + 1];
    char *scope = NULL;
    char *to_sign = NULL;
    char *result = NULL;
    struct buf b;

    buf_init(&b, SIGV4_BUF_MAX);
    snprintf(day, sizeof(day), "%.8s", date);
    build_canonical(&b, r, h);
    if (digest_sha256(b.data, b.len, md) != 0)
        goto out;
    hex(md, sizeof(md), creq_hex);
    scope = xasprintf("%s/%s/%s/aws4_request", day, s->region, s->service);
    to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", date, scope, creq_hex);
    if (signing_key(s, day, key) != 0 || hmac(key, sizeof(key), to_sign, strlen(to_sign), sig) != 0)
        goto out;
    hex(sig, sizeof(sig), sig_hex);
    buf_reset(&b);
    append_str(&b, "AWS4-HMAC-SHA256 Credential=");
    append_str(&b, s->access_key);
    append(&b, "/", 1);
    append_str(&b, scope);
    append_str(&b, ", SignedHeaders=");
    append_signed_names(&b, h, r->n_headers);
    append_str(&b, ", Signature=");
    append_str(&b, sig_hex);
    result = buf_take(&b, NULL);
out:
    OPENSSL_cleanse(key, sizeof(key));
    buf_free(&b);
    items_free(h, r->n_headers);
    free(scope);
    free(to_sign);
    return result;
}
