/*
 * sig_common: the steps every signature scheme is made of (see
 * sig_internal.h).
 *
 * The provided signature is decoded to bytes rather than our MAC encoded to
 * text, so hex case never matters and the compare is always over raw MACs.
 * Error messages name the header and say what was wrong with it, never what
 * it held: the value may be a token or a near-miss of a valid signature.
 */
#include "sig_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

int sig_macs_compute(struct sig_macs *m, const struct verify_config *v, enum digest_alg alg,
                     const void *msg, size_t msg_len, struct error *err)
{
    m->n = v->n_secrets;
    m->len = 0;
    m->bytes = xcalloc(m->n != 0 ? m->n : 1, DIGEST_MAX);
    for (size_t i = 0; i < m->n; i++) {
        size_t len = digest_hmac(alg, v->secrets[i].bytes, v->secrets[i].len, msg, msg_len,
                                 m->bytes + i * DIGEST_MAX);

        if (len == 0) {
            sig_set_check_failed(err, "HMAC");
            m->len = 0;
            return -1;
        }
        m->len = len;
    }
    return 0;
}

int sig_macs_match(const struct sig_macs *m, const unsigned char *sig, size_t sig_len)
{
    int match = 0;

    if (sig_len == 0 || m->len == 0)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        match |= digest_equal(m->bytes + i * DIGEST_MAX, m->len, sig, sig_len);
    return match;
}

void sig_macs_free(struct sig_macs *m)
{
    if (m->bytes != NULL)
        OPENSSL_cleanse(m->bytes, (m->n != 0 ? m->n : 1) * DIGEST_MAX);
    free(m->bytes);
    m->bytes = NULL;
}

void sig_free_wiped(void *p, size_t n)
{
    if (p != NULL)
        OPENSSL_cleanse(p, n);
    free(p);
}

