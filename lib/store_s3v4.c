/*
 * store_s3v4: the store in an S3 bucket, signed with AWS Signature V4 (lib/sigv4) and
 * sent with libcurl: AWS S3 and every server that speaks its API (MinIO, versitygw,
 * Ceph RGW, R2, GCS, B2, Wasabi). The URL is s3_url.h's; PREFIX, when given, goes in
 * front of every key and comes off every listed key.
 *
 * Requests: each thread keeps one curl easy handle between calls (curl_easy_reset
 * keeps its connection cache), so a worker reuses its TCP and TLS connection. Every
 * store call has one deadline, timeout_ms after it began, shared by all its requests
 * (list pages, retries); each request gets what is left as curl's total timeout.
 * No "Expect: 100-continue" (one round trip less per put), and a put's body is sent
 * from memory with its head, in one write when small. The driver is read-only
 * after open but for the signer's day key, which sigv4 locks, and the listing's
 * resume point (struct list_resume), which resume_lock guards: threads share it.
 *
 * Keys: store keys hold "%XX" sequences, and S3 names objects by the decoded path,
 * so every key is percent-encoded once, in the URL and in what is signed alike ("%"
 * goes as "%25"); the copy source header is encoded the same way.
 *
 * Responses: list results and error documents are parsed with libxml2 (no network,
 * no entity substitution), from a body capped at S3_RESPONSE_MAX. An error names the
 * server's own code and message, e.g. "refused (AuthorizationHeaderMalformed: the
 * region 'us-east-1' is wrong; expecting 'eu-central-1')".
 *
 * Quirks handled here (MinIO's, as store_s3v2.c has them too, and versitygw's):
 *   - a listing may end early with IsTruncated=false while keys follow (see v4_list),
 *     and a start-after outside the prefix is refused;
 *   - a put or copy racing a delete in the same "directory" may be refused, with
 *     AccessDenied by MinIO and ExistingObjectIsDirectory by versitygw (see raced);
 *   - a copy can fail with 200 and an Error document (S3 documents this too).
 */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "digest.h"
#include "s3_url.h"
#include "sigv4.h"
#include "store_backend.h"
#include "xmalloc.h"

#define S3_LIST_PAGE_MAX 1000          /* the most keys S3 returns per request */
#define S3_RESPONSE_MAX (8u << 20)     /* a page of 1000 keys of 1 KiB, and room */
#define S3_ERROR_BODY_MAX (64u << 10)  /* an error document; the rest is dropped */
#define S3_DETAIL_MAX 300
#define S3_RACE_TRIES 3                /* attempts of a put or copy MinIO denied (see raced) */
#define S3_MAX_QUERY 5
#define S3_MAX_HEADERS 5 /* host, content hash, date, token, copy source */

/* What one ListObjectsV2 page held, and where the next starts. */
struct list_page {
    char **raw;         /* every key of the page, as the server named it */
    size_t n_raw;
    int truncated;      /* IsTruncated */
    char *next_token;   /* NextContinuationToken, or NULL */
};

/*
 * Where the last listing that stopped with more to come goes on: its prefix and its
 * last page, with the key before the page and the token after it. A later call under
 * that prefix whose start-after is one of these keys takes the keys after it from the
 * page and goes on with the token, instead of sending start-after: MinIO walks a
 * start-after listing afresh from the beginning of the prefix, so a walk of a state
 * page by page would cost the square of its keys, while a token goes on from the
 * listing it came from. prefix is NULL when there is none.
 */
struct list_resume {
    char *prefix;
    char *before; /* the key the page comes after; NULL: it is the first */
    struct list_page page;
};

struct v4_driver {
    char *bucket;
    char *prefix;    /* "" or "PREFIX/" */
    size_t prefix_len;
    char *host;      /* the Host header: endpoint, or BUCKET.s3.REGION.amazonaws.com */
    char *origin;    /* "https://HOST" */
    char *path_base; /* "/BUCKET/" (path style) or "/" (virtual) */
    char *ca_file;
    char *session_token;
    long timeout_ms;
    struct sigv4_signer *signer;
    pthread_mutex_t resume_lock;
    struct list_resume resume;
};

