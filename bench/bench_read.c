/* bench_read.c: read-only throughput of a tree: plain read() per file by path (R), read() relative to
 * directory fds from its own getdents64 walk (dirfd), or keysweep's own readers (io_uring, pread)
 * through the real pipeline with scanning switched off. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keysweep.h"

typedef struct paths {
    char **items;
    size_t n, cap;
} paths;

/* Samples the pipeline's reads in flight at most every millisecond, for the cold-cache report: how
 * well the workers keep the device busy while they scan. It runs in the sink's on_file_done, on the
 * writer thread, which lives until ks_pipeline_finish returns: the draining at the end is seen too. */
typedef struct qd_sampler {
    FILE *out;
    double t0, last, sum;
    unsigned long samples;
    unsigned hist[4097]; /* reads in flight, capped */
} qd_sampler;

typedef struct ctx {
    const char *mode;
    paths files;
    ks_pipeline *p;
    unsigned long long bytes, nfiles, errors;
    struct qd_sampler qd; /* the pipeline modes' queue-depth samples (--qd-trace) */
} ctx;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void qd_sample(qd_sampler *q, const ks_pipeline *p)
{
    double t = now() - q->t0;
    if (!q->out || t - q->last < 0.001)
        return;
    q->last = t;
    ks_pipeline_info info = {.size = sizeof info};
    ks_pipeline_info_get(p, &info);
    unsigned d = info.reads_in_flight > 4096 ? 4096 : info.reads_in_flight;
    q->hist[d]++;
    q->sum += info.reads_in_flight;
    q->samples++;
    fprintf(q->out, "%.4f %u %llu\n", t, info.reads_in_flight, (unsigned long long)info.bytes_read);
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
    qd_sample(&x->qd, x->p);
}
static void sink_idle(void *c)
{
    ctx *x = c;
    qd_sample(&x->qd, x->p);
}
static void say_diag(const ks_diag *d, void *c) { fprintf(stderr, "bench_read: %s\n", d->message); }

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

/* R dirfd: a complete walk+read method, as a real scanner would do it. The threads list the trees
 * themselves with getdents64 (64 KiB at a time) and open each regular file relative to its
 * directory's descriptor (openat, never a rebuilt path), read it through a 1 MiB buffer and close it.
 * The walk is timed with the reads, so the JSON says "list_seconds": 0. The work is shared per
 * directory: a mutex-protected stack of directory paths, each opened O_DIRECTORY|O_NOFOLLOW when
 * popped, so that a thread holds one directory fd and one file fd at a time. It reads what
 * `--io plain` reads: regular files only (symlinks below a root are not followed; FIFOs, sockets and
 * devices are never opened), a file with several hard links once per root, as ks_walk does. */
#include <dirent.h> /* getdents64, struct dirent64 (_GNU_SOURCE) */
#include <search.h> /* tsearch: the hard links already read */

typedef struct dirfd_dir {
    char *path;
    unsigned root; /* index of the root it lies under */
    int follow;    /* a root named on the command line is followed even if it is a symlink */
} dirfd_dir;

typedef struct dirfd_shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    dirfd_dir *stack;
    size_t n, cap;
    unsigned busy; /* threads listing a directory: they may still push more */
    void *links;   /* tsearch tree of the dirfd_link of each file with several links, once read */
} dirfd_shared;

typedef struct dirfd_job {
    dirfd_shared *sh;
    char *buf, *dents;
    unsigned long long bytes, nfiles, errors;
} dirfd_job;

typedef struct dirfd_link {
    unsigned root;
    dev_t dev;
    ino_t ino;
} dirfd_link;

#define DIRFD_BUF (1 << 20)
#define DIRFD_DENTS (64 << 10)

