/* git_pack_walk.c: every object of a pack once, as a forest of delta trees: each root inflated once, each delta applied
 * once to its base's bytes, held on an explicit stack (chains thousands deep never recurse) within a byte budget. */
#include <stdio.h>
#include <string.h>

#include <libdeflate.h>

#include "alloc.h"
#include "git_pack_walk_int.h"

static const uint8_t *id_of(const walk *w, uint32_t k)
{
    return ks__git_idx_id(ks__git_pack_index(w->p), ks__git_pack_pos_at(w->p, k));
}

static void problem(walk *w, uint32_t k, int code, const char *what)
{
    if (w->quiet)
        return;
    w->c->problems++;
    if (k < w->n)
        w->type[k] |= REACHED;
    if (w->lane) {
        ks__git_lane_problem(w->lane, k, code, what);
        return;
    }
    if (!w->o->on_problem)
        return;
    ks_git_problem pr = {ks__git_pack_path(w->p), k < w->n ? ks__git_pack_offset_at(w->p, k) : KS_GIT_NO_OFFSET,
                         k < w->n ? id_of(w, k) : NULL, code, what};
    w->o->on_problem(&pr, w->o->ctx);
}

static int has_kids(const walk *w, uint32_t k)
{
    return w->first[k] != w->first[k + 1];
}

/* A lane's unit that is a chain's head stops at the first object with two children or more: each of those
 * is a unit of its own (git_pack_lanes.c). */
static int stops_here(const walk *w, uint32_t k)
{
    return w->head_only && w->first[k + 1] - w->first[k] >= 2;
}

/* Reads every header once: each object's base, and the children of each base. */
static int plan(walk *w)
{
    const ks_git_idx *x = ks__git_pack_index(w->p);
    uint32_t n = w->n;
    memset(w->first, 0, ((size_t)n + 1) * sizeof *w->first);
    for (uint32_t k = 0; k < n; k++) {
        ks_git_pack_hdr h;
        const char *why;
        w->base[k] = BASE_NONE;
        w->type[k] = 0;
        if (ks__git_pack_header(w->p, ks__git_pack_offset_at(w->p, k), ks__git_pack_end_at(w->p, k), &h, &why) != 0) {
            w->base[k] = BASE_BAD;
            problem(w, k, KS_ECORRUPT, why);
            continue;
        }
        w->type[k] = (uint8_t)h.type;
        uint32_t b, pos;
        if (h.type == KS_GIT_OFS_DELTA) {
            if (!ks__git_pack_k_of(w->p, h.base_offset, &b)) {
                w->base[k] = BASE_BAD;
                problem(w, k, KS_ECORRUPT, "delta base offset does not start an object");
                continue;
            }
        } else if (h.type == KS_GIT_REF_DELTA) {
            if (!ks__git_idx_find(x, h.base_id, &pos) || !ks__git_pack_k_of(w->p, ks__git_idx_offset(x, pos), &b)) {
                w->base[k] = BASE_EXT;
                continue;
            }
        } else {
            continue;
        }
        w->base[k] = b;
        w->first[b + 1]++;
    }
    for (uint32_t k = 0; k < n; k++)
        w->first[k + 1] += w->first[k];
    /* fill each group at first[b], which then ends at the next group's start; shift back after */
    for (uint32_t k = 0; k < n; k++)
        if (w->base[k] < n)
            w->kids[w->first[w->base[k]]++] = k;
    for (uint32_t k = n; k > 0; k--)
        w->first[k] = w->first[k - 1];
    w->first[0] = 0;
    return 0;
}

static int push(walk *w, uint32_t k, uint8_t *data, size_t size)
{
    if (ks__agrow(w->a, (void **)&w->st, &w->st_cap, w->sp, sizeof *w->st, 64) != 0)
        return KS_ENOMEM;
    w->st[w->sp++] = (frame){k, w->first[k], w->first[k + 1], data, size};
    w->held += size;
    return 0;
}

static void drop(walk *w, frame *f)
{
    if (f->data) {
        ks__afree(w->a, f->data);
        w->held -= f->size;
        f->data = NULL;
    }
}

/* Over budget: drop the bases farthest from the top first. The top's bytes are needed now, and the frame
 * below it is the base that the top's subtree returns to next: dropping it would rebuild it once per child. */
static void prune(walk *w)
{
    for (size_t i = 0; w->held > w->budget && i + 2 < w->sp; i++)
        drop(w, &w->st[i]);
}

