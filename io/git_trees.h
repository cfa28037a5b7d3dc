/* git_trees.h: trees by id for the walks that compare them (provenance, ranges), each parsed into its entries once:
 * read from the repository's packs directly, the bases of each delta chain kept in a bounded cache, and from
 * libgit2's object database for what no pack holds (loose objects, alternates, multi-pack indexes). */
#ifndef KS_IO_GIT_TREES_H
#define KS_IO_GIT_TREES_H

#include <git2.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "git_object.h"

/* One entry: "MODE NAME\0" and the 20-byte id, located in its tree's bytes. */
typedef struct ks_git_tree_entry {
    uint32_t name; /* offset of its name */
    uint32_t len;  /* the name's length */
    uint32_t end;  /* one past its id: where the next entry starts */
    uint8_t kind;  /* KS_GIT_TREE, KS_GIT_BLOB (a file or a symlink) or KS_GIT_COMMIT (a submodule) */
} ks_git_tree_entry;

/* An object as read, counted; for a tree, its entries. */
typedef struct ks_git_tree {
    uint32_t refs;
    ks_git_type type;
    int parsed; /* 0 not yet, 1 entries valid, -1 not a well-formed tree */
    int sorted; /* entries in git's order, so each name once */
    uint32_t n;
    ks_git_tree_entry *e;
    uint8_t *data;
    size_t size;
    uint8_t id[KS_GIT_ID_LEN];
    /* What a parse like another tree found (has_like): entries [0, like_lo) and [like_hi, n) are like's, at the
     * same place from either end; kept so that a comparison with that same tree need not find them again. */
    int has_like;
    uint32_t like_lo, like_hi;
    uint8_t like[KS_GIT_ID_LEN];
} ks_git_tree;

typedef struct ks_git_trees ks_git_trees;

/* A reader of repo's trees (repo must outlive it); its packs are those of repo's common objects directory.
 * Returns 0 with *out, or KS_ENOMEM. */
int ks__git_trees_new(const ks_allocator *a, git_repository *repo, ks_git_trees **out);

/* A reader of repo's trees (another handle on the same repository) that reads the packs `like` opened, for another
 * thread: opened packs are only read, so threads share them (each its own caches, whose objects are counted
 * without locks); `like` must outlive it. Its cache of delta bases holds `budget` bytes (0: a reader's 32 MiB).
 * Returns 0 with *out, or KS_ENOMEM. */
int ks__git_trees_new_like(const ks_allocator *a, git_repository *repo, const ks_git_trees *like, size_t budget,
                           ks_git_trees **out);

/* Tree id: 0 with *out (a reference of the caller's, given back with ks__git_tree_put); 1 when it cannot be
 * had, with *git_error a libgit2 code (GIT_ENOTFOUND when nothing holds it or it is not a tree, GIT_ERROR when
 * it is damaged or not a well-formed tree); or KS_ENOMEM. `like` (may be NULL) is a tree read before that this
 * one probably resembles (the same path in a parent commit): the entries in the bytes they share at their start
 * and end are taken from it instead of parsed again. */
int ks__git_trees_get(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], const ks_git_tree *like, ks_git_tree **out,
                      int *git_error);

/* Locates t's entries (t->e, t->n, t->sorted), as ks__git_trees_get does with the same `like` (may be NULL):
 * returns 0 with t->parsed 1, or -1 when t is not a well-formed tree, or KS_ENOMEM. t->e is from a. */
int ks__git_tree_parse(const ks_allocator *a, ks_git_tree *t, const ks_git_tree *like);

/* Object id of any type, read the same way and not parsed (a commit, for the walks over history): 0 with *out (a
 * reference), 1 with *git_error (GIT_ENOTFOUND when nothing holds it, GIT_ERROR when it is damaged), or KS_ENOMEM. */
int ks__git_objects_get(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], ks_git_tree **out, int *git_error);

/* ks__git_trees_get in two steps, so that what `like` will be can be read in between: the tree, not parsed yet
 * (0 with *out, a reference; 1 with *git_error; KS_ENOMEM), then its entries (0; 1 with *git_error when it is
 * not a well-formed tree; KS_ENOMEM: either way the caller still holds its reference). */
int ks__git_trees_fetch(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], ks_git_tree **out, int *git_error);
int ks__git_trees_finish(ks_git_trees *s, ks_git_tree *t, const ks_git_tree *like, int *git_error);

/* Gives back a reference (t may be NULL). */
void ks__git_tree_put(ks_git_trees *s, ks_git_tree *t);

void ks__git_trees_free(ks_git_trees *s);

static inline const char *ks__git_tree_entry_name(const ks_git_tree *t, const ks_git_tree_entry *e)
{
    return (const char *)t->data + e->name;
}

static inline const uint8_t *ks__git_tree_entry_id(const ks_git_tree *t, const ks_git_tree_entry *e)
{
    return t->data + e->end - KS_GIT_ID_LEN;
}

/* Where entry k starts in its tree's bytes. */
static inline uint32_t ks__git_tree_entry_start(const ks_git_tree *t, uint32_t k)
{
    return k ? t->e[k - 1].end : 0;
}

/* The first entry of t from lo on that starts at or after byte `at` (t->n when none). */
uint32_t ks__git_tree_first_from(const ks_git_tree *t, uint32_t lo, size_t at);

/* How many bytes a and b share from their start (n at most). */
size_t ks__git_common_prefix(const uint8_t *a, const uint8_t *b, size_t n);

/* How many bytes a (an bytes) and b (bn) share at their end (max at most). */
size_t ks__git_common_suffix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t max);

/* Whether two ids are the same (inline: trees compare millions of them, most differing in their first bytes). */
static inline int ks__git_id_eq(const uint8_t *a, const uint8_t *b)
{
    uint64_t x0, y0, x1, y1;
    uint32_t x2, y2;
    memcpy(&x0, a, 8), memcpy(&y0, b, 8), memcpy(&x1, a + 8, 8), memcpy(&y1, b + 8, 8);
    memcpy(&x2, a + 16, 4), memcpy(&y2, b + 16, 4);
    return ((x0 ^ y0) | (x1 ^ y1) | (x2 ^ y2)) == 0;
}

/* git's order of entries: names compared bytewise, a tree's as if it ended in '/'. Names are short and mostly
 * differ early: compared here byte by byte rather than through a call to memcmp. */
static inline int ks__git_tree_entry_cmp(const ks_git_tree *a, const ks_git_tree_entry *x, const ks_git_tree *b,
                                         const ks_git_tree_entry *y)
{
    uint32_t m = x->len < y->len ? x->len : y->len;
    const uint8_t *p = a->data + x->name, *q = b->data + y->name;
    for (uint32_t i = 0; i < m; i++)
        if (p[i] != q[i])
            return (int)p[i] - (int)q[i];
    unsigned cx = x->len > m ? a->data[x->name + m] : x->kind == KS_GIT_TREE ? '/' : 0;
    unsigned cy = y->len > m ? b->data[y->name + m] : y->kind == KS_GIT_TREE ? '/' : 0;
    return (int)cx - (int)cy;
}

#endif
