/* pipeline.c: the pipeline's lifecycle: create (buffers, rings, workers, writer), submit, stop, finish; the stages
 * themselves are batcher.c (files -> jobs), worker.c (jobs -> records), writer.c (records -> sink). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag_emit.h"
#include "git_members.h"
#include "pipeline_int.h"

static unsigned affinity_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void destroy(ks_pipeline *p)
{
    if (p->jobs) {
        for (unsigned i = 0; i < p->n_buffers; i++)
            if (p->jobs[i]) {
                ks__afree(p->a, p->jobs[i]->buf);
                ks__afree(p->a, p->jobs[i]);
            }
        ks__afree(p->a, p->jobs);
    }
    if (p->workers) {
        for (unsigned i = 0; i < p->n_workers; i++) {
            ks_scanner_destroy(p->workers[i].scanner);
            ks__afree(p->a, p->workers[i].stream_buf);
            if (p->workers[i].rstate)
                p->reader->fini(p->workers[i].rstate);
        }
        ks__afree(p->a, p->workers);
    }
    if (p->rings) {
        for (unsigned i = 0; i <= p->n_workers; i++)
            ks__ring_free(&p->rings[i]);
        ks__afree(p->a, p->rings);
    }
    ks__bq_free(&p->chunks);
    ks__bq_free(&p->free_jobs);
    pthread_mutex_destroy(&p->wake_mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->room);
    ks__fdb_destroy(&p->fds);
    ks__git_idset_free(p->git_seen);
    ks__afree(p->a, p->git_repos);
    ks__afree(p->a, p);
}

static void no_idle(void *ctx) {}
static void no_file_done(void *ctx, const char *path, uint64_t bytes, int err) {}

/* The caller's structs as they are now: a caller built against fewer fields passes a smaller size. */
static void copy_sized(void *dst, size_t full, const void *src, size_t given)
{
    memset(dst, 0, full);
    if (src)
        memcpy(dst, src, given && given < full ? given : full);
}

/* The backend, chosen in one place (ks_reader_choose): "auto" falls back to pread there, with a note. */
static const ks_reader_ops *choose_reader(const ks_pipeline_opts *o)
{
    int why = 0;
    const char *name = o->reader ? o->reader : "auto";
    const ks_reader_ops *r = ks_reader_choose(name, &why);
    if (!r && why)
        ks__diag_emit(o->on_diag, o->diag_ctx, KS_EIO, NULL, 0, NULL, "io_uring unavailable (%s)", strerror(why));
    else if (!r)
        ks__diag_emit(o->on_diag, o->diag_ctx, KS_EINVAL, NULL, 0, NULL,
                      "unknown reader '%s': expected auto, uring or pread", name);
    else if (why)
        ks__diag_emit(o->on_diag, o->diag_ctx, 0, NULL, 0, NULL, "io_uring unavailable (%s); using pread",
                      strerror(why));
    return r;
}

