/* git_trees.c: trees by id read from the packs directly (libgit2 reads each through zlib, its own delta-base cache
 * and a parse into sorted entry objects: on git/git's history that reading was half of provenance), each delta
 * chain resolved from the nearest base already held; what no pack of ours holds comes from libgit2's database. */
#include "git_pack.h"
#include "git_pack_dir.h"
#include "git_trees.h"

#define BASE_SLOTS 4096u               /* objects resolved lately, by pack and pack-order number */
#define ID_SLOTS 256u                 /* trees asked for lately, by id */
#define BASE_BUDGET ((size_t)32 << 20) /* bytes the base slots may hold */
#define REF_NESTING 8                  /* a REF_DELTA's base in another pack, whose base is in another ... */

typedef struct base_slot {
    ks_git_tree *o;
    uint32_t pack, k;
} base_slot;

struct ks_git_trees {
    const ks_allocator *a;
    git_repository *repo;
    git_odb *odb; /* opened when first needed */
    ks_git_pack **packs;
    size_t npacks, packs_cap;
    int borrowed; /* the packs are another reader's (ks__git_trees_new_like): not closed here */
    ks_git_reader r;
    base_slot *base; /* BASE_SLOTS */
    ks_git_tree **ids; /* ID_SLOTS */
    size_t held;       /* bytes of the objects in base */
    size_t budget;     /* bytes base may hold */
    uint32_t hand;     /* where eviction for the budget goes on from */
};

static ks_git_tree *obj_new(ks_git_trees *s, ks_git_type type, uint8_t *data, size_t size)
{
    ks_git_tree *o = ks__acalloc(s->a, 1, sizeof *o);
    if (!o) {
        ks__afree(s->a, data);
        return NULL;
    }
    o->refs = 1;
    o->type = type;
    o->data = data;
    o->size = size;
    return o;
}

void ks__git_tree_put(ks_git_trees *s, ks_git_tree *t)
{
    if (!t || --t->refs)
        return;
    ks__afree(s->a, t->e);
    ks__afree(s->a, t->data);
    ks__afree(s->a, t);
}

static void base_evict(ks_git_trees *s, base_slot *b)
{
    if (!b->o)
        return;
    s->held -= b->o->size;
    ks__git_tree_put(s, b->o);
    b->o = NULL;
}

static ks_git_tree *base_get(ks_git_trees *s, uint32_t pack, uint32_t k)
{
    base_slot *b = &s->base[(k * 2654435761u + pack) % BASE_SLOTS];
    if (!b->o || b->k != k || b->pack != pack)
        return NULL;
    b->o->refs++;
    return b->o;
}

/* Kept for the deltas that will want it as their base; the budget is kept by evicting round the slots. */
static void base_put(ks_git_trees *s, uint32_t pack, uint32_t k, ks_git_tree *o)
{
    if (o->size > s->budget / 4)
        return;
    base_slot *b = &s->base[(k * 2654435761u + pack) % BASE_SLOTS];
    base_evict(s, b);
    for (uint32_t i = 0; s->held + o->size > s->budget && i < BASE_SLOTS; i++)
        base_evict(s, &s->base[s->hand++ % BASE_SLOTS]);
    o->refs++;
    *b = (base_slot){o, pack, k};
    s->held += o->size;
}

static int by_id(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], int nest, ks_git_tree **out);