/* One request and what came back. */
struct v4_request {
    const char *method;
    char *path;                     /* raw: path_base + prefix + key */
    struct sigv4_pair query[S3_MAX_QUERY];
    size_t n_query;
    char *copy_source;              /* x-amz-copy-source, encoded; NULL when not a copy */
    const char *body;
    size_t body_len;
    CURL *handle;                   /* the thread's, while the request runs */
    struct buf *out;                /* a get's object; NULL: the body goes to resp */
    struct buf resp;                /* list result or error document */
    long status;
    CURLcode rc;
    int too_large;                  /* the object passed out's cap */
    int resp_over;                  /* a 2xx body passed S3_RESPONSE_MAX */
    char curl_error[CURL_ERROR_SIZE];
};

/* One store call: its deadline, shared by its requests. */
struct v4_call {
    const struct v4_driver *d;
    int64_t deadline_ms;
    int timed_out; /* the deadline passed before a request could start */
};

static pthread_key_t thread_handle;
static int initialised;

static void handle_free(void *h)
{
    curl_easy_cleanup(h);
}

static CURL *thread_curl(void)
{
    CURL *h = pthread_getspecific(thread_handle);

    if (h != NULL) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (h != NULL && pthread_setspecific(thread_handle, h) != 0) {
        curl_easy_cleanup(h);
        h = NULL;
    }
    return h;
}

static void call_init(struct v4_call *c, const struct v4_driver *d)
{
    c->d = d;
    c->deadline_ms = store_call_deadline_ms(d->timeout_ms);
    c->timed_out = 0;
}

/* A request for key, or for the bucket itself when key is NULL. */
static void request_init(struct v4_request *r, const struct v4_driver *d, const char *method,
                         const char *key)
{
    memset(r, 0, sizeof(*r));
    r->method = method;
    r->path = key != NULL ? xasprintf("%s%s%s", d->path_base, d->prefix, key)
                          : xstrdup(d->path_base);
    buf_init(&r->resp, S3_RESPONSE_MAX);
}

static void request_free(struct v4_request *r)
{
    free(r->path);
    free(r->copy_source);
    buf_free(&r->resp);
}

static void add_query(struct v4_request *r, const char *name, const char *value)
{
    r->query[r->n_query].name = name;
    r->query[r->n_query].value = value;
    r->n_query++;
}

static size_t on_write(char *data, size_t size, size_t n, void *arg)
{
    struct v4_request *r = arg;
    size_t len = size * n;
    long status = 0;

    curl_easy_getinfo(r->handle, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
        if (r->out != NULL) {
            if (buf_append(r->out, data, len) != 0) {
                r->too_large = 1;
                return 0;
            }
            return len;
        }
        if (buf_append(&r->resp, data, len) != 0) {
            r->resp_over = 1;
            return 0;
        }
        return len;
    }
    /* An error document is read for its code and message, which come first: past the
     * cap the rest is dropped. */
    if (r->resp.len + len > S3_ERROR_BODY_MAX)
        return len;
    return buf_append(&r->resp, data, len) == 0 ? len : 0;
}

