/* walk.c: iterative directory walker over openat/getdents64 with bounded fds and (dev, ino) dedupe. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pseudo_fs.h"
#include "keysweep.h"

const char *ks_skip_name(ks_skip_reason r)
{
    static const char *const names[KS_SKIP_N] = {"special", "symlink", "excluded", "hardlink",
                                                 "too_large", "loop", "outside_root", "pseudo-fs",
                                                 "other-fs", "vanished"};
    return r < KS_SKIP_N ? names[r] : "?";
}

/* ---- (dev, ino) set: open addressing, grows by doubling ---- */
typedef struct devino {
    dev_t dev;
    ino_t ino;
} devino;
typedef struct devino_set {
    devino *slots;
    unsigned char *used;
    size_t cap, n;
} devino_set;

static size_t di_hash(dev_t d, ino_t i, size_t cap)
{
    uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ULL ^ (uint64_t)d * 0xc2b2ae3d27d4eb4fULL;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* Returns 1 if added, 0 if already present, -1 on allocation failure. */
static int di_add(devino_set *s, dev_t d, ino_t i)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        devino *slots = calloc(cap, sizeof *slots);
        unsigned char *used = calloc(cap, 1);
        if (!slots || !used) {
            free(slots);
            free(used);
            return -1;
        }
        for (size_t k = 0; k < s->cap; k++) {
            if (!s->used[k])
                continue;
            size_t h = di_hash(s->slots[k].dev, s->slots[k].ino, cap);
            while (used[h])
                h = (h + 1) & (cap - 1);
            used[h] = 1;
            slots[h] = s->slots[k];
        }
        free(s->slots);
        free(s->used);
        s->slots = slots;
        s->used = used;
        s->cap = cap;
    }
    size_t h = di_hash(d, i, s->cap);
    while (s->used[h]) {
        if (s->slots[h].dev == d && s->slots[h].ino == i)
            return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->used[h] = 1;
    s->slots[h] = (devino){d, i};
    s->n++;
    return 1;
}

/* ---- growable path ---- */
typedef struct pathbuf {
    char *s;
    size_t len, cap;
} pathbuf;

static int path_push(pathbuf *p, const char *name)
{
    size_t nl = strlen(name), need = p->len + 1 + nl + 1;
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < need)
            cap *= 2;
        char *s = realloc(p->s, cap);
        if (!s)
            return -1;
        p->s = s;
        p->cap = cap;
    }
    if (p->len && p->s[p->len - 1] != '/')
        p->s[p->len++] = '/';
    memcpy(p->s + p->len, name, nl + 1);
    p->len += nl;
    return 0;
}

/* ---- one directory level: its fd (or -1 once closed to respect the cap) and subdirs to visit ---- */
typedef struct frame {
    int fd;
    dev_t dev;
    ino_t ino;
    size_t path_len;      /* length of the path naming this directory */
    char **subdirs;       /* names still to visit */
    unsigned char *via_link;
    size_t n, cap, next;
    int entered_via_link;
} frame;

typedef struct walker {
    const ks_walk_opts *o;
    const ks_walk_ops *ops;
    void *ctx;
    pathbuf path;
    devino_set dirs, hardlinks;
    frame *stack;
    size_t depth, stack_cap;
    size_t open_dirs;
    char *root_real; /* the root's resolved path, with --follow */
    dev_t root_dev;
    ks_pseudo_fs_cache pseudo;
    unsigned char *dents; /* getdents64 buffer: one directory is listed at a time */
} walker;

static int excluded(const walker *w, const char *name)
{
    if (!w->o->excludes)
        return 0;
    for (const char *const *g = w->o->excludes; *g; g++)
        if (fnmatch(*g, name, 0) == 0 || fnmatch(*g, w->path.s, 0) == 0)
            return 1;
    return 0;
}

static int frame_add_subdir(frame *f, const char *name, int via_link)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        char **s = realloc(f->subdirs, cap * sizeof *s);
        if (!s)
            return -1;
        f->subdirs = s;
        unsigned char *v = realloc(f->via_link, cap);
        if (!v)
            return -1;
        f->via_link = v;
        f->cap = cap;
    }
    if (!(f->subdirs[f->n] = strdup(name)))
        return -1;
    f->via_link[f->n++] = (unsigned char)via_link;
    return 0;
}

