/*
 * store_fs: the store in a local directory (file:///ABSOLUTE/DIR), the embedded
 * default. A key is a relative path under the root; every call works through one
 * root directory descriptor and the *at() calls, so keys resolve against the same
 * directory even if the process changes its working directory.
 *
 * Durability: a put writes ".tmp.PID.SEQ" in the key's directory, fsyncs it, renames
 * it over the key and fsyncs the directory; a directory made on the way is fsynced
 * into its parent. A move is a rename(2), and the target directory is fsynced.
 * Names starting with '.' are never keys (store.c refuses them), so listings pass over
 * temporary files, including ones a crash left behind.
 *
 * Directories emptied by del or move are removed (never the root), so listings do
 * not wade through dead branches. A put or move that loses its parent directory to
 * such a removal in another thread simply makes it again.
 *
 * Thread safety: the driver is read-only after open; the temp-name counter is atomic.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "store_backend.h"
#include "xmalloc.h"

/*
 * Rounds of "make the parent, then use it" before a vanishing parent is an
 * error. Each round loses only to a del that emptied and pruned the very same
 * directory in between, so rounds are cheap and many: a handler's put must not
 * fail because a drain is busy deleting beside it (8 were seen used up under
 * a sanitizer with eight threads).
 */
#define FS_PARENT_TRIES 1000
#define FS_READ_CHUNK 32768
/*
 * Modes are set with fchmod after each create, never left to the umask: a
 * handler and a drain running as two users of one group share the spool, and
 * each must read, rename and delete what the other made. Webhooks carry their
 * request headers, so others get nothing. Directories are setgid, so what is
 * made inside them belongs to the spool's group, not to the maker's own.
 */
#define FS_FILE_MODE 0660
#define FS_DIR_MODE 02770

struct fs_driver {
    char *root; /* absolute path, without a trailing '/' */
    int rootfd;
};

static atomic_ulong fs_tmp_seq;

/* Sets err from an errno value: what a retry cannot fix is permanent, the rest not. */
static void fs_error(struct error *err, int e, const char *what)
{
    char msg[128];
    enum error_code code;

    if (strerror_r(e, msg, sizeof(msg)) != 0)
        snprintf(msg, sizeof(msg), "errno %d", e);
    switch (e) {
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EXDEV:
        code = HS_ERR_PERMANENT;
        break;
    case ENAMETOOLONG:
        code = HS_ERR_INPUT;
        break;
    default: /* ENOSPC, EIO, EDQUOT, EMFILE, ENOMEM, ...: may pass */
        code = HS_ERR_TRANSIENT;
        break;
    }
    if (what != NULL)
        error_set(err, code, "store_fs", "%s: %s", what, msg);
    else
        error_set(err, code, "store_fs", "%s", msg);
}

static void not_found(struct error *err)
{
    error_set(err, HS_ERR_NOT_FOUND, "not_found", "no such object");
}

/*
 * Gives a directory this process just made FS_DIR_MODE. EPERM means another
 * user removed and made it again in between: its maker sets the mode.
 */
static int set_dir_mode(int fd)
{
    if (fchmod(fd, FS_DIR_MODE) < 0 && errno != EPERM)
        return -1;
    return 0;
}

static int fsync_dir(int dirfd, struct error *err)
{
    if (fsync(dirfd) == 0)
        return 0;
    fs_error(err, errno, "fsync of the directory");
    return -1;
}

/*
 * Opens the directory holding key (the root for a key without '/'); with create,
 * makes the missing directories on the way, each fsynced into its parent.
 * Returns the descriptor, or -1 with errno set (ENOENT: a directory on the way was
 * removed meanwhile) and err filled.
 */