/* Object k of pack pi with its delta chain resolved: 0 with *out, KS_ENOMEM, or another KS_E* code. */
static int from_pack(ks_git_trees *s, uint32_t pi, uint32_t k, int nest, ks_git_tree **out)
{
    ks_git_pack *p = s->packs[pi];
    uint32_t *chain = NULL;
    size_t depth = 0, cap = 0;
    ks_git_tree *cur = NULL;
    char why[256];
    int rc = 0;
    while (!(cur = base_get(s, pi, k))) {
        ks_git_pack_hdr h;
        const char *reason;
        if ((rc = ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &reason)))
            goto out;
        if (h.type < KS_GIT_OFS_DELTA) {
            uint8_t *data;
            if ((rc = ks__git_pack_inflate(p, &s->r, &h, ks__git_pack_end_at(p, k), &data, why, sizeof why)))
                goto out;
            if (!(cur = obj_new(s, h.type, data, (size_t)h.size))) {
                rc = KS_ENOMEM;
                goto out;
            }
            base_put(s, pi, k, cur);
            break;
        }
        if (depth > ks__git_pack_count(p)) { /* a cycle of REF_DELTAs */
            rc = KS_ECORRUPT;
            goto out;
        }
        if (ks__agrow(s->a, (void **)&chain, &cap, depth, sizeof *chain, 16)) {
            rc = KS_ENOMEM;
            goto out;
        }
        chain[depth++] = k;
        uint32_t pos;
        const ks_git_idx *x = ks__git_pack_index(p);
        if (h.type == KS_GIT_OFS_DELTA) {
            if (!ks__git_pack_k_of(p, h.base_offset, &k)) {
                rc = KS_ECORRUPT;
                goto out;
            }
        } else if (ks__git_idx_find(x, h.base_id, &pos)) {
            if (!ks__git_pack_k_of(p, ks__git_idx_offset(x, pos), &k)) {
                rc = KS_ECORRUPT;
                goto out;
            }
        } else {
            if (nest >= REF_NESTING) {
                rc = KS_ECORRUPT;
                goto out;
            }
            if ((rc = by_id(s, h.base_id, nest + 1, &cur)))
                goto out;
            break;
        }
    }
    while (depth > 0) {
        k = chain[--depth];
        ks_git_pack_hdr h;
        const char *reason;
        uint8_t *next;
        size_t next_len;
        if ((rc = ks__git_pack_header(p, ks__git_pack_offset_at(p, k), ks__git_pack_end_at(p, k), &h, &reason)) ||
            (rc = ks__git_pack_apply_delta(p, &s->r, &h, ks__git_pack_end_at(p, k), cur->data, cur->size, &next,
                                           &next_len, why, sizeof why)))
            goto out;
        ks_git_tree *o = obj_new(s, cur->type, next, next_len);
        if (!o) {
            rc = KS_ENOMEM;
            goto out;
        }
        ks__git_tree_put(s, cur);
        cur = o;
        base_put(s, pi, k, cur);
    }
    *out = cur;
    cur = NULL;
out:
    ks__git_tree_put(s, cur);
    ks__afree(s->a, chain);
    return rc;
}

/* From libgit2's database: loose objects, alternates, packs it reaches that we did not open. 0, KS_ENOMEM, or
 * 1 with *git_error. */
static int from_odb(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], ks_git_tree **out, int *git_error)
{
    git_odb_object *obj = NULL;
    git_oid oid;
    memcpy(oid.id, id, KS_GIT_ID_LEN);
    int grc = s->odb ? 0 : git_repository_odb(&s->odb, s->repo);
    if (grc == 0)
        grc = git_odb_read(&obj, s->odb, &oid);
    if (grc) {
        *git_error = grc;
        return 1;
    }
    size_t size = git_odb_object_size(obj);
    uint8_t *data = ks__amalloc(s->a, size ? size : 1);
    if (data)
        memcpy(data, git_odb_object_data(obj), size);
    ks_git_type type = (ks_git_type)git_odb_object_type(obj); /* libgit2's numbers are the pack format's */
    git_odb_object_free(obj);
    if (!data || !(*out = obj_new(s, type, data, size)))
        return KS_ENOMEM;
    return 0;
}

/* Object id from the first pack holding it: 0 with *out, 1 when no pack holds it, KS_ENOMEM, or KS_E* (damaged). */
static int by_id(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], int nest, ks_git_tree **out)
{
    int rc = 1;
    for (size_t i = 0; i < s->npacks && rc != 0 && rc != KS_ENOMEM; i++) {
        const ks_git_idx *x = ks__git_pack_index(s->packs[i]);
        uint32_t pos, k;
        if (!ks__git_idx_find(x, id, &pos))
            continue;
        rc = ks__git_pack_k_of(s->packs[i], ks__git_idx_offset(x, pos), &k) ? from_pack(s, (uint32_t)i, k, nest, out)
                                                                            : KS_ECORRUPT;
    }
    if (rc == 1 || (rc != 0 && rc != KS_ENOMEM)) { /* not in our packs, or damaged there: whatever libgit2 finds */
        int grc = 0;
        int orc = from_odb(s, id, out, &grc);
        if (orc == 0 || orc == KS_ENOMEM)
            return orc;
        return rc == 1 && grc == GIT_ENOTFOUND ? 1 : KS_ECORRUPT;
    }
    return rc;
}

