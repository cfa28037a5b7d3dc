/* git_pack_lanes.c: one pack's delta trees resolved on several threads. The walk's order (roots in pack order, each
 * tree depth first) is cut into units (a small tree whole; a big one at its branches) and the units into groups of
 * about equal bytes out; lane j walks groups j, j + n, j + 2n, ... and queues what it hands out and reports; the
 * caller's thread takes the queues group by group, so the callbacks see what one walk would show, in its order,
 * whatever the number of lanes. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "git_pack_walk_int.h"
#include "thread_start.h"

#define LANES_MAX 8u 
/* What the lanes hold for the caller, in all, before they wait (each at least one object). A lane runs ahead of the
 * caller by its share: groups are cut to a quarter of it, so that a lane can finish one while the caller takes
 * another's (a group larger than the share leaves the others waiting: a delta tree is one lane's). */
#define QUEUES_BYTES ((size_t)64 << 20)
#define GROUPS_PER_LANE 64u              /* small groups keep every lane busy to the end */
#define GROUP_MIN ((uint64_t)64 << 10)   /* bytes out: a group's hand-over costs a lock round trip or two */
#define LANE_BUDGET_MIN ((size_t)8 << 20)
#define WAKE_ITEMS 64u

enum { IT_OBJECT, IT_PROBLEM, IT_END, IT_FAIL };

typedef struct item {
    struct item *next;
    int kind;
    int code; /* IT_PROBLEM: its code; IT_FAIL: why the lane stopped */
    uint32_t k;
    ks_git_type type;
    size_t size;   /* IT_OBJECT: its bytes' */
    uint8_t *data; /* IT_OBJECT: its bytes, the item's own */
    int embedded;  /* the lane's own item (not freed) */
    char what[];   /* IT_PROBLEM: the text */
} item;

typedef struct lanes lanes;

/* Objects a lane hands out in one go (ks__git_walk_unit): root k's tree (from KS_GIT_UNIT_ROOT), or the children
 * kids[from, to) of k; with head, each down its single-child chain only. */
typedef struct unit {
    uint32_t k, from, to, head;
    uint64_t weight; /* bytes out, near enough */
} unit;

struct ks_git_lane {
    lanes *ls;
    unsigned j;
    pthread_t thread;
    int started;
    walk w;
    ks_git_reader r;
    ks_git_counts c;
    int oom; /* a problem could not be queued */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* the queue changed: the lane and the caller both wait on it */
    item *head, *tail;
    size_t bytes, items;
    int lane_waits, caller_waits; /* only a waiting side is woken: a wake-up per object cost more than a lane gave */
    item failed; /* queued when nothing else can be: out of memory */
};

struct lanes {
    walk *w;
    unit *units;         /* the walk's order, cut (cut_units) */
    uint32_t n_units;
    uint32_t *group_end; /* group g is units[group_end[g - 1] .. group_end[g]) */
    uint32_t n_groups;
    unsigned n;
    size_t queue_bytes; /* each lane's share of QUEUES_BYTES */
    _Atomic int stop;
    pthread_mutex_t go_mu;
    pthread_cond_t go_cv;
    int go; /* 1: walk (ls->n is final); -1: do not */
    ks_git_lane l[LANES_MAX];
};