static void frame_free(walker *w, frame *f)
{
    for (size_t i = f->next; i < f->n; i++)
        free(f->subdirs[i]);
    free(f->subdirs);
    free(f->via_link);
    if (f->fd >= 0) {
        close(f->fd);
        w->open_dirs--;
    }
}

static const int FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

/* Out of descriptors is a wait, not an error: files in flight close as the scan moves on. */
static int openat_patient(int dirfd, const char *name, int flags)
{
    for (int tries = 0;; tries++) {
        int fd = openat(dirfd, name, flags);
        if (fd >= 0 || (errno != EMFILE && errno != ENFILE) || tries == 2000)
            return fd;
        usleep(1000);
    }
}

static int open_file(int dirfd, const char *name, int nofollow)
{
    int flags = nofollow ? FILE_FLAGS : (FILE_FLAGS & ~O_NOFOLLOW);
    /* O_NOATIME leaves atime alone, but only the owner (or CAP_FOWNER) may ask for it. */
    int fd = openat_patient(dirfd, name, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = openat_patient(dirfd, name, flags);
    return fd;
}

/* --follow never leaves the root: a link whose target resolves outside it is not followed. */
static int outside_root(const walker *w)
{
    if (!w->root_real)
        return 0;
    char *real = realpath(w->path.s, NULL);
    if (!real)
        return 1;
    size_t n = strlen(w->root_real);
    int inside = strncmp(real, w->root_real, n) == 0 && (real[n] == '/' || real[n] == '\0' || n == 1);
    free(real);
    return !inside;
}

/* Opens and hands over one regular file; everything else is skipped without being read. */
static int visit_file(walker *w, int dirfd, const char *name, int nofollow, int explicit_root)
{
    int fd = open_file(dirfd, name, nofollow);
    if (fd < 0) {
        if (errno == ELOOP) { /* raced into a symlink after listing */
            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_SYMLINK, explicit_root);
            return 0;
        }
        if (errno == ENXIO) { /* a socket or a FIFO without writer */
            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_SPECIAL, explicit_root);
            return 0;
        }
        if (errno == ENOENT && !explicit_root) { /* deleted since it was listed: nothing is lost */
            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_VANISHED, 0);
            return 0;
        }
        w->ops->on_error(w->ctx, w->path.s, errno, "open");
        return 0;
    }
    struct stat st;
    int rc = 0;
    int handed_over = 0;
    if (fstat(fd, &st)) {
        w->ops->on_error(w->ctx, w->path.s, errno, "stat");
    } else if (!S_ISREG(st.st_mode)) {
        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_SPECIAL, explicit_root);
    } else if (w->o->max_file_size && (uint64_t)st.st_size > w->o->max_file_size) {
        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_TOO_LARGE, explicit_root);
    } else if (st.st_nlink > 1 && di_add(&w->hardlinks, st.st_dev, st.st_ino) == 0) {
        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_HARDLINK, explicit_root);
    } else {
        /* O_NONBLOCK has no effect on regular files; reads stay ordinary */
        rc = w->ops->on_file(w->ctx, fd, w->path.s, &st);
        handed_over = 1;
    }
    if (!handed_over)
        close(fd);
    return rc;
}

static int push_frame(walker *w, int fd, const struct stat *st, int via_link)
{
    if (w->depth == w->stack_cap) {
        size_t cap = w->stack_cap ? w->stack_cap * 2 : 64;
        frame *s = realloc(w->stack, cap * sizeof *s);
        if (!s)
            return -1;
        w->stack = s;
        w->stack_cap = cap;
    }
    frame *f = &w->stack[w->depth++];
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->path_len = w->path.len;
    f->entered_via_link = via_link;
    w->open_dirs++;
    return 0;
}

#define DENTS_BUF (64 * 1024)

/* Next entry of the directory being listed, or NULL at its end or on error (reported). getdents64
 * on the frame's own fd, which is listed once: readdir would need a dup'd fd and a DIR per
 * directory, three more system calls each. */
