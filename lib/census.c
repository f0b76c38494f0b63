/* census: per-state, per-source object counts (see census.h). */
#include "census.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define CENSUS_PAGE_KEYS 1000

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

static int count_state(struct store *s, enum key_state state, struct census *c,
                       struct error *err)
{
    struct store_page page = {NULL, 0, 0};
    struct key_parts parts;
    char *after = NULL;
    int rc = -1;

    c->totals[state] = 0;
    for (;;) {
        if (store_list(s, key_state_prefix(state), after, CENSUS_PAGE_KEYS, &page, err) != 0)
            goto out;
        for (size_t i = 0; i < page.n; i++) {
            if (key_parse(page.keys[i], &parts) != 0 || parts.state != state)
                continue;
            c->totals[state]++;
            source_slot(c, parts.source)->counts[state]++;
        }
        if (!page.truncated || page.n == 0)
            break;
        free(after);
        after = xstrdup(page.keys[page.n - 1]);
        store_page_free(&page);
    }
    rc = 0;
out:
    store_page_free(&page);
    free(after);
    return rc;
}

int census_count(struct store *s, unsigned mask, struct census *out, struct error *err)
{
    memset(out, 0, sizeof(*out));
    for (int st = 0; st < CENSUS_STATES; st++) {
        out->totals[st] = -1;
        if ((mask & CENSUS_STATE(st)) == 0)
            continue;
        if (count_state(s, (enum key_state)st, out, err) != 0) {
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