/* The whole tree under k, of a type not asked for: marked, counted, nothing inflated. */
static int skip_tree(walk *w, uint32_t k)
{
    size_t bottom = w->sp;
    w->type[k] |= REACHED;
    w->c->skipped++;
    if (!has_kids(w, k))
        return 0;
    if (push(w, k, NULL, 0) != 0)
        return KS_ENOMEM;
    while (w->sp > bottom) {
        frame *f = &w->st[w->sp - 1];
        if (f->next == f->end) {
            w->sp--;
            continue;
        }
        uint32_t c = w->kids[f->next++];
        w->type[c] |= REACHED;
        w->c->skipped++;
        if (has_kids(w, c) && push(w, c, NULL, 0) != 0)
            return KS_ENOMEM;
    }
    return 0;
}

/* With verify: the packed bytes against the CRC-32 the index records; a mismatch is reported and the
 * object not read (its bytes are damaged even when they still inflate). Returns 0 when they match. */
static int crc_bad(walk *w, uint32_t k)
{
    if (!w->o->verify)
        return 0;
    uint64_t off = ks__git_pack_offset_at(w->p, k), end = ks__git_pack_end_at(w->p, k);
    uint32_t want = ks__git_idx_crc(ks__git_pack_index(w->p), ks__git_pack_pos_at(w->p, k));
    if (libdeflate_crc32(0, ks__git_pack_bytes(w->p) + off, (size_t)(end - off)) == want)
        return 0;
    problem(w, k, KS_ECORRUPT, "packed bytes do not match the index's CRC-32");
    return -1;
}

/* A resolved object: checked as asked, handed out unless its id was handed out before. On a lane, the bytes of a
 * leaf (no delta needs them as its base) are given to the lane's queue: *data is then NULL. */
static int emit(walk *w, uint32_t k, uint8_t **data_p, size_t size)
{
    const uint8_t *data = *data_p;
    const uint8_t *id = id_of(w, k);
    w->type[k] |= REACHED;
    w->resolved += size;
    if (w->o->want && !ks__git_idset_has(w->o->want, id)) {
        w->c->skipped++; /* resolved only as a base of what is wanted */
        return 0;
    }
    if (w->o->seen && w->lane) {
        /* added by the caller's thread as it hands it out: a lane runs ahead, and what a stopped walk never
         * handed out must not pass for seen in another repository of the scan */
        if (ks__git_idset_has(w->o->seen, id)) {
            w->c->duplicates++;
            return 0;
        }
    } else if (w->o->seen) {
        int added = ks__git_idset_add(w->o->seen, id);
        if (added < 0)
            return KS_ENOMEM;
        if (added == 0) {
            w->c->duplicates++;
            return 0;
        }
    }
    if (w->o->verify) {
        uint8_t got[KS_GIT_ID_LEN];
        ks__git_hash_object(w->tree_type, data, size, got);
        if (memcmp(got, id, KS_GIT_ID_LEN) != 0) {
            /* still handed out: the bytes are in the repository whatever their name */
            problem(w, k, KS_ECORRUPT, "content does not hash to the object's id");
        }
    }
    w->c->objects++;
    w->c->bytes += size;
    if (w->lane)
        return ks__git_lane_object(w->lane, k, w->tree_type, data_p, size, !has_kids(w, k));
    ks_git_object obj = {id, w->tree_type, data, size, ks__git_pack_path(w->p), ks__git_pack_offset_at(w->p, k)};
    return w->o->on_object(&obj, w->o->ctx) ? KS_ETERMINATED : 0;
}

/* Reports a failed read of k; only running out of memory stops the walk. */
static int failed(walk *w, uint32_t k, int rc)
{
    if (rc == KS_ENOMEM)
        return rc;
    problem(w, k, rc, w->why);
    return 0;
}

/* Object k's header; -1 when unreadable (reported). */
static int header(walk *w, uint32_t k, ks_git_pack_hdr *h)
{
    const char *why;
    if (ks__git_pack_header(w->p, ks__git_pack_offset_at(w->p, k), ks__git_pack_end_at(w->p, k), h, &why) == 0)
        return 0;
    problem(w, k, KS_ECORRUPT, why);
    return -1;
}

/* The bytes of the tree root k (a whole object, or a delta on a base outside the pack): 0 with *data and
 * w->tree_type set; 1 when it cannot be read (reported); KS_ENOMEM. */