static struct dirent64 *next_entry(walker *w, int fd, size_t *pos, size_t *len)
{
    if (*pos >= *len) {
        ssize_t n;
        do
            n = getdents64(fd, w->dents, DENTS_BUF);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            if (n < 0)
                w->ops->on_error(w->ctx, w->path.s, errno, "read directory");
            return NULL;
        }
        *pos = 0;
        *len = (size_t)n;
    }
    struct dirent64 *de = (struct dirent64 *)(w->dents + *pos);
    *pos += de->d_reclen;
    return de;
}

/* Lists the directory on top of the stack: files are visited at once, subdirectories queued. */
/* The directory just listed holds HEAD and the subdirectories objects/ and refs/: a git directory. Its
 * caller is told, and objects/ is not walked (its packs and loose objects are compressed: what they
 * hold is the history, which the caller reads as such); the rest of it is walked as usual. */
static int git_dir_found(walker *w, frame *f)
{
    size_t objects = f->n, refs = f->n;
    for (size_t i = f->next; i < f->n; i++) {
        if (strcmp(f->subdirs[i], "objects") == 0)
            objects = i;
        else if (strcmp(f->subdirs[i], "refs") == 0)
            refs = i;
    }
    if (objects == f->n || refs == f->n)
        return 0;
    free(f->subdirs[objects]);
    f->subdirs[objects] = f->subdirs[f->n - 1];
    f->via_link[objects] = f->via_link[f->n - 1];
    f->n--;
    return w->ops->on_git_dir(w->ctx, w->path.s);
}

static int list_dir(walker *w)
{
    frame *f = &w->stack[w->depth - 1];
    int dfd = f->fd;
    if (!w->dents && !(w->dents = malloc(DENTS_BUF))) {
        w->ops->on_error(w->ctx, w->path.s, ENOMEM, "read directory");
        return 0;
    }
    struct dirent64 *de;
    size_t pos = 0, len = 0;
    int rc = 0, head = 0;
    while ((de = next_entry(w, dfd, &pos, &len))) {
        const char *name = de->d_name;
        if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
            continue;
        head |= strcmp(name, "HEAD") == 0;
        f = &w->stack[w->depth - 1];
        size_t saved = w->path.len;
        if (path_push(&w->path, name)) {
            w->ops->on_error(w->ctx, w->path.s, ENOMEM, "walk");
            rc = 0;
            break;
        }
        unsigned char type = de->d_type;
        if (excluded(w, name)) {
            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_EXCLUDED, 0);
        } else {
            int via_link = 0;
            if (type == DT_UNKNOWN || type == DT_LNK) {
                struct stat st;
                int flags = AT_SYMLINK_NOFOLLOW;
                if (fstatat(f->fd, name, &st, flags)) {
                    if (errno == ENOENT)
                        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_VANISHED, 0);
                    else
                        w->ops->on_error(w->ctx, w->path.s, errno, "stat");
                    goto next;
                }
                if (S_ISLNK(st.st_mode)) {
                    if (!w->o->follow_symlinks) {
                        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_SYMLINK, 0);
                        goto next;
                    }
                    if (fstatat(f->fd, name, &st, 0)) {
                        if (errno == ELOOP)
                            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_LOOP, 0);
                        else
                            w->ops->on_error(w->ctx, w->path.s, errno, "follow symlink");
                        goto next;
                    }
                    /* a link to a device or FIFO is skipped as special, wherever it points */
                    if ((S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) && outside_root(w)) {
                        w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_OUTSIDE, 0);
                        goto next;
                    }
                    via_link = 1;
                }
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_FIFO;
            }
            if ((type == DT_DIR || type == DT_REG) && w->o->is_ignored &&
                w->o->is_ignored(w->o->ignore_ctx, w->path.s, name, type == DT_DIR)) {
                w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_EXCLUDED, 0);
            } else if (type == DT_DIR) {
                if (frame_add_subdir(f, name, via_link))
                    w->ops->on_error(w->ctx, w->path.s, ENOMEM, "walk");
            } else if (type == DT_REG) {
                rc = visit_file(w, f->fd, name, !via_link, 0);
                /* a submodule's or linked worktree's work tree: its .git file points to the history */
                if (!rc && w->ops->on_git_dir && strcmp(name, ".git") == 0)
                    rc = w->ops->on_git_dir(w->ctx, w->path.s);
            } else {
                /* FIFOs, sockets and devices are never opened: opening a FIFO can block forever. */
                w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_SPECIAL, 0);
            }
        }
    next:
        w->path.len = saved;
        w->path.s[saved] = '\0';
        if (rc)
            break;
    }
    if (!rc && head && w->ops->on_git_dir)
        rc = git_dir_found(w, &w->stack[w->depth - 1]);
    return rc;
}

