/* admin: ls, show, replay and stats over the spool (see admin.h). */
#include "admin.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "census.h"
#include "clock.h"
#include "envelope.h"
#include "key.h"
#include "spool.h"

enum admin_exit { ADMIN_OK = 0, ADMIN_FAILED = 1, ADMIN_USAGE = 2, ADMIN_STORE = 3 };

static const char *const STATE_LIST = "pending, retry, done, dead";

int admin_is_command(const char *name)
{
    return strcmp(name, "ls") == 0 || strcmp(name, "show") == 0 ||
           strcmp(name, "replay") == 0 || strcmp(name, "stats") == 0;
}

/* A store error's exit code: a missing object is the operator's, the rest the store's. */
static int store_exit(const struct error *err)
{
    return err->code == HS_ERR_NOT_FOUND || err->code == HS_ERR_INPUT ? ADMIN_FAILED
                                                                       : ADMIN_STORE;
}

static int parse_state(const char *name, enum key_state *state, FILE *errout)
{
    if (key_state_from_name(name, state) != 0) {
        fprintf(errout, "unknown state '%s' (one of %s)\n", name, STATE_LIST);
        return -1;
    }
    return 0;
}

static int parse_source(const char *name, FILE *errout)
{
    if (!key_source_valid(name)) {
        fprintf(errout, "invalid source name '%s' (expected [a-z0-9_-]{1,64})\n", name);
        return -1;
    }
    return 0;
}

typedef int (*visit_fn)(struct store *s, const char *key, FILE *out, FILE *errout);

struct walk {
    struct store *s;
    visit_fn visit;
    FILE *out;
    FILE *errout;
    int rc; /* the worst exit code seen */
};

static enum spool_walk_next walk_one(void *ctx, const char *object,
                                     const struct key_parts *parts)
{
    struct walk *w = ctx;
    int r;

    if (parts == NULL)
        return SPOOL_WALK_NEXT;
    r = w->visit(w->s, object, w->out, w->errout);
    if (r > w->rc)
        w->rc = r;
    return r == ADMIN_STORE ? SPOOL_WALK_STOP : SPOOL_WALK_NEXT;
}

/*
 * Calls visit for every key of state (of source, when not NULL), page by
 * page. Returns the worst exit code seen.
 */
static int walk(struct store *s, enum key_state state, const char *source, visit_fn visit,
                FILE *out, FILE *errout)
{
    struct walk w = {s, visit, out, errout, ADMIN_OK};
    struct error err;

    error_clear(&err);
    if (spool_walk(s, state, source, walk_one, &w, &err) != 0) {
        fprintf(errout, "%s\n", err.msg);
        return ADMIN_STORE;
    }
    return w.rc;
}

static int print_key(struct store *s, const char *key, FILE *out, FILE *errout)
{
    (void)s;
    (void)errout;
    fprintf(out, "%s\n", key);
    return ADMIN_OK;
}

static int cmd_ls(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout)
{
    enum key_state state;

    if (argc < 2 || argc > 3) {
        fprintf(errout, "usage: ls STATE [SOURCE]\n");
        return ADMIN_USAGE;
    }
    if (parse_state(argv[1], &state, errout) != 0 ||
        (argc == 3 && parse_source(argv[2], errout) != 0))
        return ADMIN_USAGE;
    return walk(s, state, argc == 3 ? argv[2] : NULL, print_key, out, errout);
}

/* Reads and parses an object; on failure says why on errout and returns the exit code. */
static int load(struct store *s, const char *key, struct envelope **e, FILE *errout)
{
    struct error err;
    struct buf data;
    int rc = ADMIN_OK;

    error_clear(&err);
    buf_init(&data, ADMIN_OBJECT_MAX);
    *e = NULL;
    if (store_get(s, key, &data, &err) != 0) {
        if (err.code == HS_ERR_NOT_FOUND)
            fprintf(errout, "no such object '%s'\n", key);
        else
            fprintf(errout, "unable to read '%s': %s\n", key, err.msg);
        rc = store_exit(&err);
        goto out;
    }
    *e = envelope_parse(data.data != NULL ? data.data : "", data.len, &err);
    if (*e == NULL) {
        fprintf(errout, "'%s' is not a valid envelope: %s\n", key, err.msg);
        rc = ADMIN_FAILED;
    }
out:
    buf_free(&data);
    return rc;
}

static int check_key(const char *key, struct key_parts *parts, FILE *errout)
{
    if (strlen(key) > KEY_OBJECT_MAX || key_parse(key, parts) != 0) {
        fprintf(errout,
                "'%s' is not a spool object key (pending/SOURCE/KEY, retry/DUE/SOURCE/KEY, "
                "done/SOURCE/KEY or dead/SOURCE/KEY)\n",
                key);
        return -1;
    }
    return 0;
}

static int cmd_show(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout)
{
    struct key_parts parts;
    struct envelope *e = NULL;
    char *text;
    int rc;

    if (argc != 2) {
        fprintf(errout, "usage: show OBJECT_KEY\n");
        return ADMIN_USAGE;
    }
    if (check_key(argv[1], &parts, errout) != 0)
        return ADMIN_USAGE;
    rc = load(s, argv[1], &e, errout);
    if (rc != ADMIN_OK)
        return rc;
    text = envelope_dump(e, 1, NULL);
    fprintf(out, "%s\n", text);
    free(text);
    envelope_free(e);
    return ADMIN_OK;
}

