/* bench_scan.c: engine-only throughput over files held in memory: Vectorscan alone (S), the whole engine
 * (scan + confirm + validate, each file given its path as the CLI gives it), per thread count, and each rule alone
 * to find the slow ones. No I/O is timed. S is the main database's hs_scan: the path rules' database (engine_int.h)
 * is searched only in files whose path one of them accepts, as the engine mode shows. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "rules_int.h"
#include "keysweep.h"

typedef struct corpus {
    unsigned char *data;
    size_t len, cap;
    size_t *starts; /* file i is data[starts[i], starts[i+1]) */
    char **paths;   /* file i's path: the engine is given it, as the CLI gives it, so path rules apply as there */
    size_t n, ncap;
} corpus;

static void add_file(corpus *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    if (c->len + (size_t)st.st_size > c->cap) {
        c->cap = (c->cap + (size_t)st.st_size) * 2;
        c->data = realloc(c->data, c->cap);
    }
    ssize_t r = read(fd, c->data + c->len, (size_t)st.st_size);
    close(fd);
    if (r < 0)
        return;
    if (c->n + 2 > c->ncap) {
        c->ncap = c->ncap ? c->ncap * 2 : 1024;
        c->starts = realloc(c->starts, c->ncap * sizeof *c->starts);
        c->paths = realloc(c->paths, c->ncap * sizeof *c->paths);
    }
    c->paths[c->n] = strdup(path);
    c->starts[c->n++] = c->len;
    c->len += (size_t)r;
    c->starts[c->n] = c->len;
}

static void walk(corpus *c, const char *dir, size_t limit)
{
    DIR *d = opendir(dir);
    if (!d) {
        add_file(c, dir);
        return;
    }
    struct dirent *de;
    char p[4096];
    while ((de = readdir(d)) && (!limit || c->len < limit)) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (de->d_type == DT_DIR)
            walk(c, p, limit);
        else if (de->d_type == DT_REG)
            add_file(c, p);
    }
    closedir(d);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx)
{
    (*(size_t *)ctx)++;
    return 0;
}

static int count_ks(const ks_match *m, void *ctx)
{
    (*(size_t *)ctx)++;
    return 0;
}

typedef struct job {
    const corpus *c;
    const ks_engine *e;
    int mode; /* 0: hs_scan alone, 1: ks_scan */
    unsigned index, nthreads;
    size_t matches;
    double secs;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    hs_scratch_t *scratch = NULL;
    ks_scanner *s = NULL;
    if (j->mode == 0)
        hs_alloc_scratch(j->e->db, &scratch);
    else
        ks_scanner_create(j->e, &s);
    double t = now();
    for (size_t i = j->index; i < j->c->n; i += j->nthreads) {
        const unsigned char *p = j->c->data + j->c->starts[i];
        size_t len = j->c->starts[i + 1] - j->c->starts[i];
        if (j->mode == 0)
            hs_scan(j->e->db, (const char *)p, (unsigned)len, 0, scratch, count_hs, &j->matches);
        else {
            ks_scan_opts o = {.size = sizeof o, .path = j->c->paths[i]};
            ks_scan(s, p, len, 0, &o, count_ks, &j->matches);
        }
    }
    j->secs = now() - t;
    hs_free_scratch(scratch);
    ks_scanner_destroy(s);
    return NULL;
}

/* Returns bytes/s over the corpus with `threads` threads (wall time of the slowest). */
static double measure(const corpus *c, const ks_engine *e, int mode, unsigned threads, size_t *matches)
{
    pthread_t th[256];
    job jobs[256];
    double t = now();
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] = (job){c, e, mode, i, threads, 0, 0};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    size_t m = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        m += jobs[i].matches;
    }
    if (matches)
        *matches = m;
    return (double)c->len / (now() - t);
}

static ks_engine *engine_for(ks_rules *rules)
{
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE};
    if (ks_engine_create(rules, &o, &e, NULL, NULL))
        return NULL;
    return e;
}

typedef struct rule_time {
    const char *id;
    double bps;
    size_t matches;
} rule_time;

