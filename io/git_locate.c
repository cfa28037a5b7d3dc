/* git_locate.c: a path resolved to the git directory and object store it stands for; nothing is read but HEAD's
 * existence and the small pointer files (.git, commondir), so a file named .git that is not a pointer costs little. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "git_locate.h"

#define POINTER_MAX 4096 /* a .git or commondir file: one path */

static int is_file(int dfd, const char *name)
{
    struct stat st;
    return fstatat(dfd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static int is_dir(int dfd, const char *name)
{
    struct stat st;
    return fstatat(dfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* The one line of a small pointer file, trailing white space removed; NULL when absent or too long. */
static char *pointer_line(const ks_allocator *a, int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *s = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < POINTER_MAX &&
        (s = ks__amalloc(a, (size_t)st.st_size + 1)) != NULL) {
        ssize_t n = read(fd, s, (size_t)st.st_size);
        size_t len = n > 0 ? (size_t)n : 0;
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        s[len] = '\0';
        if (!len || memchr(s, '\0', len)) {
            ks__afree(a, s);
            s = NULL;
        }
    }
    close(fd);
    return s;
}

/* The directory part of a file's path ("." when it has none). */
static char *dir_of(const ks_allocator *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ks__astrdup(a, ".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *s = ks__amalloc(a, n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

/* dir is a git directory: fills loc (taking dir) and returns 0; KS_EINVAL when it is not one. */
static int from_git_dir(const ks_allocator *a, char *dir, ks_git_location *loc)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ks__afree(a, dir);
        return KS_EINVAL;
    }
    int rc = KS_EINVAL;
    char *common = NULL;
    struct stat st;
    if (!is_file(dfd, "HEAD") || fstat(dfd, &st) != 0)
        goto out;
    char *cd = pointer_line(a, dfd, "commondir");
    if (cd) { /* a linked worktree's directory: the history is the main repository's */
        common = ks__apath_join(a, dir, cd);
        ks__afree(a, cd);
        if (!common) {
            rc = KS_ENOMEM;
            goto out;
        }
    } else if (is_dir(dfd, "objects") && is_dir(dfd, "refs")) {
        if (!(common = ks__astrdup(a, dir))) {
            rc = KS_ENOMEM;
            goto out;
        }
    } else {
        goto out;
    }
    struct stat cst;
    char *objects = ks__apath_join(a, common, "objects");
    if (!objects) {
        rc = KS_ENOMEM;
    } else if (stat(common, &cst) != 0 || !S_ISDIR(cst.st_mode) || !is_dir(AT_FDCWD, objects)) {
        ks__afree(a, objects);
        rc = KS_EIO;
    } else {
        loc->git_dir = dir;
        loc->objects = objects;
        loc->dir_dev = st.st_dev;
        loc->dir_ino = st.st_ino;
        loc->common_dev = cst.st_dev;
        loc->common_ino = cst.st_ino;
        dir = NULL;
        rc = 0;
    }
out:
    close(dfd);
    ks__afree(a, common);
    ks__afree(a, dir);
    return rc;
}

/* A .git file: "gitdir: DIR", DIR relative to the file's directory. */
static int from_pointer(const ks_allocator *a, const char *file, ks_git_location *loc)
{
    char *line = pointer_line(a, AT_FDCWD, file);
    if (!line)
        return KS_EINVAL;
    int rc = KS_EINVAL;
    if (strncmp(line, "gitdir:", 7) == 0) {
        const char *target = line + 7;
        while (*target == ' ' || *target == '\t')
            target++;
        char *base = dir_of(a, file);
        char *dir = base && *target ? ks__apath_join(a, base, target) : NULL;
        rc = !base ? KS_ENOMEM : !*target ? KS_EINVAL : dir ? from_git_dir(a, dir, loc) : KS_ENOMEM;
        ks__afree(a, base);
    }
    ks__afree(a, line);
    return rc;
}

int ks__git_locate(const ks_allocator *a, const char *path, ks_git_location *loc)
{
    memset(loc, 0, sizeof *loc);
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return KS_EINVAL;
    if (S_ISREG(st.st_mode))
        return from_pointer(a, path, loc);
    if (!S_ISDIR(st.st_mode))
        return KS_EINVAL;
    char *dir = ks__astrdup(a, path);
    if (!dir)
        return KS_ENOMEM;
    int rc = from_git_dir(a, dir, loc);
    if (rc != KS_EINVAL)
        return rc;
    /* a work tree: its .git, a directory or a pointer file */
    char *dotgit = ks__apath_join(a, path, ".git");
    if (!dotgit)
        return KS_ENOMEM;
    if (stat(dotgit, &st) != 0) {
        rc = KS_EINVAL;
        ks__afree(a, dotgit);
    } else if (S_ISREG(st.st_mode)) {
        rc = from_pointer(a, dotgit, loc);
        ks__afree(a, dotgit);
    } else if (S_ISDIR(st.st_mode)) {
        rc = from_git_dir(a, dotgit, loc); /* takes dotgit */
    } else {
        rc = KS_EINVAL;
        ks__afree(a, dotgit);
    }
    loc->work_tree = rc == 0;
    return rc;
}

void ks__git_location_free(const ks_allocator *a, ks_git_location *loc)
{
    ks__afree(a, loc->git_dir);
    ks__afree(a, loc->objects);
    loc->git_dir = loc->objects = NULL;
}
