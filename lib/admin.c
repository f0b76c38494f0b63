/* admin: ls, show, replay and stats over the spool (see admin.h). */
#include "admin.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "census.h"
#include "clock.h"
#include "envelope.h"
#include "key.h"
#include "sig.h"
#include "spool.h"
#include "xmalloc.h"

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

/* What ls and replay --all keep of a state's objects; the unset parts keep everything. */
struct selection {
    const char *destination; /* --destination: the webhook has it (from dead/, for a replay:
                                it gave up) */
    int status;              /* --status: a last attempt's HTTP status (0: no answer) */
    int has_status;
    int64_t since_ms;        /* --since: received at or after */
    int has_since;
    int64_t until_ms;        /* --until: received before */
    int has_until;
};

struct walk;
typedef int (*visit_fn)(struct walk *w, const char *key);

struct walk {
    struct store *s;
    const struct config *cfg;
    visit_fn visit;
    FILE *out;
    FILE *errout;
    int rc;                 /* the worst exit code seen */
    struct selection sel;
    int reads;              /* the selection or the output needs each envelope */
    int long_form;          /* ls --long */
    int replaying;          /* replay --all: --destination also asks that it gave up */
    int dry_run;
    long limit;             /* --limit; < 0: none */
    long selected;          /* objects kept so far */
    int stopped;            /* the limit was reached */
};

static enum spool_walk_next walk_one(void *ctx, const char *object,
                                     const struct key_parts *parts)
{
    struct walk *w = ctx;
    int r;

    if (parts == NULL)
        return SPOOL_WALK_NEXT;
    r = w->visit(w, object);
    if (r > w->rc)
        w->rc = r;
    return r == ADMIN_STORE || w->stopped ? SPOOL_WALK_STOP : SPOOL_WALK_NEXT;
}

/*
 * Calls w->visit for every key of state (of source, when not NULL), page by
 * page. Returns the worst exit code seen.
 */
static int walk(struct walk *w, enum key_state state, const char *source)
{
    struct error err;

    error_clear(&err);
    if (spool_walk(w->s, state, source, walk_one, w, &err) != 0) {
        fprintf(w->errout, "%s\n", err.msg);
        return ADMIN_STORE;
    }
    return w->rc;
}

/*
 * Reads and parses an object; on failure says why on errout and returns the exit code.
 * Credentials an envelope stored before intake left them out still holds are dropped, so
 * neither show nor a replay's pending/ carries them.
 */
static int load(struct store *s, const struct config *cfg, const char *key, struct envelope **e,
                FILE *errout)
{
    struct key_parts parts;
    const struct source_config *src;
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
        goto out;
    }
    src = key_parse(key, &parts) == 0 ? config_source_by_name(cfg, parts.source) : NULL;
    envelope_drop_credentials(*e, src != NULL ? sig_secret_header(&src->verify) : NULL);
out:
    buf_free(&data);
    return rc;
}

/* 1 when e is kept by sel (replaying: a dead/ record's --destination must have given up). */
static int selected(const struct selection *sel, const struct envelope *e, int gave_up_only)
{
    const char *names[ENVELOPE_DESTINATIONS_MAX];
    size_t n = envelope_destinations(e, names, ENVELOPE_DESTINATIONS_MAX);
    int64_t at;

    if (sel->destination != NULL) {
        const char *state = envelope_outcome_state(e, sel->destination);

        if (!envelope_has_destination(e, sel->destination))
            return 0;
        if (gave_up_only && (state == NULL || strcmp(state, "dead") != 0))
            return 0;
    }
    if (sel->has_status) {
        int found = 0;

        for (size_t i = 0; i < n && !found; i++) {
            if (sel->destination != NULL && strcmp(names[i], sel->destination) != 0)
                continue;
            found = envelope_attempt_count(e, names[i]) > 0 &&
                    envelope_last_status(e, names[i]) == sel->status;
        }
        if (!found)
            return 0;
    }
    if (sel->has_since || sel->has_until) {
        if (envelope_received_ms(e, &at) != 0)
            return 0;
        if ((sel->has_since && at < sel->since_ms) || (sel->has_until && at >= sel->until_ms))
            return 0;
    }
    return 1;
}