static void payload_sha256(const void *data, size_t len, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int i;

    if (digest_sha256(data, len, md) != 0) {
        /* An unusable hash makes the server refuse the request: visible, never silent. */
        snprintf(out, 65, "%s", "UNSIGNED-PAYLOAD");
        return;
    }
    for (i = 0; i < sizeof(md); i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

static void url_append(struct buf *b, const char *s)
{
    if (buf_append_str(b, s) != 0)
        abort(); /* the buffer has no cap */
}

/* origin + encoded path + encoded query: exactly what was signed. */
static char *request_url(const struct v4_driver *d, const struct v4_request *r)
{
    char *path = sigv4_uri_encode(r->path, strlen(r->path), 1);
    struct buf b;
    size_t i;

    buf_init(&b, SIZE_MAX);
    url_append(&b, d->origin);
    url_append(&b, path);
    for (i = 0; i < r->n_query; i++) {
        char *name = sigv4_uri_encode(r->query[i].name, strlen(r->query[i].name), 0);
        char *value = sigv4_uri_encode(r->query[i].value, strlen(r->query[i].value), 0);

        url_append(&b, i == 0 ? "?" : "&");
        url_append(&b, name);
        url_append(&b, "=");
        url_append(&b, value);
        free(name);
        free(value);
    }
    free(path);
    return buf_take(&b, NULL);
}

static struct curl_slist *add_line(struct curl_slist *list, const char *line)
{
    struct curl_slist *next = curl_slist_append(list, line);

    if (next == NULL)
        abort(); /* out of memory, as xmalloc treats it */
    return next;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char *line = xasprintf("%s: %s", name, value);
    struct curl_slist *next = add_line(list, line);

    free(line);
    return next;
}

/*
 * Signs and sends r before the call's deadline. Sets r->rc and r->status; returns -1
 * only when the request could not be made at all (c->timed_out, or no curl handle).
 */
static int perform(struct v4_call *c, struct v4_request *r, struct error *err)
{
    const struct v4_driver *d = c->d;
    int64_t left = c->deadline_ms - clock_mono_ms();
    struct sigv4_pair signed_headers[S3_MAX_HEADERS];
    struct sigv4_request sr;
    struct curl_slist *headers = NULL;
    char date[SIGV4_DATE_LEN];
    char hash[65];
    char *auth = NULL;
    char *url = NULL;
    size_t n = 0;
    CURL *h;
    int rc = -1;

    buf_reset(&r->resp);
    r->status = 0;
    r->too_large = 0;
    r->resp_over = 0;
    r->curl_error[0] = '\0';
    if (r->out != NULL)
        buf_reset(r->out);
    if (left <= 0) {
        c->timed_out = 1;
        goto out;
    }
    h = thread_curl();
    if (h == NULL) {
        error_set(err, HS_ERR_TRANSIENT, "store_s3", "unable to create a curl handle");
        goto out;
    }
    r->handle = h;
    sigv4_date(time(NULL), date);
    payload_sha256(r->body != NULL ? r->body : "", r->body_len, hash);
    signed_headers[n++] = (struct sigv4_pair){"host", d->host};
    signed_headers[n++] = (struct sigv4_pair){"x-amz-content-sha256", hash};
    signed_headers[n++] = (struct sigv4_pair){"x-amz-date", date};
    if (d->session_token != NULL)
        signed_headers[n++] = (struct sigv4_pair){"x-amz-security-token", d->session_token};
    if (r->copy_source != NULL)
        signed_headers[n++] = (struct sigv4_pair){"x-amz-copy-source", r->copy_source};
    sr.method = r->method;
    sr.path = r->path;
    sr.query = r->query;
    sr.n_query = r->n_query;
    sr.headers = signed_headers;
    sr.n_headers = n;
    sr.payload_sha256 = hash;
    auth = sigv4_authorization(d->signer, &sr, date);
    if (auth == NULL) {
        error_set(err, HS_ERR_TRANSIENT, "store_s3", "unable to sign the request (HMAC failed)");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        headers = add_header(headers, signed_headers[i].name, signed_headers[i].value);
    headers = add_header(headers, "Authorization", auth);
    /* An empty value removes what curl would add by itself. */
    headers = add_line(headers, "Expect:");
    headers = add_line(headers, "Accept:");
    if (strcmp(r->method, "PUT") == 0)
        headers = add_line(headers, "Content-Type:"); /* curl's own, for a body from memory */
    url = request_url(d, r);

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->curl_error);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "hookspool");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    if (d->ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, d->ca_file);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        /* The body from memory, as curl sends a POST's: under 64 KiB it goes out in the
         * same write as the head, one segment and one wake-up of the server. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
    r->rc = curl_easy_perform(h);
    if (r->rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    /* The handle outlives this call: nothing of it may point at r or the list. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    rc = 0;
out:
    curl_slist_free_all(headers);
    free(auth);
    free(url);
    return rc;
}

/* The text of root's first child element named name, or NULL. Caller frees with xmlFree. */
static xmlChar *child_text(xmlNodePtr parent, const char *name)
{
    xmlNodePtr n;

    for (n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
            return xmlNodeGetContent(n);
    }
    return NULL;
}

static xmlDocPtr parse_xml(const struct buf *b)
{
    if (b->len == 0 || b->len > (size_t)INT32_MAX)
        return NULL;
    return xmlReadMemory(b->data, (int)b->len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* The server's error code and message, when the body is an S3 Error document. */
static void error_document(const struct buf *b, char *code, size_t code_size, char *message,
                           size_t message_size)
{
    xmlDocPtr doc = parse_xml(b);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    xmlChar *v;

    code[0] = '\0';
    message[0] = '\0';
    if (root != NULL && strcmp((const char *)root->name, "Error") == 0) {
        v = child_text(root, "Code");
        if (v != NULL)
            snprintf(code, code_size, "%s", (const char *)v);
        xmlFree(v);
        v = child_text(root, "Message");
        if (v != NULL)
            snprintf(message, message_size, "%s", (const char *)v);
        xmlFree(v);
    }
    xmlFreeDoc(doc);
}

static int code_is(const char *code, const char *want)
{
    return strcmp(code, want) == 0;
}

/*
 * What a request that did not succeed means for the caller, as a reason without the
 * key (store.c adds it). Call only when r did not succeed.
 */
static void request_error(const struct v4_call *c, const struct v4_request *r, struct error *err)
{
    const struct v4_driver *d = c->d;
    char code[64];
    char message[S3_DETAIL_MAX];
    char detail[S3_DETAIL_MAX + 80];

    if (c->timed_out || r->rc == CURLE_OPERATION_TIMEDOUT) {
        error_set(err, HS_ERR_TRANSIENT, "store_timeout", "timed out after %ld ms (%s)",
                  d->timeout_ms, d->host);
        return;
    }
    if (r->too_large) {
        error_set(err, HS_ERR_TOO_LARGE, "too_large", "object is larger than the cap of %zu bytes",
                  r->out->max);
        return;
    }
    if (r->resp_over) {
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable",
                  "response larger than %u bytes (%s)", S3_RESPONSE_MAX, d->host);
        return;
    }
    switch (r->rc) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "cannot resolve the endpoint (%s)",
                  d->host);
        return;
    case CURLE_COULDNT_CONNECT:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable",
                  "connection refused or unreachable (%s)", d->host);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        /* Not a retry's business: the certificate or the CA bundle must change. */
        error_set(err, HS_ERR_PERMANENT, "store_refused", "TLS certificate not accepted (%s: %s)",
                  d->host, r->curl_error[0] != '\0' ? r->curl_error : curl_easy_strerror(r->rc));
        return;
    default:
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "connection failed (%s, %s)",
                  d->host, r->curl_error[0] != '\0' ? r->curl_error : curl_easy_strerror(r->rc));
        return;
    }
    error_document(&r->resp, code, sizeof(code), message, sizeof(message));
    if (code[0] != '\0')
        snprintf(detail, sizeof(detail), "%s%s%s", code, message[0] != '\0' ? ": " : "", message);
    else
        snprintf(detail, sizeof(detail), "HTTP %ld", r->status);
    if (code_is(code, "NoSuchKey") || (r->status == 404 && code[0] == '\0')) {
        error_set(err, HS_ERR_NOT_FOUND, "not_found", "no such object");
    } else if (code_is(code, "NoSuchBucket")) {
        error_set(err, HS_ERR_PERMANENT, "store_refused", "no such bucket '%s' (%s)", d->bucket,
                  d->host);
    } else if (r->status >= 500 || r->status == 429 || code_is(code, "SlowDown") ||
               code_is(code, "RequestTimeout") || code_is(code, "InternalError") ||
               code_is(code, "OperationAborted") || code_is(code, "IncompleteBody")) {
        error_set(err, HS_ERR_TRANSIENT, "store_unavailable", "server error (%s)", detail);
    } else if (r->status == 403) {
        error_set(err, HS_ERR_PERMANENT, "store_refused", "access denied (%s)", detail);
    } else {
        /* AuthorizationHeaderMalformed (a wrong region), PermanentRedirect, ... */
        error_set(err, HS_ERR_PERMANENT, "store_refused", "refused (%s)", detail);
    }
}

