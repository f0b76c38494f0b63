/* jsonptr: RFC 6901 lookup over jansson values (see jsonptr.h). */
#include "jsonptr.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Unescapes one reference token in place; -1 on a '~' not followed by '0' or '1'. */
static int token_unescape(char *token)
{
    char *out = token;

    for (const char *in = token; *in != '\0'; in++) {
        if (*in != '~') {
            *out++ = *in;
            continue;
        }
        if (in[1] == '0')
            *out++ = '~';
        else if (in[1] == '1')
            *out++ = '/';
        else
            return -1;
        in++;
    }
    *out = '\0';
    return 0;
}

static json_t *array_step(json_t *array, const char *token)
{
    size_t index = 0;
    size_t len = strlen(token);

    if (len == 0 || len > 9 || (len > 1 && token[0] == '0'))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (token[i] < '0' || token[i] > '9')
            return NULL;
        index = index * 10 + (size_t)(token[i] - '0');
    }
    return json_array_get(array, index);
}

json_t *jsonptr_get(json_t *root, const char *pointer)
{
    json_t *node = root;
    char *copy = NULL;
    char *token;
    char *next;

    if (pointer[0] == '\0')
        return root;
    if (pointer[0] != '/')
        return NULL;
    copy = xstrdup(pointer + 1);
    for (token = copy; node != NULL; token = next + 1) {
        next = strchr(token, '/');
        if (next != NULL)
            *next = '\0';
        if (token_unescape(token) != 0)
            node = NULL;
        else if (json_is_object(node))
            node = json_object_get(node, token);
        else if (json_is_array(node))
            node = array_step(node, token);
        else
            node = NULL;
        if (next == NULL)
            break;
    }
    free(copy);
    return node;
}
