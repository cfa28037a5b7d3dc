/* git_locate.h: where a repository named by a path keeps its history: a work tree, a git directory, a .git file
 * pointing elsewhere (gitdir:), a linked worktree's directory (commondir). */
#ifndef KS_IO_GIT_LOCATE_H
#define KS_IO_GIT_LOCATE_H

#include <sys/types.h>

#include "keysweep.h"

typedef struct ks_git_location {
    char *git_dir; /* the directory libgit2 opens: HEAD and the index live here (a linked worktree's own) */
    char *objects; /* the object store: the common directory's objects/ */
    dev_t common_dev, dir_dev; /* the common directory and git_dir, to tell repositories apart */
    ino_t common_ino, dir_ino;
    int work_tree; /* the path named a work tree, whose .git led here */
} ks_git_location;

/* Fills *loc for `path`: a git directory (HEAD with objects/ and refs/, or HEAD with a commondir file), a
 * directory holding .git, or a file saying "gitdir: DIR" (relative to the file's directory). Returns 0,
 * KS_EINVAL (none of these), KS_EIO (its objects/ cannot be found), or KS_ENOMEM; free with
 * ks__git_location_free. */
int ks__git_locate(const ks_allocator *a, const char *path, ks_git_location *loc);

void ks__git_location_free(const ks_allocator *a, ks_git_location *loc);

#endif