size_t ks__git_common_prefix(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (uint64_t x, y; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return i + (size_t)__builtin_ctzll(x ^ y) / 8; /* the lowest byte that differs */
    }
#endif
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

size_t ks__git_common_suffix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, size_t max)
{
    size_t i = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (uint64_t x, y; i + 8 <= max; i += 8) {
        memcpy(&x, a + an - i - 8, 8);
        memcpy(&y, b + bn - i - 8, 8);
        if (x != y)
            return i + (size_t)__builtin_clzll(x ^ y) / 8; /* the highest byte, the last in memory */
    }
#endif
    while (i < max && a[an - i - 1] == b[bn - i - 1])
        i++;
    return i;
}

uint32_t ks__git_tree_first_from(const ks_git_tree *t, uint32_t lo, size_t at)
{
    uint32_t hi = t->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ks__git_tree_entry_start(t, mid) < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entry at p, checked as libgit2 checks one (an octal mode of any number of digits up to 0177777, as old
 * writers padded them with zeros, and a space; a name; an id whole): 0, or -1. */
static int entry_at(const uint8_t *d, const uint8_t *p, const uint8_t *end, ks_git_tree_entry *e)
{
    const uint8_t *q = p;
    uint32_t mode = 0;
    while (q < end && *q >= '0' && *q <= '7' && mode <= 0xffffu)
        mode = mode * 8 + (uint32_t)(*q++ - '0');
    if (q == p || q >= end || *q != ' ' || mode > 0xffffu)
        return -1;
    const uint8_t *name = q + 1, *nul = memchr(name, 0, (size_t)(end - name));
    if (!nul || nul == name || end - nul - 1 < KS_GIT_ID_LEN)
        return -1;
    unsigned fmt = mode & 0170000u;
    *e = (ks_git_tree_entry){(uint32_t)(name - d), (uint32_t)(nul - name), (uint32_t)(nul + 1 + KS_GIT_ID_LEN - d),
                             fmt == 0040000u ? KS_GIT_TREE : fmt == 0160000u ? KS_GIT_COMMIT : KS_GIT_BLOB};
    return 0;
}

/* Appends n entries, known to be in order among themselves; with check, the first is located in t's bytes and
 * compared with the last one before it. */
static int append(const ks_allocator *a, ks_git_tree *t, size_t *cap, const ks_git_tree_entry *e, size_t n, int check)
{
    if (!n)
        return 0;
    if (t->n + n > *cap) {
        size_t want = t->n + n > *cap * 2 ? t->n + n : *cap * 2;
        ks_git_tree_entry *g = ks__arealloc(a, t->e, want * sizeof *g);
        if (!g)
            return KS_ENOMEM;
        t->e = g;
        *cap = want;
    }
    if (check && t->n && t->sorted && ks__git_tree_entry_cmp(t, &t->e[t->n - 1], t, e) >= 0)
        t->sorted = 0;
    memcpy(&t->e[t->n], e, n * sizeof *e);
    t->n += (uint32_t)n;
    return 0;
}

/* Appends like's entries from k on, moved by shift bytes into t's. */
static int append_moved(const ks_allocator *a, ks_git_tree *t, size_t *cap, const ks_git_tree *like, uint32_t k,
                        int64_t shift)
{
    ks_git_tree_entry first = like->e[k];
    first.name = (uint32_t)(first.name + shift);
    first.end = (uint32_t)(first.end + shift);
    if (append(a, t, cap, &first, 1, 1) || append(a, t, cap, &like->e[k + 1], like->n - k - 1, 0))
        return KS_ENOMEM;
    uint32_t moved = like->n - k - 1;
    for (uint32_t i = t->n - moved; i < t->n && shift; i++) {
        t->e[i].name = (uint32_t)(t->e[i].name + shift);
        t->e[i].end = (uint32_t)(t->e[i].end + shift);
    }
    return 0;
}

/* Locates every entry. A root tree has hundreds and every version of it is read (git/git's 203,352 commits:
 * 130 million entries, most of the time provenance took), but it mostly shares its bytes with its parent's:
 * the entries of the bytes both start with, and of those both end with where each starts an entry in like,
 * are like's, moved; only the entries between are parsed. */
int ks__git_tree_parse(const ks_allocator *a, ks_git_tree *t, const ks_git_tree *like)
{
    const uint8_t *d = t->data, *end = d + t->size;
    ks__afree(a, t->e); /* what a parse that ran out of memory left */
    t->e = NULL;
    t->n = 0;
    t->sorted = 1;
    t->has_like = 0;
    if (t->size > UINT32_MAX)
        return t->parsed = -1;
    size_t cap = t->size / 32 + 4; /* an entry takes 24 bytes at least, mostly 30 to 50 */
    if (!(t->e = ks__amalloc(a, cap * sizeof *t->e)))
        return KS_ENOMEM;
    if (like && (like->parsed != 1 || !like->sorted || !like->n))
        like = NULL;
    size_t at = 0, tn = t->size, ln = like ? like->size : 0, suffix_from = tn + 1;
    uint32_t like_hi = UINT32_MAX;
    if (like) {
        size_t min = tn < ln ? tn : ln, pre = ks__git_common_prefix(d, like->data, min);
        uint32_t k = ks__git_tree_first_from(like, 0, pre + 1); /* entries before k start at or before pre */
        while (k > 0 && like->e[k - 1].end > pre)
            k--;
        if (append(a, t, &cap, like->e, k, 0))
            return KS_ENOMEM;
        t->like_lo = k;
        at = ks__git_tree_entry_start(like, k);
        suffix_from = tn - ks__git_common_suffix(d, tn, like->data, ln, min - pre);
    }
    while (at < tn) {
        if (at >= suffix_from) {
            size_t lat = at + ln - tn;
            uint32_t j = ks__git_tree_first_from(like, 0, lat);
            if (j < like->n && ks__git_tree_entry_start(like, j) == lat) {
                like_hi = t->n;
                if (append_moved(a, t, &cap, like, j, (int64_t)tn - (int64_t)ln))
                    return KS_ENOMEM;
                break;
            }
        }
        ks_git_tree_entry e;
        if (entry_at(d, d + at, end, &e))
            return t->parsed = -1;
        if (append(a, t, &cap, &e, 1, 1))
            return KS_ENOMEM;
        at = e.end;
    }
    if (like) {
        t->has_like = 1;
        t->like_hi = like_hi == UINT32_MAX ? t->n : like_hi;
        memcpy(t->like, like->id, KS_GIT_ID_LEN);
    }
    t->parsed = 1;
    return 0;
}

int ks__git_objects_get(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], ks_git_tree **out, int *git_error)
{
    *out = NULL;
    int rc = by_id(s, id, 0, out);
    if (rc == KS_ENOMEM)
        return rc;
    if (rc) {
        *git_error = rc == 1 ? GIT_ENOTFOUND : GIT_ERROR;
        return 1;
    }
    memcpy((*out)->id, id, KS_GIT_ID_LEN);
    return 0;
}

