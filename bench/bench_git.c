/* bench_git.c: the ceiling for scanning git history: every blob of a repository's object directory (packs and loose
 * objects) produced once by io/git_odb.c, one thread, the bytes thrown away; prints {blobs, bytes, seconds, ...}.
 * With --provenance BLOB (repeatable): the time ks_git_provenance takes to find where those blobs came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "git_odb.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_object(const ks_git_object *o, void *ctx)
{
    (void)o;
    (void)ctx;
    return 0;
}

static void on_problem(const ks_git_problem *pr, void *ctx)
{
    unsigned long *shown = ctx;
    if ((*shown)++ < 20)
        fprintf(stderr, "bench_git: %s @%lld: %s\n", pr->path,
                pr->offset == KS_GIT_NO_OFFSET ? -1LL : (long long)pr->offset, pr->what);
}

static int on_origins(void *ctx, const ks_git_blob_origins *b)
{
    unsigned long *with = ctx;
    *with += b->n_origins > 0;
    return 0;
}

/* ks_git_provenance alone, as a scan with findings in these blobs pays it after reading them. */
static int provenance(const char *repo, const char *const *blobs, size_t n, unsigned threads)
{
    ks_git_tune_process();
    unsigned long with = 0;
    ks_git_provenance_opts po = {.size = sizeof po, .threads = threads};
    double t0 = now();
    int rc = ks_git_provenance(repo, blobs, n, &po, on_origins, &with);
    double secs = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"blobs\": %zu, \"threads\": %u, \"with_origin\": %lu, \"seconds\": %.3f, \"peak_rss_mib\": %.1f, "
           "\"rc\": %d}\n",
           n, threads ? threads : 1, with, secs, (double)ru.ru_maxrss / 1024.0, rc);
    return rc == 0 ? 0 : 1;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
    ks_git_read_options o = {.size = sizeof o};
    const char *repo = NULL;
    const char **blobs = calloc((size_t)argc, sizeof *blobs);
    size_t n_blobs = 0;
    unsigned threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verify"))
            o.verify = 1;
        else if (!strcmp(argv[i], "--all-types"))
            o.types = 0x1e;
        else if (!strcmp(argv[i], "--provenance") && i + 1 < argc && blobs)
            blobs[n_blobs++] = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--lanes") && i + 1 < argc)
            o.lanes = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--budget-mib") && i + 1 < argc)
            o.base_budget = (size_t)strtoull(argv[++i], NULL, 10) << 20;
        else if (argv[i][0] != '-' && !repo)
            repo = argv[i];
        else
            repo = NULL, i = argc;
    }
    if (!repo) {
        fprintf(stderr, "usage: bench_git [--verify] [--all-types] [--budget-mib N] [--lanes N] REPO|OBJECTS_DIR\n"
                        "       bench_git [--threads N] --provenance BLOB [--provenance BLOB ...] GIT_DIR\n");
        free(blobs);
        return 2;
    }
    if (n_blobs) {
        int rc = provenance(repo, blobs, n_blobs, threads);
        free(blobs);
        return rc;
    }
    free(blobs);
    /* a work tree's .git/objects, a bare repository's objects, or an objects directory itself */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/.git/objects", repo);
    if (!is_dir(dir))
        snprintf(dir, sizeof dir, "%s/objects", repo);
    if (!is_dir(dir))
        snprintf(dir, sizeof dir, "%s", repo);
    unsigned long shown = 0;
    o.on_object = on_object;
    o.on_problem = on_problem;
    o.ctx = &shown;
    ks_git_counts c = {0};
    double t0 = now();
    int rc = ks__git_read_objects(dir, &o, &c);
    double secs = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"blobs\": %llu, \"bytes\": %llu, \"seconds\": %.3f, \"duplicates\": %llu, \"skipped\": %llu, "
           "\"problems\": %llu, \"packs\": %llu, \"loose\": %llu, \"peak_rss_mib\": %.1f, \"rc\": %d}\n",
           (unsigned long long)c.objects, (unsigned long long)c.bytes, secs, (unsigned long long)c.duplicates,
           (unsigned long long)c.skipped, (unsigned long long)c.problems, (unsigned long long)c.packs,
           (unsigned long long)c.loose, (double)ru.ru_maxrss / 1024.0, rc);
    return rc == 0 && c.problems == 0 ? 0 : 1;
}