static void enqueue(ks_git_lane *l, item *it)
{
    it->next = NULL;
    pthread_mutex_lock(&l->mu);
    while (l->head && l->bytes + it->size > l->ls->queue_bytes && !atomic_load(&l->ls->stop)) {
        if (l->caller_waits)
            pthread_cond_broadcast(&l->cv);
        l->lane_waits = 1;
        pthread_cond_wait(&l->cv, &l->mu);
        l->lane_waits = 0;
    }
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
    l->bytes += it->size;
    l->items++;
    /* a waiting caller is woken for a batch (a wake-up per object cost a context switch each: 0.8 s of
     * system time on git/git), or a group's end */
    if (l->caller_waits && (it->kind == IT_END || it->kind == IT_FAIL || l->items >= WAKE_ITEMS ||
                            l->bytes >= l->ls->queue_bytes / 4))
        pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static item *dequeue(ks_git_lane *l)
{
    pthread_mutex_lock(&l->mu);
    while (!l->head) {
        l->caller_waits = 1;
        pthread_cond_wait(&l->cv, &l->mu);
        l->caller_waits = 0;
    }
    item *it = l->head;
    l->head = it->next;
    if (!l->head)
        l->tail = NULL;
    l->bytes -= it->size;
    l->items--;
    /* the lane waits for room: woken once half its queue is taken, not at every object */
    if (l->lane_waits && (l->bytes <= l->ls->queue_bytes / 2 || !l->head))
        pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return it;
}

static void item_free(const walk *w, item *it)
{
    if (it->embedded)
        return;
    ks__afree(w->a, it->data);
    ks__afree(w->a, it);
}

static item *item_new(ks_git_lane *l, int kind, uint32_t k, size_t body)
{
    item *it = ks__amalloc(l->w.a, sizeof *it + body);
    if (it)
        *it = (item){.kind = kind, .k = k};
    return it;
}

int ks__git_lane_object(ks_git_lane *l, uint32_t k, ks_git_type type, uint8_t **data, size_t size, int take)
{
    if (atomic_load(&l->ls->stop))
        return KS_ETERMINATED;
    /* most objects are leaves, whose bytes nothing else needs: copying every blob cost more than two lanes gave */
    item *it = item_new(l, IT_OBJECT, k, 0);
    uint8_t *bytes = take ? *data : ks__amalloc(l->w.a, size ? size : 1);
    if (!it || !bytes) {
        ks__afree(l->w.a, it);
        if (!take)
            ks__afree(l->w.a, bytes);
        return KS_ENOMEM;
    }
    if (take)
        *data = NULL;
    else
        memcpy(bytes, *data, size);
    it->type = type;
    it->size = size;
    it->data = bytes;
    enqueue(l, it);
    return 0;
}

void ks__git_lane_problem(ks_git_lane *l, uint32_t k, int code, const char *what)
{
    size_t len = strlen(what) + 1;
    item *it = item_new(l, IT_PROBLEM, k, len);
    if (!it) {
        l->oom = 1;
        return;
    }
    it->code = code;
    memcpy(it->what, what, len);
    enqueue(l, it);
}

/* A group's end: 0; or why the lane stops, its last item: non-zero (the lane's own item is queued once only). */
static int end_group(ks_git_lane *l, int rc)
{
    item *it = rc ? NULL : item_new(l, IT_END, 0, 0);
    if (!it) {
        it = &l->failed;
        *it = (item){.kind = IT_FAIL, .code = rc ? rc : KS_ENOMEM, .embedded = 1};
        rc = it->code;
    }
    enqueue(l, it);
    return rc;
}

static void *lane_main(void *arg)
{
    ks_git_lane *l = arg;
    lanes *ls = l->ls;
    pthread_mutex_lock(&ls->go_mu);
    while (!ls->go)
        pthread_cond_wait(&ls->go_cv, &ls->go_mu);
    int go = ls->go > 0;
    pthread_mutex_unlock(&ls->go_mu);
    int rc = 0;
    for (uint32_t g = l->j; go && g < ls->n_groups && rc == 0; g += ls->n) {
        for (uint32_t i = g ? ls->group_end[g - 1] : 0; i < ls->group_end[g] && rc == 0; i++) {
            const unit *u = &ls->units[i];
            rc = atomic_load(&ls->stop) ? KS_ETERMINATED : ks__git_walk_unit(&l->w, u->k, u->from, u->to, (int)u->head);
            if (rc == 0 && l->oom)
                rc = KS_ENOMEM;
        }
        rc = end_group(l, rc);
    }
    return NULL;
}

/* How many objects each delta tree's subtrees hold (sub[k]), and each root's size (the bytes its tree hands out,
 * near enough, are that times the objects: the versions of one file). Roots of a type not asked for weigh nothing
 * (their trees are skipped unread): size UINT64_MAX. */
static int count_trees(lanes *ls, uint32_t *sub, uint64_t *root_size, uint64_t *total)
{
    walk *w = ls->w;
    uint32_t *order = NULL;
    size_t cap = 0;
    *total = 0;
    for (uint32_t k = 0; k < w->n; k++) {
        if (!ks__git_walk_is_root(w, k))
            continue;
        ks_git_pack_hdr h;
        const char *why;
        if (w->base[k] == BASE_NONE && !(w->o->types & KS_GIT_TYPE_BIT(w->type[k] & 7))) {
            root_size[k] = UINT64_MAX;
            sub[k] = 1;
            continue;
        }
        root_size[k] = ks__git_pack_header(w->p, ks__git_pack_offset_at(w->p, k), ks__git_pack_end_at(w->p, k), &h,
                                           &why) == 0 ? h.size : 0;
        /* the tree in pre-order, then counted from its end: each object after its children */
        size_t n = 0;
        if (ks__agrow(w->a, (void **)&order, &cap, n, sizeof *order, 1024))
            goto nomem;
        order[n++] = k;
        for (size_t i = 0; i < n; i++)
            for (uint32_t c = w->first[order[i]]; c < w->first[order[i] + 1]; c++) {
                if (ks__agrow(w->a, (void **)&order, &cap, n, sizeof *order, 1024))
                    goto nomem;
                order[n++] = w->kids[c];
            }
        for (size_t i = n; i-- > 0;) {
            uint32_t x = order[i];
            sub[x] = 1;
            for (uint32_t c = w->first[x]; c < w->first[x + 1]; c++)
                sub[x] += sub[w->kids[c]];
        }
        *total += (root_size[k] + 1) * sub[k];
    }
    ks__afree(w->a, order);
    return 0;
nomem:
    ks__afree(w->a, order);
    return KS_ENOMEM;
}

static int add_unit(lanes *ls, size_t *cap, uint32_t k, uint32_t from, uint32_t to, int head, uint64_t weight)
{
    if (ks__agrow(ls->w->a, (void **)&ls->units, cap, ls->n_units, sizeof *ls->units, 1024))
        return KS_ENOMEM;
    ls->units[ls->n_units++] = (unit){k, from, to, (uint32_t)head, weight};
    return 0;
}

/* The end of x's single-child chain (x when it has none or several), and its length. */
static uint32_t chain_end(const walk *w, uint32_t x, uint32_t *len)
{
    for (*len = 1; w->first[x + 1] - w->first[x] == 1; ++*len)
        x = w->kids[w->first[x]];
    return x;
}

/* A branch being cut: its children from `next` on are still to do, those from `start` wait to be one unit. */
typedef struct branch {
    uint32_t y, depth, next, start;
    uint64_t weight;
} branch;

static int flush(lanes *ls, size_t *cap, branch *b)
{
    int rc = b->next > b->start ? add_unit(ls, cap, b->y, b->start, b->next, 0, b->weight) : 0;
    b->start = b->next;
    b->weight = 0;
    return rc;
}

/* Whether the tree may be cut at branch y, depth deep: each unit below it reads its chain again (depth + 1
 * objects of about `per` bytes), and the units at most its children. What a tree reads again is kept under
 * what it hands out, so a comb-shaped chain (each object a leaf and the chain's next) never costs the square
 * of its depth: past that, the rest of it is one unit. */
static int may_cut(const walk *w, uint32_t y, uint32_t depth, uint64_t per, uint64_t *spend, uint64_t allow)
{
    uint64_t kids = w->first[y + 1] - w->first[y];
    if (kids < 2)
        return 0;
    uint64_t cost = kids * ((uint64_t)depth + 1) * per;
    if (*spend + cost > allow)
        return 0;
    *spend += cost;
    return 1;
}

static int push_branch(lanes *ls, branch **st, size_t *cap, size_t *sp, uint32_t y, uint32_t depth)
{
    if (ks__agrow(ls->w->a, (void **)st, cap, *sp, sizeof **st, 16))
        return KS_ENOMEM;
    (*st)[(*sp)++] = (branch){y, depth, ls->w->first[y], ls->w->first[y], 0};
    return 0;
}

/* The walk's order cut into units: a tree that hands out at most `target` bytes is one; a bigger one (a file's
 * hundreds of versions) is its head (the root down its single-child chain to the first object with two children
 * or more), then that object's children, consecutive ones together up to `target` bytes, a bigger one cut the
 * same way, so that one tree's versions go to several lanes (may_cut bounds what that reads again). */
static int cut_units(lanes *ls, const uint32_t *sub, const uint64_t *root_size, uint64_t target)
{
    walk *w = ls->w;
    size_t cap = 0, bcap = 0, sp = 0;
    branch *st = NULL;
    int rc = 0;
    for (uint32_t r = 0; r < w->n && rc == 0; r++) {
        if (!ks__git_walk_is_root(w, r))
            continue;
        if (root_size[r] == UINT64_MAX) {
            rc = add_unit(ls, &cap, r, KS_GIT_UNIT_ROOT, 0, 0, 0);
            continue;
        }
        uint64_t per = root_size[r] + 1, spend = 0, allow = per * sub[r];
        uint32_t clen, y = chain_end(w, r, &clen);
        if (per * sub[r] <= target || !may_cut(w, y, clen - 1, per, &spend, allow)) {
            rc = add_unit(ls, &cap, r, KS_GIT_UNIT_ROOT, 0, 0, per * sub[r]);
            continue;
        }
        rc = add_unit(ls, &cap, r, KS_GIT_UNIT_ROOT, 0, 1, per * clen);
        if (rc == 0)
            rc = push_branch(ls, &st, &bcap, &sp, y, clen - 1);
        while (sp > 0 && rc == 0) {
            branch *b = &st[sp - 1];
            if (b->next == w->first[b->y + 1]) {
                rc = flush(ls, &cap, b);
                sp--;
                continue;
            }
            uint32_t c = w->kids[b->next];
            uint64_t wc = per * sub[c];
            if (wc <= target) {
                if (b->weight + wc > target)
                    rc = flush(ls, &cap, b);
                b->next++;
                b->weight += wc;
                continue;
            }
            /* a big child: alone, whole or its head only (then its branch's children are cut in turn) */
            if ((rc = flush(ls, &cap, b)) != 0)
                break;
            uint32_t depth = b->depth + 1, at = b->next, yb = b->y;
            y = chain_end(w, c, &clen);
            int cut = may_cut(w, y, depth + clen - 1, per, &spend, allow);
            rc = add_unit(ls, &cap, yb, at, at + 1, cut, cut ? per * clen : wc);
            b->next++;
            b->start = b->next;
            if (rc == 0 && cut)
                rc = push_branch(ls, &st, &bcap, &sp, y, depth + clen - 1); /* b may move */
        }
        sp = 0;
    }
    ks__afree(w->a, st);
    return rc;
}

/* Consecutive units of about `target` bytes out each. */
static int cut_groups(lanes *ls, uint64_t target)
{
    size_t cap = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < ls->n_units; i++) {
        acc += ls->units[i].weight;
        if (acc < target && i + 1 < ls->n_units)
            continue;
        if (ks__agrow(ls->w->a, (void **)&ls->group_end, &cap, ls->n_groups, sizeof *ls->group_end, 64))
            return KS_ENOMEM;
        ls->group_end[ls->n_groups++] = i + 1;
        acc = 0;
    }
    return 0;
}