int ks__git_trees_fetch(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], ks_git_tree **out, int *git_error)
{
    *out = NULL;
    uint32_t h;
    memcpy(&h, id, sizeof h);
    ks_git_tree *kept = s->ids[h % ID_SLOTS];
    if (kept && ks__git_id_eq(kept->id, id)) {
        kept->refs++;
        *out = kept;
        return 0;
    }
    ks_git_tree *t = NULL;
    int rc = ks__git_objects_get(s, id, &t, git_error);
    if (rc)
        return rc;
    if (t->type != KS_GIT_TREE) {
        ks__git_tree_put(s, t);
        *git_error = GIT_ENOTFOUND; /* as git_tree_lookup answers an id of another type */
        return 1;
    }
    *out = t;
    return 0;
}

int ks__git_trees_finish(ks_git_trees *s, ks_git_tree *t, const ks_git_tree *like, int *git_error)
{
    if (!t->parsed && ks__git_tree_parse(s->a, t, like) == KS_ENOMEM)
        return KS_ENOMEM;
    if (t->parsed < 0) {
        *git_error = GIT_ERROR;
        return 1;
    }
    uint32_t h;
    memcpy(&h, t->id, sizeof h);
    ks_git_tree **slot = &s->ids[h % ID_SLOTS];
    if (*slot != t) {
        ks__git_tree_put(s, *slot);
        t->refs++;
        *slot = t;
    }
    return 0;
}

