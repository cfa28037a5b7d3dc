/* git_commit_order.h: every commit reachable from a repository's HEAD and refs, in topological order, parents first. */
#ifndef KS_IO_GIT_COMMIT_ORDER_H
#define KS_IO_GIT_COMMIT_ORDER_H

#include <git2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "git_idset.h"
#include "git_trees.h"
#include "keysweep.h"

#define KS_GIT_COMMIT_NOT_READ UINT32_MAX

typedef struct ks_git_commit_node {
    git_oid id;
    git_oid tree;
    int64_t time;      /* committer date: among commits whose parents are all placed, the oldest goes first */
    uint32_t parents;  /* first index in ks_git_commits.parent_ids */
    uint32_t n_parents; /* KS_GIT_COMMIT_NOT_READ: named by a ref or a child, but it could not be read */
    int boundary;       /* a parent outside a range: loaded for its tree, neither walked past nor ordered */
} ks_git_commit_node;

typedef struct ks_git_commits {
    const ks_allocator *a;
    ks_git_commit_node *nodes;
    size_t n, cap;
    git_oid *parent_ids; /* every node's parents as its commit names them (present or not) */
    size_t n_parent_ids, cap_parent_ids;
    uint32_t *index;     /* open addressing over nodes by id: node index + 1, 0 empty */
    size_t index_cap;
    uint32_t *order;     /* n_ordered node indices (the commits read), every commit after all its parents */
    size_t n_ordered;
    size_t missing;      /* commits named by a ref or as a parent that could not be read */
    int started;         /* a load began */
    int tips_done;       /* HEAD and every ref are in */
    size_t next;         /* the node whose parents a stopped load adds next */
} ks_git_commits;

/* Loads every commit reachable from HEAD and every ref of repo (peeled: an annotated tag counts as the commit it
 * names), the commits read through src (the caller's reader of repo, shared with its other walks so that what one
 * read is in the base cache for the next), and orders them: parents before children, and among the commits whose
 * parents are placed, the oldest committer date first, then the smallest id, so the order is the same on every
 * run. A commit that cannot be read is counted in `missing`, and its children are placed as if it did not exist
 * (a shallow clone's boundary is a root). *c is zeroed before the first call, and freed with ks__git_commits_free.
 * Returns 0 or KS_ENOMEM; or KS_ETERMINATED when it took a stop: *stop (may be NULL) counts the stops asked for by
 * other threads, each taken by one load; what it loaded is kept, and the next call goes on from there. */
int ks__git_commits_load(git_repository *repo, ks_git_trees *src, const ks_allocator *a, atomic_int *stop,
                         ks_git_commits *c);

/* ks__git_commits_load over a range: the commits reachable from tips[] and not in `hidden` (git_paint.c), ordered
 * the same way; their parents in `hidden` are loaded too, as boundary nodes, so that what a range's first
 * commits introduced is measured against the trees they came from. A stop taken (KS_ETERMINATED) leaves what was
 * loaded, to be freed: such a load starts again from nothing. */
int ks__git_commits_load_range(ks_git_trees *src, const ks_allocator *a, const git_oid *tips, size_t n_tips,
                               const ks_git_idset *hidden, atomic_int *stop, ks_git_commits *c);

/* The node index of id, or -1 when it was not loaded. */
long ks__git_commits_find(const ks_git_commits *c, const git_oid *id);

void ks__git_commits_free(ks_git_commits *c);

#endif
