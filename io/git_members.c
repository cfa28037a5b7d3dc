/* git_members.c: a repository's blobs handed to a container sink as members named by their ids; the reading is
 * git_odb.c's, each blob once, whatever pack or loose file holds it; the choice of blobs is git_select.c's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "git_members.h"
#include "git_odb.h"
#include "git_select.h"

#define PIECE (256u * 1024u) /* as a container's members are handed on */

typedef struct gexp {
    const ks_container_sink *sink;
    void *ctx;
    ks_container_result *res;
    ks_git_totals *tot;
    uint64_t max_blob;
    int promisor;
    int stopped;
    ks_git_idset *named; /* a partial clone read whole: the blob ids its trees name (see name_blobs) */
    uint8_t (*recent)[KS_GIT_ID_LEN + 1]; /* RECENT ids named last, by slot (byte 20: slot used) */
} gexp;

/* Successive versions of a tree name mostly the same blobs: a small direct-mapped table of the ids named last
 * (1.3 MiB, cache-resident) answers most repeats before the set is probed (on git.git, 2.6 of the 8 s the
 * whole scan takes were the set's probes for ids it already held). An id that evicts another only costs a
 * probe: chosen ids cannot make it slower than the set alone. */
#define RECENT 65536u

static int name_blob(gexp *g, const uint8_t *id)
{
    uint64_t w;
    memcpy(&w, id + 4, sizeof w);
    uint8_t *slot = g->recent[(w * 0x9e3779b97f4a7c15ull) >> 48];
    if (slot[KS_GIT_ID_LEN] && memcmp(slot, id, KS_GIT_ID_LEN) == 0)
        return 0;
    memcpy(slot, id, KS_GIT_ID_LEN);
    slot[KS_GIT_ID_LEN] = 1;
    return ks__git_idset_add(g->named, id) < 0 ? KS_ENOMEM : 0;
}

/* A tree's entries ("MODE NAME\0" and a 20-byte id): the ids of its blobs (files and symlinks, not
 * subtrees or submodules) go into g->named. A malformed tree names what it named before the fault. */
static int name_blobs(gexp *g, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul || end - nul - 1 < KS_GIT_ID_LEN)
            return 0;
        int blob = p[0] == '1' && !(nul - p > 6 && memcmp(p, "160000", 6) == 0);
        if (blob && name_blob(g, nul + 1))
            return KS_ENOMEM;
        p = nul + 1 + KS_GIT_ID_LEN;
    }
    return 0;
}

static int on_object(const ks_git_object *o, void *cd)
{
    gexp *g = cd;
    if (o->type == KS_GIT_TREE) {
        if (g->named && name_blobs(g, o->data, o->size))
            g->named = NULL; /* out of memory: the count of absent blobs falls short, nothing else */
        return 0;
    }
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(o->id, hex);
    if (g->max_blob && o->size > g->max_blob) {
        char what[128];
        snprintf(what, sizeof what, "skipped: %zu bytes, over --max-blob-size", o->size);
        g->tot->too_large++;
        g->sink->problem(g->ctx, hex, 0, what);
        return 0;
    }
    g->res->members++;
    g->tot->scanned++;
    if (g->sink->sized)
        g->sink->sized(g->ctx, o->size);
    if (g->sink->begin(g->ctx, hex)) {
        g->stopped = 1;
        return 1;
    }
    for (size_t at = 0; at < o->size; at += PIECE) {
        size_t n = o->size - at < PIECE ? o->size - at : PIECE;
        g->res->bytes_out += n;
        if (g->sink->data(g->ctx, o->data + at, n)) {
            g->stopped = 1;
            return 1;
        }
    }
    if (g->sink->end(g->ctx)) {
        g->stopped = 1;
        return 1;
    }
    return 0;
}

static void fatal(gexp *g, const char *hex, const char *what)
{
    g->res->stop = KS_CONT_CORRUPT;
    g->sink->problem(g->ctx, hex, 1, what);
}

static void on_problem(const ks_git_problem *pr, void *cd)
{
    gexp *g = cd;
    char what[768], hex[KS_GIT_HEX_LEN + 1] = "";
    if (pr->id)
        ks__git_id_hex(pr->id, hex);
    if (pr->offset != KS_GIT_NO_OFFSET)
        snprintf(what, sizeof what, "not read: %s (%s, offset %llu)", pr->what, pr->path,
                 (unsigned long long)pr->offset);
    else
        snprintf(what, sizeof what, "not read: %s (%s)", pr->what, pr->path);
    fatal(g, hex, what);
}

/* A selected blob that nothing holds: a partial clone's remote has it; in any other repository it is lost. */
static void on_missing(const uint8_t *id, void *cd)
{
    gexp *g = cd;
    if (g->promisor) {
        g->tot->missing_promised++;
        return;
    }
    char hex[KS_GIT_HEX_LEN + 1];
    ks__git_id_hex(id, hex);
    g->tot->missing++;
    fatal(g, hex, "not read: the blob is missing (no pack or loose object holds it)");
}

/* The job's selection into *want (NULL when every blob is taken); 0, or -1 when nothing can be read. A
 * partial clone read whole still has its reachable blobs counted when absent: *expect. */