static int root_data(walk *w, uint32_t k, uint8_t **data, size_t *size)
{
    ks_git_pack_hdr h;
    uint64_t end = ks__git_pack_end_at(w->p, k);
    *data = NULL;
    if (header(w, k, &h) != 0)
        return 1;
    int rc;
    if (w->base[k] == BASE_NONE) {
        w->tree_type = h.type;
        rc = ks__git_pack_inflate(w->p, w->r, &h, end, data, w->why, sizeof w->why);
        if (rc == 0)
            *size = (size_t)h.size;
        return rc == 0 ? 0 : failed(w, k, rc) ? KS_ENOMEM : 1;
    }
    /* a REF_DELTA whose base is elsewhere: only the reader's lookup knows its type */
    ks_git_type t = KS_GIT_NONE;
    uint8_t *b = NULL;
    size_t blen = 0;
    if (!w->r->find_base) {
        char hex[KS_GIT_HEX_LEN + 1];
        ks__git_id_hex(h.base_id, hex);
        snprintf(w->why, sizeof w->why, "delta base %s is not in this pack", hex);
        rc = KS_ECORRUPT;
    } else {
        rc = w->r->find_base(w->r->find_ctx, h.base_id, &t, &b, &blen, w->why, sizeof w->why);
    }
    if (rc == 0) {
        w->tree_type = t;
        rc = ks__git_pack_apply_delta(w->p, w->r, &h, end, b, blen, data, size, w->why, sizeof w->why);
        ks__afree(w->a, b);
    }
    return rc == 0 ? 0 : failed(w, k, rc) ? KS_ENOMEM : 1;
}

/* The bytes of delta k applied to base: 0, 1 when it cannot be read (reported), KS_ENOMEM. */
static int child_data(walk *w, uint32_t k, const uint8_t *base, size_t base_len, uint8_t **data, size_t *size)
{
    ks_git_pack_hdr h;
    uint64_t end = ks__git_pack_end_at(w->p, k);
    if (header(w, k, &h) != 0)
        return 1;
    int rc = ks__git_pack_apply_delta(w->p, w->r, &h, end, base, base_len, data, size, w->why, sizeof w->why);
    return rc == 0 ? 0 : failed(w, k, rc) ? KS_ENOMEM : 1;
}

/* Rebuilds the top frame's bytes, dropped by the budget: from the nearest frame below that still holds
 * its bytes, or from the tree's root. 0; 1 when that fails (reported); 2 when rebuilding is over its
 * bound; KS_ENOMEM. The bound: a pack shaped so that every base is dropped and rebuilt again and again
 * (deep chains branching at every level, each object larger than the budget) would take quadratic time,
 * so rebuilding stops once its work passes four times the bytes walked plus REBUILD_FLOOR (which a sane pack
 * with even a tiny budget stays under). */
static int rebuild_top(walk *w)
{
    if (w->rebuilt > 4 * w->resolved + REBUILD_FLOOR)
        return 2;
    frame *top = &w->st[w->sp - 1];
    size_t depth = 0;
    size_t j = w->sp - 1; /* frames below the top, matched as the climb passes them */
    const uint8_t *from = NULL;
    size_t from_len = 0;
    uint32_t x = top->k;
    for (;;) {
        if (ks__agrow(w->a, (void **)&w->path, &w->path_cap, depth, sizeof *w->path, 64) != 0)
            return KS_ENOMEM;
        w->path[depth++] = x;
        if (w->base[x] >= w->n)
            break; /* the root */
        x = w->base[x];
        if (j > 0 && w->st[j - 1].k == x) {
            j--;
            if (w->st[j].data) {
                from = w->st[j].data;
                from_len = w->st[j].size;
                break;
            }
        }
    }
    uint8_t *cur = NULL;
    size_t cur_len = 0;
    int rc;
    if (!from) {
        /* path ends at the root */
        ks_git_type t = w->tree_type;
        rc = root_data(w, w->path[--depth], &cur, &cur_len);
        w->tree_type = t;
        if (rc != 0)
            return rc;
    } else {
        cur = (uint8_t *)from;
        cur_len = from_len;
    }
    while (depth > 0) {
        uint8_t *next;
        size_t next_len;
        rc = child_data(w, w->path[--depth], cur, cur_len, &next, &next_len);
        if (cur != from)
            ks__afree(w->a, cur);
        if (rc != 0)
            return rc;
        cur = next;
        cur_len = next_len;
        w->rebuilt += cur_len;
        w->c->reread += cur_len;
    }
    top = &w->st[w->sp - 1];
    top->data = cur;
    top->size = cur_len;
    w->held += cur_len;
    prune(w);
    return 0;
}