static int open_parent(const struct fs_driver *d, const char *key, int create, struct error *err)
{
    char path[STORE_KEY_MAX + 1];
    const char *slash = strrchr(key, '/');
    size_t len = slash != NULL ? (size_t)(slash - key) : 0;
    const char *what = NULL;
    int fd = -1;
    int next = -1;
    int e = 0;
    char *seg;
    char *end;

    if (len == 0) {
        fd = fcntl(d->rootfd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            what = "dup";
        }
        goto out;
    }
    memcpy(path, key, len);
    path[len] = '\0';
    fd = openat(d->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 || errno != ENOENT || !create) {
        if (fd < 0) {
            e = errno;
            what = "open of the parent directory";
        }
        goto out;
    }
    /* Slow path: walk down from the root, making what is missing. */
    fd = fcntl(d->rootfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
        what = "dup";
        goto out;
    }
    for (seg = path; seg != NULL; seg = end) {
        int made = 0;

        end = strchr(seg, '/');
        if (end != NULL)
            *end++ = '\0';
        next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(fd, seg, FS_DIR_MODE) == 0) {
                made = 1;
            } else if (errno != EEXIST) {
                e = errno;
                what = "mkdir";
                goto out;
            }
            next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        if (next < 0) {
            e = errno;
            what = "open of the parent directory";
            goto out;
        }
        /* The new directory gets its mode before the parent's fsync makes it durable. */
        if (made && set_dir_mode(next) < 0) {
            e = errno;
            what = "chmod of the directory";
            close(next);
            goto out;
        }
        if (made && fsync(fd) < 0) {
            e = errno;
            what = "fsync of the directory";
            close(next);
            goto out;
        }
        close(fd);
        fd = next;
    }
out:
    if (e != 0) {
        fs_error(err, e, what);
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    errno = e;
    return fd;
}