/* 1 when r got a 2xx; a copy's 200 may still carry an Error document. */
static int request_ok(const struct v4_request *r)
{
    char code[64];
    char message[8];

    if (r->rc != CURLE_OK || r->status < 200 || r->status >= 300)
        return 0;
    if (r->copy_source == NULL)
        return 1;
    error_document(&r->resp, code, sizeof(code), message, sizeof(message));
    return code[0] == '\0';
}

/* 1 when r completed with "no such key" (with or without an error body). */
static int request_missing(const struct v4_request *r)
{
    char code[64];
    char message[8];

    if (r->rc != CURLE_OK || r->status != 404)
        return 0;
    error_document(&r->resp, code, sizeof(code), message, sizeof(message));
    return code[0] == '\0' || code_is(code, "NoSuchKey");
}

/*
 * Whether to send a put or copy again. MinIO on a single drive and versitygw's POSIX
 * backend keep objects in directories and remove a directory that a delete emptied;
 * a put creating its directory at that moment fails, and MinIO reports it as 403
 * AccessDenied, versitygw as 409 ExistingObjectIsDirectory. The spool does exactly
 * this all the time (the handler writes pending/SOURCE/ while the drain deletes from
 * it), so such a put or copy is tried again, a few times, before the deadline. A real
 * refusal costs two more requests; both operations are safe to repeat.
 */