/* A leaf whose id was handed out before (the common case of an object in two packs), or that is not wanted:
 * nothing to inflate. */
static int seen_leaf(walk *w, uint32_t k)
{
    if (has_kids(w, k))
        return 0;
    if (w->o->want && !ks__git_idset_has(w->o->want, id_of(w, k))) {
        w->type[k] |= REACHED;
        w->c->skipped++;
        return 1;
    }
    if (!w->o->seen || !ks__git_idset_has(w->o->seen, id_of(w, k)))
        return 0;
    w->type[k] |= REACHED;
    w->c->duplicates++;
    return 1;
}

/* The root k of a delta tree checked, read and handed out: 0 with its bytes in *data when it has children to walk,
 * 1 when nothing below it is to be walked (a type not asked for, a leaf, a failure reported), or KS_E*. */
static int start_root(walk *w, uint32_t k, uint8_t **data, size_t *size)
{
    if (w->base[k] == BASE_NONE) {
        w->tree_type = (ks_git_type)(w->type[k] & 7);
        if (!(w->o->types & KS_GIT_TYPE_BIT(w->tree_type))) {
            int rc = skip_tree(w, k);
            return rc ? rc : 1;
        }
        if (seen_leaf(w, k))
            return 1;
    }
    if (crc_bad(w, k))
        return 1;
    int rc = root_data(w, k, data, size);
    if (rc != 0)
        return rc;
    if (!(w->o->types & KS_GIT_TYPE_BIT(w->tree_type))) {
        /* a delta on an outside base of a type not asked for */
        ks__afree(w->a, *data);
        rc = skip_tree(w, k);
        return rc ? rc : 1;
    }
    if ((rc = emit(w, k, data, *size)) != 0 || !has_kids(w, k) || stops_here(w, k)) {
        ks__afree(w->a, *data);
        return rc ? rc : 1;
    }
    return 0;
}

/* Resolves and hands out, depth first, the children still to do of the frames above `bottom`. */
static int descend(walk *w, size_t bottom)
{
    int rc;
    uint8_t *data;
    size_t size;
    while (w->sp > bottom) {
        frame *top = &w->st[w->sp - 1];
        if (top->next == top->end) {
            drop(w, top);
            w->sp--;
            continue;
        }
        uint32_t c = w->kids[top->next++];
        int last = top->next == top->end;
        if (seen_leaf(w, c) || crc_bad(w, c))
            continue;
        if (!top->data && (rc = rebuild_top(w)) != 0) {
            if (rc < 0)
                return rc;
            /* the rest of its children are reported: here when rebuilding is over its bound, at the end otherwise */
            top = &w->st[w->sp - 1];
            for (top->next--; rc == 2 && top->next < top->end; top->next++)
                problem(w, w->kids[top->next], KS_ELIMIT,
                        "its delta base was dropped by the base budget and rebuilding it again would pass 4x the "
                        "bytes read: not read (raise the base budget)");
            top->next = top->end;
            continue;
        }
        top = &w->st[w->sp - 1];
        data = NULL;
        rc = child_data(w, c, top->data, top->size, &data, &size);
        if (rc == 1)
            continue;
        if (rc == 0)
            rc = emit(w, c, &data, size);
        if (rc != 0 || !has_kids(w, c) || stops_here(w, c)) {
            ks__afree(w->a, data);
            if (rc != 0)
                return rc;
            continue;
        }
        if (last) {
            /* the base is done with: its frame becomes the child's, so a linear chain holds one object */
            drop(w, top);
            *top = (frame){c, w->first[c], w->first[c + 1], data, size};
            w->held += size;
        } else if ((rc = push(w, c, data, size)) != 0) {
            ks__afree(w->a, data);
            return rc;
        }
        prune(w);
    }
    return 0;
}

int ks__git_walk_tree(walk *w, uint32_t k)
{
    uint8_t *data;
    size_t size;
    int rc = start_root(w, k, &data, &size);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    size_t bottom = w->sp;
    if ((rc = push(w, k, data, size)) != 0) {
        ks__afree(w->a, data);
        return rc;
    }
    return descend(w, bottom);
}

/* The bytes of x, read again without a word (the walk that hands x out reports what fails): its chain climbed
 * to the root and applied down. 0 with *data and w->tree_type set; 1 when any of it cannot be read or is
 * damaged; KS_ENOMEM. */