/* "KEY  ci=done(1,200) tracker=waiting(2,500)": each destination's state, attempts and
 * last status; "filtered" for a webhook that matched none, "unrouted" before its first
 * attempt. */
static void print_long(FILE *out, const char *key, const struct envelope *e)
{
    const char *names[ENVELOPE_DESTINATIONS_MAX];
    size_t n = envelope_destinations(e, names, ENVELOPE_DESTINATIONS_MAX);
    const char *final = envelope_final_state(e);

    fprintf(out, "%s", key);
    if (!envelope_routed(e))
        fprintf(out, "  unrouted");
    else if (n == 0)
        fprintf(out, "  %s", final != NULL ? final : "filtered");
    for (size_t i = 0; i < n; i++) {
        const char *state = envelope_outcome_state(e, names[i]);

        fprintf(out, "  %s=%s(%zu,%d)", names[i], state != NULL ? state : "waiting",
                envelope_attempt_count(e, names[i]), envelope_last_status(e, names[i]));
    }
    fprintf(out, "\n");
}

static int list_one(struct walk *w, const char *key)
{
    struct envelope *e = NULL;
    int rc;

    if (!w->reads) {
        fprintf(w->out, "%s\n", key);
        return ADMIN_OK;
    }
    rc = load(w->s, w->cfg, key, &e, w->errout);
    if (rc != ADMIN_OK)
        return rc == ADMIN_FAILED ? ADMIN_OK : rc; /* gone or junk: not listed, not fatal */
    if (selected(&w->sel, e, 0)) {
        if (w->long_form)
            print_long(w->out, key, e);
        else
            fprintf(w->out, "%s\n", key);
    }
    envelope_free(e);
    return ADMIN_OK;
}

/* A time for --since/--until: RFC 3339 UTC (with or without milliseconds), a date
 * (midnight UTC), or epoch seconds. */
static int parse_time(const char *text, int64_t *ms)
{
    char buf[CLOCK_ISO_MAX + 8];
    size_t n = strlen(text);
    char *end = NULL;
    long long secs;

    if (clock_parse_iso8601(text, ms) == 0)
        return 0;
    if (n == 20 && text[19] == 'Z') {
        snprintf(buf, sizeof(buf), "%.19s.000Z", text);
        return clock_parse_iso8601(buf, ms);
    }
    if (n == 10 && text[4] == '-') {
        snprintf(buf, sizeof(buf), "%sT00:00:00.000Z", text);
        return clock_parse_iso8601(buf, ms);
    }
    if (n == 0 || n > 12 || text[0] < '0' || text[0] > '9')
        return -1;
    secs = strtoll(text, &end, 10);
    if (*end != '\0')
        return -1;
    *ms = (int64_t)secs * 1000;
    return 0;
}