int ks__git_trees_get(ks_git_trees *s, const uint8_t id[KS_GIT_ID_LEN], const ks_git_tree *like, ks_git_tree **out,
                      int *git_error)
{
    int rc = ks__git_trees_fetch(s, id, out, git_error);
    if (rc == 0 && (rc = ks__git_trees_finish(s, *out, like, git_error)) != 0) {
        ks__git_tree_put(s, *out);
        *out = NULL;
    }
    return rc;
}

/* A reader with its caches, and no packs yet. */
static int trees_alloc(const ks_allocator *a, git_repository *repo, ks_git_trees **out)
{
    *out = NULL;
    ks_git_trees *s = ks__acalloc(a, 1, sizeof *s);
    if (!s)
        return KS_ENOMEM;
    s->a = a;
    s->repo = repo;
    s->budget = BASE_BUDGET;
    int rc = 0;
    if (!(s->base = ks__acalloc(a, BASE_SLOTS, sizeof *s->base)) || !(s->ids = ks__acalloc(a, ID_SLOTS, sizeof *s->ids)))
        rc = KS_ENOMEM;
    if (!rc)
        rc = ks__git_reader_init(&s->r, a, 0);
    if (rc) {
        ks__git_trees_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ks__git_trees_new_like(const ks_allocator *a, git_repository *repo, const ks_git_trees *like, size_t budget,
                           ks_git_trees **out)
{
    int rc = trees_alloc(a, repo, out);
    if (rc)
        return rc;
    ks_git_trees *s = *out;
    s->borrowed = 1;
    s->budget = budget ? budget : BASE_BUDGET;
    if (like->npacks && !(s->packs = ks__acalloc(a, like->npacks, sizeof *s->packs))) {
        ks__git_trees_free(s);
        *out = NULL;
        return KS_ENOMEM;
    }
    if (like->npacks)
        memcpy(s->packs, like->packs, like->npacks * sizeof *s->packs);
    s->npacks = s->packs_cap = like->npacks;
    return 0;
}

int ks__git_trees_new(const ks_allocator *a, git_repository *repo, ks_git_trees **out)
{
    int rc = trees_alloc(a, repo, out);
    if (rc)
        return rc;
    ks_git_trees *s = *out;
    char *objects = ks__apath_join(a, git_repository_commondir(repo), "objects");
    rc = objects ? 0 : KS_ENOMEM;
    /* a pack we cannot open is left to libgit2, which reports what it cannot read as it reads */
    if (!rc)
        rc = ks__git_packs_open_dir(a, objects, &s->packs, &s->npacks, &s->packs_cap, NULL, NULL);
    ks__afree(a, objects);
    if (rc) {
        ks__git_trees_free(s);
        *out = NULL;
    }
    return rc;
}

void ks__git_trees_free(ks_git_trees *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->base && i < BASE_SLOTS; i++)
        base_evict(s, &s->base[i]);
    for (uint32_t i = 0; s->ids && i < ID_SLOTS; i++)
        ks__git_tree_put(s, s->ids[i]);
    for (size_t i = 0; i < s->npacks && !s->borrowed; i++)
        ks__git_pack_close(s->packs[i]);
    ks__afree(s->a, s->packs);
    ks__afree(s->a, s->base);
    ks__afree(s->a, s->ids);
    ks__git_reader_fini(&s->r);
    git_odb_free(s->odb);
    ks__afree(s->a, s);
}
