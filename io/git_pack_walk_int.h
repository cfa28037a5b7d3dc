/* git_pack_walk_int.h: the state of a pack walk, shared by the walk (git_pack_walk.c) and the lanes that walk one
 * pack's delta trees on several threads (git_pack_lanes.c). Private to those two. */
#ifndef KS_IO_GIT_PACK_WALK_INT_H
#define KS_IO_GIT_PACK_WALK_INT_H

#include "git_pack.h"

#define BASE_NONE UINT32_MAX         /* not a delta */
#define BASE_EXT (UINT32_MAX - 1)    /* a REF_DELTA whose base this pack does not hold */
#define BASE_BAD (UINT32_MAX - 2)    /* its header is unreadable, or its base offset starts no object */
#define REACHED 0x80u                /* in type[]: resolved, skipped or reported */
#define DEFAULT_BUDGET ((size_t)64 << 20)
#define REBUILD_FLOOR ((uint64_t)256 << 20)

/* A base whose deltas are being resolved; data NULL when the budget dropped it. */
typedef struct frame {
    uint32_t k;          /* pack-order number */
    uint32_t next, end;  /* its children still to do: kids[next..end) */
    uint8_t *data;
    size_t size;
} frame;

typedef struct ks_git_lane ks_git_lane;

typedef struct walk {
    ks_git_pack *p;
    ks_git_reader *r;
    const ks_git_walk_options *o;
    ks_git_counts *c;
    const ks_allocator *a;
    uint32_t n;
    uint8_t *type;    /* per object: its stored type, | REACHED */
    uint32_t *base;   /* per object: its base's number, or BASE_* */
    uint32_t *first;  /* n + 1: the children of k are kids[first[k] .. first[k + 1]) */
    uint32_t *kids;   /* children grouped by base, each group in pack order */
    frame *st;
    size_t sp, st_cap;
    uint32_t *path;   /* scratch: a chain being rebuilt */
    size_t path_cap;
    size_t held, budget;
    uint64_t resolved;     /* bytes of objects resolved in walking order */
    uint64_t rebuilt;      /* bytes of objects resolved again, for bases the budget dropped */
    ks_git_type tree_type; /* the type of the tree being walked */
    char why[256];
    ks_git_lane *lane; /* walking on a lane: what it hands out and reports is queued for the caller's thread */
    int head_only;     /* a unit that is a chain's head (ks__git_walk_unit) */
    int quiet;         /* bytes read again: what fails was reported by the walk that hands them out */
} walk;

/* Resolves and hands out the delta tree whose root is k: 0, KS_ENOMEM or KS_ETERMINATED. */
int ks__git_walk_tree(walk *w, uint32_t k);

#define KS_GIT_UNIT_ROOT UINT32_MAX

/* One unit of a lane: the delta tree of root k (from KS_GIT_UNIT_ROOT), or the children kids[from, to) of k
 * with all below them (k's bytes read again, quietly); with head, only down the single-child chain of each to
 * the first object with two children or more, included. Hands out and reports what the whole walk would for
 * those objects, in its order. 0, KS_ENOMEM or KS_ETERMINATED. */
int ks__git_walk_unit(walk *w, uint32_t k, uint32_t from, uint32_t to, int head);

/* Whether k is a root the walk starts a delta tree from (in pack order). */
static inline int ks__git_walk_is_root(const walk *w, uint32_t k)
{
    return (w->base[k] == BASE_NONE && !(w->type[k] & REACHED)) || w->base[k] == BASE_EXT;
}

/* Frees a walk's stack and scratch (not the plan's tables). */
void ks__git_walk_stack_free(walk *w);

/* Walks every root of w's plan on `lanes` threads, each with a walk of its own; what they hand out and report
 * reaches w->o's callbacks on this thread in the order one walk would give. Returns 0, KS_ENOMEM,
 * KS_ETERMINATED, or 1 when the lanes could not be started (nothing was walked: walk on this thread). */
int ks__git_walk_lanes(walk *w, unsigned lanes);

/* On a lane: object k queued to be handed out, its bytes taken (*data set to NULL) when take, else copied;
 * 0, KS_ENOMEM, or KS_ETERMINATED when the walk is being stopped. */
int ks__git_lane_object(ks_git_lane *l, uint32_t k, ks_git_type type, uint8_t **data, size_t size, int take);

/* On a lane: a problem with object k (or w->n: none) queued to be reported. */
void ks__git_lane_problem(ks_git_lane *l, uint32_t k, int code, const char *what);

#endif