/* A directory on another device than its parent's is a mount point: returns the reason to skip
 * it (fd: any descriptor of it, O_PATH included), or -1 to enter it. */
static int mount_skip(walker *w, int fd, dev_t dev)
{
    if (ks_pseudo_fs_name(fd, dev, &w->pseudo))
        return KS_SKIP_PSEUDO_FS;
    return w->o->one_file_system && dev != w->root_dev ? KS_SKIP_OTHER_FS : -1;
}

/* Opens subdirectory `name` of f to enter it: returns its descriptor with *st filled, or -1 when it
 * is skipped or cannot be opened (reported either way). A mount point is judged before it is
 * opened, through a stat without automount and an O_PATH descriptor, so an autofs trigger never
 * fires and a pseudo file system is never listed. */
static int open_subdir(walker *w, frame *f, const char *name, int via_link, struct stat *st)
{
    struct stat pre;
    int skip = -1;
    if (fstatat(f->fd, name, &pre, AT_NO_AUTOMOUNT | (via_link ? 0 : AT_SYMLINK_NOFOLLOW)) == 0) {
        if (pre.st_dev != f->dev) {
            int pfd = openat(f->fd, name, O_PATH | O_CLOEXEC | (via_link ? 0 : O_NOFOLLOW));
            if (pfd >= 0) {
                skip = mount_skip(w, pfd, pre.st_dev);
                close(pfd);
            }
        }
    } else {
        pre.st_dev = f->dev; /* unknown: the open below tells */
    }
    int fd = skip >= 0 ? -1
                       : openat_patient(f->fd, name,
                                        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | (via_link ? 0 : O_NOFOLLOW));
    if (fd < 0 && skip < 0) {
        if (errno != ENOENT) {
            w->ops->on_error(w->ctx, w->path.s, errno, "open directory");
            return -1;
        }
        skip = KS_SKIP_VANISHED; /* deleted since it was listed */
    }
    if (fd >= 0 && fstat(fd, st)) {
        w->ops->on_error(w->ctx, w->path.s, errno, "open directory");
        close(fd);
        return -1;
    }
    /* something was mounted there since the stat: judge what was opened */
    if (fd >= 0 && st->st_dev != pre.st_dev && st->st_dev != f->dev)
        skip = mount_skip(w, fd, st->st_dev);
    if (skip >= 0) {
        if (fd >= 0)
            close(fd);
        w->ops->on_skip(w->ctx, w->path.s, (ks_skip_reason)skip, 0);
        return -1;
    }
    return fd;
}

/* Re-opens a directory whose fd was closed to respect the cap, through its child's "..". */
static int reopen_parent(walker *w, frame *parent, int child_fd)
{
    int fd = openat(child_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || st.st_dev != parent->dev || st.st_ino != parent->ino) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    parent->fd = fd;
    w->open_dirs++;
    return 0;
}