int ks_pipeline_create(const ks_engine *engine, const ks_pipeline_opts *given, const ks_pipeline_sink *sink_given,
                       void *ctx, ks_pipeline **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!engine || !sink_given || !sink_given->on_finding)
        return KS_EINVAL;
    ks_pipeline_opts opts;
    copy_sized(&opts, sizeof opts, given, given ? given->size : 0);
    const ks_pipeline_opts *o = &opts;
    const ks_reader_ops *reader = choose_reader(o);
    if (!reader)
        return o->reader && strcmp(o->reader, "uring") == 0 ? KS_EIO : KS_EINVAL;
    const ks_allocator *a = ks__engine_alloc(engine);
    ks_pipeline *p = ks__acalloc(a, 1, sizeof *p);
    if (!p)
        return KS_ENOMEM;
    p->a = a;
    pthread_mutex_init(&p->wake_mu, NULL);
    pthread_condattr_t mono; /* the writer's timed waits count on the monotonic clock (writer.c) */
    pthread_condattr_init(&mono);
    pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &mono);
    pthread_cond_init(&p->room, &mono);
    pthread_condattr_destroy(&mono);
    p->engine = engine;
    copy_sized(&p->sink, sizeof p->sink, sink_given, sink_given->size);
    if (!p->sink.on_file_done)
        p->sink.on_file_done = no_file_done;
    if (!p->sink.on_idle)
        p->sink.on_idle = no_idle;
    p->ctx = ctx;
    p->reader = reader;
    p->chunk = o->chunk_size ? o->chunk_size : KS_PIPELINE_DEFAULT_CHUNK;
    if (p->chunk > ((size_t)1 << 30))
        p->chunk = (size_t)1 << 30;
    p->margin = ks__overlap(engine);
    unsigned cpus = affinity_cpus();
    p->n_workers = o->threads ? o->threads : cpus;
    /* Lanes hand each member to the reader in turn, so they pay only where a CPU is left for each beside
     * the one reading: on 2 CPUs, 2 lanes made a 17,207-member zip slower on 2 workers (1.05 s) than one
     * worker inflating its members while the other scans them (0.83 s). */
    unsigned spare = cpus > 1 ? cpus - 1 : 1;
    p->ahead_threads = o->archive_threads ? o->archive_threads : p->n_workers < spare ? p->n_workers : spare;
    /* Only when asked: a pack's big delta trees (one file's versions, hundreds of MB out) are each one lane's, and
     * handed out in order through bounded queues, so lanes gained nothing on git/git's pack on 2 CPUs while they
     * cost memory (bench/README: git history). */
    p->git_lanes = o->archive_threads ? o->archive_threads : 1;
    /* Cold caches want many reads in flight to cover the time a worker spends scanning: each job
     * in flight is a chunk or up to KS_BATCH_MAX small files, all submitted at once. */
    p->depth = p->reader->synchronous ? 1 : KS_JOBS_IN_FLIGHT;
    size_t cap = p->chunk + 2 * p->margin;
    if (o->buffers) {
        p->n_buffers = o->buffers;
    } else {
        /* Per worker: the jobs in flight, one being scanned and one queued; at most
         * KS_BUFFER_BUDGET of buffers in all, but never fewer than two per worker. */
        size_t want = (size_t)p->n_workers * (p->depth + 2) + 2, budget = KS_BUFFER_BUDGET / cap;
        if (want > budget)
            want = budget > 2 * (size_t)p->n_workers ? budget : 2 * (size_t)p->n_workers;
        p->n_buffers = (unsigned)want;
    }
    unsigned max_files = o->max_open_files ? o->max_open_files : KS_PIPELINE_DEFAULT_OPEN_FILES;
    ks__fdb_init(&p->fds, max_files);
    p->pin = !(o->flags & KS_PIPELINE_NO_PIN);
    p->read_only = !!(o->flags & KS_PIPELINE_READ_ONLY);
    p->lower_priority = !(o->flags & KS_PIPELINE_SAME_PRIORITY);
    p->containers = !(o->flags & KS_PIPELINE_NO_CONTAINERS);
    p->no_decode = !!(o->flags & KS_PIPELINE_NO_DECODE);
    p->climits = (ks_container_limits){
        .max_depth = o->archive_depth ? o->archive_depth : KS_DEFAULT_ARCHIVE_DEPTH,
        .max_output = o->archive_max_output, /* 0: per file (expand.c) */
        .max_members = o->archive_max_members ? o->archive_max_members : KS_DEFAULT_ARCHIVE_MEMBERS,
        .ratio_after = (uint64_t)16 << 20,
        .max_ratio = o->archive_max_ratio ? o->archive_max_ratio : KS_DEFAULT_ARCHIVE_RATIO,
        .no_decompress = !!(o->flags & KS_PIPELINE_NO_DECOMPRESS),
    };
    p->archive_max_input = o->archive_max_input;
    int rc = 0;
    /* Jobs hold buffers, stream jobs hold descriptors: the queue never holds more than both. */
    if (ks__bq_init(&p->chunks, p->a, (size_t)p->n_buffers + max_files) || ks__bq_init(&p->free_jobs, p->a, p->n_buffers))
        rc = KS_ENOMEM;
    p->jobs = rc ? NULL : ks__acalloc(p->a, p->n_buffers, sizeof *p->jobs);
    p->workers = rc ? NULL : ks__acalloc(p->a, p->n_workers, sizeof *p->workers);
    p->rings = rc ? NULL : ks__acalloc(p->a, p->n_workers + 1, sizeof *p->rings);
    if (!p->jobs || !p->workers || !p->rings)
        rc = KS_ENOMEM;
    for (unsigned i = 0; !rc && i < p->n_buffers; i++) {
        pjob *j = p->jobs[i] = ks__acalloc(p->a, 1, sizeof *j + KS_BATCH_MAX * sizeof(pslot));
        if (j) {
            j->cap = cap;
            j->buf = ks__amalloc(p->a, cap + 64);
        }
        if (!j || !j->buf)
            rc = KS_ENOMEM;
        else
            ks__bq_push(&p->free_jobs, j);
    }
    for (unsigned i = 0; !rc && i <= p->n_workers; i++)
        rc = ks__ring_init(&p->rings[i], p->a, RING_SLOTS);
    for (unsigned i = 0; !rc && i < p->n_workers; i++) {
        worker *w = &p->workers[i];
        w->p = p;
        w->index = i;
        w->out = &p->rings[i];
        w->stream_buf = ks__amalloc(p->a, STREAM_PIECE);
        if (!w->stream_buf || ks_scanner_create(engine, &w->scanner))
            rc = KS_ENOMEM;
    }
    for (unsigned i = 0; !rc && i < p->n_workers; i++) {
        /* every slot of the jobs in flight, and a stream's read */
        int e = p->reader->init(&p->workers[i].rstate, p->depth * KS_BATCH_MAX + 1);
        if (e < 0) {
            p->workers[i].rstate = NULL;
            ks__diag_emit(o->on_diag, o->diag_ctx, KS_EIO, NULL, 0, NULL, "cannot set up %s reads: %s",
                          p->reader->name, strerror(-e));
            rc = KS_EIO;
        }
    }
    if (rc) {
        destroy(p);
        return rc;
    }
    /* The pipeline's threads block every signal, so the host's handlers run on the host's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < p->n_workers; i++)
        pthread_create(&p->workers[i].thread, NULL, ks__pl_worker_main, &p->workers[i]);
    pthread_create(&p->writer_thread, NULL, ks__pl_writer_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    *out = p;
    return 0;
}

/* A file record for fd under path, its descriptor counted from here (every path below closes
 * through file_close_fd); NULL when there is no memory (fd is then closed). */
