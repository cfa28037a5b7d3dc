/* git_select.h: the blob ids a narrowing option selects (a range's new blobs, a branch's, the reachable ones, the
 * staged ones), computed with libgit2 over commits and trees, never reading a blob. */
#ifndef KS_IO_GIT_SELECT_H
#define KS_IO_GIT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "git_idset.h"
#include "keysweep.h"

/* What a selection found besides its ids. */
typedef struct ks_git_selection {
    int promisor;              /* a partial clone: objects its promisor remote holds may be absent */
    uint64_t missing_promised; /* commits and trees absent, and promised (blobs are found absent later) */
    uint64_t commits_painted;  /* commits read to find where a range ends (its lower ends' ancestors it meets) */
} ks_git_selection;

/* 1 when opts asks for a selection (range, since_commit, branch, reachable_only or staged), else 0. */
int ks__git_opts_select(const ks_git_opts *opts);

/* KS_EINVAL with why filled when opts combines what cannot go together, else 0. */
int ks__git_opts_check(const ks_git_opts *opts, char *why, size_t why_len);

/* Adds to `want` the blob ids that opts selects in the repository whose git directory is git_dir (with no
 * selection in opts: those reachable from HEAD, refs, reflogs and the index), and fills *sel. Unchanged
 * subtrees (the same id as in a parent) are never opened, nor is a tree twice when every blob of it is
 * taken. Returns 0; KS_EINVAL (a revision that does not resolve, or opts inconsistent), KS_EIO (libgit2
 * cannot open git_dir), KS_ENOMEM, or KS_ECORRUPT (a commit or tree missing from a repository that is not
 * a partial clone, or damaged: the rest is still selected); why names what failed. */
int ks__git_select_ids(const char *git_dir, const ks_git_opts *opts, const ks_allocator *a, ks_git_idset *want,
                       ks_git_selection *sel, char *why, size_t why_len);

/* 1 when the repository is a partial clone (extensions.partialClone, a remote with promisor = true, or a
 * .promisor file beside its packs): absent objects are then expected. */
int ks__git_is_promisor(const char *git_dir, const char *objects_dir);

#endif
