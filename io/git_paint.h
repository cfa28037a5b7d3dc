/* git_paint.h: the ancestors of a range's lower ends that a walk down from its upper end can meet (git_paint.c). */
#ifndef KS_IO_GIT_PAINT_H
#define KS_IO_GIT_PAINT_H

#include <git2.h>
#include <stdint.h>

#include "git_commit_read.h"
#include "git_idset.h"
#include "keysweep.h"

typedef struct ks_git_paint {
    const ks_allocator *a;
    /* Reads a commit into *out: 0, KS_ENOMEM, or 1 when it cannot be read, having recorded why when `report` is
     * set (a tip: is_parent 0). */
    int (*lookup)(void *ctx, const git_oid *id, int is_parent, int report, ks_git_commit_info *out);
    void *ctx;
    uint64_t walked; /* commits read, added to */
} ks_git_paint;

/* Adds to `hidden` the lower ends from[] and every ancestor of them that a walk down from the tips to[] can reach, walking
 * newest commit first and stopping where the range does; commits whose times decrease from parent to child (a
 * clock set back) can leave some unpainted, which widens the range (more is scanned, never less). Missing
 * commits of the lower ends' side are reported through lookup. Returns 0 or KS_ENOMEM. */
int ks__git_paint_hidden(ks_git_paint *p, const git_oid *from, size_t n_from, const git_oid *to, size_t n_to,
                         ks_git_idset *hidden);

#endif