static pfile *new_file(ks_pipeline *p, int fd, const char *path)
{
    ks__fdb_take(&p->fds);
    size_t plen = strlen(path);
    pfile *f = ks__amalloc(p->a, sizeof *f + plen + 1);
    if (!f) {
        close(fd);
        ks__fdb_give(&p->fds);
        return NULL;
    }
    memset(f, 0, sizeof *f);
    memcpy(f->path_, path, plen + 1);
    f->path = f->path_;
    f->fd = fd;
    return f;
}

int ks_pipeline_submit(ks_pipeline *p, int fd, const char *path, uint64_t size, uint64_t limit)
{
    if (!p || !path) {
        if (fd >= 0)
            close(fd);
        return KS_EINVAL;
    }
    if (atomic_load(&p->stop)) {
        close(fd);
        return KS_ETERMINATED;
    }
    pfile *f = new_file(p, fd, path);
    if (!f)
        return KS_ENOMEM;
    f->size = size;
    f->limit = limit;
    f->stream_mode = size == 0;
    f->n_chunks = size ? (uint32_t)((size + p->chunk - 1) / p->chunk) : 1;
    ks__order_init(&f->order, p->a, f->n_chunks, f->stream_mode);
    ks__pl_submit_file(p, f);
    ks__pl_wait_for_fd(p); /* before returning: the caller opens the next file */
    return 0;
}

