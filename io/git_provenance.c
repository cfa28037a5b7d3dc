/* git_provenance.c: ks_git_provenance: for the blobs that have findings, the commits and paths that introduced them,
 * found by comparing each commit's tree with its parents' entry by entry id (a subtree a parent holds unchanged is
 * never opened: nothing under it is new), never by reading blob contents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "git_commit_order.h"
#include "git_commit_read.h"
#include "git_paint.h"
#include "git_range.h"
#include "git_tree_diff.h"
#include "hex.h"

#define FROM_INDEX UINT32_MAX /* origin_rec.commit of an index entry: not committed yet */

typedef struct origin_rec {
    uint32_t want;   /* index in prov.ids */
    uint32_t commit; /* node index, or FROM_INDEX */
    char *path;
} origin_rec;

typedef struct prov {
    const ks_allocator *a;
    git_repository *repo;
    const ks_git_commits *commits;
    git_oid *ids; /* the ids asked for, sorted, each once */
    size_t n_ids;
    unsigned char *found; /* per id: an origin is known */
    size_t n_found;
    int all_paths;
    origin_rec *recs;
    size_t n_recs, cap_recs;
    ks_git_diff diff;     /* what each commit introduced */
    uint32_t commit_now;  /* the commit being compared */
    long last_want;       /* the index in ids of the blob diff_wants saw last */
    int corrupt; /* a tree could not be read */
    int err;     /* KS_ENOMEM */
} prov;

static int oid_cmp(const void *x, const void *y) { return git_oid_cmp(x, y); }

static long want_find(const prov *p, const git_oid *id)
{
    const git_oid *hit = bsearch(id, p->ids, p->n_ids, sizeof *p->ids, oid_cmp);
    return hit ? (long)(hit - p->ids) : -1;
}

static void record(prov *p, long want, const char *dir, size_t dir_len, const char *name)
{
    size_t n = strlen(name);
    char *path = ks__amalloc(p->a, dir_len + n + 1);
    if (!path || ks__agrow(p->a, (void **)&p->recs, &p->cap_recs, p->n_recs, sizeof *p->recs, 16)) {
        ks__afree(p->a, path);
        p->err = KS_ENOMEM;
        return;
    }
    memcpy(path, dir, dir_len);
    memcpy(path + dir_len, name, n + 1);
    p->recs[p->n_recs++] = (origin_rec){(uint32_t)want, p->commit_now, path};
    if (!p->found[want]) {
        p->found[want] = 1;
        p->n_found++;
    }
}

/* A blob worth comparing with the parents: one asked for, and still without an origin (or all are wanted). */
static int diff_wants(void *ctx, const git_oid *id)
{
    prov *p = ctx;
    p->last_want = want_find(p, id);
    return p->last_want >= 0 && (p->all_paths || !p->found[p->last_want]);
}

/* The commit being compared introduced it (git_tree_diff.c asks diff_wants first, for the same entry). */
static int diff_blob(void *ctx, const git_oid *id, const char *dir, size_t dir_len, const char *name)
{
    prov *p = ctx;
    record(p, p->last_want, dir, dir_len, name);
    return p->err;
}

static void diff_unreadable(void *ctx, const git_oid *id, int git_error) { ((prov *)ctx)->corrupt = 1; }

/* Compares one commit's tree with the trees of its parents that could be read. */
static void compare_commit(prov *p, uint32_t k)
{
    const ks_git_commits *c = p->commits;
    const ks_git_commit_node *nd = &c->nodes[k];
    git_oid *parents = nd->n_parents ? ks__acalloc(p->a, nd->n_parents, sizeof *parents) : NULL;
    size_t np = 0;
    if (nd->n_parents && !parents) {
        p->err = KS_ENOMEM;
        return;
    }
    for (uint32_t j = 0; j < nd->n_parents; j++) {
        long pi = ks__git_commits_find(c, &c->parent_ids[nd->parents + j]);
        if (pi < 0 || c->nodes[pi].n_parents == KS_GIT_COMMIT_NOT_READ)
            continue; /* counted as missing when loaded: this commit is a root on that side */
        git_oid_cpy(&parents[np++], &c->nodes[pi].tree);
    }
    p->commit_now = k;
    int rc = ks__git_tree_diff(&p->diff, &nd->tree, parents, np);
    if (rc == KS_ECORRUPT)
        p->corrupt = 1; /* trees nested past any real repository's */
    else if (rc)
        p->err = rc;
    ks__afree(p->a, parents);
}