const char *sig_header(const struct sig_request *req, const char *name)
{
    const char *value = headers_get(req->headers, name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

unsigned char *sig_decode(enum verify_encoding enc, const char *text, size_t n, size_t *out_len)
{
    if (enc == VERIFY_HEX)
        return codec_hex_decode(text, n, out_len);
    return codec_base64_decode(text, n, out_len);
}

int sig_next_field(const char **cursor, char delim, const char **field, size_t *len)
{
    const char *end;

    if (*cursor == NULL)
        return 0;
    *field = *cursor;
    end = strchr(*cursor, delim);
    if (end == NULL) {
        *len = strlen(*cursor);
        *cursor = NULL;
    } else {
        *len = (size_t)(end - *cursor);
        *cursor = end + 1;
    }
    return 1;
}

int sig_parse_timestamp(const char *text, size_t n, int64_t *out)
{
    int64_t ts = 0;

    if (n == 0 || n > SIG_TIMESTAMP_DIGITS_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        ts = ts * 10 + (text[i] - '0');
    }
    *out = ts;
    return 0;
}

/* n decimal digits at text into *out; -1 when any is not a digit. */
static int digits(const char *text, int n, int *out)
{
    int value = 0;

    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return 0;
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int sig_parse_rfc3339(const char *text, int64_t *out)
{
    static const int MONTH_DAYS[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month, day, hour, minute, second, off_h, off_m;
    int64_t offset = 0;
    const char *p;

    /* YYYY-MM-DDTHH:MM:SS, 19 characters, then an optional fraction and the zone. */
    if (strlen(text) < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':')
        return -1;
    if (digits(text, 4, &year) != 0 || digits(text + 5, 2, &month) != 0 ||
        digits(text + 8, 2, &day) != 0 || digits(text + 11, 2, &hour) != 0 ||
        digits(text + 14, 2, &minute) != 0 || digits(text + 17, 2, &second) != 0)
        return -1;
    if (month < 1 || month > 12 || day < 1 || day > MONTH_DAYS[month - 1] || hour > 23 ||
        minute > 59 || second > 60)
        return -1;
    p = text + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
               digits(p + 1, 2, &off_h) == 0 && digits(p + 4, 2, &off_m) == 0 && off_h < 24 &&
               off_m < 60) {
        offset = (int64_t)off_h * 3600 + off_m * 60;
        if (*p == '-')
            offset = -offset;
    } else {
        return -1;
    }
    *out = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
           offset;
    return 0;
}

int sig_check_fresh(const struct verify_config *v, const char *name, int64_t ts, int64_t now_s,
                    struct error *err)
{
    /* In uint64_t: the distance between two int64_t always fits, their difference may not. */
    uint64_t distance =
        ts >= now_s ? (uint64_t)ts - (uint64_t)now_s : (uint64_t)now_s - (uint64_t)ts;

    assert(v->tolerance_s >= 0);
    if (distance > (uint64_t)v->tolerance_s) {
        error_set(err, HS_ERR_AUTH, "stale_timestamp",
                  "timestamp in %s is %" PRIu64 " s from now, over the %ld s tolerance", name,
                  distance, v->tolerance_s);
        return -1;
    }
    return 0;
}

void sig_message_init(struct buf *msg)
{
    buf_init(msg, SIZE_MAX - 1);
}

void sig_message_add(struct buf *msg, const void *data, size_t n)
{
    int rc;

    if (n == 0)
        return;
    rc = buf_append(msg, data, n);
    /* The cap is unbounded: a message is built from a body and headers already capped. */
    assert(rc == 0);
    (void)rc;
}

void sig_message_add_str(struct buf *msg, const char *s)
{
    sig_message_add(msg, s, strlen(s));
}

int sig_check_mac(const struct verify_config *v, const char *name, const char *value,
                  enum verify_encoding enc, enum digest_alg alg, const void *msg, size_t msg_len,
                  struct error *err)
{
    struct sig_macs macs = {NULL, 0, 0};
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    int rc = -1;

    sig = sig_decode(enc, value, strlen(value), &sig_len);
    if (sig == NULL || sig_len == 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature", "signature in %s is not valid %s", name,
                  enc == VERIFY_HEX ? "hex" : "base64");
        goto out;
    }
    if (sig_macs_compute(&macs, v, alg, msg, msg_len, err) != 0)
        goto out;
    if (!sig_macs_match(&macs, sig, sig_len)) {
        sig_set_no_match(err, name);
        goto out;
    }
    rc = 0;
out:
    sig_macs_free(&macs);
    sig_free_wiped(sig, sig_len);
    return rc;
}

int sig_check_header_mac(const struct verify_config *v, const struct sig_request *req,
                         const char *name, const char *prefix, enum verify_encoding enc,
                         enum digest_alg alg, const void *msg, size_t msg_len, struct error *err)
{
    const char *value = sig_header(req, name);
    size_t prefix_len = prefix != NULL ? strlen(prefix) : 0;

    if (value == NULL) {
        sig_set_missing(err, name);
        return -1;
    }
    if (prefix_len != 0 && strncmp(value, prefix, prefix_len) != 0) {
        error_set(err, HS_ERR_AUTH, "bad_signature",
                  "signature in %s does not start with \"%s\"", name, prefix);
        return -1;
    }
    return sig_check_mac(v, name, value + prefix_len, enc, alg, msg, msg_len, err);
}

void sig_set_missing(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "missing_signature", "missing %s header", name);
}

void sig_set_bad_timestamp(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "bad_signature", "timestamp in %s is not a whole number of seconds",
              name);
}

void sig_set_no_match(struct error *err, const char *name)
{
    error_set(err, HS_ERR_AUTH, "bad_signature",
              "no signature in %s matches any configured secret", name);
}

void sig_set_check_failed(struct error *err, const char *what)
{
    error_set(err, HS_ERR_TRANSIENT, "signature_check_failed",
              "could not compute the %s to check the signature", what);
}