/* Each lane's own walk over the shared plan: its own stack, reader, counts and share of the base budget. */
static int lane_init(lanes *ls, unsigned j, unsigned n)
{
    ks_git_lane *l = &ls->l[j];
    walk *w = ls->w;
    l->ls = ls;
    l->j = j;
    l->w = *w;
    l->w.st = NULL;
    l->w.path = NULL;
    l->w.sp = l->w.st_cap = l->w.path_cap = 0;
    l->w.held = 0;
    l->w.resolved = l->w.rebuilt = 0;
    l->w.budget = w->budget / n > LANE_BUDGET_MIN ? w->budget / n : LANE_BUDGET_MIN;
    l->w.c = &l->c;
    l->w.r = &l->r;
    l->w.lane = l;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (ks__git_reader_init(&l->r, w->a, w->r->max_object))
        return KS_ENOMEM;
    return ks__thread_start(&l->thread, lane_main, l) == 0 ? 0 : -1; /* not on a pinned starter's CPU */
}

/* Hands out group after group, each from its lane's queue: 0, KS_ENOMEM or KS_ETERMINATED. */
static int take(lanes *ls)
{
    walk *w = ls->w;
    const ks_git_idx *x = ks__git_pack_index(w->p);
    for (uint32_t g = 0; g < ls->n_groups; g++) {
        ks_git_lane *l = &ls->l[g % ls->n];
        for (;;) {
            item *it = dequeue(l);
            int kind = it->kind, rc = 0;
            if (kind == IT_OBJECT) {
                ks_git_object obj = {ks__git_idx_id(x, ks__git_pack_pos_at(w->p, it->k)), it->type, it->data, it->size,
                                     ks__git_pack_path(w->p), ks__git_pack_offset_at(w->p, it->k)};
                int added = w->o->seen ? ks__git_idset_add(w->o->seen, obj.id) : 1;
                if (added == 0) { /* another repository's walk handed it out meanwhile */
                    w->c->duplicates++;
                    w->c->objects--; /* counted by the lane (the lanes' counts are added at the end) */
                    w->c->bytes -= it->size;
                }
                rc = added < 0 ? KS_ENOMEM : added && w->o->on_object(&obj, w->o->ctx) ? KS_ETERMINATED : 0;
            } else if (kind == IT_PROBLEM && w->o->on_problem) {
                int in = it->k < w->n;
                ks_git_problem pr = {ks__git_pack_path(w->p), in ? ks__git_pack_offset_at(w->p, it->k) : KS_GIT_NO_OFFSET,
                                     in ? ks__git_idx_id(x, ks__git_pack_pos_at(w->p, it->k)) : NULL, it->code,
                                     it->what};
                w->o->on_problem(&pr, w->o->ctx);
            } else if (kind == IT_FAIL) {
                rc = it->code;
            }
            item_free(w, it);
            if (rc)
                return rc;
            if (kind == IT_END)
                break;
        }
    }
    return 0;
}