/* Removes the now-empty directories above key, deepest first, never the root. */
static void prune_parents(const struct fs_driver *d, const char *key)
{
    char path[STORE_KEY_MAX + 1];
    char *slash;

    snprintf(path, sizeof(path), "%s", key);
    for (;;) {
        slash = strrchr(path, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        /* Fails with ENOTEMPTY as soon as a directory still holds anything. */
        if (unlinkat(d->rootfd, path, AT_REMOVEDIR) < 0)
            break;
    }
}

static const char *base_name(const char *key)
{
    const char *slash = strrchr(key, '/');

    return slash != NULL ? slash + 1 : key;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fs_put(void *driver, const char *key, const void *data, size_t len, struct error *err)
{
    const struct fs_driver *d = driver;
    char tmp[64];
    int dirfd = -1;
    int fd = -1;
    int tmp_made = 0;
    int tries;
    int e;
    int rc = -1;

    snprintf(tmp, sizeof(tmp), ".tmp.%ld.%lu", (long)getpid(),
             atomic_fetch_add(&fs_tmp_seq, 1) + 1);
    for (tries = 1;; tries++) {
        dirfd = open_parent(d, key, 1, err);
        e = errno;
        if (dirfd >= 0) {
            fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FS_FILE_MODE);
            if (fd >= 0)
                break;
            e = errno;
            fs_error(err, e, "create of the temporary file");
        }
        /* ENOENT here: a del in another thread removed the parent meanwhile. */
        if (e != ENOENT || tries == FS_PARENT_TRIES)
            goto out;
        if (dirfd >= 0)
            close(dirfd);
        dirfd = -1;
    }
    tmp_made = 1;
    if (fchmod(fd, FS_FILE_MODE) < 0) {
        fs_error(err, errno, "chmod of the temporary file");
        goto out;
    }
    if (write_all(fd, data, len) < 0) {
        fs_error(err, errno, "write");
        goto out;
    }
    if (fsync(fd) < 0) {
        fs_error(err, errno, "fsync");
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        fs_error(err, errno, "close");
        goto out;
    }
    fd = -1;
    if (renameat(dirfd, tmp, dirfd, base_name(key)) < 0) {
        fs_error(err, errno, "rename into place");
        goto out;
    }
    tmp_made = 0;
    if (fsync_dir(dirfd, err) < 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        unlinkat(dirfd, tmp, 0);
    if (dirfd >= 0)
        close(dirfd);
    return rc;
}

static void too_large(struct error *err, size_t max)
{
    error_set(err, HS_ERR_TOO_LARGE, "too_large", "object is larger than the cap of %zu bytes",
              max);
}

static int fs_get(void *driver, const char *key, struct buf *out, struct error *err)
{
    const struct fs_driver *d = driver;
    char chunk[FS_READ_CHUNK];
    struct stat st;
    int fd = -1;
    int rc = -1;
    ssize_t n;

    fd = openat(d->rootfd, key, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            not_found(err);
        else
            fs_error(err, errno, "open");
        goto out;
    }
    if (fstat(fd, &st) < 0) {
        fs_error(err, errno, "stat");
        goto out;
    }
    /* A directory is where keys live, not an object, as on S3. */
    if (!S_ISREG(st.st_mode)) {
        not_found(err);
        goto out;
    }
    if ((unsigned long long)st.st_size > out->max) {
        too_large(err, out->max);
        goto out;
    }
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fs_error(err, errno, "read");
            goto out;
        }
        if (n == 0)
            break;
        if (buf_append(out, chunk, (size_t)n) < 0) {
            too_large(err, out->max); /* it grew since the fstat */
            goto out;
        }
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fs_exists(void *driver, const char *key, struct error *err)
{
    const struct fs_driver *d = driver;
    struct stat st;

    if (fstatat(d->rootfd, key, &st, 0) == 0)
        return S_ISREG(st.st_mode) ? 1 : 0;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0;
    fs_error(err, errno, "stat");
    return -1;
}

static int fs_del(void *driver, const char *key, struct error *err)
{
    const struct fs_driver *d = driver;

    if (unlinkat(d->rootfd, key, 0) < 0) {
        /* EISDIR: a directory sits where the key would be, so no object does. */
        if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR) {
            fs_error(err, errno, "unlink");
            return -1;
        }
        return 0;
    }
    prune_parents(d, key);
    return 0;
}

static int fs_move(void *driver, const char *from, const char *to, struct error *err)
{
    const struct fs_driver *d = driver;
    struct stat st;
    int dirfd = -1;
    int tries;
    int e;
    int rc = -1;

    for (tries = 1;; tries++) {
        /* rename(2) would move a whole directory too: only an object may go. */
        if (fstatat(d->rootfd, from, &st, 0) < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                not_found(err);
            else
                fs_error(err, errno, "stat");
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            not_found(err);
            goto out;
        }
        dirfd = open_parent(d, to, 1, err);
        e = errno;
        if (dirfd >= 0) {
            if (renameat(d->rootfd, from, dirfd, base_name(to)) == 0)
                break;
            e = errno;
            fs_error(err, e, "rename");
        }
        /* ENOENT: from went (looked at again above) or a del in another thread removed
         * the target directory; either way, look again. */
        if (e != ENOENT || tries == FS_PARENT_TRIES)
            goto out;
        if (dirfd >= 0)
            close(dirfd);
        dirfd = -1;
    }
    if (fsync_dir(dirfd, err) < 0)
        goto out;
    prune_parents(d, from);
    rc = 0;
out:
    if (dirfd >= 0)
        close(dirfd);
    return rc;
}

/*
 * A listing walks the tree depth first, each directory's entries sorted by name, a
 * directory's name taken as name + "/": then keys come out in byte order ("a.c" <
 * "a/b" because '.' < '/'). Subtrees that cannot hold a key in range are never
 * opened, and the walk stops once it holds the limit store.c asked for.
 */
struct fs_list {
    const struct fs_driver *d;
    const char *prefix;
    size_t prefix_len;
    const char *after; /* NULL: from the start */
    size_t want;       /* the limit store.c asked for */
    char **keys;
    size_t n;
    size_t alloc;
    char path[STORE_KEY_MAX + 2]; /* the directory being read, "" or "a/b/", then a name */
};

static int starts_with(const char *s, const char *prefix, size_t prefix_len)
{
    return strncmp(s, prefix, prefix_len) == 0;
}

/* Whether the entry now in l->path (a key, or a directory ending in '/') is wanted. */
static int list_wanted(const struct fs_list *l, int is_dir)
{
    const char *full = l->path;
    size_t full_len = strlen(full);

    if (!is_dir)
        return starts_with(full, l->prefix, l->prefix_len) &&
               (l->after == NULL || strcmp(full, l->after) > 0);
    /* Every key below starts with full: the subtree meets the prefix when one of the
     * two starts with the other, and holds keys after start_after unless full sorts
     * before it and is not a start of it. */
    if (!starts_with(full, l->prefix, l->prefix_len) && !starts_with(l->prefix, full, full_len))
        return 0;
    return l->after == NULL || strcmp(full, l->after) > 0 ||
           starts_with(l->after, full, full_len);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_add(struct fs_list *l)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc != 0 ? l->alloc * 2 : 64;
        l->keys = xrealloc(l->keys, l->alloc * sizeof(*l->keys));
    }
    l->keys[l->n++] = xstrdup(l->path);
}

/*
 * The smallest cap names of one directory read, as a max-heap: a directory of a
 * million entries costs cap names of memory, not a million.
 */
