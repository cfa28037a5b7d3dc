/* git_tree_diff.c: one commit's tree against its parents' trees, entry by entry id, depth first; a path buffer of
 * the walk's own names where each new blob is. */
#include <string.h>

#include "git_tree_diff.h"

static int path_room(ks_git_diff *d, size_t need)
{
    if (need <= d->path_cap)
        return 0;
    size_t cap = d->path_cap ? d->path_cap : 256;
    while (cap < need)
        cap *= 2;
    char *s = ks__arealloc(d->a, d->path, cap);
    if (!s)
        return KS_ENOMEM;
    d->path = s;
    d->path_cap = cap;
    return 0;
}

/* Tree `id`, a reference of the caller's own: from the walk's cache, or read (and then kept in it). */
static git_tree *tree_at(ks_git_diff *d, const git_oid *id)
{
    if (!d->trees)
        d->trees = ks__acalloc(d->a, KS_GIT_TREE_CACHE, sizeof *d->trees); /* none: every tree is read */
    size_t slot = ((size_t)id->id[0] << 8 | id->id[1]) % KS_GIT_TREE_CACHE;
    git_tree *kept = d->trees ? d->trees[slot] : NULL, *t = NULL;
    if (kept && git_oid_equal(git_tree_id(kept), id) && git_tree_dup(&t, kept) == 0)
        return t;
    int grc = git_tree_lookup(&t, d->repo, id);
    if (grc != 0) {
        if (d->unreadable)
            d->unreadable(d->ctx, id, grc);
        return NULL;
    }
    git_tree *copy = NULL;
    if (d->trees && git_tree_dup(&copy, t) == 0) {
        git_tree_free(kept); /* its walk, if any, holds a reference of its own */
        d->trees[slot] = copy;
    }
    return t;
}

/* The entry of `old` named as e is, found by a cursor that moves forward only: both trees list their
 * entries in git's order (a tree's name compared as if it ended in '/'), so a tree of 1,500 entries
 * costs one pass, not a binary search per entry (provenance over git/git compares 203,352 commits'
 * changed trees). An entry the cursor misses (a file that became a directory of the same name, or a
 * tree not in git's order) is looked up by name. */
static const git_tree_entry *same_name(const git_tree *old, size_t *cur, const git_tree_entry *e, const char *name)
{
    size_t n = git_tree_entrycount(old);
    while (*cur < n) {
        const git_tree_entry *oe = git_tree_entry_byindex(old, *cur);
        int c = git_tree_entry_cmp(oe, e);
        if (c == 0)
            return oe;
        if (c > 0)
            break;
        (*cur)++;
    }
    return git_tree_entry_byname(old, name);
}

/* Tree `id` at d->path[0, dir_len) against the trees `olds` of the same path in the parents. */
static int walk(ks_git_diff *d, const git_oid *id, const git_oid *olds, size_t n, int depth, size_t dir_len)
{
    for (size_t i = 0; i < n; i++)
        if (git_oid_equal(id, &olds[i]))
            return 0;
    if (!n && d->on_new_tree && d->on_new_tree(d->ctx, id))
        return 0;
    if (depth > KS_GIT_TREE_DEPTH_MAX) {
        git_oid_cpy(&d->too_deep, id);
        return KS_ECORRUPT;
    }
    git_tree *t = tree_at(d, id);
    if (!t)
        return 0;
    git_tree **old = n ? ks__acalloc(d->a, n, sizeof *old) : NULL;
    git_oid *sub = n ? ks__acalloc(d->a, n, sizeof *sub) : NULL;
    size_t *cur = n ? ks__acalloc(d->a, n, sizeof *cur) : NULL;
    int rc = n && (!old || !sub || !cur) ? KS_ENOMEM : 0;
    for (size_t i = 0; !rc && i < n; i++)
        old[i] = tree_at(d, &olds[i]); /* NULL when unreadable: that parent holds nothing here */
    for (size_t k = 0, ne = git_tree_entrycount(t); !rc && k < ne; k++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, k);
        git_object_t type = git_tree_entry_type(e);
        const git_oid *eid = git_tree_entry_id(e);
        if (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_TREE)
            continue; /* a submodule's commit: another repository's history */
        const char *name = git_tree_entry_name(e);
        size_t m = 0;
        int same = 0;
        for (size_t i = 0; i < n && !same; i++) {
            const git_tree_entry *oe = old[i] ? same_name(old[i], &cur[i], e, name) : NULL;
            if (!oe)
                continue;
            same = git_tree_entry_type(oe) == type && git_oid_equal(git_tree_entry_id(oe), eid);
            if (type == GIT_OBJECT_TREE && git_tree_entry_type(oe) == GIT_OBJECT_TREE)
                git_oid_cpy(&sub[m++], git_tree_entry_id(oe));
        }
        if (same)
            continue;
        if (type == GIT_OBJECT_BLOB) {
            /* asked only now: most entries of a tree that changed are unchanged */
            if (!d->wants || d->wants(d->ctx, eid))
                rc = d->on_blob(d->ctx, eid, d->path, dir_len, name);
            continue;
        }
        size_t nl = strlen(name);
        if (!(rc = path_room(d, dir_len + nl + 2))) {
            memcpy(d->path + dir_len, name, nl);
            d->path[dir_len + nl] = '/';
            d->path[dir_len + nl + 1] = '\0';
            rc = walk(d, eid, sub, m, depth + 1, dir_len + nl + 1);
            d->path[dir_len] = '\0';
        }
    }
    for (size_t i = 0; old && i < n; i++)
        git_tree_free(old[i]);
    ks__afree(d->a, old);
    ks__afree(d->a, sub);
    ks__afree(d->a, cur);
    git_tree_free(t);
    return rc;
}

int ks__git_tree_diff(ks_git_diff *d, const git_oid *tree, const git_oid *parents, size_t n)
{
    if (path_room(d, 1))
        return KS_ENOMEM;
    d->path[0] = '\0';
    return walk(d, tree, parents, n, 0, 0);
}

void ks__git_tree_diff_free(ks_git_diff *d)
{
    ks__afree(d->a, d->path);
    d->path = NULL;
    d->path_cap = 0;
    for (size_t i = 0; d->trees && i < KS_GIT_TREE_CACHE; i++)
        git_tree_free(d->trees[i]);
    ks__afree(d->a, d->trees);
    d->trees = NULL;
}