static int raced(const struct v4_call *c, const struct v4_request *r, int tries)
{
    char code[64];
    char message[8];

    if (r->rc != CURLE_OK || (r->status != 403 && r->status != 409) || tries >= S3_RACE_TRIES ||
        clock_mono_ms() >= c->deadline_ms)
        return 0;
    error_document(&r->resp, code, sizeof(code), message, sizeof(message));
    return code_is(code, "AccessDenied") || code_is(code, "ExistingObjectIsDirectory");
}

/* Sends r, again while MinIO denies it for a race; 0 on a 2xx, else -1 with err set. */
static int send_retrying(struct v4_call *c, struct v4_request *r, struct error *err)
{
    int tries;

    for (tries = 1;; tries++) {
        if (perform(c, r, err) < 0 && !c->timed_out)
            return -1;
        if (!c->timed_out && request_ok(r))
            return 0;
        if (c->timed_out || !raced(c, r, tries))
            break;
    }
    request_error(c, r, err);
    return -1;
}

static int v4_put(void *driver, const char *key, const void *data, size_t len, struct error *err)
{
    struct v4_call c;
    struct v4_request r;
    int rc;

    call_init(&c, driver);
    request_init(&r, driver, "PUT", key);
    r.body = data != NULL ? data : "";
    r.body_len = len;
    rc = send_retrying(&c, &r, err);
    request_free(&r);
    return rc;
}

static int v4_get(void *driver, const char *key, struct buf *out, struct error *err)
{
    struct v4_call c;
    struct v4_request r;
    int rc = -1;

    call_init(&c, driver);
    request_init(&r, driver, "GET", key);
    r.out = out;
    if (perform(&c, &r, err) < 0 && !c.timed_out)
        goto out;
    if (c.timed_out || !request_ok(&r)) {
        request_error(&c, &r, err);
        goto out;
    }
    rc = 0;
out:
    request_free(&r);
    return rc;
}

static int v4_exists(void *driver, const char *key, struct error *err)
{
    struct v4_call c;
    struct v4_request r;
    int rc = -1;

    call_init(&c, driver);
    request_init(&r, driver, "HEAD", key);
    if (perform(&c, &r, err) < 0 && !c.timed_out)
        goto out;
    if (!c.timed_out && request_missing(&r)) {
        rc = 0;
        goto out;
    }
    if (c.timed_out || !request_ok(&r)) {
        request_error(&c, &r, err);
        goto out;
    }
    rc = 1;
out:
    request_free(&r);
    return rc;
}

static int v4_del(void *driver, const char *key, struct error *err)
{
    struct v4_call c;
    struct v4_request r;
    int rc = -1;

    call_init(&c, driver);
    request_init(&r, driver, "DELETE", key);
    if (perform(&c, &r, err) < 0 && !c.timed_out)
        goto out;
    if (c.timed_out || (!request_ok(&r) && !request_missing(&r))) {
        request_error(&c, &r, err);
        goto out;
    }
    rc = 0;
out:
    request_free(&r);
    return rc;
}

