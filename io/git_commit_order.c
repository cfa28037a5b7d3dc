/* git_commit_order.c: the commits of a repository gathered breadth-first from its tips (refs through libgit2, the
 * commits read by git_commit_read.c), then ordered by our own Kahn walk rather than git_revwalk's: libgit2 1.5 stops
 * its walk at the first commit it cannot read (a shallow clone's boundary, a partial clone), while provenance must
 * go on with the rest of the history. */
#include <string.h>

#include "alloc.h"
#include "git_commit_order.h"
#include "git_commit_read.h"

#define NOT_READ KS_GIT_COMMIT_NOT_READ

static size_t slot_of(const git_oid *id, size_t cap)
{
    uint64_t h;
    memcpy(&h, id->id, sizeof h); /* ids are SHA-1 digests that libgit2 checked: their bytes are spread already */
    return (size_t)(h ^ h >> 29) & (cap - 1);
}

long ks__git_commits_find(const ks_git_commits *c, const git_oid *id)
{
    if (!c->index_cap)
        return -1;
    for (size_t i = slot_of(id, c->index_cap);; i = (i + 1) & (c->index_cap - 1)) {
        uint32_t v = c->index[i];
        if (!v)
            return -1;
        if (git_oid_equal(&c->nodes[v - 1].id, id))
            return (long)v - 1;
    }
}

static int index_grow(ks_git_commits *c)
{
    size_t cap = c->index_cap ? c->index_cap * 2 : 1024;
    uint32_t *t = ks__acalloc(c->a, cap, sizeof *t);
    if (!t)
        return KS_ENOMEM;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = slot_of(&c->nodes[k].id, cap);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)k + 1;
    }
    ks__afree(c->a, c->index);
    c->index = t;
    c->index_cap = cap;
    return 0;
}

/* Adds the commit `id` (once) with its tree, date and parents' ids, read through src (info is scratch); one that
 * cannot be read is kept as NOT_READ. */
static int add_commit(ks_git_trees *src, ks_git_commit_info *info, ks_git_commits *c, const git_oid *id)
{
    if (ks__git_commits_find(c, id) >= 0)
        return 0;
    if ((c->n + 1) * 2 > c->index_cap && index_grow(c))
        return KS_ENOMEM;
    if (c->n >= UINT32_MAX - 1 || ks__agrow(c->a, (void **)&c->nodes, &c->cap, c->n, sizeof *c->nodes, 256))
        return KS_ENOMEM;
    ks_git_commit_node *nd = &c->nodes[c->n];
    memset(nd, 0, sizeof *nd);
    git_oid_cpy(&nd->id, id);
    nd->n_parents = NOT_READ;
    int git_error = 0, rrc = ks__git_commit_read(src, c->a, id, info, &git_error);
    if (rrc == KS_ENOMEM)
        return rrc;
    if (rrc == 0) {
        nd->parents = (uint32_t)c->n_parent_ids;
        for (size_t k = 0; k < info->n_parents; k++) {
            if (ks__agrow(c->a, (void **)&c->parent_ids, &c->cap_parent_ids, c->n_parent_ids, sizeof *c->parent_ids, 256))
                return KS_ENOMEM;
            c->parent_ids[c->n_parent_ids++] = info->parents[k];
        }
        nd->tree = info->tree;
        nd->time = info->time;
        nd->n_parents = (uint32_t)info->n_parents;
    } else {
        c->missing++;
    }
    size_t i = slot_of(id, c->index_cap);
    while (c->index[i])
        i = (i + 1) & (c->index_cap - 1);
    c->index[i] = (uint32_t)++c->n;
    return 0;
}

/* 1 when a stop is pending (stop may be NULL), which is taken: each stop stops one load. */
static int take_stop(atomic_int *stop)
{
    int n = stop ? atomic_load_explicit(stop, memory_order_relaxed) : 0;
    while (n > 0)
        if (atomic_compare_exchange_weak(stop, &n, n - 1))
            return 1;
    return 0;
}