/* A non-negative decimal integer up to max; -1 otherwise. */
static int parse_count(const char *text, long max, long *out)
{
    char *end = NULL;
    long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    v = strtol(text, &end, 10);
    if (*end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* 1 when option is one of the space-separated words of allowed. */
static int option_allowed(const char *allowed, const char *option)
{
    size_t n = strlen(option);

    for (const char *p = strstr(allowed, option); p != NULL; p = strstr(p + 1, option)) {
        if ((p == allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/*
 * Takes the options of ls and replay out of argv (they may come anywhere),
 * leaving the positional arguments in pos (npos set). allowed lists the
 * options the command takes. 0, or -1 having said why on errout.
 */
static int parse_options(struct walk *w, int argc, char *const argv[], const char *allowed,
                         char *pos[], int *npos, int *all)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;

        if (strncmp(a, "--", 2) != 0) {
            pos[(*npos)++] = argv[i];
            continue;
        }
        if (!option_allowed(allowed, a)) {
            fprintf(w->errout, "unknown option '%s'\n", a);
            return -1;
        }
        if (strcmp(a, "--all") == 0) {
            *all = 1;
            continue;
        }
        if (strcmp(a, "--long") == 0) {
            w->long_form = 1;
            continue;
        }
        if (strcmp(a, "--dry-run") == 0) {
            w->dry_run = 1;
            continue;
        }
        if (v == NULL) {
            fprintf(w->errout, "option '%s' needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--destination") == 0) {
            if (!key_source_valid(v)) {
                fprintf(w->errout, "invalid destination name '%s' (expected [a-z0-9_-]{1,64})\n",
                        v);
                return -1;
            }
            w->sel.destination = v;
        } else if (strcmp(a, "--status") == 0) {
            if (parse_count(v, 999, &n) != 0) {
                fprintf(w->errout, "--status: '%s' is not an HTTP status (0 for no answer)\n", v);
                return -1;
            }
            w->sel.status = (int)n;
            w->sel.has_status = 1;
        } else if (strcmp(a, "--since") == 0 || strcmp(a, "--until") == 0) {
            int since = strcmp(a, "--since") == 0;

            if (parse_time(v, since ? &w->sel.since_ms : &w->sel.until_ms) != 0) {
                fprintf(w->errout,
                        "%s: '%s' is not a time (2026-11-22T03:04:05Z, 2026-11-22 or epoch "
                        "seconds)\n",
                        a, v);
                return -1;
            }
            if (since)
                w->sel.has_since = 1;
            else
                w->sel.has_until = 1;
        } else if (strcmp(a, "--limit") == 0) {
            if (parse_count(v, LONG_MAX / 2, &w->limit) != 0 || w->limit == 0) {
                fprintf(w->errout, "--limit: '%s' is not a positive count\n", v);
                return -1;
            }
        }
    }
    return 0;
}

static int cmd_ls(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out, FILE *errout)
{
    struct walk w;
    char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
    int npos = 0;
    int all = 0;
    int rc = ADMIN_USAGE;
    enum key_state state;

    memset(&w, 0, sizeof(w));
    w.s = s;
    w.cfg = cfg;
    w.out = out;
    w.errout = errout;
    w.visit = list_one;
    w.limit = -1;
    if (parse_options(&w, argc, argv, "--destination --status --long", pos, &npos, &all) != 0 ||
        npos < 1 || npos > 2) {
        fprintf(errout, "usage: ls STATE [SOURCE] [--destination NAME] [--status N] [--long]\n");
        goto out;
    }
    if (parse_state(pos[0], &state, errout) != 0 ||
        (npos == 2 && parse_source(pos[1], errout) != 0))
        goto out;
    w.reads = w.long_form || w.sel.destination != NULL || w.sel.has_status;
    rc = walk(&w, state, npos == 2 ? pos[1] : NULL);
out:
    free(pos);
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

static int cmd_show(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out, FILE *errout)
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
    rc = load(s, cfg, argv[1], &e, errout);
    if (rc != ADMIN_OK)
        return rc;
    text = envelope_dump(e, 1, NULL);
    fprintf(out, "%s\n", text);
    /* The per-destination summary `ls --long` gives, after the document. */
    fprintf(out, "destinations: ");
    print_long(out, argv[1], e);
    free(text);
    envelope_free(e);
    return ADMIN_OK;
}

/* Replays one object; with a selection (replay --all), only when it is kept. */
static int replay_one(struct walk *w, const char *key)
{
    struct key_parts parts;
    struct envelope *e = NULL;
    struct error err;
    char next[KEY_OBJECT_MAX + 1];
    int rc;

    error_clear(&err);
    if (check_key(key, &parts, w->errout) != 0)
        return ADMIN_USAGE;
    if (parts.state != KEY_DEAD && parts.state != KEY_DONE) {
        fprintf(w->errout, "'%s': only dead/ and done/ objects can be replayed\n", key);
        return ADMIN_USAGE;
    }
    rc = load(w->s, w->cfg, key, &e, w->errout);
    if (rc != ADMIN_OK)
        goto out;
    if (w->replaying && !selected(&w->sel, e, parts.state == KEY_DEAD))
        goto out;
    w->selected++;
    if (w->limit > 0 && w->selected >= w->limit)
        w->stopped = 1;
    if (w->dry_run) {
        if (w->selected <= ADMIN_DRY_RUN_SHOWN)
            fprintf(w->out, "%s\n", key);
        goto out;
    }
    /* pending/ only: the record replayed stays until the drain finishes the replay. */
    if (spool_replay(w->s, &parts, e, w->sel.destination, next, &err) != 0) {
        if (err.code == HS_ERR_INPUT)
            fprintf(w->errout, "'%s': %s\n", key, err.msg);
        else
            fprintf(w->errout, "unable to write '%s': %s\n", next, err.msg);
        rc = store_exit(&err);
        goto out;
    }
    fprintf(w->out, "%s -> %s\n", key, next);
out:
    envelope_free(e);
    return rc;
}

static int cmd_replay(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out, FILE *errout)
{
    static const char usage[] =
        "usage: replay [--destination NAME] OBJECT_KEY...\n"
        "       replay --all dead|done [SOURCE] [--destination NAME] [--since T] [--until T]"
        " [--dry-run] [--limit N]\n";
    struct walk w;
    char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
    int npos = 0;
    int all = 0;
    int rc = ADMIN_OK;
    enum key_state state;

    memset(&w, 0, sizeof(w));
    w.s = s;
    w.cfg = cfg;
    w.out = out;
    w.errout = errout;
    w.visit = replay_one;
    w.limit = -1;
    if (parse_options(&w, argc, argv,
                      "--all --destination --since --until --dry-run --limit", pos, &npos,
                      &all) != 0 ||
        npos < 1) {
        fprintf(errout, "%s", usage);
        rc = ADMIN_USAGE;
        goto out;
    }
    if (!all && (w.sel.has_since || w.sel.has_until || w.dry_run || w.limit > 0)) {
        fprintf(errout, "--since, --until, --dry-run and --limit go with --all\n%s", usage);
        rc = ADMIN_USAGE;
        goto out;
    }
    if (all) {
        if (npos > 2 || parse_state(pos[0], &state, errout) != 0 ||
            (npos == 2 && parse_source(pos[1], errout) != 0)) {
            fprintf(errout, "%s", usage);
            rc = ADMIN_USAGE;
            goto out;
        }
        if (state != KEY_DEAD && state != KEY_DONE) {
            fprintf(errout, "only dead and done can be replayed, not '%s'\n", pos[0]);
            rc = ADMIN_USAGE;
            goto out;
        }
        w.replaying = 1;
        rc = walk(&w, state, npos == 2 ? pos[1] : NULL);
        if (w.dry_run)
            fprintf(out, "%ld object%s would be replayed (dry run: nothing changed)\n",
                    w.selected, w.selected == 1 ? "" : "s");
        goto out;
    }
    for (int i = 0; i < npos; i++) {
        int r = replay_one(&w, pos[i]);

        if (r > rc)
            rc = r;
        if (r == ADMIN_STORE)
            break;
    }
out:
    free(pos);
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

/* What stats --destinations counts for one (source, destination). */
struct dest_tally {
    char source[KEY_SOURCE_MAX + 1];
    char destination[KEY_SOURCE_MAX + 1];
    long counts[3]; /* waiting, delivered, gave up */
};

static const char *const DEST_COLUMNS[3] = {"waiting", "delivered", "gave_up"};

struct dest_census {
    struct walk w;
    struct dest_tally *rows;
    size_t n;
};

static struct dest_tally *tally_row(struct dest_census *c, const char *source, const char *dest)
{
    struct dest_tally *t;

    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->rows[i].source, source) == 0 && strcmp(c->rows[i].destination, dest) == 0)
            return &c->rows[i];
    }
    c->rows = xrealloc(c->rows, (c->n + 1) * sizeof(*c->rows));
    t = &c->rows[c->n++];
    memset(t, 0, sizeof(*t));
    snprintf(t->source, sizeof(t->source), "%s", source);
    snprintf(t->destination, sizeof(t->destination), "%s", dest);
    return t;
}

/* Counts each destination of one webhook by its state. */
static int tally_one(struct walk *w, const char *key)
{
    struct dest_census *c = (struct dest_census *)w; /* w is c's first member */
    const char *names[ENVELOPE_DESTINATIONS_MAX];
    struct envelope *e = NULL;
    struct key_parts parts;
    size_t n;
    int rc = load(w->s, w->cfg, key, &e, w->errout);

    if (rc != ADMIN_OK)
        return rc == ADMIN_FAILED ? ADMIN_OK : rc;
    if (key_parse(key, &parts) == 0) {
        n = envelope_destinations(e, names, ENVELOPE_DESTINATIONS_MAX);
        for (size_t i = 0; i < n; i++) {
            const char *state = envelope_outcome_state(e, names[i]);
            int col = state == NULL ? 0 : strcmp(state, "done") == 0 ? 1 : 2;

            tally_row(c, parts.source, names[i])->counts[col]++;
        }
    }
    envelope_free(e);
    return ADMIN_OK;
}

static json_t *counts_of(const long *counts, const char *const *names, int n)
{
    json_t *obj = json_object();

    for (int i = 0; i < n; i++)
        json_object_set_new(obj, names[i], json_integer(counts[i]));
    return obj;
}

static int cmd_stats(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out, FILE *errout)
{
    static const enum key_state READ[] = {KEY_PENDING, KEY_RETRY, KEY_DEAD};
    struct census c;
    struct dest_census dc;
    struct error err;
    int json = 0;
    int dests = 0;
    int rc = ADMIN_OK;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--destinations") == 0) {
            dests = 1;
        } else {
            fprintf(errout, "usage: stats [--json] [--destinations]\n");
            return ADMIN_USAGE;
        }
    }
    memset(&dc, 0, sizeof(dc));
    error_clear(&err);
    if (census_count(s, CENSUS_ALL, &c, &err) != 0) {
        fprintf(errout, "unable to count the spool: %s\n", err.msg);
        return ADMIN_STORE;
    }
    /* Per destination: each webhook in pending/, retry/ and dead/ is read (done/ is not:
     * every destination of a webhook there delivered). */
    dc.w.s = s;
    dc.w.cfg = cfg;
    dc.w.out = out;
    dc.w.errout = errout;
    dc.w.visit = tally_one;
    for (size_t i = 0; dests && i < sizeof(READ) / sizeof(READ[0]); i++) {
        rc = walk(&dc.w, READ[i], NULL);
        if (rc == ADMIN_STORE)
            goto out;
    }
    if (json) {
        json_t *doc = counts_json(c.totals);
        json_t *sources = json_object();
        char *text;

        for (size_t i = 0; i < c.n_sources; i++)
            json_object_set_new(sources, c.sources[i].name, counts_json(c.sources[i].counts));
        json_object_set_new(doc, "sources", sources);
        if (dests) {
            json_t *by = json_object();

            for (size_t i = 0; i < dc.n; i++) {
                json_t *src = json_object_get(by, dc.rows[i].source);

                if (src == NULL) {
                    src = json_object();
                    json_object_set_new(by, dc.rows[i].source, src);
                }
                json_object_set_new(src, dc.rows[i].destination,
                                    counts_of(dc.rows[i].counts, DEST_COLUMNS, 3));
            }
            json_object_set_new(doc, "destinations", by);
        }
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
        if (dests) {
            fprintf(out, "\n%-24s %-24s %10s %10s %10s\n", "SOURCE", "DESTINATION", "WAITING",
                    "DELIVERED", "GAVE_UP");
            for (size_t i = 0; i < dc.n; i++)
                fprintf(out, "%-24s %-24s %10ld %10ld %10ld\n", dc.rows[i].source,
                        dc.rows[i].destination, dc.rows[i].counts[0], dc.rows[i].counts[1],
                        dc.rows[i].counts[2]);
        }
    }
out:
    free(dc.rows);
    census_free(&c);
    return rc;
}

int admin_run(struct store *s, const struct config *cfg, int argc, char *const argv[], FILE *out,
              FILE *errout)
{
    if (argc < 1)
        return ADMIN_USAGE;
    if (strcmp(argv[0], "ls") == 0)
        return cmd_ls(s, cfg, argc, argv, out, errout);
    if (strcmp(argv[0], "show") == 0)
        return cmd_show(s, cfg, argc, argv, out, errout);
    if (strcmp(argv[0], "replay") == 0)
        return cmd_replay(s, cfg, argc, argv, out, errout);
    if (strcmp(argv[0], "stats") == 0)
        return cmd_stats(s, cfg, argc, argv, out, errout);
    fprintf(errout, "unknown command '%s' (ls, show, replay, stats)\n", argv[0]);
    return ADMIN_USAGE;
}
