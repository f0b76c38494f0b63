/* census: per-state, per-source object counts (see census.h). */
#include "census.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"

#define CENSUS_KEY_MAX_BYTES (1024 * 1024)

static struct census_source *source_slot(struct census *c, const char *name)
{
    struct census_source *s;

    for (size_t i = 0; i < c->n_sources; i++) {
        if (strcmp(c->sources[i].name, name) == 0)
            return &c->sources[i];
    }
    c->sources = xrealloc(c->sources, (c->n_sources + 1) * sizeof(*c->sources));
    s = &c->sources[c->n_sources++];
    memset(s, 0, sizeof(*s));
    memcpy(s->name, name, strlen(name) + 1);
    return s;
}

void census_add(struct census *c, enum key_state state, const char *source, long delta)
{
    c->totals[state] += delta;
    source_slot(c, source)->counts[state] += delta;
}

void census_merge(struct census *dst, const struct census *src)
{
    for (size_t i = 0; i < src->n_sources; i++) {
        for (int st = 0; st < CENSUS_STATES; st++)
            census_add(dst, (enum key_state)st, src->sources[i].name, src->sources[i].counts[st]);
    }
}

static enum spool_walk_next count_key(void *ctx, const char *object,
                                      const struct key_parts *parts)
{
    struct census *c = ctx;

    (void)object;
    if (parts != NULL)
        census_add(c, parts->state, parts->source, 1);
    return SPOOL_WALK_NEXT;
}

int census_count(struct store *s, unsigned mask, struct census *out, struct error *err)
{
    memset(out, 0, sizeof(*out));
    for (int st = 0; st < CENSUS_STATES; st++) {
        out->totals[st] = -1;
        if ((mask & CENSUS_STATE(st)) == 0)
            continue;
        out->totals[st] = 0;
        if (spool_walk(s, (enum key_state)st, NULL, count_key, out, err) != 0) {
            census_free(out);
            return -1;
        }
    }
    /* A state left out of the mask reads -1 for every source too, as in the totals. */
    for (size_t i = 0; i < out->n_sources; i++) {
        for (int st = 0; st < CENSUS_STATES; st++) {
            if (out->totals[st] < 0)
                out->sources[i].counts[st] = -1;
        }
    }
    return 0;
}

static void to_backlog(const long counts[CENSUS_STATES], struct backlog_counts *b)
{
    b->pending = counts[KEY_PENDING] > 0 ? counts[KEY_PENDING] : 0;
    b->retry = counts[KEY_RETRY] > 0 ? counts[KEY_RETRY] : 0;
    b->done = counts[KEY_DONE];
    b->dead = counts[KEY_DEAD] > 0 ? counts[KEY_DEAD] : 0;
}

void census_backlog(const struct census *c, struct backlog_counts *total,
                    struct backlog_source **sources)
{
    struct backlog_source *list = xcalloc(c->n_sources + 1, sizeof(*list));

    to_backlog(c->totals, total);
    for (size_t i = 0; i < c->n_sources; i++) {
        list[i].name = c->sources[i].name;
        to_backlog(c->sources[i].counts, &list[i].counts);
    }
    *sources = list;
}

void census_free(struct census *c)
{
    if (c == NULL)
        return;
    free(c->sources);
    c->sources = NULL;
    c->n_sources = 0;
}

/* CENSUS_KEY: {"counted_at": RFC 3339, "dead": N, "sources": {"NAME": N, ...}}. */
static void keeper_save(const struct census_keeper *k, struct store *s)
{
    char when[CLOCK_ISO_MAX];
    json_t *doc = json_object();
    json_t *sources = json_object();
    struct error err;
    char *text;

    clock_iso8601(k->counted_at_ms, when);
    json_object_set_new(doc, "counted_at", json_string(when));
    json_object_set_new(doc, "dead", json_integer(k->dead.totals[KEY_DEAD]));
    for (size_t i = 0; i < k->dead.n_sources; i++)
        json_object_set_new(sources, k->dead.sources[i].name,
                            json_integer(k->dead.sources[i].counts[KEY_DEAD]));
    json_object_set_new(doc, "sources", sources);
    text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    error_clear(&err);
    if (text == NULL || store_put(s, CENSUS_KEY, text, strlen(text), &err) != 0)
        log_error("census_write_failed", text == NULL ? "unable to encode the census" : err.msg);
    free(text);
    json_decref(doc);
}

