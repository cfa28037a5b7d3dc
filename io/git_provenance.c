/* git_provenance.c: ks_git_provenance: for the blobs that have findings, the commits and paths that introduced them,
 * found by comparing each commit's tree with its parents' entry by entry id (a subtree a parent holds unchanged is
 * never opened: nothing under it is new), never by reading blob contents; the commits are compared on several
 * threads when asked, each taking the next run of them in topological order, and their findings merged in it. */
#include <pthread.h>
#include <stdatomic.h>
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
#include "thread_start.h"

#define FROM_INDEX UINT32_MAX /* origin_rec.commit of an index entry: not committed yet */

/* Commits a thread takes at a time: consecutive ones share most of their trees, and there are enough runs for each
 * thread to take several (the last runs taken end at about the same time). */
#define RUN_MAX 64u
#define RUN_MIN 4u
#define RUNS_PER_THREAD 8u
#define THREADS_MAX 16u /* more gain little (loading the commits is one thread's) and each costs memory */
/* A thread more's cache of delta bases: its runs are short, and memory grows with every thread */
#define LANE_BASE_BUDGET ((size_t)8 << 20)

typedef struct origin_rec {
    uint32_t want;   /* index in prov.ids */
    uint32_t commit; /* node index, or FROM_INDEX */
    uint32_t pos;    /* the commit's place in the topological order (0 for an index entry) */
    uint32_t seq;    /* its place among the records of the thread that found it: tree order within a commit */
    char *path;
} origin_rec;

typedef struct prov prov;

/* One thread's walk over the runs of commits it takes: its own repository handle and tree reader (neither is
 * shared between threads), and the records it found. */
typedef struct lane {
    prov *p;
    git_repository *repo;
    ks_git_diff diff;    /* what each commit introduced */
    origin_rec *recs;
    size_t n_recs, cap_recs;
    uint32_t commit_now; /* the commit being compared */
    uint32_t pos_now;    /* its place in the order */
    long last_want;      /* the index in ids of the blob diff_wants saw last */
    uint32_t corrupt_at; /* the earliest place in the order where a tree could not be read, or UINT32_MAX */
    int err;             /* KS_ENOMEM */
    pthread_t thread;
} lane;

struct prov {
    const ks_allocator *a;
    git_repository *repo;
    const char *git_dir;
    const ks_git_commits *commits;
    const ks_git_trees *first_src; /* the first lane's reader, whose packs the other lanes read */
    git_oid *ids; /* the ids asked for, sorted, each once */
    size_t n_ids;
    _Atomic uint32_t *first_at; /* per id: the earliest place in the order where an origin was found, or UINT32_MAX */
    _Atomic size_t n_found;     /* ids with an origin */
    _Atomic size_t next;        /* the first commit of the next run to take */
    size_t run;                 /* commits in a run */
    _Atomic int failed;         /* a thread ran out of memory: all stop */
    int all_paths;
    origin_rec *recs; /* every thread's, merged in the order of the commits */
    size_t n_recs;
    int corrupt;
};

static int oid_cmp(const void *x, const void *y) { return git_oid_cmp(x, y); }

static long want_find(const prov *p, const git_oid *id)
{
    const git_oid *hit = bsearch(id, p->ids, p->n_ids, sizeof *p->ids, oid_cmp);
    return hit ? (long)(hit - p->ids) : -1;
}

static void record(lane *l, long want, const char *dir, size_t dir_len, const char *name)
{
    prov *p = l->p;
    size_t n = strlen(name);
    char *path = ks__amalloc(p->a, dir_len + n + 1);
    if (!path || ks__agrow(p->a, (void **)&l->recs, &l->cap_recs, l->n_recs, sizeof *l->recs, 16)) {
        ks__afree(p->a, path);
        l->err = KS_ENOMEM;
        return;
    }
    memcpy(path, dir, dir_len);
    memcpy(path + dir_len, name, n + 1);
    l->recs[l->n_recs] = (origin_rec){(uint32_t)want, l->commit_now, l->pos_now, (uint32_t)l->n_recs, path};
    l->n_recs++;
    /* the earliest place it was found at: another thread may have found it earlier, or find it earlier later */
    uint32_t was = atomic_load(&p->first_at[want]);
    while (l->pos_now < was && !atomic_compare_exchange_weak(&p->first_at[want], &was, l->pos_now))
        ;
    if (was == UINT32_MAX)
        atomic_fetch_add(&p->n_found, 1);
}

