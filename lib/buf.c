/* buf: capped growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
    size_t need;

    if (n > b->max - b->len)
        return -1;
    need = b->len + n + 1;
    if (need > b->alloc) {
        size_t grow = b->alloc != 0 ? b->alloc : 256;

        while (grow < need)
            grow *= 2;
        b->data = xrealloc(b->data, grow);
        b->alloc = grow;
    }
    if (n != 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

char *buf_take(struct buf *b, size_t *len)
{
    char *data = b->data != NULL ? b->data : xstrdup("");

    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return data;
}

void buf_free(struct buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}
