/* git_tree_diff.h: what one commit introduced: the blobs of its tree at paths where none of its parents' trees holds
 * the same entry, found by comparing tree entries by id (a subtree equal to a parent's is never opened, no blob is
 * read). One definition for provenance (git_provenance.c) and for ranges (git_select.c), so that they agree. */
#ifndef KS_IO_GIT_TREE_DIFF_H
#define KS_IO_GIT_TREE_DIFF_H

#include <git2.h>

#include "alloc.h"
#include "git_trees.h"

/* Deeper nesting is a hostile repository: reported, not followed. */
#define KS_GIT_TREE_DEPTH_MAX 4096

typedef struct ks_git_diff {
    git_repository *repo;
    const ks_allocator *a;
    /* A blob the tree holds at dir + name (dir is "" or ends in '/') where no parent holds it: 0 to go on,
     * else the walk stops and returns this. */
    int (*on_blob)(void *ctx, const git_oid *id, const char *dir, size_t dir_len, const char *name);
    /* May be NULL (every blob): 0 for a blob not worth comparing, which saves looking it up in the parents. */
    int (*wants)(void *ctx, const git_oid *id);
    /* May be NULL: a tree no parent holds any of, every blob under it new: non-zero when the caller took it
     * whole (it is then not walked), 0 to have it walked blob by blob. */
    int (*on_new_tree)(void *ctx, const git_oid *id);
    /* A tree that could not be read (a libgit2 error code: GIT_ENOTFOUND when it is absent); the walk goes on
     * as if it were empty. */
    void (*unreadable)(void *ctx, const git_oid *id, int git_error);
    void *ctx;
    git_oid too_deep; /* after KS_ECORRUPT: the tree past KS_GIT_TREE_DEPTH_MAX */
    char *path;       /* the walk's own: the directory being compared */
    size_t path_cap;
    ks_git_trees *src; /* the reader of repo's trees: the caller's walks may share it, set before the first walk,
                        * else the first walk makes it; freed by ks__git_tree_diff_free either way */
} ks_git_diff;

/* Compares tree `tree` with the `n` trees of its commit's parents (none: everything is new). Returns 0,
 * KS_ENOMEM, KS_ECORRUPT when trees nest deeper than KS_GIT_TREE_DEPTH_MAX, or what on_blob returned. */
int ks__git_tree_diff(ks_git_diff *d, const git_oid *tree, const git_oid *parents, size_t n);

/* Frees what the walks kept (their path buffer and tree reader); d can be used again. Before its repository is freed. */
void ks__git_tree_diff_free(ks_git_diff *d);

#endif