/* The author date in ISO 8601 in the author's own zone; gmtime_r on the shifted time, so no TZ is consulted. */
static void iso_date(char out[64], int64_t t, int offset)
{
    time_t local = (time_t)(t + (int64_t)offset * 60);
    struct tm tm;
    if (!gmtime_r(&local, &tm)) {
        snprintf(out, 64, "%lld", (long long)t);
        return;
    }
    int off = offset < 0 ? -offset : offset;
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', off / 60 % 100, off % 60);
}

typedef struct origin_buf {
    ks_git_origin o;
    char commit[GIT_OID_HEXSZ + 1];
    char date[64];
    char *author, *email, *message; /* copies: the commit they come from is freed at once */
} origin_buf;

/* Fills b from the commit of record r; a commit unreadable now (it was read before) leaves empty fields. */
static int fill_origin(prov *p, origin_buf *b, const origin_rec *r)
{
    static const char empty[] = "";
    memset(b, 0, sizeof *b);
    b->o = (ks_git_origin){.commit = b->commit, .path = r->path, .author = empty, .email = empty,
                           .date = b->date, .message = empty};
    if (r->commit == FROM_INDEX)
        return 0;
    git_oid_tostr(b->commit, sizeof b->commit, &p->commits->nodes[r->commit].id);
    git_commit *c;
    if (git_commit_lookup(&c, p->repo, &p->commits->nodes[r->commit].id)) {
        p->corrupt = 1;
        return 0;
    }
    const git_signature *sig = git_commit_author(c);
    const char *msg = git_commit_message(c);
    size_t n = msg ? strlen(msg) : 0;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    int rc = 0;
    if (!(b->message = ks__astrndup(p->a, msg ? msg : "", n)))
        rc = KS_ENOMEM;
    if (sig) {
        b->author = ks__astrdup(p->a, sig->name ? sig->name : "");
        b->email = ks__astrdup(p->a, sig->email ? sig->email : "");
        if (!b->author || !b->email)
            rc = KS_ENOMEM;
        b->o.time = (int64_t)sig->when.time;
        b->o.utc_offset = sig->when.offset;
        iso_date(b->date, b->o.time, b->o.utc_offset);
    }
    b->o.author = b->author ? b->author : empty;
    b->o.email = b->email ? b->email : empty;
    b->o.message = b->message ? b->message : empty;
    git_commit_free(c);
    return rc;
}

static void free_origin(prov *p, origin_buf *b)
{
    ks__afree(p->a, b->author);
    ks__afree(p->a, b->email);
    ks__afree(p->a, b->message);
}

