/* tree_scan.c: scans directory trees with libkeysweep's own walker and pipeline (the CLI's threads, readers and guarantees), with the engine's memory counted through an allocator hook. */
#define _POSIX_C_SOURCE 200809L /* getopt: builds with -std=c11 as well as gnu11 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keysweep.h>

static void usage(FILE *f)
{
    fputs("usage: tree_scan [-j THREADS] [-i auto|uring|pread] [-x] ROOT...\n"
          "Scans every regular file under each ROOT with the built-in rules and prints one line per finding:\n"
          "  PATH:LINE:COLUMN RULE_ID\n"
          "then, on standard error, what was scanned, skipped and failed, and the engine's peak memory.\n"
          "  -j THREADS  worker threads (default: one per CPU)\n"
          "  -i READER   how files are read (default auto: io_uring where allowed, else pread)\n"
          "  -x          stay on each root's file system\n"
          "Exit status: 0 no findings, 1 findings, 2 error or incomplete scan.\n",
          f);
}

/* An allocator hook that counts: everything the engine and its pipeline allocate passes here. The
 * size is kept in front of each block, so free and realloc know it. */
typedef struct counter {
    _Atomic size_t now, peak;
} counter;

static void *count_malloc(size_t n, void *ctx)
{
    counter *c = ctx;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    size_t now = atomic_fetch_add(&c->now, n) + n, peak = atomic_load(&c->peak);
    while (now > peak && !atomic_compare_exchange_weak(&c->peak, &peak, now))
        ;
    return (char *)p + 16;
}

static void count_free(void *q, void *ctx)
{
    if (!q)
        return;
    size_t *p = (size_t *)((char *)q - 16);
    atomic_fetch_sub(&((counter *)ctx)->now, *p);
    free(p);
}

static void *count_realloc(void *q, size_t n, void *ctx)
{
    void *fresh = count_malloc(n, ctx);
    if (fresh && q) {
        size_t old = *(size_t *)((char *)q - 16);
        memcpy(fresh, q, old < n ? old : n);
        count_free(q, ctx);
    }
    return fresh;
}

typedef struct tally {
    unsigned long long findings, files, bytes, skipped, errors;
} tally;

/* The sink: every call comes from the pipeline's writer thread, one at a time, in file order. */
static int on_finding(void *ctx, const char *path, const ks_match *m)
{
    ((tally *)ctx)->findings++;
    printf("%s:%llu:%llu %s\n", path, (unsigned long long)m->line, (unsigned long long)m->column, m->rule_id);
    return 0;
}

static void on_file_done(void *ctx, const char *path, uint64_t bytes, int err)
{
    tally *t = ctx;
    t->files++;
    t->bytes += bytes;
    if (err && err != EFBIG) { /* EFBIG: a file of unknown size cut at its limit, scanned so far */
        t->errors++;
        fprintf(stderr, "tree_scan: %s: %s\n", path, strerror(err));
    }
}

/* The walker's reports come from the thread that walks (here the main thread): a separate count. */
static void on_skip(void *ctx, const char *path, ks_skip_reason why, int explicit_root)
{
    ((tally *)ctx)->skipped++;
    if (explicit_root)
        fprintf(stderr, "tree_scan: %s: not scanned (%s)\n", path, ks_skip_name(why));
}

static void on_walk_error(void *ctx, const char *path, int err, const char *what)
{
    ((tally *)ctx)->errors++;
    fprintf(stderr, "tree_scan: %s: %s failed: %s\n", path, what, strerror(err));
}

static void print_diag(const ks_diag *d, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "tree_scan: %s\n", d->text);
}

int main(int argc, char **argv)
{
    unsigned threads = 0;
    const char *reader = "auto";
    int one_fs = 0, opt;
    while ((opt = getopt(argc, argv, "j:i:xh")) != -1) {
        switch (opt) {
        case 'j': threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'i': reader = optarg; break;
        case 'x': one_fs = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind == argc) {
        usage(stderr);
        return 2;
    }
    counter mem = {0};
    ks_allocator hook = {count_malloc, count_realloc, count_free, &mem};
    ks_engine_options eo = {.size = sizeof eo, .allocator = &hook};
    ks_rules *rules = NULL;
    ks_engine *engine = NULL;
    int rc = ks_rules_create(&rules);
    if (!rc)
        rc = ks_rules_load_builtin(rules, print_diag, NULL);
    if (!rc)
        rc = ks_engine_create(rules, &eo, &engine, print_diag, NULL);
    ks_rules_destroy(rules);
    if (rc) {
        fprintf(stderr, "tree_scan: %s\n", ks_strerror(rc));
        return 2;
    }

    tally found = {0}, walked = {0};
    static const ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = on_finding, .on_file_done = on_file_done};
    ks_pipeline_opts po = {.size = sizeof po, .threads = threads, .reader = reader, .on_diag = print_diag};
    ks_walk_opts wo = {.size = sizeof wo, .one_file_system = one_fs};
    ks_walk_ops ops = {.size = sizeof ops, .on_skip = on_skip, .on_error = on_walk_error};
    ks_pipeline *p = NULL;
    rc = ks_pipeline_create(engine, &po, &sink, &found, &p);
    if (rc) {
        fprintf(stderr, "tree_scan: %s\n", ks_strerror(rc));
        ks_engine_destroy(engine);
        return 2;
    }
    ks_pipeline_info info = {.size = sizeof info};
    ks_pipeline_info_get(p, &info);
    for (int i = optind; i < argc && !rc; i++)
        rc = ks_pipeline_walk(p, argv[i], &wo, &ops, &walked);
    int frc = ks_pipeline_finish(p); /* waits for every file; only then are the counts final */
    ks_engine_destroy(engine);
    fprintf(stderr, "tree_scan: %llu files, %llu bytes, %llu findings, %llu skipped, %llu errors; %u threads, %s; "
                    "engine and pipeline peak %.1f MiB\n",
            found.files, found.bytes, found.findings, walked.skipped, found.errors + walked.errors, info.threads,
            info.reader, (double)atomic_load(&mem.peak) / (1 << 20));
    if (rc || frc || found.errors || walked.errors)
        return 2;
    return found.findings ? 1 : 0;
}
