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

typedef uint8_t tree_id[KS_GIT_ID_LEN];

#define FEW 4 /* parents whose walk state fits on the stack */

static void to_oid(git_oid *o, const uint8_t *id)
{
    memcpy(o->id, id, KS_GIT_ID_LEN);
}

/* What a read returned: 1 (it cannot be read) reported, and 0 then. */
static int unreadable(ks_git_diff *d, const uint8_t *id, int rc, int git_error)
{
    if (rc == 1 && d->unreadable) {
        git_oid o;
        to_oid(&o, id);
        d->unreadable(d->ctx, &o, git_error);
    }
    return rc == 1 ? 0 : rc;
}

/* Tree `id` in *t (a reference of the caller's), or *t NULL when it cannot be read (reported). 0 or KS_ENOMEM. */
static int tree_at(ks_git_diff *d, const uint8_t *id, ks_git_tree **t)
{
    int git_error = 0;
    return unreadable(d, id, ks__git_trees_get(d->src, id, NULL, t, &git_error), git_error);
}

/* The entries of t, read before its parents' (fetched) and located after them (like: the first parent's tree,
 * whose bytes it mostly shares); *t is given back and NULL when it is not a well-formed tree (reported). */
static int tree_entries(ks_git_diff *d, ks_git_tree **t, const ks_git_tree *like)
{
    int git_error = 0, rc = ks__git_trees_finish(d->src, *t, like, &git_error);
    if (rc != 0) {
        uint8_t id[KS_GIT_ID_LEN];
        memcpy(id, (*t)->id, sizeof id);
        ks__git_tree_put(d->src, *t);
        *t = NULL;
        rc = unreadable(d, id, rc, git_error);
    }
    return rc;
}

static int has_prefix(const ks_git_tree *t, const ks_git_tree_entry *e, const uint8_t *name, uint32_t len)
{
    return e->len >= len && memcmp(t->data + e->name, name, len) == 0;
}

/* The entry of `old` named as t's entry x is, found by a cursor that moves forward only: both trees list their
 * entries in git's order (a tree's name compared as if it ended in '/'), so a tree of 1,500 entries costs one
 * pass, not a search per entry (provenance over git/git compares 203,352 commits' changed trees). A file that
 * became a directory of the same name, or the reverse, is among the entries that start with its name, which
 * that order keeps together beside the cursor; trees out of order are searched whole. */
static const ks_git_tree_entry *same_name(const ks_git_tree *old, uint32_t *cur, const ks_git_tree *t,
                                          const ks_git_tree_entry *x)
{
    const uint8_t *name = t->data + x->name;
    if (!old->sorted || !t->sorted) {
        for (uint32_t i = 0; i < old->n; i++)
            if (old->e[i].len == x->len && memcmp(old->data + old->e[i].name, name, x->len) == 0)
                return &old->e[i];
        return NULL;
    }
    while (*cur < old->n) {
        const ks_git_tree_entry *oe = &old->e[*cur];
        int c = ks__git_tree_entry_cmp(old, oe, t, x);
        if (c == 0)
            return oe;
        if (c > 0)
            break;
        (*cur)++;
    }
    for (uint32_t i = *cur; i < old->n && has_prefix(old, &old->e[i], name, x->len); i++)
        if (old->e[i].len == x->len)
            return &old->e[i];
    for (uint32_t i = *cur; i-- > 0 && has_prefix(old, &old->e[i], name, x->len);)
        if (old->e[i].len == x->len)
            return &old->e[i];
    return NULL;
}

/* A commit mostly changes an entry or two of a tree of hundreds: the entries in the bytes the two
 * trees share at their start, and those in the bytes they share at their end (where each starts an entry in both),
 * are the same entries, found at memory speed instead of one by one. Only t's entries [*lo, *hi) are left to
 * compare with this parent; old's cursor starts at *cur. When t was parsed like old (walk parses it like the first
 * parent's tree), its parse has found those ends already: taken from it rather than compared again. */
static void unchanged_ends(const ks_git_tree *t, const ks_git_tree *old, uint32_t *lo, uint32_t *hi, uint32_t *cur)
{
    *lo = *cur = 0;
    *hi = t->n;
    if (!t->sorted || !old->sorted || !t->n || !old->n)
        return;
    if (t->has_like && ks__git_id_eq(t->like, old->id)) {
        *lo = *cur = t->like_lo;
        *hi = t->like_hi;
        return;
    }
    size_t tn = t->size, on = old->size, min = tn < on ? tn : on;
    size_t pre = ks__git_common_prefix(t->data, old->data, min);
    /* identical bytes from 0 parse into identical entries: those that end within them */
    uint32_t k = ks__git_tree_first_from(t, 0, pre + 1);
    k = k ? k - 1 : 0; /* entries 0..k-1 start at or before pre; entry k-1 may run past it */
    while (k > 0 && t->e[k - 1].end > pre)
        k--;
    if (k > old->n || (k && old->e[k - 1].end != t->e[k - 1].end))
        return;
    *lo = *cur = k;
    size_t suf = ks__git_common_suffix(t->data, tn, old->data, on, min - pre);
    /* from the end the parse is not known to agree: an entry counts when it starts an entry in old too */
    for (uint32_t h = ks__git_tree_first_from(t, k, tn - suf); h < t->n; h++) {
        size_t at = ks__git_tree_entry_start(t, h) + on - tn;
        uint32_t j = ks__git_tree_first_from(old, 0, at);
        if (j < old->n && ks__git_tree_entry_start(old, j) == at && old->n - j == t->n - h) {
            *hi = h;
            return;
        }
    }
}