/* Hands each id asked for its origins, in the order asked. */
static int call_back(prov *p, const char *const *blobs, size_t n_blobs, ks_git_origin_fn cb, void *ctx)
{
    /* the records of each id, in the order found (topological, then tree order): a stable counting sort */
    size_t *start = ks__acalloc(p->a, p->n_ids + 1, sizeof *start);
    size_t *by_id = ks__acalloc(p->a, p->n_recs + 1, sizeof *by_id);
    int rc = 0;
    if (!start || !by_id) {
        rc = KS_ENOMEM;
        goto out;
    }
    for (size_t r = 0; r < p->n_recs; r++)
        start[p->recs[r].want + 1]++;
    size_t most = 0;
    for (size_t i = 0; i < p->n_ids; i++) {
        most = start[i + 1] > most ? start[i + 1] : most;
        start[i + 1] += start[i];
    }
    size_t *fill = ks__acalloc(p->a, p->n_ids + 1, sizeof *fill);
    origin_buf *bufs = ks__acalloc(p->a, most + 1, sizeof *bufs);
    ks_git_origin *origins = ks__acalloc(p->a, most + 1, sizeof *origins);
    if (!fill || !bufs || !origins) {
        rc = KS_ENOMEM;
    } else {
        if (p->n_ids)
            memcpy(fill, start, p->n_ids * sizeof *fill);
        for (size_t r = 0; r < p->n_recs; r++)
            by_id[fill[p->recs[r].want]++] = r;
    }
    for (size_t i = 0; i < n_blobs && !rc; i++) {
        git_oid id;
        git_oid_fromstrn(&id, blobs[i], GIT_OID_HEXSZ); /* checked before the walk */
        long w = want_find(p, &id);
        size_t n = w < 0 ? 0 : start[w + 1] - start[w];
        size_t filled = 0;
        for (; filled < n && !rc; filled++) {
            rc = fill_origin(p, &bufs[filled], &p->recs[by_id[start[w] + filled]]);
            origins[filled] = bufs[filled].o;
        }
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &id);
        ks_git_blob_origins b = {.index = i, .blob = hex, .origins = n ? origins : NULL, .n_origins = n};
        if (!rc && cb(ctx, &b))
            rc = KS_ETERMINATED;
        for (size_t k = 0; k < filled; k++)
            free_origin(p, &bufs[k]);
    }
    ks__afree(p->a, fill);
    ks__afree(p->a, bufs);
    ks__afree(p->a, origins);
out:
    ks__afree(p->a, start);
    ks__afree(p->a, by_id);
    return rc;
}

static int is_hex_id(const char *s)
{
    unsigned char id[GIT_OID_RAWSZ];
    return strlen(s) == GIT_OID_HEXSZ && ks__hex_bytes(s, id, sizeof id) == 0;
}

/* The sorted, unique ids asked for. */
static int load_wanted(prov *p, const char *const *blobs, size_t n_blobs)
{
    p->ids = ks__acalloc(p->a, n_blobs + 1, sizeof *p->ids);
    p->found = ks__acalloc(p->a, n_blobs + 1, 1);
    if (!p->ids || !p->found)
        return KS_ENOMEM;
    for (size_t i = 0; i < n_blobs; i++)
        git_oid_fromstrn(&p->ids[i], blobs[i], GIT_OID_HEXSZ);
    qsort(p->ids, n_blobs, sizeof *p->ids, oid_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n_blobs; i++)
        if (!u || !git_oid_equal(&p->ids[u - 1], &p->ids[i]))
            git_oid_cpy(&p->ids[u++], &p->ids[i]);
    p->n_ids = u;
    return 0;
}

/* The index's entries that hold a wanted blob (stage 0 and conflict stages alike): where a staged blob is. */
static int index_origins(prov *p)
{
    git_index *index = NULL;
    if (git_repository_index(&index, p->repo) != 0)
        return KS_ECORRUPT;
    p->commit_now = FROM_INDEX;
    for (size_t i = 0, n = git_index_entrycount(index); i < n && !p->err; i++) {
        const git_index_entry *e = git_index_get_byindex(index, i);
        long w = want_find(p, &e->id);
        if (w >= 0 && (p->all_paths || !p->found[w]))
            record(p, w, "", 0, e->path);
    }
    git_index_free(index);
    return p->err;
}

/* A range's commits as painting reads them (ctx: prov), through the run's reader: what cannot be read is counted
 * when the range's commits are loaded. */
static int quiet_lookup(void *ctx, const git_oid *id, int is_parent, int report, ks_git_commit_info *out)
{
    prov *p = ctx;
    int git_error;
    return ks__git_commit_read(p->diff.src, p->a, id, out, &git_error);
}

/* The commits the narrowing options select (a range, commits since one, a branch), in topological order. */
static int load_within(prov *p, const ks_git_opts *w, ks_git_commits *commits)
{
    char why[256];
    ks_git_range_ends r;
    int rc = ks__git_range_ends(p->repo, w, p->a, &r, why, sizeof why);
    if (rc)
        return rc;
    ks_git_idset *hidden = ks__git_idset_new(p->a);
    ks_git_paint paint = {.a = p->a, .lookup = quiet_lookup, .ctx = p};
    rc = hidden ? ks__git_paint_hidden(&paint, r.from, r.n_from, r.to, r.n_to, hidden) : KS_ENOMEM;
    if (!rc)
        rc = ks__git_commits_load_range(p->diff.src, p->a, r.to, r.n_to, hidden, commits);
    ks__git_idset_free(hidden);
    ks__git_range_ends_free(p->a, &r);
    return rc;
}

