/* git_paint.c: the ancestors of a range's lower ends that a walk down from its upper end can meet, found newest
 * commit first, so that `--since-commit HEAD~3` reads a few commits, not the whole history below HEAD~3. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "git_paint.h"

typedef struct entry {
    git_oid id;
    int64_t time;
    int hidden;
} entry;

typedef struct heap {
    const ks_allocator *a;
    entry *v;
    size_t n, cap;
} heap;

static int newer(const entry *x, const entry *y)
{
    /* at equal times, hidden first: painting reaches a commit before the range's side takes it */
    return x->time > y->time || (x->time == y->time && x->hidden > y->hidden);
}

static int heap_push(heap *h, const git_oid *id, int64_t time, int hidden)
{
    if (ks__agrow(h->a, (void **)&h->v, &h->cap, h->n, sizeof *h->v, 64) != 0)
        return KS_ENOMEM;
    size_t i = h->n++;
    entry e = {.time = time, .hidden = hidden};
    git_oid_cpy(&e.id, id);
    while (i > 0 && newer(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
    return 0;
}

static entry heap_pop(heap *h)
{
    entry top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && newer(&h->v[c + 1], &h->v[c]))
            c++;
        if (!newer(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* Queues a commit with its time; one that cannot be read is left out (lookup has said why, when it should). */
static int queue(heap *h, ks_git_paint *p, const git_oid *id, int is_parent, int hidden, ks_git_commit_info *c)
{
    int rc = p->lookup(p->ctx, id, is_parent, hidden, c);
    return rc == KS_ENOMEM ? rc : rc ? 0 : heap_push(h, id, c->time, hidden);
}

int ks__git_paint_hidden(ks_git_paint *p, const git_oid *from, size_t n_from, const git_oid *to, size_t n_to,
                         ks_git_idset *hidden)
{
    heap h = {.a = p->a};
    ks_git_commit_info c = {0}, pc = {0}; /* the commit walked, and one queued */
    ks_git_idset *seen = ks__git_idset_new(p->a); /* the range's side */
    int rc = seen ? 0 : KS_ENOMEM;
    size_t n_range = 0;       /* entries of the range's side queued */
    int64_t oldest = INT64_MAX; /* the oldest commit the range's side has taken */
    for (size_t i = 0; !rc && i < n_from; i++) {
        int added = ks__git_idset_add(hidden, from[i].id);
        rc = added < 0 ? KS_ENOMEM : added ? queue(&h, p, &from[i], 0, 1, &pc) : 0;
    }
    for (size_t i = 0; !rc && i < n_to; i++) {
        if (ks__git_idset_has(hidden, to[i].id))
            continue;
        int added = ks__git_idset_add(seen, to[i].id);
        size_t before = h.n;
        rc = added < 0 ? KS_ENOMEM : added ? queue(&h, p, &to[i], 0, 0, &pc) : 0;
        n_range += h.n > before;
    }
    /* Stop once the range's side has nothing queued and every painted commit still queued is older than all
     * it took: with times that never decrease from parent to child, no path from a lower end to a commit the
     * range took is left unpainted. */
    while (!rc && h.n && !(n_range == 0 && h.v[0].time < oldest)) {
        entry e = heap_pop(&h);
        if (!e.hidden) {
            n_range--;
            if (ks__git_idset_has(hidden, e.id.id))
                continue;
            if (e.time < oldest)
                oldest = e.time;
        }
        int lrc = p->lookup(p->ctx, &e.id, 1, e.hidden, &c);
        if (lrc) {
            rc = lrc == KS_ENOMEM ? lrc : 0;
            continue;
        }
        p->walked++;
        for (size_t i = 0; !rc && i < c.n_parents; i++) {
            const git_oid *pid = &c.parents[i];
            if (e.hidden) {
                int added = ks__git_idset_add(hidden, pid->id);
                rc = added < 0 ? KS_ENOMEM : added ? queue(&h, p, pid, 1, 1, &pc) : 0;
            } else if (!ks__git_idset_has(hidden, pid->id)) {
                int added = ks__git_idset_add(seen, pid->id);
                size_t before = h.n;
                rc = added < 0 ? KS_ENOMEM : added ? queue(&h, p, pid, 1, 0, &pc) : 0;
                n_range += h.n > before;
            }
        }
    }
    ks__git_commit_info_free(p->a, &c);
    ks__git_commit_info_free(p->a, &pc);
    ks__afree(p->a, h.v);
    ks__git_idset_free(seen);
    return rc;
}