int ks__git_walk_lanes(walk *w, unsigned want)
{
    for (uint32_t k = 0; k < w->n; k++)
        if (w->base[k] == BASE_EXT)
            return 1; /* bases from other packs come through the caller's reader, which is not shared */
    lanes *ls = ks__acalloc(w->a, 1, sizeof *ls);
    if (!ls)
        return KS_ENOMEM;
    ls->w = w;
    uint64_t total = 0, *root_size = ks__amalloc(w->a, (size_t)w->n * sizeof *root_size + 1);
    uint32_t *sub = ks__amalloc(w->a, (size_t)w->n * sizeof *sub + 1);
    unsigned n = want < LANES_MAX ? want : LANES_MAX;
    int rc = root_size && sub ? count_trees(ls, sub, root_size, &total) : KS_ENOMEM;
    if (rc == 0) {
        ls->queue_bytes = QUEUES_BYTES / n;
        uint64_t target = total / ((uint64_t)n * GROUPS_PER_LANE);
        target = target > ls->queue_bytes / 4 ? ls->queue_bytes / 4 : target;
        target = w->o->group_bytes ? w->o->group_bytes : target > GROUP_MIN ? target : GROUP_MIN;
        rc = cut_units(ls, sub, root_size, target);
        if (rc == 0)
            rc = cut_groups(ls, target);
    }
    ks__afree(w->a, root_size);
    ks__afree(w->a, sub);
    if (rc == 0 && ls->n_groups < 2)
        rc = 1; /* one group: nothing to share */
    n = rc == 0 && ls->n_groups < n ? ls->n_groups : n;
    pthread_mutex_init(&ls->go_mu, NULL);
    pthread_cond_init(&ls->go_cv, NULL);
    unsigned started = 0;
    while (rc == 0 && started < n) {
        int lrc = lane_init(ls, started, n);
        ls->l[started].started = lrc == 0;
        started++;
        if (lrc)
            rc = lrc == KS_ENOMEM ? KS_ENOMEM : 1; /* no thread for it: on the caller's thread */
    }
    /* every lane waits for the word: groups go round ls->n lanes, so it is final before any is walked */
    pthread_mutex_lock(&ls->go_mu);
    ls->n = n;
    ls->go = rc == 0 ? 1 : -1;
    pthread_cond_broadcast(&ls->go_cv);
    pthread_mutex_unlock(&ls->go_mu);
    if (rc == 0)
        rc = take(ls);
    atomic_store(&ls->stop, 1);
    for (unsigned j = 0; j < started; j++) {
        ks_git_lane *l = &ls->l[j];
        pthread_mutex_lock(&l->mu);
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
    for (unsigned j = 0; j < started; j++) {
        ks_git_lane *l = &ls->l[j];
        if (l->started)
            pthread_join(l->thread, NULL);
        for (item *it = l->head, *next; it; it = next) {
            next = it->next;
            item_free(w, it);
        }
        ks__git_walk_stack_free(&l->w);
        ks__git_reader_fini(&l->r);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        w->c->objects += l->c.objects;
        w->c->bytes += l->c.bytes;
        w->c->duplicates += l->c.duplicates;
        w->c->skipped += l->c.skipped;
        w->c->problems += l->c.problems;
        w->c->reread += l->c.reread;
    }
    pthread_mutex_destroy(&ls->go_mu);
    pthread_cond_destroy(&ls->go_cv);
    ks__afree(w->a, ls->units);
    ks__afree(w->a, ls->group_end);
    ks__afree(w->a, ls);
    return rc;
}