int ks_git_tune_process(void)
{
    /* the reference is kept: the settings belong to libgit2's state, which ends with its last reference */
    if (git_libgit2_init() < 0)
        return KS_EIO;
    if (git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0) != 0 || git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0) != 0)
        return KS_EIO;
    return 0;
}

int ks_git_provenance(const char *git_dir, const char *const *blobs, size_t n_blobs,
                      const ks_git_provenance_opts *opts, ks_git_origin_fn cb, void *ctx)
{
    if (!git_dir || (n_blobs && !blobs) || !cb)
        return KS_EINVAL;
    for (size_t i = 0; i < n_blobs; i++)
        if (!blobs[i] || !is_hex_id(blobs[i]))
            return KS_EINVAL;
    ks_git_provenance_opts o = {0};
    if (opts) {
        size_t room = opts->size && opts->size < sizeof o ? opts->size : sizeof o;
        memcpy(&o, opts, room);
    }
    prov p = {.a = o.allocator, .all_paths = (o.flags & KS_GIT_ALL_PATHS) != 0};
    if (git_libgit2_init() < 0)
        return KS_ENOMEM;
    ks_git_commits commits = {0};
    int rc = 0;
    /* NO_SEARCH: git_dir itself, never a repository above it; BARE: its work tree plays no part */
    if (git_repository_open_ext(&p.repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL)) {
        rc = KS_EIO;
        goto out;
    }
    if ((rc = load_wanted(&p, blobs, n_blobs)))
        goto out;
    ks_git_opts within = {0};
    if (o.within) {
        size_t room = o.within->size && o.within->size < sizeof within ? o.within->size : sizeof within;
        memcpy(&within, o.within, room);
    }
    if (within.staged) {
        /* a staged blob has no commit yet: where it is in the index is its origin */
        rc = p.n_ids ? index_origins(&p) : 0;
        if (rc == KS_ECORRUPT)
            p.corrupt = 1, rc = 0;
        if (!rc)
            rc = call_back(&p, blobs, n_blobs, cb, ctx);
        if (!rc && p.corrupt)
            rc = KS_ECORRUPT;
        goto out;
    }
    p.diff = (ks_git_diff){.repo = p.repo, .a = p.a, .on_blob = diff_blob, .wants = diff_wants,
                           .unreadable = diff_unreadable, .ctx = &p};
    /* One reader for the run, the diff's: painting a range, loading its commits and comparing their trees read
     * the same commits through it, and each reader of its own opened every pack again (sorting each one's
     * offsets) and inflated again what another's base cache held. */
    if (p.n_ids && (rc = ks__git_trees_new(p.a, p.repo, &p.diff.src)))
        goto out;
    if (p.n_ids && (rc = within.range || within.since_commit || within.branch
                             ? load_within(&p, &within, &commits)
                             : ks__git_commits_load(p.repo, p.diff.src, p.a, &commits)))
        goto out;
    p.commits = &commits;
    for (size_t k = 0; k < commits.n_ordered && !p.err; k++) {
        if (!p.all_paths && p.n_found == p.n_ids)
            break; /* every blob has its first commit */
        compare_commit(&p, commits.order[k]);
    }
    rc = p.err ? p.err : call_back(&p, blobs, n_blobs, cb, ctx);
    if (!rc && (p.corrupt || commits.missing))
        rc = KS_ECORRUPT;
out:
    for (size_t r = 0; r < p.n_recs; r++)
        ks__afree(p.a, p.recs[r].path);
    ks__afree(p.a, p.recs);
    ks__git_tree_diff_free(&p.diff);
    ks__afree(p.a, p.ids);
    ks__afree(p.a, p.found);
    ks__git_commits_free(&commits);
    git_repository_free(p.repo);
    git_libgit2_shutdown();
    return rc;
}