/* A blob worth comparing with the parents: one asked for, and without an origin in an earlier commit (or all are
 * wanted). One found in the same commit is compared again: the merge keeps the first path in tree order. */
static int diff_wants(void *ctx, const git_oid *id)
{
    lane *l = ctx;
    l->last_want = want_find(l->p, id);
    return l->last_want >= 0 && (l->p->all_paths || atomic_load(&l->p->first_at[l->last_want]) >= l->pos_now);
}

/* The commit being compared introduced it (git_tree_diff.c asks diff_wants first, for the same entry). */
static int diff_blob(void *ctx, const git_oid *id, const char *dir, size_t dir_len, const char *name)
{
    lane *l = ctx;
    record(l, l->last_want, dir, dir_len, name);
    return l->err;
}

static void lane_corrupt(lane *l)
{
    if (l->pos_now < l->corrupt_at)
        l->corrupt_at = l->pos_now;
}

static void diff_unreadable(void *ctx, const git_oid *id, int git_error) { lane_corrupt(ctx); }

/* Compares one commit's tree with the trees of its parents that could be read. */
static void compare_commit(lane *l, uint32_t k)
{
    prov *p = l->p;
    const ks_git_commits *c = p->commits;
    const ks_git_commit_node *nd = &c->nodes[k];
    git_oid *parents = nd->n_parents ? ks__acalloc(p->a, nd->n_parents, sizeof *parents) : NULL;
    size_t np = 0;
    if (nd->n_parents && !parents) {
        l->err = KS_ENOMEM;
        return;
    }
    for (uint32_t j = 0; j < nd->n_parents; j++) {
        long pi = ks__git_commits_find(c, &c->parent_ids[nd->parents + j]);
        if (pi < 0 || c->nodes[pi].n_parents == KS_GIT_COMMIT_NOT_READ)
            continue; /* counted as missing when loaded: this commit is a root on that side */
        git_oid_cpy(&parents[np++], &c->nodes[pi].tree);
    }
    l->commit_now = k;
    int rc = ks__git_tree_diff(&l->diff, &nd->tree, parents, np);
    if (rc == KS_ECORRUPT)
        lane_corrupt(l); /* trees nested past any real repository's */
    else if (rc)
        l->err = rc;
    ks__afree(p->a, parents);
}

/* Takes runs of commits in order until none is left, or (unless every path is wanted) every id has an origin: a
 * run taken after that begins past every origin found, since the runs before it were all taken first. */
static void lane_walk(lane *l)
{
    prov *p = l->p;
    size_t n = p->commits->n_ordered;
    while (!l->err && !atomic_load(&p->failed)) {
        if (!p->all_paths && atomic_load(&p->n_found) == p->n_ids)
            break;
        size_t from = atomic_fetch_add(&p->next, p->run);
        if (from >= n)
            break;
        for (size_t k = from; k < n && k < from + p->run && !l->err; k++) {
            l->pos_now = (uint32_t)k;
            compare_commit(l, p->commits->order[k]);
        }
    }
    if (l->err)
        atomic_store(&p->failed, 1);
}

static void lane_init(lane *l, prov *p, git_repository *repo)
{
    memset(l, 0, sizeof *l);
    l->p = p;
    l->corrupt_at = UINT32_MAX;
    l->repo = repo;
    l->diff = (ks_git_diff){.repo = repo, .a = p->a, .on_blob = diff_blob, .wants = diff_wants,
                           .unreadable = diff_unreadable, .ctx = l};
}

/* A thread more: the repository opened again, and a reader of its own over the first lane's packs (a thread that
 * cannot have them takes no commits: the others take them all). */
static void *lane_main(void *arg)
{
    lane *l = arg;
    if (!git_repository_open_ext(&l->repo, l->p->git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
                                 NULL)) {
        l->diff.repo = l->repo;
        if (!ks__git_trees_new_like(l->p->a, l->repo, l->p->first_src, LANE_BASE_BUDGET, &l->diff.src))
            lane_walk(l);
    }
    return NULL;
}