struct name_heap {
    char **v;
    size_t n;
    size_t alloc;
    size_t cap;
    size_t dropped; /* wanted names that did not fit */
};

static void heap_swap(struct name_heap *h, size_t i, size_t j)
{
    char *t = h->v[i];

    h->v[i] = h->v[j];
    h->v[j] = t;
}

static void heap_offer(struct name_heap *h, const char *name)
{
    size_t i;

    if (h->n == h->cap) {
        h->dropped++;
        if (strcmp(name, h->v[0]) >= 0)
            return;
        free(h->v[0]);
        h->v[0] = xstrdup(name);
        for (i = 0;;) { /* sift down */
            size_t big = i;
            size_t c;

            for (c = 2 * i + 1; c <= 2 * i + 2 && c < h->n; c++)
                if (strcmp(h->v[c], h->v[big]) > 0)
                    big = c;
            if (big == i)
                break;
            heap_swap(h, i, big);
            i = big;
        }
        return;
    }
    if (h->n == h->alloc) {
        h->alloc = h->alloc != 0 ? h->alloc * 2 : 64;
        h->v = xrealloc(h->v, h->alloc * sizeof(*h->v));
    }
    h->v[h->n] = xstrdup(name);
    for (i = h->n++; i > 0 && strcmp(h->v[i], h->v[(i - 1) / 2]) > 0; i = (i - 1) / 2)
        heap_swap(h, i, (i - 1) / 2);
}

static void heap_clear(struct name_heap *h)
{
    size_t i;

    for (i = 0; i < h->n; i++)
        free(h->v[i]);
    h->n = 0;
    h->dropped = 0;
}

/*
 * Reads dir once into h: the wanted entries that sort after floor (NULL: all), each
 * as its name, or name + "/" for a directory.
 */
static int read_names(struct fs_list *l, DIR *dir, size_t path_len, const char *floor,
                      struct name_heap *h, struct error *err)
{
    struct dirent *ent;
    struct stat st;

    rewinddir(dir);
    for (;;) {
        size_t name_len;
        int is_dir;

        errno = 0;
        ent = readdir(dir);
        if (ent == NULL)
            break;
        /* Temporary files, "." and "..", and whatever was not written through the store. */
        if (!store_key_valid(ent->d_name))
            continue;
        if (ent->d_type == DT_DIR) {
            is_dir = 1;
        } else if (ent->d_type == DT_REG) {
            is_dir = 0;
        } else {
            if (fstatat(dirfd(dir), ent->d_name, &st, 0) < 0)
                continue; /* removed meanwhile */
            if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
                continue;
            is_dir = S_ISDIR(st.st_mode);
        }
        name_len = strlen(ent->d_name);
        if (path_len + name_len + (size_t)is_dir > STORE_KEY_MAX)
            continue;
        memcpy(l->path + path_len, ent->d_name, name_len);
        if (is_dir)
            l->path[path_len + name_len++] = '/';
        l->path[path_len + name_len] = '\0';
        if (floor != NULL && strcmp(l->path + path_len, floor) <= 0)
            continue;
        if (list_wanted(l, is_dir))
            heap_offer(h, l->path + path_len);
    }
    if (errno != 0) {
        fs_error(err, errno, "readdir");
        return -1;
    }
    return 0;
}

