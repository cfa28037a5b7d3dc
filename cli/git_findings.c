/* git_findings.c: the findings of a repository's blobs are copied as they come (the writer thread's), and at the end of
 * that repository's scan its blobs' origins are asked for in one provenance walk (on the scan's threads, idle by
 * then) and the findings reported with them; a file's findings never wait for this. The repository's commits are
 * loaded from its first finding on, while its blobs are still being scanned, by a thread that runs only on CPU time
 * the scan leaves idle; what it has not loaded by the end is loaded then at the scan's own priority. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "git_findings.h"

typedef struct held_blob {
    char id[41];
    ks_git_origin *origins; /* copies, from the provenance callback */
    size_t n_origins;
} held_blob;

struct git_held_repo {
    char *path;
    ks_git_history *history; /* opened at the first finding, its commits loaded by `loader` meanwhile */
    pthread_t loader;
    int loading;             /* loader was started: joined before the history is used or freed */
    ks_match **findings; /* each one allocation holding its strings and bytes */
    size_t *blob_of;     /* per finding: its index in blobs */
    size_t n, cap;
    held_blob *blobs;
    size_t n_blobs, cap_blobs;
};

void git_findings_init(git_findings *g, int all_paths, const ks_git_opts *within, unsigned threads)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    g->all_paths = all_paths;
    g->within = within;
    g->threads = threads;
    if (!g->threads) { /* as the pipeline counts its workers: the CPUs this process may use */
        cpu_set_t set;
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
            g->threads = (unsigned)CPU_COUNT(&set);
        else
            g->threads = online > 0 ? (unsigned)online : 1;
    }
}

static void free_origins(held_blob *b)
{
    for (size_t i = 0; i < b->n_origins; i++) {
        ks_git_origin *o = &b->origins[i];
        free((void *)o->commit); /* one allocation holds every string of the origin */
    }
    free(b->origins);
    b->origins = NULL;
    b->n_origins = 0;
}

/* The loader stopped where it is, and r's history the caller's to go on loading (at its own priority) or free. */
static void join_loader(git_held_repo *r)
{
    if (!r->loading)
        return;
    ks_git_history_stop(r->history);
    pthread_join(r->loader, NULL);
    r->loading = 0;
}

static void free_repo(git_held_repo *r)
{
    join_loader(r);
    ks_git_history_free(r->history);
    for (size_t i = 0; i < r->n; i++)
        free(r->findings[i]);
    free(r->findings);
    free(r->blob_of);
    for (size_t i = 0; i < r->n_blobs; i++)
        free_origins(&r->blobs[i]);
    free(r->blobs);
    free(r->path);
    memset(r, 0, sizeof *r);
}

void git_findings_free(git_findings *g)
{
    for (size_t i = 0; i < g->n_repos; i++)
        free(g->repos[i]);
    free(g->repos);
    for (size_t i = 0; i < g->n_held; i++)
        free_repo(&g->held[i]);
    free(g->held);
    pthread_mutex_destroy(&g->mu);
    memset(g, 0, sizeof *g);
}

