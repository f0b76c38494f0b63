/*
 * s3_url: the s3:// store URL, parsed once for the config check and both S3 backends.
 *
 *   s3://BUCKET[/PREFIX][?PARAM=VALUE&...]
 *
 *   endpoint=HOST:PORT   an S3-compatible server; without it the store is AWS itself,
 *                        BUCKET.s3.REGION.amazonaws.com (virtual-hosted, TLS)
 *   region=R             default us-east-1; signed into every V4 request
 *   sig=v4|v2            default v4 (curl + lib/sigv4); v2 is libs3 2.0, for old servers
 *   style=path|virtual   default path with endpoint=, virtual without
 *   tls=0|1              default 1; certificates are verified
 *   ca_file=/PATH        a PEM bundle for a private CA (sig=v4 only)
 *
 * Each parameter at most once. BUCKET follows S3's naming rules ([a-z0-9.-]{3,63});
 * PREFIX is '/'-separated segments of [A-Za-z0-9._-], none empty or starting with '.',
 * and comes without its trailing '/' (one is allowed in the URL).
 */
#ifndef HS_S3_URL_H
#define HS_S3_URL_H

#include "error.h"

#define S3_URL_DEFAULT_REGION "us-east-1"

enum s3_sig { S3_SIG_V4, S3_SIG_V2 };
enum s3_style { S3_STYLE_PATH, S3_STYLE_VIRTUAL };

struct s3_url {
    char *bucket;
    char *prefix;   /* "" or "a/b" */
    char *endpoint; /* HOST:PORT as given; NULL: AWS */
    char *region;
    char *ca_file;  /* NULL: the system's CAs */
    enum s3_sig sig;
    enum s3_style style;
    int tls;
};

/*
 * Parses url (which starts with "s3://") into out, which the caller frees with
 * s3_url_free (also after a failure). HS_ERR_CONFIG with a message that names the
 * part at fault, e.g. 'invalid bucket name "My_Bucket"', without a "store.url: " prefix.
 */
int s3_url_parse(const char *url, struct s3_url *out, struct error *err)
    __attribute__((warn_unused_result));

/* The host requests go to, with its port when one was given: the endpoint, or
 * s3.REGION.amazonaws.com; BUCKET. in front of it for the virtual style. Caller frees. */
char *s3_url_host(const struct s3_url *u);

void s3_url_free(struct s3_url *u);

#endif