static int v4_copy(void *driver, const char *from, const char *to, struct error *err)
{
    const struct v4_driver *d = driver;
    struct v4_call c;
    struct v4_request r;
    char *source;
    int rc;

    call_init(&c, d);
    request_init(&r, d, "PUT", to);
    /* "/BUCKET/KEY", URL-encoded as the path is: the server decodes it. */
    source = xasprintf("/%s/%s%s", d->bucket, d->prefix, from);
    r.copy_source = sigv4_uri_encode(source, strlen(source), 1);
    free(source);
    rc = send_retrying(&c, &r, err);
    request_free(&r);
    return rc;
}

static void page_free(struct list_page *p)
{
    for (size_t i = 0; i < p->n_raw; i++)
        free(p->raw[i]);
    free(p->raw);
    free(p->next_token);
    memset(p, 0, sizeof(*p));
}

/* Adds raw to keys/n (up to want) when it is a key of the store: objects not written
 * through it (outside PREFIX, or names no key can have) are not part of it. */
static void take_key(const struct v4_driver *d, const char *raw, char ***keys, size_t *n,
                     size_t *alloc, size_t want)
{
    if (strncmp(raw, d->prefix, d->prefix_len) != 0 || !store_key_valid(raw + d->prefix_len) ||
        *n == want)
        return;
    if (*n == *alloc) {
        *alloc = *alloc != 0 ? *alloc * 2 : 64;
        *keys = xrealloc(*keys, *alloc * sizeof(**keys));
    }
    (*keys)[(*n)++] = xstrdup(raw + d->prefix_len);
}

/* Adds the page's keys of the store to keys/n (up to want); fills p. -1: not a listing. */
static int take_page(const struct v4_driver *d, const struct buf *body, char ***keys, size_t *n,
                     size_t *alloc, size_t want, struct list_page *p)
{
    xmlDocPtr doc = parse_xml(body);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr node;
    xmlChar *v;
    size_t raw_alloc = 0;
    int rc = -1;

    memset(p, 0, sizeof(*p));
    if (root == NULL || strcmp((const char *)root->name, "ListBucketResult") != 0)
        goto out;
    for (node = root->children; node != NULL; node = node->next) {
        if (node->type != XML_ELEMENT_NODE || strcmp((const char *)node->name, "Contents") != 0)
            continue;
        v = child_text(node, "Key");
        if (v == NULL)
            continue;
        if (p->n_raw == raw_alloc) {
            raw_alloc = raw_alloc != 0 ? raw_alloc * 2 : 64;
            p->raw = xrealloc(p->raw, raw_alloc * sizeof(*p->raw));
        }
        p->raw[p->n_raw++] = xstrdup((const char *)v);
        xmlFree(v);
        take_key(d, p->raw[p->n_raw - 1], keys, n, alloc, want);
    }
    v = child_text(root, "IsTruncated");
    p->truncated = v != NULL && strcmp((const char *)v, "true") == 0;
    xmlFree(v);
    v = child_text(root, "NextContinuationToken");
    if (v != NULL && v[0] != '\0')
        p->next_token = xstrdup((const char *)v);
    xmlFree(v);
    rc = 0;
out:
    xmlFreeDoc(doc);
    return rc;
}

static void resume_clear(struct list_resume *rs)
{
    free(rs->prefix);
    free(rs->before);
    rs->prefix = NULL;
    rs->before = NULL;
    page_free(&rs->page);
}

/* The resume point's page and the key before it, taken out, when it is under
 * full_prefix and marker is one of them; *after is the index of the page's first key
 * after marker. 0 when it is not. */
static int resume_take(struct v4_driver *d, const char *full_prefix, const char *marker,
                       struct list_page *page, char **before, size_t *after)
{
    struct list_resume *rs = &d->resume;
    int found = 0;

    pthread_mutex_lock(&d->resume_lock);
    if (rs->prefix != NULL && strcmp(rs->prefix, full_prefix) == 0) {
        if (rs->before != NULL && strcmp(rs->before, marker) == 0) {
            *after = 0;
            found = 1;
        }
        for (size_t i = 0; i < rs->page.n_raw && !found; i++) {
            if (strcmp(rs->page.raw[i], marker) == 0) {
                *after = i + 1;
                found = 1;
            }
        }
    }
    if (found) {
        *page = rs->page;
        *before = rs->before;
        memset(&rs->page, 0, sizeof(rs->page));
        rs->before = NULL;
        resume_clear(rs);
    }
    pthread_mutex_unlock(&d->resume_lock);
    return found;
}