static int select_blobs(const ks_allocator *a, ks_git_job *job, gexp *g, ks_git_idset **want, ks_git_idset **expect)
{
    *want = *expect = NULL;
    if (!ks__git_opts_select(&job->opts)) {
        /* A partial clone read whole: the blobs absent from it are its promisor remote's, counted, not lost.
         * Which ones its trees name is learnt from the trees themselves as the walk passes them (git.git as a
         * blobless clone: libgit2's walk over every commit and tree took 26 s, the whole scan besides 3 s),
         * so dangling trees count too. */
        if (!ks__git_is_promisor(job->loc.git_dir, job->loc.objects))
            return 0;
        g->promisor = 1;
        g->recent = ks__acalloc(a, RECENT, sizeof *g->recent);
        g->named = *expect = g->recent ? ks__git_idset_new(a) : NULL; /* NULL: only the count is lost */
        return 0;
    }
    char why[600], what[700];
    ks_git_selection sel;
    if (!(*want = ks__git_idset_new(a))) {
        fatal(g, "", "not read: out of memory");
        return -1;
    }
    int rc = ks__git_select_ids(job->loc.git_dir, &job->opts, a, *want, &sel, why, sizeof why);
    g->promisor = sel.promisor;
    job->totals.missing_promised += sel.missing_promised;
    job->totals.selected = ks__git_idset_count(*want);
    if (rc == 0)
        return 0;
    snprintf(what, sizeof what, "not read: %s", rc == KS_ENOMEM ? "out of memory" : why);
    fatal(g, "", what);
    if (rc == KS_ECORRUPT) /* what could be walked is still read */
        return 0;
    job->totals.selected = 0;
    return -1;
}

int ks__git_expand(const ks_allocator *a, ks_git_job *job, ks_git_idset *seen, unsigned lanes,
                   const ks_container_sink *sink, void *ctx, ks_container_result *res)
{
    memset(res, 0, sizeof *res);
    memset(&job->totals, 0, sizeof job->totals);
    job->totals.size = sizeof job->totals;
    res->containers = 1;
    gexp g = {sink, ctx, res, &job->totals, job->opts.max_blob_size, 0, 0, NULL, NULL};
    ks_git_idset *want, *expect;
    if (select_blobs(a, job, &g, &want, &expect) != 0) {
        ks__git_idset_free(want);
        return 0;
    }
    ks_git_read_options o = {.size = sizeof o,
                             .allocator = a,
                             .types = KS_GIT_TYPE_BIT(KS_GIT_BLOB) | (g.named ? KS_GIT_TYPE_BIT(KS_GIT_TREE) : 0),
                             .seen = seen,
                             .on_object = on_object,
                             .on_problem = on_problem,
                             .ctx = &g,
                             .want = want,
                             .on_missing = on_missing,
                             .expect = expect,
                             .lanes = lanes};
    ks_git_counts counts = {0};
    int rc = ks__git_read_objects(job->loc.objects, &o, &counts);
    ks__afree(a, g.recent);
    ks__git_idset_free(want);
    ks__git_idset_free(expect);
    if (g.stopped)
        return -1;
    if (rc) /* objects/ could not be opened, or no memory */
        fatal(&g, "", rc == KS_ENOMEM ? "not read: out of memory" : "not read: its objects directory cannot be opened");
    return 0;
}

int ks__git_job_new(const ks_allocator *a, const char *repo, const ks_git_opts *opts, ks_git_job **out)
{
    *out = NULL;
    ks_git_opts o = {0};
    if (opts) {
        size_t room = opts->size && opts->size < sizeof o ? opts->size : sizeof o;
        memcpy(&o, opts, room);
    }
    char why[256];
    if (ks__git_opts_check(&o, why, sizeof why))
        return KS_EINVAL;
    ks_git_job *job = ks__acalloc(a, 1, sizeof *job);
    if (!job)
        return KS_ENOMEM;
    const char *strs[3] = {o.range, o.since_commit, o.branch};
    size_t need = 0;
    for (int i = 0; i < 3; i++)
        need += strs[i] ? strlen(strs[i]) + 1 : 0;
    int rc = ks__git_locate(a, repo, &job->loc);
    if (rc == 0 && need && !(job->strings = ks__amalloc(a, need)))
        rc = KS_ENOMEM;
    if (rc) {
        ks__git_job_free(a, job);
        return rc;
    }
    char *at = job->strings;
    const char **dst[3] = {&o.range, &o.since_commit, &o.branch};
    for (int i = 0; i < 3; i++) {
        if (!strs[i])
            continue;
        size_t n = strlen(strs[i]) + 1;
        memcpy(at, strs[i], n);
        *dst[i] = at;
        at += n;
    }
    o.size = sizeof o;
    o.allocator = a;
    job->opts = o;
    *out = job;
    return 0;
}

void ks__git_job_free(const ks_allocator *a, ks_git_job *job)
{
    if (!job)
        return;
    ks__git_location_free(a, &job->loc);
    ks__afree(a, job->strings);
    ks__afree(a, job);
}

int ks__git_is_dir(int dirfd)
{
    struct stat st;
    return fstatat(dirfd, "HEAD", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           fstatat(dirfd, "objects", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
           fstatat(dirfd, "refs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}