static int list_dir(struct fs_list *l, size_t path_len, struct error *err)
{
    struct name_heap h = {NULL, 0, 0, 0, 0};
    char *floor = NULL;
    DIR *dir = NULL;
    int fd = -1;
    size_t i;
    int rc = -1;

    fd = openat(l->d->rootfd, path_len != 0 ? l->path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        /* Gone since its parent was read (a del pruned it): it holds nothing. */
        if (errno == ENOENT || errno == ENOTDIR)
            rc = 0;
        else
            fs_error(err, errno, "open of a directory");
        goto out;
    }
    dir = fdopendir(fd);
    if (dir == NULL) {
        fs_error(err, errno, "fdopendir");
        goto out;
    }
    fd = -1; /* dir owns it */
    /* Each round takes the smallest names still needed; an empty subdirectory can
     * leave the page short, and then the next round reads on from the last name. */
    for (;;) {
        h.cap = l->want - l->n;
        if (read_names(l, dir, path_len, floor, &h, err) < 0)
            goto out;
        if (h.n > 1)
            qsort(h.v, h.n, sizeof(*h.v), compare_names);
        for (i = 0; i < h.n && l->n < l->want; i++) {
            size_t name_len = strlen(h.v[i]);

            memcpy(l->path + path_len, h.v[i], name_len + 1);
            if (h.v[i][name_len - 1] == '/') {
                if (list_dir(l, path_len + name_len, err) < 0)
                    goto out;
            } else {
                list_add(l);
            }
        }
        if (l->n == l->want || h.dropped == 0)
            break;
        free(floor);
        floor = xstrdup(h.v[h.n - 1]);
        heap_clear(&h);
    }
    rc = 0;
out:
    heap_clear(&h);
    free(h.v);
    free(floor);
    if (dir != NULL)
        closedir(dir);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fs_list(void *driver, const char *prefix, const char *start_after, size_t limit,
                   struct store_page *page, struct error *err)
{
    struct fs_list l;
    const char *slash = strrchr(prefix, '/');
    size_t base_len = slash != NULL ? (size_t)(slash - prefix) + 1 : 0;
    size_t i;
    int rc = -1;

    memset(&l, 0, sizeof(l));
    l.d = driver;
    l.prefix = prefix;
    l.prefix_len = strlen(prefix);
    l.after = start_after;
    l.want = limit;
    /* Start in the deepest directory the prefix names whole: "pending/gi" -> "pending/". */
    memcpy(l.path, prefix, base_len);
    l.path[base_len] = '\0';
    if (list_dir(&l, base_len, err) < 0)
        goto out;
    page->keys = l.keys;
    page->n = l.n;
    l.keys = NULL;
    l.n = 0;
    rc = 0;
out:
    for (i = 0; i < l.n; i++)
        free(l.keys[i]);
    free(l.keys);
    return rc;
}

static void fs_close(void *driver)
{
    struct fs_driver *d = driver;

    if (d == NULL)
        return;
    if (d->rootfd >= 0)
        close(d->rootfd);
    free(d->root);
    free(d);
}

static const struct store_ops fs_ops = {
    .name = "fs",
    .features = 0,
    .put = fs_put,
    .get = fs_get,
    .exists = fs_exists,
    .del = fs_del,
    .move = fs_move,
    .copy = NULL,
    .list = fs_list,
    .close = fs_close,
};

/* mkdir -p of an absolute path; an existing directory is fine. */
static int make_root(char *path, struct error *err)
{
    char *p;

    for (p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        if (p[-1] != '/') {
            char saved = *p;

            *p = '\0';
            if (mkdir(path, FS_DIR_MODE) == 0) {
                /* Made here, so ours to give the spool's mode (see FS_DIR_MODE). */
                if (chmod(path, FS_DIR_MODE) < 0) {
                    fs_error(err, errno, NULL);
                    error_prefix(err, "store.url: cannot chmod '%s'", path);
                    *p = saved;
                    return -1;
                }
            } else if (errno != EEXIST) {
                fs_error(err, errno, NULL);
                error_prefix(err, "store.url: cannot make '%s'", path);
                *p = saved;
                return -1;
            }
            *p = saved;
        }
        if (*p == '\0')
            return 0;
    }
}

int store_fs_open(const char *url, const struct store_config *cfg, struct store_backend *out,
                  struct error *err)
{
    struct fs_driver *d = NULL;
    const char *path = url + strlen("file://");
    size_t len;
    int rc = -1;

    (void)cfg; /* a local directory needs neither credentials nor a timeout */
    if (path[0] != '/') {
        error_set(err, HS_ERR_CONFIG, "bad_store_url",
                  "store.url: a file URL needs an absolute directory: file:///DIR");
        goto out;
    }
    d = xcalloc(1, sizeof(*d));
    d->rootfd = -1;
    d->root = xstrdup(path);
    len = strlen(d->root);
    while (len > 1 && d->root[len - 1] == '/')
        d->root[--len] = '\0';
    if (make_root(d->root, err) < 0)
        goto out;
    d->rootfd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->rootfd < 0) {
        fs_error(err, errno, NULL);
        error_prefix(err, "store.url: cannot open '%s'", d->root);
        goto out;
    }
    out->ops = &fs_ops;
    out->driver = d;
    out->description = xasprintf("file://%s", d->root);
    d = NULL;
    rc = 0;
out:
    fs_close(d);
    return rc;
}