/* Makes page (taken), which comes after the key before, the resume point of listings
 * under full_prefix. */
static void resume_keep(struct v4_driver *d, const char *full_prefix, const char *before,
                        struct list_page *page)
{
    pthread_mutex_lock(&d->resume_lock);
    resume_clear(&d->resume);
    d->resume.prefix = xstrdup(full_prefix);
    d->resume.before = before != NULL ? xstrdup(before) : NULL;
    d->resume.page = *page;
    memset(page, 0, sizeof(*page));
    pthread_mutex_unlock(&d->resume_lock);
}

static int v4_list(void *driver, const char *prefix, const char *start_after, size_t limit,
                   struct store_page *page, struct error *err)
{
    struct v4_driver *d = driver;
    struct v4_call c;
    struct v4_request r;
    struct list_page p = {NULL, 0, 0, NULL};
    char *full_prefix = xasprintf("%s%s", d->prefix, prefix);
    char *marker = NULL;
    char *token = NULL;
    char *before = NULL; /* the key the page in p comes after (NULL: from the start) */
    char **keys = NULL;
    size_t n = 0;
    size_t alloc = 0;
    size_t after;
    int past_all = 0;
    int resumed = 0;
    int rc = -1;

    call_init(&c, d);
    /* The bucket itself: PREFIX goes in the query. */
    request_init(&r, d, "GET", NULL);
    if (start_after != NULL)
        marker = xasprintf("%s%s", d->prefix, start_after);
    /* MinIO refuses a start-after outside the prefix. One before it excludes nothing;
     * after it, it excludes everything. */
    if (marker != NULL && strncmp(marker, full_prefix, strlen(full_prefix)) != 0) {
        past_all = strcmp(marker, full_prefix) > 0;
        free(marker);
        marker = NULL;
    }
    if (marker != NULL && resume_take(d, full_prefix, marker, &p, &before, &after)) {
        for (size_t i = after; i < p.n_raw; i++)
            take_key(d, p.raw[i], &keys, &n, &alloc, limit);
        token = p.next_token != NULL ? xstrdup(p.next_token) : NULL;
        resumed = token != NULL;
    }
    /*
     * Pages follow the continuation token while the server says more follow. When it
     * says none do, the listing is asked once more from its last key, and only an
     * empty answer ends it: MinIO (2025 releases) answers a listing with a short page
     * and IsTruncated=false while keys follow, when one key is a prefix of its
     * neighbours ("a/d", "a/d.e", "a/d0"). All before the call's one deadline. Pages
     * are asked for whole: what is past the limit waits in the resume point.
     */
    while (!past_all && n < limit) {
        char max_keys[24];

        snprintf(max_keys, sizeof(max_keys), "%d", S3_LIST_PAGE_MAX);
        r.n_query = 0;
        add_query(&r, "list-type", "2");
        add_query(&r, "max-keys", max_keys);
        if (full_prefix[0] != '\0')
            add_query(&r, "prefix", full_prefix);
        if (token != NULL)
            add_query(&r, "continuation-token", token);
        else if (marker != NULL)
            add_query(&r, "start-after", marker);
        if (perform(&c, &r, err) < 0 && !c.timed_out)
            goto out;
        if (!c.timed_out && !request_ok(&r) && resumed && r.status >= 400 && r.status < 500) {
            /* A token the server no longer takes (expired, say): go on from the last key
             * with start-after instead. */
            resumed = 0;
            free(token);
            token = NULL;
            free(marker);
            marker = xstrdup(p.raw[p.n_raw - 1]); /* resumed: the page holds keys */
            continue;
        }
        if (c.timed_out || !request_ok(&r)) {
            request_error(&c, &r, err);
            goto out;
        }
        resumed = 0;
        /* The new page comes after the last key of the one before, or after marker. */
        if (p.n_raw > 0) {
            free(before);
            before = xstrdup(p.raw[p.n_raw - 1]);
        } else if (token == NULL && marker != NULL) {
            free(before);
            before = xstrdup(marker);
        }
        page_free(&p);
        if (take_page(d, &r.resp, &keys, &n, &alloc, limit, &p) < 0) {
            error_set(err, HS_ERR_TRANSIENT, "store_unavailable",
                      "the listing is not a ListBucketResult document (%s)", d->host);
            goto out;
        }
        free(token);
        token = NULL;
        free(marker);
        marker = NULL;
        if (p.n_raw == 0)
            break;
        if (p.truncated && p.next_token != NULL)
            token = xstrdup(p.next_token);
        else
            marker = xstrdup(p.raw[p.n_raw - 1]);
    }
    if (p.n_raw > 0 && p.truncated && p.next_token != NULL)
        resume_keep(d, full_prefix, before, &p); /* more to come: the next page goes on here */
    page->keys = keys;
    page->n = n;
    keys = NULL;
    n = 0;
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    page_free(&p);
    free(before);
    free(token);
    free(marker);
    free(full_prefix);
    request_free(&r);
    return rc;
}