static int walk_tree(walker *w)
{
    int rc = list_dir(w);
    while (!rc && w->depth) {
        frame *f = &w->stack[w->depth - 1];
        if (f->next == f->n) { /* this level is done: pop */
            int child_fd = f->fd;
            int via_link = f->entered_via_link;
            f->fd = -1;
            frame_free(w, f);
            w->depth--;
            if (!w->depth) {
                if (child_fd >= 0) {
                    close(child_fd);
                    w->open_dirs--;
                }
                break;
            }
            frame *p = &w->stack[w->depth - 1];
            w->path.len = p->path_len;
            w->path.s[p->path_len] = '\0';
            if (p->fd < 0 && (via_link || child_fd < 0 || reopen_parent(w, p, child_fd))) {
                w->ops->on_error(w->ctx, w->path.s, ESTALE, "return to directory (it moved during the scan)");
                p->next = p->n; /* cannot continue this directory safely */
            }
            if (child_fd >= 0) {
                close(child_fd);
                w->open_dirs--;
            }
            continue;
        }
        size_t i = f->next++;
        char *name = f->subdirs[i];
        int via_link = f->via_link[i];
        if (path_push(&w->path, name)) {
            free(name);
            continue;
        }
        struct stat st;
        int fd = open_subdir(w, f, name, via_link, &st);
        free(name);
        if (fd < 0) {
            /* skipped or reported */
        } else if (w->o->follow_symlinks && di_add(&w->dirs, st.st_dev, st.st_ino) == 0) {
            w->ops->on_skip(w->ctx, w->path.s, KS_SKIP_LOOP, 0);
            close(fd);
        } else {
            size_t cap = w->o->max_open_dirs ? w->o->max_open_dirs : 64;
            /* Keep fds bounded on deep trees: the parent is found again through "..". */
            if (w->open_dirs + 1 > cap && !via_link) {
                close(f->fd);
                f->fd = -1;
                w->open_dirs--;
            }
            if (push_frame(w, fd, &st, via_link)) {
                close(fd);
                w->ops->on_error(w->ctx, w->path.s, ENOMEM, "walk");
            } else {
                rc = list_dir(w);
                continue;
            }
        }
        w->path.len = f->path_len;
        w->path.s[f->path_len] = '\0';
    }
    return rc;
}

static void no_skip(void *ctx, const char *path, ks_skip_reason why, int explicit_root) {}
static void no_error(void *ctx, const char *path, int err, const char *what) {}

int ks_walk(const char *root, const ks_walk_opts *opts, const ks_walk_ops *given, void *ctx)
{
    if (!root || !given || !given->on_file)
        return KS_EINVAL;
    /* Callers built against fewer fields pass a smaller size: the rest keep their defaults. */
    ks_walk_opts o = {0};
    if (opts)
        memcpy(&o, opts, opts->size && opts->size < sizeof o ? opts->size : sizeof o);
    ks_walk_ops ops_full = {0};
    memcpy(&ops_full, given, given->size && given->size < sizeof ops_full ? given->size : sizeof ops_full);
    if (!ops_full.on_skip)
        ops_full.on_skip = no_skip;
    if (!ops_full.on_error)
        ops_full.on_error = no_error;
    const ks_walk_ops *ops = &ops_full;
    walker w;
    memset(&w, 0, sizeof w);
    w.o = &o;
    w.ops = ops;
    w.ctx = ctx;
    if (path_push(&w.path, root)) {
        ops->on_error(ctx, root, ENOMEM, "walk");
        return 0;
    }
    int rc = 0;
    /* A root named on the command line is followed even if it is a symlink (like find -H). */
    int fd = open(root, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        if (errno == ENXIO)
            ops->on_skip(ctx, root, KS_SKIP_SPECIAL, 1);
        else
            ops->on_error(ctx, root, errno, "open");
    } else if (fstat(fd, &st)) {
        ops->on_error(ctx, root, errno, "stat");
        close(fd);
    } else if (S_ISDIR(st.st_mode)) {
        w.root_dev = st.st_dev;
        if (w.o->follow_symlinks) {
            di_add(&w.dirs, st.st_dev, st.st_ino);
            w.root_real = realpath(root, NULL);
        }
        if (push_frame(&w, fd, &st, 0)) {
            close(fd);
            ops->on_error(ctx, root, ENOMEM, "walk");
        } else {
            rc = walk_tree(&w);
            while (w.depth)
                frame_free(&w, &w.stack[--w.depth]);
        }
    } else {
        close(fd);
        /* Re-open as a file, with the file flags (fstat decides; FIFOs were opened O_NONBLOCK). */
        rc = S_ISREG(st.st_mode) ? visit_file(&w, AT_FDCWD, root, 0, 1)
                                 : (ops->on_skip(ctx, root, KS_SKIP_SPECIAL, 1), 0);
    }
    free(w.path.s);
    free(w.dents);
    free(w.root_real);
    ks_pseudo_fs_cache_free(&w.pseudo);
    free(w.stack);
    free(w.dirs.slots);
    free(w.dirs.used);
    free(w.hardlinks.slots);
    free(w.hardlinks.used);
    return rc;
}
