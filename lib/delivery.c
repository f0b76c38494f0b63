/* delivery: one POST to a destination with libcurl (see delivery.h). */
#include "delivery.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "sig.h"
#include "xmalloc.h"

#define DELIVERY_EXCERPT_MAX 160 /* answer bytes quoted in the error text */

struct delivery {
    CURL *curl;
};

/* Dropped whatever the original said: hop-by-hop, per-request, ours. Credentials are
 * dropped too (headers_is_credential), for envelopes stored before they were left out. */
static const char *const DROPPED[] = {
    "Connection",     "Keep-Alive", "TE",     "Trailer", "Transfer-Encoding", "Upgrade",
    "Host",           "Expect",     "Content-Length",    "Idempotency-Key",
};

/* Replaced when hookspool signs, kept (the provider's own) when it does not. */
static const char *const SIGNED[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};

static int name_is_token(const char *name)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (name[0] == '\0')
        return 0;
    for (const char *c = name; *c != '\0'; c++) {
        if (!isalnum((unsigned char)*c) && strchr(extra, *c) == NULL)
            return 0;
    }
    return 1;
}

static int value_is_clean(const char *value)
{
    return strpbrk(value, "\r\n") == NULL;
}

/* 1 when name appears as a token of the original Connection header. */
static int named_by_connection(const char *connection, const char *name)
{
    size_t n = strlen(name);
    const char *p = connection;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && strncasecmp(p, name, n) == 0)
            return 1;
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

static int header_dropped(const char *name, const char *connection, int signing)
{
    for (size_t i = 0; i < sizeof(DROPPED) / sizeof(DROPPED[0]); i++) {
        if (strcasecmp(name, DROPPED[i]) == 0)
            return 1;
    }
    if (strncasecmp(name, "Proxy-", 6) == 0 || strncasecmp(name, "Hookspool-", 10) == 0)
        return 1;
    if (signing) {
        for (size_t i = 0; i < sizeof(SIGNED) / sizeof(SIGNED[0]); i++) {
            if (strcasecmp(name, SIGNED[i]) == 0)
                return 1;
        }
    }
    return connection != NULL && named_by_connection(connection, name);
}

void delivery_headers(const struct headers *orig, const struct delivery_meta *meta,
                      const void *body, size_t body_len, struct headers *out)
{
    const char *connection = headers_get(orig, "Connection");
    int signing = meta->sign != NULL && meta->sign->len > 0;
    char number[32];
    char *msg_id = NULL;
    char *signature = NULL;

    for (size_t i = 0; i < orig->n; i++) {
        const struct header *h = &orig->items[i];

        if (!name_is_token(h->name) || !value_is_clean(h->value))
            continue;
        if (header_dropped(h->name, connection, signing))
            continue;
        if (headers_is_credential(h->name, meta->secret_header))
            continue;
        headers_add(out, h->name, h->value);
    }
    headers_add(out, "Idempotency-Key", meta->key);
    headers_add(out, "Hookspool-Source", meta->source);
    headers_add(out, "Hookspool-Destination", meta->destination);
    snprintf(number, sizeof(number), "%d", meta->attempt);
    headers_add(out, "Hookspool-Attempt", number);
    if (signing) {
        msg_id = xasprintf("%s/%s", meta->source, meta->key);
        signature = sig_standard_sign(meta->sign, msg_id, meta->now_s, body, body_len);
        snprintf(number, sizeof(number), "%lld", (long long)meta->now_s);
        headers_add(out, "webhook-id", msg_id);
        headers_add(out, "webhook-timestamp", number);
        headers_add(out, "webhook-signature", signature);
    }
    free(signature);
    free(msg_id);
}

long delivery_retry_after(const char *value, int64_t now_s)
{
    const char *p = value;
    long long secs = 0;
    time_t when;

    if (value == NULL)
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (isdigit((unsigned char)*p)) {
        for (; isdigit((unsigned char)*p); p++) {
            if (secs < DELIVERY_RETRY_AFTER_MAX)
                secs = secs * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '\0')
            return -1;
        return secs > DELIVERY_RETRY_AFTER_MAX ? DELIVERY_RETRY_AFTER_MAX : (long)secs;
    }
    /* IMF-fixdate, RFC 850 and asctime forms, as HTTP allows; curl parses all three. */
    when = curl_getdate(p, NULL);
    if (when == (time_t)-1)
        return -1;
    if ((int64_t)when <= now_s)
        return 0;
    if ((int64_t)when - now_s > DELIVERY_RETRY_AFTER_MAX)
        return DELIVERY_RETRY_AFTER_MAX;
    return (long)((int64_t)when - now_s);
}