static int by_speed(const void *a, const void *b)
{
    double x = ((const rule_time *)a)->bps, y = ((const rule_time *)b)->bps;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *rules_path = NULL;
    const char *dirs[64];
    int n_dirs = 0;
    unsigned max_threads = 1;
    int per_rule = 0, reps = 3, exact = 0, hs_only = 0;
    size_t limit = 0, per_rule_limit = 256u << 20;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rules") && i + 1 < argc)
            rules_path = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            max_threads = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--per-rule"))
            per_rule = 1;
        else if (!strcmp(argv[i], "--exact-threads"))
            exact = 1; /* only the --threads count, not the doubling series up to it */
        else if (!strcmp(argv[i], "--hs-only"))
            hs_only = 1; /* Vectorscan alone (S), not the whole engine */
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit-mb") && i + 1 < argc)
            limit = (size_t)atol(argv[++i]) << 20;
        else if (argv[i][0] != '-' && n_dirs < 64)
            dirs[n_dirs++] = argv[i];
        else {
            fprintf(stderr, "usage: bench_scan [--rules PATH] [--threads N] [--exact-threads] [--hs-only] [--reps N] "
                            "[--limit-mb N] [--per-rule] DIR...\n");
            return 2;
        }
    }
    if (!n_dirs || max_threads < 1 || max_threads > 256) {
        fprintf(stderr, "bench_scan: need a DIR (and 1..256 threads)\n");
        return 2;
    }
    corpus c = {0};
    for (int i = 0; i < n_dirs; i++)
        walk(&c, dirs[i], limit);
    if (!c.n) {
        fprintf(stderr, "bench_scan: no files under %s\n", dirs[0]);
        return 2;
    }
    ks_rules *rules = NULL;
    ks_rules_create(&rules);
    int rc = rules_path ? ks_rules_load_path(rules, rules_path, NULL, NULL) : ks_rules_load_builtin(rules, NULL, NULL);
    ks_engine *e = rc ? NULL : engine_for(rules);
    if (!e) {
        fprintf(stderr, "bench_scan: rules do not load or compile\n");
        return 2;
    }
    printf("{\"files\": %zu, \"bytes\": %zu, \"rules\": %zu, \"results\": [\n", c.n, c.len, ks_rules_count(rules));
    int first = 1;
    for (unsigned t = exact ? max_threads : 1; t <= max_threads; t *= 2) {
        for (int mode = 0; mode < (hs_only ? 1 : 2); mode++) {
            double best = 0;
            size_t m = 0;
            for (int r = 0; r < reps; r++) {
                double v = measure(&c, e, mode, t, &m);
                if (v > best)
                    best = v;
            }
            printf("%s  {\"what\": \"%s\", \"threads\": %u, \"bytes_per_s\": %.0f, \"matches\": %zu}", first ? "" : ",\n",
                   mode ? "engine" : "hs_scan", t, best, m);
            first = 0;
        }
        if (t < max_threads && t * 2 > max_threads)
            t = max_threads / 2;
    }
    printf("\n], \"slowest_rules\": [\n");
    if (per_rule) {
        /* each rule alone over a sample: Vectorscan's speed depends on each rule's literals */
        corpus sample = c;
        size_t nf = 0;
        while (nf < c.n && c.starts[nf] < per_rule_limit)
            nf++;
        sample.n = nf;
        sample.len = c.starts[nf];
        size_t n = ks_rules_count(rules);
        rule_time *times = calloc(n, sizeof *times);
        for (size_t i = 0; i < n; i++) {
            ks_rules *one = NULL;
            ks_rules_create(&one);
            ks_rule copy;
            ks__rule_copy(NULL, &copy, &rules->items[i]);
            ks__rules_append(one, &copy, 1, NULL, NULL);
            ks_engine *oe = engine_for(one);
            times[i].id = rules->items[i].id;
            if (oe)
                times[i].bps = measure(&sample, oe, 0, 1, &times[i].matches);
            ks_engine_destroy(oe);
            ks_rules_destroy(one);
        }
        qsort(times, n, sizeof *times, by_speed);
        for (size_t i = 0; i < n && i < 10; i++)
            printf("%s  {\"rule\": \"%s\", \"bytes_per_s\": %.0f, \"matches\": %zu}", i ? ",\n" : "", times[i].id,
                   times[i].bps, times[i].matches);
        free(times);
    }
    printf("\n]}\n");
    ks_engine_destroy(e);
    ks_rules_destroy(rules);
    for (size_t i = 0; i < c.n; i++)
        free(c.paths[i]);
    free(c.paths);
    free(c.data);
    free(c.starts);
    return 0;
}