static int rec_cmp(const void *x, const void *y)
{
    const origin_rec *a = x, *b = y;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The lanes' records in the order one walk would have found them: by commit, each commit's in tree order (one
 * lane compared it); unless every path is wanted, only each id's first. The lanes' own lists are emptied. */
static int merge_lanes(prov *p, lane *lanes, unsigned n)
{
    /* A tree that could not be read counts where one walk would have met it: before it stopped, after the commit
     * that gave the last id its origin (the threads compare commits past it, to their runs' ends). */
    uint32_t last = 0;
    int stopped = !p->all_paths && atomic_load(&p->n_found) == p->n_ids;
    for (size_t i = 0; stopped && i < p->n_ids; i++) {
        uint32_t at = atomic_load(&p->first_at[i]);
        last = at > last ? at : last;
    }
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        total += lanes[i].n_recs;
        if (lanes[i].corrupt_at != UINT32_MAX && (!stopped || lanes[i].corrupt_at <= last))
            p->corrupt = 1;
    }
    origin_rec *all = total ? ks__acalloc(p->a, total, sizeof *all) : NULL;
    unsigned char *kept = p->n_ids ? ks__acalloc(p->a, p->n_ids, 1) : NULL;
    if ((total && !all) || (p->n_ids && !kept)) {
        ks__afree(p->a, all);
        ks__afree(p->a, kept);
        return KS_ENOMEM;
    }
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (lanes[i].n_recs)
            memcpy(all + k, lanes[i].recs, lanes[i].n_recs * sizeof *all);
        k += lanes[i].n_recs;
        ks__afree(p->a, lanes[i].recs);
        lanes[i].recs = NULL;
        lanes[i].n_recs = 0;
    }
    if (total)
        qsort(all, total, sizeof *all, rec_cmp);
    size_t u = 0;
    for (size_t r = 0; r < total; r++) {
        if (!p->all_paths && kept[all[r].want]) {
            ks__afree(p->a, all[r].path);
            continue;
        }
        kept[all[r].want] = 1;
        all[u++] = all[r];
    }
    ks__afree(p->a, kept);
    p->recs = all;
    p->n_recs = u;
    return 0;
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
    p->first_at = ks__acalloc(p->a, n_blobs + 1, sizeof *p->first_at);
    if (!p->ids || !p->first_at)
        return KS_ENOMEM;
    for (size_t i = 0; i < n_blobs; i++)
        atomic_init(&p->first_at[i], UINT32_MAX);
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
static int index_origins(lane *l)
{
    prov *p = l->p;
    git_index *index = NULL;
    if (git_repository_index(&index, p->repo) != 0)
        return KS_ECORRUPT;
    l->commit_now = FROM_INDEX;
    for (size_t i = 0, n = git_index_entrycount(index); i < n && !l->err; i++) {
        const git_index_entry *e = git_index_get_byindex(index, i);
        long w = want_find(p, &e->id);
        if (w >= 0 && (p->all_paths || atomic_load(&p->first_at[w]) == UINT32_MAX))
            record(l, w, "", 0, e->path);
    }
    git_index_free(index);
    return l->err;
}

/* A repository's history, held so that its commits are loaded once, before the blobs asked for are known. */
struct ks_git_history {
    const ks_allocator *a;
    char *git_dir;
    git_repository *repo;
    ks_git_trees *src; /* loading reads the commits through it, and the first lane reads trees through it after */
    ks_git_commits commits;
    ks_git_opts within; /* a copy (its strings are the caller's, read by the load) */
    unsigned flags, threads;
    int loaded, load_rc; /* the load ran to its end, and what it returned */
    atomic_int stop;     /* stops asked for (ks_git_history_stop), each taken by one load */
};

/* A range's commits as painting reads them (ctx: the history), through its reader: what cannot be read is counted
 * when the range's commits are loaded. */
static int quiet_lookup(void *ctx, const git_oid *id, int is_parent, int report, ks_git_commit_info *out)
{
    ks_git_history *h = ctx;
    int git_error;
    return ks__git_commit_read(h->src, h->a, id, out, &git_error);
}