struct delivery *delivery_new(void)
{
    struct delivery *d = xcalloc(1, sizeof(*d));

    d->curl = curl_easy_init();
    if (d->curl == NULL) {
        /* curl_easy_init fails only when out of memory, which is fatal (see xmalloc.h). */
        log_error("out_of_memory", "unable to create a curl handle");
        abort();
    }
    return d;
}

void delivery_free(struct delivery *d)
{
    if (d == NULL)
        return;
    curl_easy_cleanup(d->curl);
    free(d);
}

struct answer {
    struct buf body;             /* the first DELIVERY_BODY_KEEP bytes */
    char retry_after[64];        /* the last Retry-After value of the final response */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    size_t room = a->body.max - a->body.len;

    /* Past the cap the bytes are read and dropped: the answer cannot grow our memory. */
    if (room > 0 && buf_append(&a->body, data, n < room ? n : room) != 0)
        return 0;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    size_t vlen;

    /* A new status line starts a new response (after a 1xx): forget the old one's. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
        a->retry_after[0] = '\0';
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        vlen = n - 12;
        if (vlen >= sizeof(a->retry_after))
            vlen = sizeof(a->retry_after) - 1;
        memcpy(a->retry_after, data + 12, vlen);
        a->retry_after[vlen] = '\0';
        a->retry_after[strcspn(a->retry_after, "\r\n")] = '\0';
    }
    return n;
}

/* "http 500: <printable excerpt of the answer>", for the attempt record and the log. */
static void http_error_text(int status, const struct buf *body, char out[DELIVERY_ERROR_MAX])
{
    size_t o = (size_t)snprintf(out, DELIVERY_ERROR_MAX, "http %d", status);
    size_t n = body->len < DELIVERY_EXCERPT_MAX ? body->len : DELIVERY_EXCERPT_MAX;

    if (n == 0 || o + 3 >= DELIVERY_ERROR_MAX)
        return;
    memcpy(out + o, ": ", 2);
    o += 2;
    /* Envelopes and logs are JSON text: anything not printable ASCII becomes a space. */
    for (size_t i = 0; i < n && o + 1 < DELIVERY_ERROR_MAX; i++) {
        unsigned char c = (unsigned char)body->data[i];

        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static struct curl_slist *header_list(const struct headers *h)
{
    struct curl_slist *list = NULL;
    int has_type = 0;

    for (size_t i = 0; i < h->n; i++) {
        /* "Name;" is curl's way to send a header with an empty value. */
        char *line = h->items[i].value[0] != '\0'
                         ? xasprintf("%s: %s", h->items[i].name, h->items[i].value)
                         : xasprintf("%s;", h->items[i].name);

        if (strcasecmp(h->items[i].name, "Content-Type") == 0)
            has_type = 1;
        list = curl_slist_append(list, line);
        free(line);
    }
    /* No Expect: 100-continue round trip; no invented form Content-Type. */
    list = curl_slist_append(list, "Expect:");
    if (!has_type)
        list = curl_slist_append(list, "Content-Type:");
    return list;
}

int delivery_post(struct delivery *d, const struct delivery_target *t, const struct headers *h,
                  const void *body, size_t body_len, struct delivery_result *r)
{
    struct curl_slist *list = NULL;
    struct answer a;
    char curl_error[CURL_ERROR_SIZE];
    int64_t started = clock_mono_ms();
    CURL *c = d->curl;
    CURLcode rc;
    long status = 0;
    int ret = -1;

    memset(r, 0, sizeof(*r));
    r->retry_after_s = -1;
    buf_init(&a.body, DELIVERY_BODY_KEEP);
    a.retry_after[0] = '\0';
    curl_error[0] = '\0';
    list = header_list(h);

    /* reset keeps the connection cache, so a destination's connection is reused. */
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    /* Threads: no SIGALRM-based DNS timeouts. */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body_len > 0 ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);

    rc = curl_easy_perform(c);
    r->duration_ms = clock_mono_ms() - started;
    if (rc != CURLE_OK) {
        snprintf(r->error, sizeof(r->error), "%s",
                 curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r->status = (int)status;
    if (a.retry_after[0] != '\0')
        r->retry_after_s = delivery_retry_after(a.retry_after, clock_now_ms() / 1000);
    if (status < 200 || status > 299)
        http_error_text(r->status, &a.body, r->error);
    ret = 0;
out:
    /* The handle must not keep pointers into this call's stack and list. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(list);
    buf_free(&a.body);
    return ret;
}
