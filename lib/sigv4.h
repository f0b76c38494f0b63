/*
 * sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256) for request headers, as S3 and
 * every S3-compatible server check it. Pure computation, no I/O: the caller builds the
 * request, passes every header it will send and wants signed, and sends the
 * Authorization value this module returns.
 *
 * What is signed (the "canonical request"):
 *   METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADER-NAMES \n PAYLOAD-SHA256
 * where URI is the raw path with every byte outside [A-Za-z0-9-._~/] percent-encoded
 * once (S3's rule: a key holding "%2F" is signed, and must be sent, as "%252F"), QUERY
 * the parameters encoded the same way ('/' too) and sorted by name then value, and
 * HEADERS the lowercased names, sorted, each with its value trimmed and inner runs of
 * spaces folded to one.
 *
 * The signing key (four chained HMACs of the secret, the day, the region and the
 * service) is derived once per UTC day and kept in the signer, under a lock, so
 * threads may share one signer.
 *
 * Call order: sigv4_new -> sigv4_authorization... -> sigv4_free.
 */
#ifndef HS_SIGV4_H
#define HS_SIGV4_H

#include <stddef.h>
#include <time.h>

/* "YYYYMMDDTHHMMSSZ" plus NUL: the x-amz-date value. */
#define SIGV4_DATE_LEN 17

/* SHA-256 of the empty string: the payload hash of a request without a body. */
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name and a value, borrowed. As a query parameter both are raw (unencoded). */
struct sigv4_pair {
    const char *name;
    const char *value;
};

struct sigv4_request {
    const char *method;                /* "GET", "PUT", ... */
    const char *path;                  /* raw, starting with '/': "/bucket/pending/a%2Fb" */
    const struct sigv4_pair *query;    /* raw names and values; a bare name has value "" */
    size_t n_query;
    const struct sigv4_pair *headers;  /* every header to sign, host and x-amz-date included */
    size_t n_headers;
    const char *payload_sha256;        /* lowercase hex, or "UNSIGNED-PAYLOAD" */
};

struct sigv4_signer;

/*
 * A signer for one identity, region and service ("s3"). The strings are copied; the
 * secret is wiped on sigv4_free.
 */
struct sigv4_signer *sigv4_new(const char *access_key, const char *secret_key,
                               const char *region, const char *service);
void sigv4_free(struct sigv4_signer *s);

/* The x-amz-date value for t (UTC). */
void sigv4_date(time_t t, char out[SIGV4_DATE_LEN]);

/*
 * Percent-encodes n bytes of s as SigV4 requires: [A-Za-z0-9-._~] stay, every other
 * byte becomes %XX (uppercase hex); '/' stays too when keep_slash is set (paths).
 * Caller frees.
 */
char *sigv4_uri_encode(const char *s, size_t n, int keep_slash);

/* The canonical request of r, as signed (for tests and for debugging a refusal).
 * Caller frees. */
char *sigv4_canonical_request(const struct sigv4_request *r);

/*
 * The Authorization header value of r at date (an x-amz-date value, which the caller
 * also sends as the x-amz-date header):
 *   AWS4-HMAC-SHA256 Credential=AK/DAY/REGION/SERVICE/aws4_request,
 *   SignedHeaders=a;b;c, Signature=HEX
 * Caller frees. Returns NULL only when OpenSSL's HMAC fails.
 */
char *sigv4_authorization(struct sigv4_signer *s, const struct sigv4_request *r,
                          const char *date);

#endif
