/*
 * spool_put: seeds pending/ objects for the drain tests, the way the
 * handler writes them (envelope_build + store_put), without a web server.
 *
 *   spool_put --config F --source S --key K [--count N] [--body FILE]
 *             [--header 'Name: value']...
 *
 * With --count N the keys are K-0 ... K-(N-1). The body is read from FILE
 * byte for byte ("{}" without one); headers default to Content-Type:
 * application/json when none is given. Exit 0 when every object was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "envelope.h"
#include "headers.h"
#include "key.h"
#include "store.h"
#include "xmalloc.h"

#define BODY_MAX (64 * 1024 * 1024)

static int read_file(const char *path, struct buf *out)
{
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    size_t n;
    int rc = 0;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n) != 0) {
            fprintf(stderr, "%s: too large\n", path);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config_file = NULL;
    const char *source = NULL;
    const char *key = NULL;
    const char *body_file = NULL;
    long count = 0;
    struct headers h;
    struct buf body;
    struct config *cfg = NULL;
    struct store *s = NULL;
    struct error err;
    int inited = 0;
    int rc = 1;

    headers_init(&h);
    buf_init(&body, BODY_MAX);
    error_clear(&err);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--config") == 0) {
            config_file = argv[i + 1];
        } else if (strcmp(argv[i], "--source") == 0) {
            source = argv[i + 1];
        } else if (strcmp(argv[i], "--key") == 0) {
            key = argv[i + 1];
        } else if (strcmp(argv[i], "--count") == 0) {
            count = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--body") == 0) {
            body_file = argv[i + 1];
        } else if (strcmp(argv[i], "--header") == 0) {
            const char *colon = strchr(argv[i + 1], ':');
            char *name;

            if (colon == NULL) {
                fprintf(stderr, "--header: expected 'Name: value'\n");
                goto out;
            }
            name = xstrndup(argv[i + 1], (size_t)(colon - argv[i + 1]));
            headers_add(&h, name, colon[1] == ' ' ? colon + 2 : colon + 1);
            free(name);
        } else {
            fprintf(stderr, "unknown argument '%s'\n", argv[i]);
            goto out;
        }
    }
    if (config_file == NULL || source == NULL || key == NULL || count < 0) {
        fprintf(stderr, "usage: spool_put --config F --source S --key K [--count N] "
                        "[--body FILE] [--header 'Name: value']...\n");
        goto out;
    }
    if (h.n == 0)
        headers_add(&h, "Content-Type", "application/json");
    if (body_file != NULL ? read_file(body_file, &body) != 0 : buf_append_str(&body, "{}") != 0)
        goto out;
    cfg = config_load(config_file, &err);
    if (cfg == NULL || store_global_init(&err) != 0)
        goto out;
    inited = 1;
    s = store_open(&cfg->store, &err);
    if (s == NULL)
        goto out;
    for (long i = 0; i < (count > 0 ? count : 1); i++) {
        struct envelope_request req = {"POST", "/hooks/test", "", "127.0.0.1", &h};
        char object[KEY_OBJECT_MAX + 1];
        char *raw = count > 0 ? xasprintf("%s-%ld", key, i) : xstrdup(key);
        char *encoded = key_encode(raw, strlen(raw));
        size_t len;
        char *text = envelope_build(source, raw, strlen(raw), clock_now_ms(), &req, NULL, body.data,
                                    body.len, &len);
        int put;

        key_object(KEY_PENDING, 0, source, encoded, object);
        put = store_put(s, object, text, len, &err);
        free(text);
        free(encoded);
        free(raw);
        if (put != 0)
            goto out;
    }
    rc = 0;
out:
    if (err.code != HS_OK)
        fprintf(stderr, "spool_put: %s\n", err.msg);
    if (s != NULL)
        store_close(s);
    if (inited)
        store_global_cleanup();
    config_free(cfg);
    buf_free(&body);
    headers_free(&h);
    return rc;
}
