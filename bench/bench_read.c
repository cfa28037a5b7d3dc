/* bench_read.c: read-only throughput of a tree: plain read() per file (R), or keysweep's own readers
 * (io_uring, pread) through the real pipeline with scanning switched off. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"
#include "walk.h"

typedef struct paths {
    char **items;
    size_t n, cap;
} paths;

typedef struct ctx {
    const char *mode;
    paths files;
    ks_pipeline *p;
    unsigned long long bytes, nfiles, errors;
} ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_file(void *c, int fd, const char *path, const struct stat *st)
{
    ctx *x = c;
    if (x->p)
        return ks_pipeline_submit(x->p, fd, path, (uint64_t)st->st_size, 0) ? 1 : 0;
    close(fd);
    if (x->files.n == x->files.cap) {
        x->files.cap = x->files.cap ? 2 * x->files.cap : 4096;
        x->files.items = realloc(x->files.items, x->files.cap * sizeof *x->files.items);
    }
    x->files.items[x->files.n++] = strdup(path);
    return 0;
}

static void on_skip(void *c, const char *path, ks_skip_reason why, int explicit_root) {}
static void on_error(void *c, const char *path, int err, const char *what) { ((ctx *)c)->errors++; }

static int sink_finding(void *c, const char *path, const ks_match *m) { return 0; }
static void sink_done(void *c, const char *path, uint64_t bytes, int err)
{
    ctx *x = c;
    x->bytes += bytes;
    x->nfiles++;
    if (err)
        x->errors++;
}
static void sink_idle(void *c) {}

typedef struct plain_job {
    ctx *x;
    unsigned index, n;
    unsigned long long bytes;
} plain_job;

/* R: what a plain read() loop over every file costs, per thread. */
static void *plain_reader(void *arg)
{
    plain_job *j = arg;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    for (size_t i = j->index; i < j->x->files.n; i += j->n) {
        int fd = open(j->x->files.items[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t r;
        while ((r = read(fd, buf, cap)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0)
                j->bytes += (unsigned long long)r;
        close(fd);
    }
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    ctx x = {.mode = "plain"};
    ks_pipeline_opts po = {0};
    int first_path = 0;
    unsigned threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--io") && i + 1 < argc)
            x.mode = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--chunk-size") && i + 1 < argc)
            po.chunk_size = (size_t)atol(argv[++i]);
        else if (argv[i][0] != '-') {
            first_path = i;
            break;
        } else {
            fprintf(stderr, "usage: bench_read [--io plain|pread|uring] [--threads N] [--chunk-size B] PATH...\n");
            return 2;
        }
    }
    if (!first_path || threads < 1 || threads > 256) {
        fprintf(stderr, "bench_read: need a PATH and 1..256 threads\n");
        return 2;
    }
    ks_walk_opts wo = {0};
    ks_walk_ops ops = {on_file, on_skip, on_error};
    double t0 = now(), list_secs = 0;
    if (!strcmp(x.mode, "plain")) {
        /* the listing is not timed: R is the reading alone */
        for (int i = first_path; i < argc; i++)
            ks_walk(argv[i], &wo, &ops, &x);
        list_secs = now() - t0;
        t0 = now();
        pthread_t th[256];
        plain_job jobs[256];
        for (unsigned i = 0; i < threads; i++) {
            jobs[i] = (plain_job){&x, i, threads, 0};
            pthread_create(&th[i], NULL, plain_reader, &jobs[i]);
        }
        for (unsigned i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            x.bytes += jobs[i].bytes;
        }
        x.nfiles = x.files.n;
        for (size_t i = 0; i < x.files.n; i++) /* freed so that the ASan stage's LSan sees no leak */
            free(x.files.items[i]);
        free(x.files.items);
    } else {
        ks_rules *r = NULL;
        ks_engine *e = NULL;
        ks_rules_create(&r);
        const char *y = "rules:\n  - {id: x, name: x, pattern: 'qzqzqz[0-9]{4}'}\n";
        ks_rules_load_yaml(r, y, strlen(y), "bench", NULL, NULL);
        ks_engine_options eo = {.flags = KS_ENGINE_NO_CACHE};
        if (ks_engine_create(r, &eo, &e, NULL, NULL))
            return 2;
        po.threads = threads;
        po.read_only = 1;
        po.reader = !strcmp(x.mode, "uring") ? &ks_reader_uring : &ks_reader_pread;
        ks_pipeline_sink sink = {sink_finding, sink_done, sink_idle};
        int berr = 0;
        if (ks_pipeline_create(e, &po, &sink, &x, &x.p, &berr)) {
            fprintf(stderr, "bench_read: %s reader unavailable: %s\n", x.mode, strerror(berr));
            return 3;
        }
        for (int i = first_path; i < argc; i++)
            ks_walk(argv[i], &wo, &ops, &x);
        ks_pipeline_finish(x.p);
        ks_engine_destroy(e);
        ks_rules_destroy(r);
    }
    double secs = now() - t0;
    printf("{\"mode\": \"%s\", \"threads\": %u, \"files\": %llu, \"bytes\": %llu, \"seconds\": %.6f, \"bytes_per_s\": %.0f, "
           "\"errors\": %llu, \"list_seconds\": %.6f}\n",
           x.mode, threads, x.nfiles, x.bytes, secs, secs > 0 ? (double)x.bytes / secs : 0.0, x.errors, list_secs);
    return 0;
}