static int replay_one(struct store *s, const char *key, FILE *out, FILE *errout)
{
    struct key_parts parts;
    struct envelope *e = NULL;
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    int rc;

    error_clear(&err);
    if (check_key(key, &parts, errout) != 0)
        return ADMIN_USAGE;
    if (parts.state != KEY_DEAD && parts.state != KEY_DONE) {
        fprintf(errout, "'%s': only dead/ and done/ objects can be replayed\n", key);
        return ADMIN_USAGE;
    }
    rc = load(s, key, &e, errout);
    if (rc != ADMIN_OK)
        goto out;
    /* pending/ only: the record replayed stays until the drain finishes the replay. */
    if (spool_replay(s, &parts, e, next, &err) != 0) {
        fprintf(errout, "unable to write '%s': %s\n", next, err.msg);
        rc = store_exit(&err);
        goto out;
    }
    fprintf(out, "%s -> %s\n", key, next);
out:
    envelope_free(e);
    return rc;
}

static int cmd_replay(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout)
{
    enum key_state state;
    int rc = ADMIN_OK;

    if (argc >= 2 && strcmp(argv[1], "--all") == 0) {
        if (argc < 3 || argc > 4) {
            fprintf(errout, "usage: replay --all dead|done [SOURCE]\n");
            return ADMIN_USAGE;
        }
        if (parse_state(argv[2], &state, errout) != 0 ||
            (argc == 4 && parse_source(argv[3], errout) != 0))
            return ADMIN_USAGE;
        if (state != KEY_DEAD && state != KEY_DONE) {
            fprintf(errout, "only dead and done can be replayed, not '%s'\n", argv[2]);
            return ADMIN_USAGE;
        }
        return walk(s, state, argc == 4 ? argv[3] : NULL, replay_one, out, errout);
    }
    if (argc < 2) {
        fprintf(errout, "usage: replay OBJECT_KEY... | replay --all dead|done [SOURCE]\n");
        return ADMIN_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        int r = replay_one(s, argv[i], out, errout);

        if (r > rc)
            rc = r;
        if (r == ADMIN_STORE)
            break;
    }
    return rc;
}

static json_t *counts_json(const long counts[CENSUS_STATES])
{
    static const char *const names[CENSUS_STATES] = {"pending", "retry", "done", "dead"};
    json_t *obj = json_object();

    for (int st = 0; st < CENSUS_STATES; st++)
        json_object_set_new(obj, names[st], json_integer(counts[st]));
    return obj;
}

static int cmd_stats(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout)
{
    struct census c;
    struct error err;
    int json = argc == 2 && strcmp(argv[1], "--json") == 0;

    if (argc > 2 || (argc == 2 && !json)) {
        fprintf(errout, "usage: stats [--json]\n");
        return ADMIN_USAGE;
    }
    error_clear(&err);
    if (census_count(s, CENSUS_ALL, &c, &err) != 0) {
        fprintf(errout, "unable to count the spool: %s\n", err.msg);
        return ADMIN_STORE;
    }
    if (json) {
        json_t *doc = counts_json(c.totals);
        json_t *sources = json_object();
        char *text;

        for (size_t i = 0; i < c.n_sources; i++)
            json_object_set_new(sources, c.sources[i].name, counts_json(c.sources[i].counts));
        json_object_set_new(doc, "sources", sources);
        text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text != NULL)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(doc);
    } else {
        fprintf(out, "%-24s %10s %10s %10s %10s\n", "SOURCE", "PENDING", "RETRY", "DONE",
                "DEAD");
        for (size_t i = 0; i < c.n_sources; i++) {
            const long *n = c.sources[i].counts;

            fprintf(out, "%-24s %10ld %10ld %10ld %10ld\n", c.sources[i].name, n[KEY_PENDING],
                    n[KEY_RETRY], n[KEY_DONE], n[KEY_DEAD]);
        }
        fprintf(out, "%-24s %10ld %10ld %10ld %10ld\n", "TOTAL", c.totals[KEY_PENDING],
                c.totals[KEY_RETRY], c.totals[KEY_DONE], c.totals[KEY_DEAD]);
    }
    census_free(&c);
    return ADMIN_OK;
}

int admin_run(struct store *s, int argc, char *const argv[], FILE *out, FILE *errout)
{
    if (argc < 1)
        return ADMIN_USAGE;
    if (strcmp(argv[0], "ls") == 0)
        return cmd_ls(s, argc, argv, out, errout);
    if (strcmp(argv[0], "show") == 0)
        return cmd_show(s, argc, argv, out, errout);
    if (strcmp(argv[0], "replay") == 0)
        return cmd_replay(s, argc, argv, out, errout);
    if (strcmp(argv[0], "stats") == 0)
        return cmd_stats(s, argc, argv, out, errout);
    fprintf(errout, "unknown command '%s' (ls, show, replay, stats)\n", argv[0]);
    return ADMIN_USAGE;
}