/* Grows an array of `size`-byte items to hold one more; 0 or -1. */
static int room(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

int git_findings_add_repo(git_findings *g, const char *git_dir)
{
    char *copy = strdup(git_dir);
    pthread_mutex_lock(&g->mu);
    int rc = copy && !room((void **)&g->repos, &g->cap_repos, g->n_repos, sizeof *g->repos) ? 0 : -1;
    if (!rc)
        g->repos[g->n_repos++] = copy;
    pthread_mutex_unlock(&g->mu);
    if (rc)
        free(copy);
    return rc;
}

static int is_repo(git_findings *g, const char *path)
{
    int found = 0;
    pthread_mutex_lock(&g->mu);
    for (size_t i = g->n_repos; i-- > 0 && !found;) /* the latest first: its findings come now */
        found = strcmp(g->repos[i], path) == 0;
    pthread_mutex_unlock(&g->mu);
    return found;
}

/* "<40 hex>" or "<40 hex>!member...": a blob's id, and what is inside it. */
static int blob_object(const char *object)
{
    if (!object)
        return 0;
    for (int i = 0; i < 40; i++) {
        char c = object[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return object[40] == '\0' || object[40] == '!';
}

/* A copy of m in one allocation: its strings and bytes follow the struct. */
static ks_match *copy_match(const ks_match *m)
{
    const char *strs[5] = {m->rule_id, m->rule_name, m->validator, m->object, m->decoder};
    size_t total = sizeof *m + m->match_len + m->secret_len;
    for (int i = 0; i < 5; i++)
        total += strs[i] ? strlen(strs[i]) + 1 : 0;
    ks_match *c = malloc(total);
    if (!c)
        return NULL;
    *c = *m;
    char *p = (char *)(c + 1);
    if (m->match_len)
        memcpy(p, m->match, m->match_len);
    c->match = (const unsigned char *)p;
    p += m->match_len;
    if (m->secret_len)
        memcpy(p, m->secret, m->secret_len);
    c->secret = (const unsigned char *)p;
    p += m->secret_len;
    const char **dst[5] = {&c->rule_id, &c->rule_name, &c->validator, &c->object, &c->decoder};
    for (int i = 0; i < 5; i++) {
        if (!strs[i])
            continue;
        size_t n = strlen(strs[i]) + 1;
        memcpy(p, strs[i], n);
        *dst[i] = p;
        p += n;
    }
    return c;
}

static void *load_history(void *arg)
{
    /* idle priority: the scan is never slowed, and the commits are loaded on the CPU time it leaves (on git/git
     * at -j2, the load done this way saved 14% of the scan; at normal priority it saved nothing) */
    struct sched_param none = {0};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &none);
    ks_git_history_load(arg); /* its answer is asked again, and acted on, when provenance runs */
    return NULL;
}

/* What provenance is asked with: the scan's options. */
static ks_git_provenance_opts provenance_opts(const git_findings *g)
{
    return (ks_git_provenance_opts){.size = sizeof(ks_git_provenance_opts),
                                    .flags = g->all_paths ? KS_GIT_ALL_PATHS : 0, .within = g->within,
                                    .threads = g->threads};
}

/* A repository with a finding will be asked where its blobs came from: its commits, which do not depend on which
 * blobs, are loaded now. Without a handle or a thread, provenance loads them when it runs. */
static void start_loading(git_findings *g, git_held_repo *r)
{
    ks_git_provenance_opts o = provenance_opts(g);
    if (ks_git_history_new(r->path, &o, &r->history))
        return; /* said when provenance asks, as ks_git_provenance says it */
    r->loading = pthread_create(&r->loader, NULL, load_history, r->history) == 0;
}

/* The repository's held findings; the history of one met for the first time starts loading. The held array moves
 * as it grows: a loading thread has only its history, never r. */
static git_held_repo *held_repo(git_findings *g, const char *path)
{
    for (size_t i = g->n_held; i-- > 0;)
        if (strcmp(g->held[i].path, path) == 0)
            return &g->held[i];
    if (room((void **)&g->held, &g->cap_held, g->n_held, sizeof *g->held))
        return NULL;
    git_held_repo *r = &g->held[g->n_held];
    memset(r, 0, sizeof *r);
    if (!(r->path = strdup(path)))
        return NULL;
    g->n_held++;
    start_loading(g, r);
    return r;
}

/* The index of the blob in r->blobs, added when new; SIZE_MAX out of memory. A blob's findings come together: the
 * last one is looked at first. */
static size_t blob_index(git_held_repo *r, const char *object)
{
    for (size_t i = r->n_blobs; i-- > 0;)
        if (memcmp(r->blobs[i].id, object, 40) == 0)
            return i;
    if (room((void **)&r->blobs, &r->cap_blobs, r->n_blobs, sizeof *r->blobs))
        return SIZE_MAX;
    held_blob *b = &r->blobs[r->n_blobs];
    memset(b, 0, sizeof *b);
    memcpy(b->id, object, 40);
    return r->n_blobs++;
}

int git_findings_hold(git_findings *g, const char *path, const ks_match *m)
{
    if (!blob_object(m->object) || !is_repo(g, path))
        return 0;
    git_held_repo *r = held_repo(g, path);
    size_t bi = r ? blob_index(r, m->object) : SIZE_MAX;
    if (bi == SIZE_MAX || room((void **)&r->findings, &r->cap, r->n, sizeof *r->findings))
        return -1;
    size_t *bo = realloc(r->blob_of, r->cap * sizeof *bo);
    if (!bo)
        return -1;
    r->blob_of = bo;
    ks_match *c = copy_match(m);
    if (!c)
        return -1;
    r->blob_of[r->n] = bi;
    r->findings[r->n++] = c;
    return 1;
}

/* A copy of one origin, its strings in one allocation whose start is o->commit. */
static int copy_origin(ks_git_origin *d, const ks_git_origin *o)
{
    const char *src[6] = {o->commit, o->path, o->author, o->email, o->date, o->message};
    size_t len[6], total = 0;
    for (int i = 0; i < 6; i++)
        total += (len[i] = strlen(src[i]) + 1);
    char *p = malloc(total);
    if (!p)
        return -1;
    *d = *o;
    const char **dst[6] = {&d->commit, &d->path, &d->author, &d->email, &d->date, &d->message};
    for (int i = 0; i < 6; i++) {
        if (len[i]) /* an empty field may have no string behind it */
            memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    return 0;
}

static int keep_origins(void *ctx, const ks_git_blob_origins *b)
{
    git_held_repo *r = ctx;
    held_blob *h = &r->blobs[b->index];
    if (!b->n_origins)
        return 0;
    if (!(h->origins = calloc(b->n_origins, sizeof *h->origins)))
        return 1;
    for (; h->n_origins < b->n_origins; h->n_origins++)
        if (copy_origin(&h->origins[h->n_origins], &b->origins[h->n_origins]))
            return 1;
    return 0;
}

/* Asks for the origins of every blob of r; what could not be had is said, and the findings go out without it. */
static int find_origins(const git_findings *g, git_held_repo *r, ks_git_repo_info *info)
{
    const char **ids = calloc(r->n_blobs + 1, sizeof *ids);
    if (!ids)
        return -1;
    for (size_t i = 0; i < r->n_blobs; i++)
        ids[i] = r->blobs[i].id;
    ks_git_provenance_opts o = provenance_opts(g);
    join_loader(r);
    int rc = r->history ? ks_git_history_provenance(r->history, ids, r->n_blobs, keep_origins, r)
                        : ks_git_provenance(r->path, ids, r->n_blobs, &o, keep_origins, r);
    free(ids);
    if (rc == KS_ETERMINATED || rc == KS_ENOMEM)
        return -1;
    if (rc == KS_ECORRUPT)
        diag_path(r->path, "some commits or trees could not be read (a shallow or partial clone?): a finding's commit "
                           "is the first this history holds");
    else if (rc)
        diag_path(r->path, "commits not found (%s): findings reported with their blob ids only", ks_strerror(rc));
    if (ks_git_repo_info_get(r->path, info))
        memset(info, 0, sizeof *info);
    return 0;
}

static int release_repo(git_findings *g, git_held_repo *r, int provenance, git_emit_fn emit, void *ctx)
{
    ks_git_repo_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    int rc = provenance && r->n ? find_origins(g, r, &info) : 0;
    for (size_t i = 0; i < r->n && !rc; i++) {
        const ks_match *m = r->findings[i];
        const held_blob *b = &r->blobs[r->blob_of[i]];
        finding_git fg = {.repository = r->path, .info = provenance ? &info : NULL, .blob = b->id,
                          .inner = m->object + 40, .origins = b->origins, .n_origins = b->n_origins,
                          .all_paths = g->all_paths};
        if (emit(ctx, r->path, m, &fg))
            rc = -1;
    }
    free_repo(r);
    return rc;
}

int git_findings_release(git_findings *g, const char *path, int provenance, git_emit_fn emit, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < g->n_held;) {
        if (path && strcmp(g->held[i].path, path)) {
            i++;
            continue;
        }
        if (release_repo(g, &g->held[i], provenance, emit, ctx))
            rc = -1;
        memmove(&g->held[i], &g->held[i + 1], (--g->n_held - i) * sizeof *g->held); /* the rest keep their order */
    }
    return rc;
}