int ks_pipeline_submit_git(ks_pipeline *p, const char *git_dir)
{
    if (!p || !git_dir)
        return KS_EINVAL;
    int fd = open(git_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return KS_EIO;
    int is_git_dir = ks__git_is_dir(fd); /* a git directory itself, as this call always took: no work tree */
    close(fd);
    return is_git_dir ? ks_pipeline_submit_git_opts(p, git_dir, NULL) : KS_EINVAL;
}

/* Whether the repository of job was queued before (its history; with staged, its worktree's index), else
 * remembers it: 1, 0, or KS_ENOMEM. */
static int git_repo_seen(ks_pipeline *p, const ks_git_job *job)
{
    struct ks_git_repo_key k = {job->loc.common_dev, job->loc.common_ino};
    if (job->opts.staged)
        k = (struct ks_git_repo_key){job->loc.dir_dev, job->loc.dir_ino};
    for (size_t i = 0; i < p->n_git_repos; i++)
        if (p->git_repos[i].dev == k.dev && p->git_repos[i].ino == k.ino)
            return 1;
    if (ks__agrow(p->a, (void **)&p->git_repos, &p->git_repos_cap, p->n_git_repos, sizeof *p->git_repos, 8) != 0)
        return KS_ENOMEM;
    p->git_repos[p->n_git_repos++] = k;
    return 0;
}

int ks_pipeline_submit_git_opts(ks_pipeline *p, const char *repo, const ks_git_opts *opts)
{
    if (!p || !repo)
        return KS_EINVAL;
    if (atomic_load(&p->stop))
        return KS_ETERMINATED;
    ks_git_job *job;
    int rc = ks__git_job_new(p->a, repo, opts, &job);
    if (rc)
        return rc;
    if ((rc = git_repo_seen(p, job)) != 0) {
        ks__git_job_free(p->a, job);
        return rc == 1 ? 0 : rc; /* another worktree of a repository already queued: its history is once */
    }
    int fd = open(job->loc.git_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        ks__git_job_free(p->a, job);
        return KS_EIO;
    }
    /* one set for every repository of the scan: a blob in two clones is scanned once */
    if (!p->git_seen && !(p->git_seen = ks__git_idset_new_shared(p->a))) {
        close(fd);
        ks__git_job_free(p->a, job);
        return KS_ENOMEM;
    }
    /* a work tree is reported as its .git, the name every other reader of the history opens */
    char *shown = NULL;
    size_t rl = strlen(repo);
    if (job->loc.work_tree && (shown = ks__amalloc(p->a, rl + sizeof "/.git")) != NULL)
        snprintf(shown, rl + sizeof "/.git", "%s%s", repo, rl && repo[rl - 1] == '/' ? ".git" : "/.git");
    pfile *f = new_file(p, fd, shown ? shown : repo); /* its descriptor is held while it is read: counted as a file's */
    ks__afree(p->a, shown);
    if (!f) {
        ks__git_job_free(p->a, job);
        return KS_ENOMEM;
    }
    f->stream_mode = 1;
    f->git = 1;
    f->git_job = job;
    f->n_chunks = 1;
    ks__order_init(&f->order, p->a, 1, 1);
    if (p->n_workers > 1) { /* its blobs are shared out: no worker may stop before it is done */
        f->share_hold = 1;
        ks__bq_hold(&p->chunks);
    }
    ks__pl_flush_batch(p);
    ks__pl_submit_file(p, f);
    ks__pl_wait_for_fd(p);
    return 0;
}

/* Async-signal-safe: a lock-free atomic compare-and-swap and nothing else. */
void ks_pipeline_stop(ks_pipeline *p)
{
    int running = STOP_NONE;
    atomic_compare_exchange_strong(&p->stop, &running, STOP_ASKED);
}

int ks_pipeline_info_get(const ks_pipeline *p, ks_pipeline_info *info)
{
    if (!p || !info)
        return KS_EINVAL;
    size_t room = info->size && info->size < sizeof *info ? info->size : sizeof *info;
    ks_pipeline_info full = {.size = room, .threads = p->n_workers, .reader = p->reader->name,
                             .files_done = atomic_load_explicit(&p->files_done, memory_order_relaxed)};
    for (unsigned i = 0; i < p->n_workers; i++) {
        full.reads_in_flight += atomic_load_explicit(&p->workers[i].reads_held, memory_order_relaxed);
        full.bytes_read += atomic_load_explicit(&p->workers[i].bytes_read, memory_order_relaxed);
        full.members_shared += atomic_load_explicit(&p->workers[i].members_shared, memory_order_relaxed);
    }
    memcpy(info, &full, room);
    return 0;
}

/* Hands every regular file the walk finds to the pipeline. */
typedef struct walk_feed {
    ks_pipeline *p;
    uint64_t limit;
    const ks_walk_ops *ops;
    void *ctx;
    int stopped;
} walk_feed;

static int feed_file(void *c, int fd, const char *path, const struct stat *st)
{
    walk_feed *wf = c;
    if (ks_pipeline_submit(wf->p, fd, path, (uint64_t)st->st_size, wf->limit)) {
        wf->stopped = 1;
        return 1;
    }
    return 0;
}

static void feed_skip(void *c, const char *path, ks_skip_reason why, int explicit_root)
{
    walk_feed *wf = c;
    if (wf->ops && wf->ops->on_skip)
        wf->ops->on_skip(wf->ctx, path, why, explicit_root);
}

static void feed_error(void *c, const char *path, int err, const char *what)
{
    walk_feed *wf = c;
    if (wf->ops && wf->ops->on_error)
        wf->ops->on_error(wf->ctx, path, err, what);
}

int ks_pipeline_walk(ks_pipeline *p, const char *root, const ks_walk_opts *wo, const ks_walk_ops *ops, void *ctx)
{
    if (!p || !root)
        return KS_EINVAL;
    ks_walk_ops given = {0};
    copy_sized(&given, sizeof given, ops, ops ? ops->size : 0);
    ks_walk_opts wopts;
    copy_sized(&wopts, sizeof wopts, wo, wo ? wo->size : 0);
    walk_feed wf = {p, wopts.max_file_size ? wopts.max_file_size : KS_UNKNOWN_SIZE_LIMIT, &given, ctx, 0};
    static const ks_walk_ops feed = {
        .size = sizeof feed, .on_file = feed_file, .on_skip = feed_skip, .on_error = feed_error};
    ks_walk(root, &wopts, &feed, &wf);
    return wf.stopped || atomic_load(&p->stop) ? KS_ETERMINATED : 0;
}

int ks_pipeline_finish(ks_pipeline *p)
{
    ks__pl_flush_batch(p);
    ks__bq_close(&p->chunks);
    for (unsigned i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i].thread, NULL);
    atomic_store_explicit(&p->producers_done, 1, memory_order_release);
    pthread_mutex_lock(&p->wake_mu);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->wake_mu);
    pthread_join(p->writer_thread, NULL);
    int rc = atomic_load(&p->stop) ? KS_ETERMINATED : 0;
    destroy(p);
    return rc;
}
