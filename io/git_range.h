/* git_range.h: the ends of the range a narrowing option names (git_range.c). */
#ifndef KS_IO_GIT_RANGE_H
#define KS_IO_GIT_RANGE_H

#include <git2.h>
#include <stddef.h>

#include "keysweep.h"

typedef struct ks_git_range_ends {
    git_oid *from;  /* lower ends: A of A..B, REV of since_commit, the merge bases of A...B (allocated) */
    size_t n_from;
    git_oid to[2];  /* tips: B, the branch or HEAD; both sides of A...B */
    size_t n_to;    /* 0: the options name no range */
} ks_git_range_ends;

/* Resolves o's range, else since_commit (up to branch, else HEAD), else branch alone (a tip without lower
 * ends) in repo. Returns 0 (n_to 0 when o names none of them), KS_EINVAL with why naming the option and the
 * revision ("--range 'x..y': ..."), or KS_ENOMEM. Free with ks__git_range_ends_free. */
int ks__git_range_ends(git_repository *repo, const ks_git_opts *o, const ks_allocator *a, ks_git_range_ends *r,
                       char *why, size_t why_len);

void ks__git_range_ends_free(const ks_allocator *a, ks_git_range_ends *r);

#endif
