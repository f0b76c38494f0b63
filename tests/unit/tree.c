/* tree: removing temporary directory trees in unit tests (see tree.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"
#include "tree.h"

void tree_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char *sub;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        sub = xasprintf("%s/%s", path, e->d_name);
        tree_remove(sub);
        free(sub);
    }
    closedir(d);
}

void tree_remove(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        assert_int_equal(unlink(path), 0);
        return;
    }
    tree_empty(path);
    assert_int_equal(rmdir(path), 0);
}
