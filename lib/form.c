/* form: parsing application/x-www-form-urlencoded bodies (see form.h). */
#include "form.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

/* Decodes n bytes of text into a fresh NUL-terminated buffer; NULL on a bad escape. */
static char *decode(const char *text, size_t n, size_t *out_len)
{
    char *out = xmalloc(n + 1);
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        if (text[i] == '+') {
            out[len++] = ' ';
        } else if (text[i] == '%') {
            if (n - i < 3 || codec_hex_value(text[i + 1]) < 0 || codec_hex_value(text[i + 2]) < 0) {
                free(out);
                return NULL;
            }
            out[len++] = (char)(codec_hex_value(text[i + 1]) * 16 + codec_hex_value(text[i + 2]));
            i += 2;
        } else {
            out[len++] = text[i];
        }
    }
    out[len] = '\0';
    *out_len = len;
    return out;
}

int form_parse(const void *body, size_t len, struct form *f, struct error *err)
{
    const char *p = body;
    const char *end = p + len;
    size_t max_pairs = 1;

    f->params = NULL;
    f->n = 0;
    for (size_t i = 0; i < len; i++)
        max_pairs += p[i] == '&';
    f->params = xcalloc(max_pairs, sizeof(*f->params));
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *name_end = eq != NULL ? eq : pair_end;
        const char *value = eq != NULL ? eq + 1 : pair_end;
        struct form_param *param = &f->params[f->n];

        if (pair_end != p) {
            param->name = decode(p, (size_t)(name_end - p), &param->name_len);
            param->value = decode(value, (size_t)(pair_end - value), &param->value_len);
            /* Counted before the check, so form_free frees a half-decoded pair too. */
            f->n++;
            if (param->name == NULL || param->value == NULL) {
                error_set(err, HS_ERR_INPUT, "bad_form",
                          "form parameter %zu has a '%%' not followed by two hex digits", f->n);
                return -1;
            }
        }
        p = amp != NULL ? amp + 1 : end;
    }
    return 0;
}

static int compare_bytes(const char *a, size_t a_len, const char *b, size_t b_len)
{
    int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

    if (c != 0)
        return c;
    return a_len < b_len ? -1 : a_len > b_len;
}

static int compare_params(const void *pa, const void *pb)
{
    const struct form_param *a = pa;
    const struct form_param *b = pb;
    int c = compare_bytes(a->name, a->name_len, b->name, b->name_len);

    return c != 0 ? c : compare_bytes(a->value, a->value_len, b->value, b->value_len);
}

void form_sort(struct form *f)
{
    if (f->n > 1)
        qsort(f->params, f->n, sizeof(*f->params), compare_params);
}

void form_free(struct form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->params[i].name);
        free(f->params[i].value);
    }
    free(f->params);
    f->params = NULL;
    f->n = 0;
}
