/* git_staged.h: the blobs `git commit` would record now: the index's entries whose id differs from HEAD's tree. */
#ifndef KS_IO_GIT_STAGED_H
#define KS_IO_GIT_STAGED_H

#include <git2.h>
#include <stddef.h>

#include "git_idset.h"

/* Adds to `want` the id of every stage-0 index entry (no submodule, no intent-to-add) whose path holds
 * another blob, or nothing, in HEAD's tree (every entry when HEAD is unborn). HEAD's trees are walked once,
 * in the index's own path order, beside it; no blob is read. Returns 0, KS_ENOMEM, or KS_ECORRUPT / KS_EIO
 * with why filled (the index or HEAD's tree cannot be read). */
int ks__git_staged_ids(git_repository *repo, ks_git_idset *want, char *why, size_t why_len);

#endif