/* Tree `id` at d->path[0, dir_len) against the trees `olds` of the same path in the parents. */
static int walk(ks_git_diff *d, const uint8_t *id, const tree_id *olds, size_t n, int depth, size_t dir_len)
{
    for (size_t i = 0; i < n; i++)
        if (ks__git_id_eq(id, olds[i]))
            return 0;
    if (!n && d->on_new_tree) {
        git_oid o;
        to_oid(&o, id);
        if (d->on_new_tree(d->ctx, &o))
            return 0;
    }
    if (depth > KS_GIT_TREE_DEPTH_MAX) {
        to_oid(&d->too_deep, id);
        return KS_ECORRUPT;
    }
    ks_git_tree *t = NULL;
    int git_error = 0;
    int rc = unreadable(d, id, ks__git_trees_fetch(d->src, id, &t, &git_error), git_error);
    if (rc || !t)
        return rc; /* as before any parent's tree is read */
    /* most commits have one or two parents: their arrays on the stack, an octopus's allocated */
    ks_git_tree *old_few[FEW] = {0};
    tree_id sub_few[FEW];
    uint32_t cur_few[FEW] = {0};
    int many = n > FEW;
    ks_git_tree **old = many ? ks__acalloc(d->a, n, sizeof *old) : old_few;
    tree_id *sub = many ? ks__acalloc(d->a, n, sizeof *sub) : sub_few;
    uint32_t *cur = many ? ks__acalloc(d->a, n, sizeof *cur) : cur_few;
    rc = !old || !sub || !cur ? KS_ENOMEM : 0;
    const ks_git_tree *like = NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        rc = tree_at(d, olds[i], &old[i]); /* NULL when unreadable: that parent holds nothing here */
        like = like ? like : old[i];
    }
    if (!rc)
        rc = tree_entries(d, &t, like);
    /* an entry the same as in any parent is not new: only those that differ from every parent are compared */
    uint32_t lo = 0, hi = t ? t->n : 0;
    for (size_t i = 0; !rc && i < n && lo < hi; i++) {
        uint32_t l = 0, h = t->n;
        if (old[i])
            unchanged_ends(t, old[i], &l, &h, &cur[i]);
        lo = l > lo ? l : lo;
        hi = h < hi ? h : hi;
    }
    for (uint32_t k = lo; !rc && k < hi; k++) {
        const ks_git_tree_entry *x = &t->e[k];
        if (x->kind == KS_GIT_COMMIT)
            continue; /* a submodule's commit: another repository's history */
        const uint8_t *xid = ks__git_tree_entry_id(t, x);
        size_t m = 0;
        int same = 0;
        for (size_t i = 0; i < n && !same; i++) {
            const ks_git_tree_entry *oe = old[i] ? same_name(old[i], &cur[i], t, x) : NULL;
            if (!oe)
                continue;
            same = oe->kind == x->kind && ks__git_id_eq(ks__git_tree_entry_id(old[i], oe), xid);
            if (x->kind == KS_GIT_TREE && oe->kind == KS_GIT_TREE)
                memcpy(sub[m++], ks__git_tree_entry_id(old[i], oe), KS_GIT_ID_LEN);
        }
        if (same)
            continue;
        const char *name = ks__git_tree_entry_name(t, x); /* NUL-terminated in the tree's bytes */
        if (x->kind == KS_GIT_BLOB) {
            git_oid o;
            to_oid(&o, xid);
            /* asked only now: most entries of a tree that changed are unchanged */
            if (!d->wants || d->wants(d->ctx, &o))
                rc = d->on_blob(d->ctx, &o, d->path, dir_len, name);
            continue;
        }
        if (!(rc = path_room(d, dir_len + x->len + 2))) {
            memcpy(d->path + dir_len, name, x->len);
            d->path[dir_len + x->len] = '/';
            d->path[dir_len + x->len + 1] = '\0';
            rc = walk(d, xid, sub, m, depth + 1, dir_len + x->len + 1);
            d->path[dir_len] = '\0';
        }
    }
    for (size_t i = 0; old && i < n; i++)
        ks__git_tree_put(d->src, old[i]);
    if (many) {
        ks__afree(d->a, old);
        ks__afree(d->a, sub);
        ks__afree(d->a, cur);
    }
    ks__git_tree_put(d->src, t);
    return rc;
}

int ks__git_tree_diff(ks_git_diff *d, const git_oid *tree, const git_oid *parents, size_t n)
{
    if (path_room(d, 1))
        return KS_ENOMEM;
    if (!d->src && ks__git_trees_new(d->a, d->repo, &d->src))
        return KS_ENOMEM;
    d->path[0] = '\0';
    tree_id *olds = n ? ks__amalloc(d->a, n * sizeof *olds) : NULL;
    if (n && !olds)
        return KS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        memcpy(olds[i], parents[i].id, KS_GIT_ID_LEN);
    int rc = walk(d, tree->id, olds, n, 0, 0);
    ks__afree(d->a, olds);
    return rc;
}

void ks__git_tree_diff_free(ks_git_diff *d)
{
    ks__afree(d->a, d->path);
    d->path = NULL;
    d->path_cap = 0;
    ks__git_trees_free(d->src);
    d->src = NULL;
}