static void v4_close(void *driver)
{
    struct v4_driver *d = driver;

    if (d == NULL)
        return;
    if (d->session_token != NULL)
        OPENSSL_cleanse(d->session_token, strlen(d->session_token));
    sigv4_free(d->signer);
    resume_clear(&d->resume);
    pthread_mutex_destroy(&d->resume_lock);
    free(d->session_token);
    free(d->ca_file);
    free(d->path_base);
    free(d->origin);
    free(d->host);
    free(d->prefix);
    free(d->bucket);
    free(d);
}

static const struct store_ops v4_ops = {
    .name = "s3",
    .features = STORE_FEATURE_TIMEOUT,
    .put = v4_put,
    .get = v4_get,
    .exists = v4_exists,
    .del = v4_del,
    .move = NULL, /* S3 has no rename: store.c copies, then deletes */
    .copy = v4_copy,
    .list = v4_list,
    .close = v4_close,
};

int store_s3v4_open(const struct s3_url *url, const struct store_config *cfg,
                    struct store_backend *out, struct error *err)
{
    struct v4_driver *d = xcalloc(1, sizeof(*d));

    (void)err; /* everything that can be wrong was checked by s3_url_parse and store.c */
    d->bucket = xstrdup(url->bucket);
    d->prefix = url->prefix[0] != '\0' ? xasprintf("%s/", url->prefix) : xstrdup("");
    d->prefix_len = strlen(d->prefix);
    d->host = s3_url_host(url);
    d->origin = xasprintf("%s://%s", url->tls ? "https" : "http", d->host);
    d->path_base = url->style == S3_STYLE_PATH ? xasprintf("/%s/", url->bucket) : xstrdup("/");
    d->ca_file = url->ca_file != NULL ? xstrdup(url->ca_file) : NULL;
    d->session_token = cfg->session_token != NULL && cfg->session_token[0] != '\0'
                           ? xstrdup(cfg->session_token)
                           : NULL;
    d->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : CONFIG_DEFAULT_STORE_TIMEOUT_MS;
    d->signer = sigv4_new(cfg->access_key, cfg->secret_key, url->region, "s3");
    pthread_mutex_init(&d->resume_lock, NULL);
    out->ops = &v4_ops;
    out->driver = d;
    out->description = xasprintf("s3://%s%s%s@%s", d->bucket, url->prefix[0] != '\0' ? "/" : "",
                                 url->prefix, url->endpoint != NULL ? url->endpoint : d->host);
    return 0;
}

int store_s3v4_global_init(struct error *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        error_set(err, HS_ERR_PERMANENT, "store_init", "unable to initialise libcurl");
        return -1;
    }
    /* libxml2 sets up its globals here once, before threads parse. */
    xmlInitParser();
    if (pthread_key_create(&thread_handle, handle_free) != 0) {
        curl_global_cleanup();
        error_set(err, HS_ERR_PERMANENT, "store_init", "unable to create a thread key");
        return -1;
    }
    initialised = 1;
    return 0;
}

void store_s3v4_global_cleanup(void)
{
    CURL *h;

    if (!initialised)
        return;
    initialised = 0;
    /* Other threads' handles went with their threads; this one's goes now. */
    h = pthread_getspecific(thread_handle);
    if (h != NULL)
        curl_easy_cleanup(h);
    pthread_setspecific(thread_handle, NULL);
    pthread_key_delete(thread_handle);
    curl_global_cleanup();
}
