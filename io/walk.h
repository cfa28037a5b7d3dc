/* walk.h: the directory walker: directory fds instead of rebuilt paths, no recursion, bounded fds, special files never opened for reading. */
#ifndef KS_WALK_H
#define KS_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef enum ks_skip_reason {
    KS_SKIP_SPECIAL,   /* FIFO, socket, device: never read */
    KS_SKIP_SYMLINK,   /* not followed (no --follow) */
    KS_SKIP_EXCLUDED,  /* matched an --exclude glob */
    KS_SKIP_HARDLINK,  /* content already scanned through another link */
    KS_SKIP_TOO_LARGE, /* over --max-file-size */
    KS_SKIP_LOOP,      /* directory already visited (--follow) */
    KS_SKIP_OUTSIDE,   /* symlink leading outside the root (--follow) */
    KS_SKIP_PSEUDO_FS, /* a mount of a pseudo file system (proc, sysfs...: pseudo_fs.c) below a root */
    KS_SKIP_OTHER_FS,  /* a mount of another file system below a root (one_file_system) */
    KS_SKIP_VANISHED,  /* listed, then gone before it could be opened */
    KS_SKIP_N
} ks_skip_reason;

const char *ks_skip_name(ks_skip_reason r);

typedef struct ks_walk_opts {
    int follow_symlinks;
    int one_file_system;       /* do not enter directories on another device than their root's */
    uint64_t max_file_size;    /* 0: no limit */
    const char *const *excludes; /* NULL-terminated globs matched against the name and the path */
    size_t max_open_dirs;      /* directory fds kept open along the current path (default 64) */
    /* Optional: richer exclusion than globs (ignore files). Asked for each regular file and directory
     * found under a root, once its type is known; non-zero skips it as KS_SKIP_EXCLUDED. */
    int (*is_ignored)(void *ignore_ctx, const char *path, const char *name, int is_dir);
    void *ignore_ctx;
} ks_walk_opts;

typedef struct ks_walk_ops {
    /* A regular file opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK; the callee owns fd and must close it.
     * Return 0 to go on, non-zero to stop the walk (ks_walk then returns that value). */
    int (*on_file)(void *ctx, int fd, const char *path, const struct stat *st);
    void (*on_skip)(void *ctx, const char *path, ks_skip_reason why, int explicit_root);
    /* err is a positive errno value; `what` names the failed step ("open", "read directory"...). */
    void (*on_error)(void *ctx, const char *path, int err, const char *what);
} ks_walk_ops;

/* Walks one root (a directory, a regular file, or anything else, which is skipped). A root is
 * always walked, whatever file system it lies on; below it, mounts of pseudo file systems are
 * skipped, without being entered or triggering an automount. Returns 0, or the non-zero value an
 * on_file call returned to stop the walk. */
int ks_walk(const char *root, const ks_walk_opts *opts, const ks_walk_ops *ops, void *ctx);

#endif
