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

static git_tree *tree_at(ks_git_diff *d, const git_oid *id)
{
    git_tree *t = NULL;
    int grc = git_tree_lookup(&t, d->repo, id);
    if (grc != 0 && d->unreadable)
        d->unreadable(d->ctx, id, grc);
    return t;
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
    int rc = n && (!old || !sub) ? KS_ENOMEM : 0;
    for (size_t i = 0; !rc && i < n; i++)
        old[i] = tree_at(d, &olds[i]); /* NULL when unreadable: that parent holds nothing here */
    for (size_t k = 0, ne = git_tree_entrycount(t); !rc && k < ne; k++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, k);
        git_object_t type = git_tree_entry_type(e);
        const git_oid *eid = git_tree_entry_id(e);
        if (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_TREE)
            continue; /* a submodule's commit: another repository's history */
        if (type == GIT_OBJECT_BLOB && d->wants && !d->wants(d->ctx, eid))
            continue;
        const char *name = git_tree_entry_name(e);
        size_t m = 0;
        int same = 0;
        for (size_t i = 0; i < n && !same; i++) {
            const git_tree_entry *oe = old[i] ? git_tree_entry_byname(old[i], name) : NULL;
            if (!oe)
                continue;
            same = git_tree_entry_type(oe) == type && git_oid_equal(git_tree_entry_id(oe), eid);
            if (type == GIT_OBJECT_TREE && git_tree_entry_type(oe) == GIT_OBJECT_TREE)
                git_oid_cpy(&sub[m++], git_tree_entry_id(oe));
        }
        if (same)
            continue;
        if (type == GIT_OBJECT_BLOB) {
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
}