static int dirfd_link_cmp(const void *a, const void *b)
{
    const dirfd_link *x = a, *y = b;
    if (x->root != y->root)
        return x->root < y->root ? -1 : 1;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Takes path (malloc'd); 0, or -1 on allocation failure (path freed). */
static int dirfd_push(dirfd_shared *sh, char *path, unsigned root, int follow)
{
    pthread_mutex_lock(&sh->mu);
    if (sh->n == sh->cap) {
        size_t cap = sh->cap ? 2 * sh->cap : 256;
        dirfd_dir *s = realloc(sh->stack, cap * sizeof *s);
        if (!s) {
            pthread_mutex_unlock(&sh->mu);
            free(path);
            return -1;
        }
        sh->stack = s;
        sh->cap = cap;
    }
    sh->stack[sh->n++] = (dirfd_dir){path, root, follow};
    pthread_cond_signal(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return 0;
}

/* 1 when this file is to be read: one link, or the first of its links seen under its root. */
static int dirfd_first_link(dirfd_shared *sh, unsigned root, const struct stat *st)
{
    if (st->st_nlink <= 1)
        return 1;
    dirfd_link *k = malloc(sizeof *k);
    if (!k)
        return 1;
    *k = (dirfd_link){root, st->st_dev, st->st_ino};
    pthread_mutex_lock(&sh->mu);
    void **node = tsearch(k, &sh->links, dirfd_link_cmp);
    pthread_mutex_unlock(&sh->mu);
    if (node && *node == k)
        return 1;
    free(k);
    return node == NULL; /* out of memory: read it rather than lose it */
}

/* Opens name relative to dfd (AT_FDCWD for a root), reads it whole if it is a regular file. */
static void dirfd_read_file(dirfd_job *j, int dfd, const char *name, unsigned root, int nofollow)
{
    int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0) {
        /* a symlink or a FIFO raced in since the listing, or the file is gone: skipped, as ks_walk does */
        if (errno != ELOOP && errno != ENXIO && errno != ENOENT)
            j->errors++;
        return;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        j->errors++;
    } else if (S_ISREG(st.st_mode) && dirfd_first_link(j->sh, root, &st)) {
        j->nfiles++;
        ssize_t r;
        while ((r = read(fd, j->buf, DIRFD_BUF)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0)
                j->bytes += (unsigned long long)r;
        if (r < 0)
            j->errors++;
    }
    close(fd);
}

/* Lists one directory: reads its files, pushes its subdirectories. Frees d->path. */
static void dirfd_list(dirfd_job *j, dirfd_dir *d)
{
    int dfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (d->follow ? 0 : O_NOFOLLOW));
    if (dfd < 0) {
        if (errno != ELOOP && errno != ENOENT && errno != ENOTDIR)
            j->errors++;
        free(d->path);
        return;
    }
    size_t plen = strlen(d->path);
    for (;;) {
        ssize_t n = getdents64(dfd, j->dents, DIRFD_DENTS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            j->errors++;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *e = (struct dirent64 *)(j->dents + off);
            off += e->d_reclen;
            const char *name = e->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            unsigned char type = e->d_type;
            if (type == DT_UNKNOWN) { /* a file system that does not fill d_type: ask, not following links */
                struct stat st;
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
                    continue;
                type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
            }
            if (type == DT_REG) {
                dirfd_read_file(j, dfd, name, d->root, 1);
            } else if (type == DT_DIR) {
                /* the path only names the directory for whoever pops it: files are opened relative to it */
                size_t nlen = strlen(name);
                char *sub = malloc(plen + nlen + 2);
                if (!sub) {
                    j->errors++;
                    continue;
                }
                memcpy(sub, d->path, plen);
                sub[plen] = '/';
                memcpy(sub + plen + 1, name, nlen + 1);
                if (dirfd_push(j->sh, sub, d->root, 0))
                    j->errors++;
            } /* symlinks, FIFOs, sockets, devices: never opened */
        }
    }
    close(dfd);
    free(d->path);
}

/* Done when the stack is empty and no thread is still listing (it might push more). */
static void *dirfd_reader(void *arg)
{
    dirfd_job *j = arg;
    dirfd_shared *sh = j->sh;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (!sh->n && sh->busy)
            pthread_cond_wait(&sh->cv, &sh->mu);
        if (!sh->n) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        dirfd_dir d = sh->stack[--sh->n];
        sh->busy++;
        pthread_mutex_unlock(&sh->mu);
        dirfd_list(j, &d);
        pthread_mutex_lock(&sh->mu);
        if (!--sh->busy && !sh->n)
            pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

/* The dirfd method over argv's roots: sums bytes, files and errors into x. */
static void dirfd_run(ctx *x, char **roots, int nroots, unsigned threads)
{
    dirfd_shared sh = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    dirfd_job jobs[257];
    for (unsigned i = 0; i <= threads; i++) {
        jobs[i] = (dirfd_job){&sh, malloc(DIRFD_BUF), malloc(DIRFD_DENTS), 0, 0, 0};
        if (!jobs[i].buf || !jobs[i].dents) {
            fprintf(stderr, "bench_read: out of memory\n");
            exit(2);
        }
    }
    dirfd_job *mj = &jobs[threads]; /* the main thread's, for roots that are files */
    for (int i = 0; i < nroots; i++) {
        struct stat st;
        if (stat(roots[i], &st)) { /* a root named on the command line is followed, like ks_walk does */
            mj->errors++;
        } else if (S_ISDIR(st.st_mode)) {
            char *p = strdup(roots[i]);
            if (!p || dirfd_push(&sh, p, (unsigned)i, 1))
                mj->errors++;
        } else if (S_ISREG(st.st_mode)) {
            dirfd_read_file(mj, AT_FDCWD, roots[i], (unsigned)i, 0);
        }
    }
    pthread_t th[256];
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, dirfd_reader, &jobs[i]);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    for (unsigned i = 0; i <= threads; i++) {
        x->bytes += jobs[i].bytes;
        x->nfiles += jobs[i].nfiles;
        x->errors += jobs[i].errors;
        free(jobs[i].buf);
        free(jobs[i].dents);
    }
    tdestroy(sh.links, free);
    free(sh.stack);
    pthread_mutex_destroy(&sh.mu);
    pthread_cond_destroy(&sh.cv);
}

static unsigned qd_percentile(const qd_sampler *q, double frac)
{
    unsigned long want = (unsigned long)(frac * (double)q->samples), seen = 0;
    for (unsigned d = 0; d <= 4096; d++)
        if ((seen += q->hist[d]) > want)
            return d;
    return 4096;
}

int main(int argc, char **argv)
{
    ctx x = {.mode = "plain"};
    int scan = 0;
    const char *qd_path = NULL;
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
        else if (!strcmp(argv[i], "--max-open-files") && i + 1 < argc)
            po.max_open_files = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--buffers") && i + 1 < argc)
            po.buffers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--scan"))
            scan = 1;
        else if (!strcmp(argv[i], "--qd-trace") && i + 1 < argc)
            qd_path = argv[++i];
        else if (argv[i][0] != '-') {
            first_path = i;
            break;
        } else {
            fprintf(stderr, "usage: bench_read [--io plain|dirfd|pread|uring] [--threads N] [--chunk-size B] "
                            "[--max-open-files N] [--buffers N] [--scan] [--qd-trace FILE] PATH...\n"
                            "  --scan      pread/uring: scan with the built-in rules (keysweep's pipeline, no output)\n"
                            "  --qd-trace  pread/uring: sample reads in flight every ms into FILE (t, reads, bytes)\n");
            return 2;
        }
    }
    if (!first_path || threads < 1 || threads > 256) {
        fprintf(stderr, "bench_read: need a PATH and 1..256 threads\n");
        return 2;
    }
    ks_walk_opts wo = {0};
    ks_walk_ops ops = {.size = sizeof ops, .on_file = on_file, .on_skip = on_skip, .on_error = on_error};
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
    } else if (!strcmp(x.mode, "dirfd")) {
        /* walk+read: the listing is part of the timed work here (list_seconds stays 0) */
        dirfd_run(&x, argv + first_path, argc - first_path, threads);
    } else {
        ks_rules *r = NULL;
        ks_engine *e = NULL;
        ks_rules_create(&r);
        const char *y = "rules:\n  - {id: x, name: x, pattern: 'qzqzqz[0-9]{4}'}\n";
        if (scan)
            ks_rules_load_builtin(r, NULL, NULL);
        else
            ks_rules_load_yaml(r, y, strlen(y), "bench", NULL, NULL);
        char cache[4096];
        ks_engine_options eo = {.size = sizeof eo, .flags = KS_ENGINE_NO_CACHE};
        if (scan && ks_default_cache_dir(cache, sizeof cache) == 0) { /* the built-in pack: compile once */
            eo.flags = 0;
            eo.cache_dir = cache;
        }
        if (ks_engine_create(r, &eo, &e, NULL, NULL))
            return 2;
        t0 = now(); /* the pipeline's time, not the rules' */
        po.size = sizeof po;
        po.threads = threads;
        po.flags = scan ? 0 : KS_PIPELINE_READ_ONLY;
        po.reader = x.mode;
        po.on_diag = say_diag;
        ks_pipeline_sink sink = {.size = sizeof sink, .on_finding = sink_finding, .on_file_done = sink_done, .on_idle = sink_idle};
        x.qd.t0 = t0;
        if (qd_path && !(x.qd.out = fopen(qd_path, "w"))) {
            fprintf(stderr, "bench_read: %s: %s\n", qd_path, strerror(errno));
            return 2;
        }
        if (ks_pipeline_create(e, &po, &sink, &x, &x.p)) {
            fprintf(stderr, "bench_read: the %s reader is unavailable\n", x.mode);
            return 3;
        }
        for (int i = first_path; i < argc; i++)
            ks_walk(argv[i], &wo, &ops, &x);
        ks_pipeline_finish(x.p);
        if (x.qd.out)
            fclose(x.qd.out);
        ks_engine_destroy(e);
        ks_rules_destroy(r);
    }
    double secs = now() - t0;
    char qd_json[160] = "";
    if (x.qd.samples)
        snprintf(qd_json, sizeof qd_json, ", \"qd_samples\": %lu, \"qd_mean\": %.1f, \"qd_p10\": %u, \"qd_p50\": %u, \"qd_p90\": %u",
                 x.qd.samples, x.qd.sum / (double)x.qd.samples, qd_percentile(&x.qd, 0.1), qd_percentile(&x.qd, 0.5),
                 qd_percentile(&x.qd, 0.9));
    printf("{\"mode\": \"%s\", \"scan\": %d, \"threads\": %u, \"files\": %llu, \"bytes\": %llu, \"seconds\": %.6f, "
           "\"bytes_per_s\": %.0f, \"errors\": %llu, \"list_seconds\": %.6f%s}\n",
           x.mode, scan, threads, x.nfiles, x.bytes, secs, secs > 0 ? (double)x.bytes / secs : 0.0, x.errors, list_secs,
           qd_json);
    return 0;
}