/* The commits the narrowing options select (a range, commits since one, a branch), in topological order. */
static int load_within(ks_git_history *h)
{
    char why[256];
    ks_git_range_ends r;
    int rc = ks__git_range_ends(h->repo, &h->within, h->a, &r, why, sizeof why);
    if (rc)
        return rc;
    ks_git_idset *hidden = ks__git_idset_new(h->a);
    ks_git_paint paint = {.a = h->a, .lookup = quiet_lookup, .ctx = h};
    rc = hidden ? ks__git_paint_hidden(&paint, r.from, r.n_from, r.to, r.n_to, hidden) : KS_ENOMEM;
    if (!rc)
        rc = ks__git_commits_load_range(h->src, h->a, r.to, r.n_to, hidden, &h->stop, &h->commits);
    ks__git_idset_free(hidden);
    ks__git_range_ends_free(h->a, &r);
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

/* Compares the commits on `threads` threads, this one among them; then merges what they found. */
static int walk_commits(prov *p, lane *first, unsigned threads)
{
    size_t n = p->commits->n_ordered;
    threads = threads > THREADS_MAX ? THREADS_MAX : threads < 1 ? 1 : threads;
    p->run = n / ((size_t)threads * RUNS_PER_THREAD);
    p->run = p->run > RUN_MAX ? RUN_MAX : p->run < RUN_MIN ? RUN_MIN : p->run;
    size_t runs = (n + p->run - 1) / p->run;
    threads = runs < threads ? (unsigned)(runs ? runs : 1) : threads; /* a thread more would find no run left */
    lane *lanes = ks__acalloc(p->a, threads, sizeof *lanes);
    if (!lanes)
        return KS_ENOMEM;
    lanes[0] = *first;
    lanes[0].diff.ctx = &lanes[0];
    p->first_src = first->diff.src;
    unsigned started = 1;
    for (; started < threads; started++) {
        lane_init(&lanes[started], p, NULL);
        /* not on a pinned starter's CPU */
        if (ks__thread_start(&lanes[started].thread, lane_main, &lanes[started]))
            break; /* no thread more: fewer take the runs */
    }
    lane_walk(&lanes[0]);
    int rc = lanes[0].err;
    for (unsigned i = 1; i < started; i++) {
        pthread_join(lanes[i].thread, NULL);
        rc = rc ? rc : lanes[i].err;
        ks__git_tree_diff_free(&lanes[i].diff);
        git_repository_free(lanes[i].repo);
    }
    if (!rc)
        rc = merge_lanes(p, lanes, started);
    for (unsigned i = 0; i < started; i++) {
        for (size_t r = 0; r < lanes[i].n_recs; r++)
            ks__afree(p->a, lanes[i].recs[r].path);
        ks__afree(p->a, lanes[i].recs);
    }
    first->diff = lanes[0].diff; /* its reader is the caller's to free */
    first->diff.ctx = first;
    ks__afree(p->a, lanes);
    return rc;
}

int ks_git_history_new(const char *git_dir, const ks_git_provenance_opts *opts, ks_git_history **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!git_dir)
        return KS_EINVAL;
    ks_git_provenance_opts o = {0};
    if (opts) {
        size_t room = opts->size && opts->size < sizeof o ? opts->size : sizeof o;
        memcpy(&o, opts, room);
    }
    if (git_libgit2_init() < 0)
        return KS_ENOMEM;
    ks_git_history *h = ks__acalloc(o.allocator, 1, sizeof *h);
    if (!h) {
        git_libgit2_shutdown();
        return KS_ENOMEM;
    }
    h->a = o.allocator;
    h->flags = o.flags;
    h->threads = o.threads;
    atomic_init(&h->stop, 0);
    if (o.within) {
        size_t room = o.within->size && o.within->size < sizeof h->within ? o.within->size : sizeof h->within;
        memcpy(&h->within, o.within, room);
    }
    int rc = (h->git_dir = ks__astrdup(h->a, git_dir)) ? 0 : KS_ENOMEM;
    /* NO_SEARCH: git_dir itself, never a repository above it; BARE: its work tree plays no part */
    if (!rc && git_repository_open_ext(&h->repo, git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
                                       NULL))
        rc = KS_EIO;
    if (rc) {
        ks_git_history_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

int ks_git_history_load(ks_git_history *h)
{
    if (!h)
        return KS_EINVAL;
    if (h->loaded)
        return h->load_rc;
    int rc = 0;
    /* a staged blob has no commit yet: the index is read when asked, and no history */
    if (!h->within.staged) {
        /* One reader for painting a range, loading its commits and, after, the first thread's walk: each reader
         * of its own opened every pack again (sorting each one's offsets) and inflated again what another's base
         * cache held. (Each thread more of the walk has its own.) */
        rc = h->src ? 0 : ks__git_trees_new(h->a, h->repo, &h->src);
        int ranged = h->within.range || h->within.since_commit || h->within.branch;
        if (!rc)
            rc = ranged ? load_within(h) : ks__git_commits_load(h->repo, h->src, h->a, &h->stop, &h->commits);
        if (rc == KS_ETERMINATED) {
            if (ranged) /* painted again from the start by the next load */
                ks__git_commits_free(&h->commits);
            return rc;
        }
    }
    h->loaded = 1;
    h->load_rc = rc;
    return rc;
}

void ks_git_history_stop(ks_git_history *h)
{
    if (h)
        atomic_fetch_add(&h->stop, 1);
}

/* The ids asked for are 40 hex digits each, and there is a callback. */
static int question_ok(const char *const *blobs, size_t n_blobs, ks_git_origin_fn cb)
{
    if ((n_blobs && !blobs) || !cb)
        return 0;
    for (size_t i = 0; i < n_blobs; i++)
        if (!blobs[i] || !is_hex_id(blobs[i]))
            return 0;
    return 1;
}

int ks_git_history_provenance(ks_git_history *h, const char *const *blobs, size_t n_blobs, ks_git_origin_fn cb,
                              void *ctx)
{
    if (!h || !question_ok(blobs, n_blobs, cb))
        return KS_EINVAL;
    prov p = {.a = h->a, .all_paths = (h->flags & KS_GIT_ALL_PATHS) != 0, .git_dir = h->git_dir, .repo = h->repo};
    lane first;
    lane_init(&first, &p, h->repo);
    int rc = load_wanted(&p, blobs, n_blobs);
    if (rc)
        goto out;
    if (h->within.staged) {
        rc = p.n_ids ? index_origins(&first) : 0;
        if (rc == KS_ECORRUPT)
            p.corrupt = 1, rc = 0;
        if (!rc)
            rc = merge_lanes(&p, &first, 1);
        if (!rc)
            rc = call_back(&p, blobs, n_blobs, cb, ctx);
        if (!rc && p.corrupt)
            rc = KS_ECORRUPT;
        goto out;
    }
    if (p.n_ids && (rc = ks_git_history_load(h)))
        goto out;
    first.diff.src = h->src;
    p.commits = &h->commits;
    rc = p.n_ids ? walk_commits(&p, &first, h->threads) : 0;
    if (!rc)
        rc = call_back(&p, blobs, n_blobs, cb, ctx);
    if (!rc && (p.corrupt || (p.n_ids && h->commits.missing))) /* (no ids: no commit was compared) */
        rc = KS_ECORRUPT;
out:
    for (size_t r = 0; r < p.n_recs; r++)
        ks__afree(p.a, p.recs[r].path);
    ks__afree(p.a, p.recs);
    for (size_t r = 0; r < first.n_recs; r++)
        ks__afree(p.a, first.recs[r].path);
    ks__afree(p.a, first.recs);
    first.diff.src = NULL; /* the history's, kept for its next question */
    ks__git_tree_diff_free(&first.diff);
    ks__afree(p.a, p.ids);
    ks__afree(p.a, (void *)p.first_at);
    return rc;
}

void ks_git_history_free(ks_git_history *h)
{
    if (!h)
        return;
    ks__git_commits_free(&h->commits);
    ks__git_trees_free(h->src);
    git_repository_free(h->repo);
    ks__afree(h->a, h->git_dir);
    ks__afree(h->a, h);
    git_libgit2_shutdown();
}

int ks_git_provenance(const char *git_dir, const char *const *blobs, size_t n_blobs,
                      const ks_git_provenance_opts *opts, ks_git_origin_fn cb, void *ctx)
{
    if (!git_dir || !question_ok(blobs, n_blobs, cb))
        return KS_EINVAL; /* before the repository is opened */
    ks_git_history *h;
    int rc = ks_git_history_new(git_dir, opts, &h);
    if (rc)
        return rc;
    rc = ks_git_history_provenance(h, blobs, n_blobs, cb, ctx);
    ks_git_history_free(h);
    return rc;
}