/* HEAD and every ref's commit; KS_ETERMINATED when a stop is taken between refs (a repository may have 100,000),
 * and the next load reads them all again (add_commit keeps each commit once). */
static int add_tips(git_repository *repo, ks_git_trees *src, ks_git_commit_info *info, atomic_int *stop,
                    ks_git_commits *c)
{
    int rc = 0;
    git_object *obj;
    if (git_revparse_single(&obj, repo, "HEAD^{commit}") == 0) {
        rc = add_commit(src, info, c, git_object_id(obj));
        git_object_free(obj);
    }
    git_reference_iterator *it;
    if (rc || git_reference_iterator_new(&it, repo))
        return rc;
    git_reference *ref;
    while (!rc && !(rc = take_stop(stop) ? KS_ETERMINATED : 0) && git_reference_next(&ref, it) == 0) {
        /* a ref to a tree or a blob holds no commit; one to a missing object is a missing commit */
        int prc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
        if (prc == 0) {
            rc = add_commit(src, info, c, git_object_id(obj));
            git_object_free(obj);
        } else if (prc == GIT_ENOTFOUND) {
            c->missing++;
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    return rc;
}

/* Orders ready commits: older committer date first, then smaller id. */
static int before(const ks_git_commits *c, uint32_t x, uint32_t y)
{
    const ks_git_commit_node *a = &c->nodes[x], *b = &c->nodes[y];
    if (a->time != b->time)
        return a->time < b->time;
    return git_oid_cmp(&a->id, &b->id) < 0;
}

static void heap_push(const ks_git_commits *c, uint32_t *h, size_t *n, uint32_t v)
{
    size_t i = (*n)++;
    while (i && before(c, v, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint32_t heap_pop(const ks_git_commits *c, uint32_t *h, size_t *n)
{
    uint32_t top = h[0], v = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < *n && before(c, h[l], v))
            m = l;
        if (l + 1 < *n && before(c, h[l + 1], m == i ? v : h[m]))
            m = l + 1;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n)
        h[i] = v;
    return top;
}

/* Kahn's walk: a commit is ready once every parent that was read is placed. */
static int order_commits(ks_git_commits *c)
{
    size_t n = c->n;
    uint32_t *pending = ks__acalloc(c->a, n + 1, sizeof *pending);
    uint32_t *first_child = ks__acalloc(c->a, n + 1, sizeof *first_child);
    uint32_t *children = ks__acalloc(c->a, c->n_parent_ids + 1, sizeof *children);
    uint32_t *heap = ks__acalloc(c->a, n + 1, sizeof *heap);
    c->order = ks__acalloc(c->a, n + 1, sizeof *c->order);
    int rc = KS_ENOMEM;
    if (!pending || !first_child || !children || !heap || !c->order)
        goto out;
    /* children of each read parent, as a compressed adjacency list */
    for (size_t k = 0; k < n; k++) {
        const ks_git_commit_node *nd = &c->nodes[k];
        for (uint32_t j = 0; nd->n_parents != NOT_READ && j < nd->n_parents; j++) {
            long p = ks__git_commits_find(c, &c->parent_ids[nd->parents + j]);
            if (p >= 0 && c->nodes[p].n_parents != NOT_READ && !c->nodes[p].boundary) {
                first_child[p + 1]++;
                pending[k]++;
            }
        }
    }
    for (size_t k = 0; k < n; k++)
        first_child[k + 1] += first_child[k];
    uint32_t *fill = heap; /* borrowed as the fill cursor before the walk needs it */
    if (n) /* an empty history may have no arrays at all */
        memcpy(fill, first_child, n * sizeof *fill);
    for (size_t k = 0; k < n; k++) {
        const ks_git_commit_node *nd = &c->nodes[k];
        for (uint32_t j = 0; nd->n_parents != NOT_READ && j < nd->n_parents; j++) {
            long p = ks__git_commits_find(c, &c->parent_ids[nd->parents + j]);
            if (p >= 0 && c->nodes[p].n_parents != NOT_READ && !c->nodes[p].boundary)
                children[fill[p]++] = (uint32_t)k;
        }
    }
    size_t hn = 0, placed = 0;
    for (size_t k = 0; k < n; k++)
        if (c->nodes[k].n_parents != NOT_READ && !c->nodes[k].boundary && pending[k] == 0)
            heap_push(c, heap, &hn, (uint32_t)k);
    while (hn) {
        uint32_t k = heap_pop(c, heap, &hn);
        c->order[placed++] = k;
        for (uint32_t j = first_child[k]; j < first_child[k + 1]; j++)
            if (--pending[children[j]] == 0)
                heap_push(c, heap, &hn, children[j]);
    }
    c->n_ordered = placed; /* commits that could not be read are not in the order */
    rc = 0;
out:
    ks__afree(c->a, pending);
    ks__afree(c->a, first_child);
    ks__afree(c->a, children);
    ks__afree(c->a, heap);
    return rc;
}

/* Both loads: the commits from none, and the scratch of the one commit read at a time. */
static void load_start(const ks_allocator *a, ks_git_commits *c, ks_git_commit_info *info)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    memset(info, 0, sizeof *info);
}

static int load_end(ks_git_commits *c, ks_git_commit_info *info, int rc)
{
    ks__git_commit_info_free(c->a, info);
    return rc ? rc : order_commits(c);
}

int ks__git_commits_load(git_repository *repo, ks_git_trees *src, const ks_allocator *a, atomic_int *stop,
                         ks_git_commits *c)
{
    ks_git_commit_info info;
    if (!c->started) {
        load_start(a, c, &info);
        c->started = 1;
    } else {
        memset(&info, 0, sizeof info); /* a stopped load going on */
    }
    int rc = 0;
    if (!c->tips_done) /* (again after a stop among the refs: add_commit keeps each commit once) */
        c->tips_done = (rc = add_tips(repo, src, &info, stop, c)) == 0;
    /* breadth-first: the nodes array is its own queue, and where it is is kept when the load stops */
    for (; !rc && c->next < c->n; c->next++) {
        if (take_stop(stop)) {
            rc = KS_ETERMINATED;
            break;
        }
        size_t k = c->next;
        uint32_t np = c->nodes[k].n_parents, first = c->nodes[k].parents;
        for (uint32_t j = 0; !rc && np != NOT_READ && j < np; j++) {
            git_oid parent = c->parent_ids[first + j]; /* a copy: add_commit may move the array */
            rc = add_commit(src, &info, c, &parent);
        }
    }
    return load_end(c, &info, rc);
}

int ks__git_commits_load_range(ks_git_trees *src, const ks_allocator *a, const git_oid *tips, size_t n_tips,
                               const ks_git_idset *hidden, atomic_int *stop, ks_git_commits *c)
{
    ks_git_commit_info info;
    load_start(a, c, &info);
    int rc = 0;
    for (size_t i = 0; !rc && i < n_tips; i++)
        if (!ks__git_idset_has(hidden, tips[i].id))
            rc = add_commit(src, &info, c, &tips[i]);
    for (size_t k = 0; !rc && k < c->n; k++) {
        if (take_stop(stop)) {
            rc = KS_ETERMINATED;
            break;
        }
        uint32_t np = c->nodes[k].n_parents, first = c->nodes[k].parents;
        for (uint32_t j = 0; !rc && !c->nodes[k].boundary && np != NOT_READ && j < np; j++) {
            git_oid parent = c->parent_ids[first + j];
            size_t before = c->n;
            rc = add_commit(src, &info, c, &parent);
            if (!rc && c->n > before && ks__git_idset_has(hidden, parent.id))
                c->nodes[c->n - 1].boundary = 1;
        }
    }
    return load_end(c, &info, rc);
}

void ks__git_commits_free(ks_git_commits *c)
{
    ks__afree(c->a, c->nodes);
    ks__afree(c->a, c->parent_ids);
    ks__afree(c->a, c->index);
    ks__afree(c->a, c->order);
    memset(c, 0, sizeof *c);
}
