/* git_commit_read.h: commits for the walks over history (ranges, provenance): read through the trees reader (the
 * packs directly, libgit2's object database for the rest), only what the walks use parsed from their header. */
#ifndef KS_IO_GIT_COMMIT_READ_H
#define KS_IO_GIT_COMMIT_READ_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "git_trees.h"

typedef struct ks_git_commit_info {
    git_oid tree;
    git_oid *parents; /* n_parents of them, in the commit's order; the caller's, grown as needed */
    size_t n_parents, cap;
    int64_t time; /* the committer's date, as git_commit_time gives it */
} ks_git_commit_info;

/* Parses a commit's bytes into *c (its parents array grown from a), taking exactly what libgit2 1.5's commit_parse
 * takes: 0; -1 when they are not a well-formed commit (no tree line first, a malformed parent line, a malformed
 * author or committer); or KS_ENOMEM. libgit2 must be initialised: a malformed id is refused by git_oid_fromstrn,
 * which records why in libgit2's per-thread error state. */
int ks__git_commit_parse(const uint8_t *data, size_t size, const ks_allocator *a, ks_git_commit_info *c);

/* Reads commit id through s: 0 with *c filled; 1 with *git_error (GIT_ENOTFOUND when nothing holds it or it is
 * no commit, as git_commit_lookup answers; GIT_ERROR when it is damaged or malformed); or KS_ENOMEM. */
int ks__git_commit_read(ks_git_trees *s, const ks_allocator *a, const git_oid *id, ks_git_commit_info *c,
                        int *git_error);

/* Frees c's parents array (c may be used again). */
void ks__git_commit_info_free(const ks_allocator *a, ks_git_commit_info *c);

#endif