/* Reads CENSUS_KEY into k; anything missing or malformed leaves k without a count. */
static void keeper_load(struct census_keeper *k, struct store *s)
{
    struct buf data;
    struct error err;
    json_t *doc = NULL;
    json_t *dead;
    json_t *sources;
    json_t *n;
    const char *name;
    const char *when;
    int64_t at;

    k->loaded = 1;
    buf_init(&data, CENSUS_KEY_MAX_BYTES);
    error_clear(&err);
    if (store_get(s, CENSUS_KEY, &data, &err) != 0) {
        if (err.code != HS_ERR_NOT_FOUND)
            log_error("census_read_failed", err.msg);
        goto out;
    }
    doc = json_loadb(data.data, data.len, 0, NULL);
    dead = json_object_get(doc, "dead");
    sources = json_object_get(doc, "sources");
    when = json_string_value(json_object_get(doc, "counted_at"));
    if (!json_is_integer(dead) || !json_is_object(sources) || when == NULL ||
        clock_parse_iso8601(when, &at) != 0)
        goto out;
    census_free(&k->dead);
    memset(&k->dead, 0, sizeof(k->dead));
    json_object_foreach(sources, name, n) {
        if (key_source_valid(name) && json_is_integer(n))
            census_add(&k->dead, KEY_DEAD, name, (long)json_integer_value(n));
    }
    k->dead.totals[KEY_DEAD] = (long)json_integer_value(dead);
    k->counted_at_ms = at;
out:
    json_decref(doc);
    buf_free(&data);
}

/* The dead/ counts of c, as the keeper's. */
static void keep_dead(struct census_keeper *k, const struct census *c)
{
    census_free(&k->dead);
    memset(&k->dead, 0, sizeof(k->dead));
    for (size_t i = 0; i < c->n_sources; i++)
        census_add(&k->dead, KEY_DEAD, c->sources[i].name, c->sources[i].counts[KEY_DEAD]);
}

int census_after_pass(struct census_keeper *k, struct store *s, const struct census *pass,
                      int64_t now_ms, struct census *out, struct error *err)
{
    int dead_changed = 0;

    memset(out, 0, sizeof(*out));
    if (!k->loaded)
        keeper_load(k, s);
    if (k->counted_at_ms == 0 || now_ms - k->counted_at_ms >= CENSUS_FULL_EVERY_MS ||
        now_ms < k->counted_at_ms) {
        if (census_count(s, CENSUS_STATE(KEY_PENDING) | CENSUS_STATE(KEY_RETRY) |
                                CENSUS_STATE(KEY_DEAD),
                         out, err) != 0)
            return -1;
        keep_dead(k, out);
        k->counted_at_ms = now_ms;
        keeper_save(k, s);
        return 0;
    }
    for (size_t i = 0; i < pass->n_sources; i++) {
        const struct census_source *p = &pass->sources[i];

        census_add(out, KEY_PENDING, p->name, p->counts[KEY_PENDING] > 0 ? p->counts[KEY_PENDING] : 0);
        census_add(out, KEY_RETRY, p->name, p->counts[KEY_RETRY] > 0 ? p->counts[KEY_RETRY] : 0);
        if (p->counts[KEY_DEAD] != 0) {
            census_add(&k->dead, KEY_DEAD, p->name, p->counts[KEY_DEAD]);
            dead_changed = 1;
        }
    }
    for (size_t i = 0; i < k->dead.n_sources; i++)
        census_add(out, KEY_DEAD, k->dead.sources[i].name, k->dead.sources[i].counts[KEY_DEAD]);
    /* done/ is not counted after a pass, as in the full count above. */
    out->totals[KEY_DONE] = -1;
    for (size_t i = 0; i < out->n_sources; i++)
        out->sources[i].counts[KEY_DONE] = -1;
    if (dead_changed)
        keeper_save(k, s);
    return 0;
}

void census_keeper_free(struct census_keeper *k)
{
    if (k == NULL)
        return;
    census_free(&k->dead);
}