static int quietly(walk *w, uint32_t x, uint8_t **data, size_t *size)
{
    size_t depth = 0;
    for (uint32_t y = x;; y = w->base[y]) {
        if (ks__agrow(w->a, (void **)&w->path, &w->path_cap, depth, sizeof *w->path, 64) != 0)
            return KS_ENOMEM;
        w->path[depth++] = y;
        if (w->base[y] >= w->n)
            break;
    }
    w->quiet = 1;
    uint8_t *cur = NULL;
    size_t cur_len = 0;
    uint32_t root = w->path[--depth];
    int rc = crc_bad(w, root) ? 1 : root_data(w, root, &cur, &cur_len);
    w->c->reread += rc == 0 ? cur_len : 0;
    while (rc == 0 && depth > 0) {
        uint32_t y = w->path[--depth];
        uint8_t *next = NULL;
        size_t next_len = 0;
        rc = crc_bad(w, y) ? 1 : child_data(w, y, cur, cur_len, &next, &next_len);
        ks__afree(w->a, cur);
        cur = next;
        cur_len = next_len;
        w->c->reread += next_len;
    }
    w->quiet = 0;
    if (rc != 0) {
        ks__afree(w->a, cur);
        return rc;
    }
    *data = cur;
    *size = cur_len;
    return 0;
}

int ks__git_walk_unit(walk *w, uint32_t k, uint32_t from, uint32_t to, int head)
{
    w->head_only = head;
    int rc;
    if (from == KS_GIT_UNIT_ROOT) {
        rc = ks__git_walk_tree(w, k);
    } else {
        /* children [from, to) as the ones left to do of their base's frame: descend() does as the whole walk */
        uint8_t *data;
        size_t size;
        rc = quietly(w, k, &data, &size);
        size_t bottom = w->sp;
        if (rc == 0 && (rc = push(w, k, data, size)) != 0)
            ks__afree(w->a, data);
        if (rc == 0) {
            w->st[w->sp - 1].next = from;
            w->st[w->sp - 1].end = to;
            rc = descend(w, bottom);
        }
        rc = rc == 1 ? 0 : rc;
    }
    w->head_only = 0;
    return rc;
}

void ks__git_walk_stack_free(walk *w)
{
    while (w->sp > 0)
        drop(w, &w->st[--w->sp]);
    ks__afree(w->a, w->st);
    ks__afree(w->a, w->path);
    w->st = NULL;
    w->path = NULL;
    w->st_cap = w->path_cap = 0;
}

static void walk_free(walk *w)
{
    ks__git_walk_stack_free(w);
    ks__afree(w->a, w->type);
    ks__afree(w->a, w->base);
    ks__afree(w->a, w->first);
    ks__afree(w->a, w->kids);
}

int ks__git_pack_walk(ks_git_pack *p, ks_git_reader *r, const ks_git_walk_options *o, ks_git_counts *c)
{
    ks_git_counts scratch = {0};
    walk w = {.p = p, .r = r, .o = o, .c = c ? c : &scratch, .a = r->alloc, .n = ks__git_pack_count(p)};
    w.budget = o->base_budget ? o->base_budget : DEFAULT_BUDGET;
    size_t n = w.n;
    w.type = ks__amalloc(w.a, n + 1);
    w.base = ks__amalloc(w.a, n * sizeof *w.base + 1);
    w.first = ks__amalloc(w.a, (n + 1) * sizeof *w.first);
    w.kids = ks__amalloc(w.a, n * sizeof *w.kids + 1);
    int rc = KS_ENOMEM;
    if (!w.type || !w.base || !w.first || !w.kids)
        goto out;
    ks__git_pack_will_read_all(p);
    if ((rc = plan(&w)) != 0)
        goto out;
    rc = o->lanes > 1 ? ks__git_walk_lanes(&w, o->lanes) : 1;
    if (rc == 1) { /* on this thread */
        rc = 0;
        for (uint32_t k = 0; k < w.n && rc == 0; k++)
            if (ks__git_walk_is_root(&w, k))
                rc = ks__git_walk_tree(&w, k);
    }
    if (rc != 0)
        goto out;
    /* what no root reached: below a base that could not be read, or in a cycle of REF_DELTAs */
    for (uint32_t k = 0; k < w.n; k++)
        if (!(w.type[k] & REACHED))
            problem(&w, k, KS_ECORRUPT, "its delta base could not be read (damaged, missing or too large), or its "
                                        "delta chain loops");
out:
    walk_free(&w);
    return rc;
}
