/* pipeline.c: the pipeline's lifecycle: create (buffers, rings, workers, writer), submit, stop, finish; the stages
 * themselves are batcher.c (files -> jobs), worker.c (jobs -> records), writer.c (records -> sink). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
                ks__free(p->jobs[i]->buf);
                ks__free(p->jobs[i]);
            }
        ks__free(p->jobs);
    }
    if (p->workers) {
        for (unsigned i = 0; i < p->n_workers; i++) {
            ks_scanner_destroy(p->workers[i].scanner);
            ks__free(p->workers[i].stream_buf);
            if (p->workers[i].rstate)
                p->reader->fini(p->workers[i].rstate);
        }
        ks__free(p->workers);
    }
    if (p->rings) {
        for (unsigned i = 0; i <= p->n_workers; i++)
            ks__ring_free(&p->rings[i]);
        ks__free(p->rings);
    }
    ks__bq_free(&p->chunks);
    ks__bq_free(&p->free_jobs);
    pthread_mutex_destroy(&p->wake_mu);
    pthread_cond_destroy(&p->wake);
    ks__fdb_destroy(&p->fds);
    ks__free(p);
}

int ks_pipeline_create(const ks_engine *engine, const ks_pipeline_opts *o, const ks_pipeline_sink *sink, void *ctx,
                       ks_pipeline **out, int *backend_errno)
{
    if (!out || !engine || !sink || !o)
        return KS_EINVAL;
    *out = NULL;
    ks_pipeline *p = ks__calloc(1, sizeof *p);
    if (!p)
        return KS_ENOMEM;
    pthread_mutex_init(&p->wake_mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->engine = engine;
    p->sink = *sink;
    p->ctx = ctx;
    p->reader = o->reader ? o->reader : &ks_reader_pread;
    p->chunk = o->chunk_size ? o->chunk_size : KS_PIPELINE_DEFAULT_CHUNK;
    if (p->chunk > ((size_t)1 << 30))
        p->chunk = (size_t)1 << 30;
    p->margin = ks__overlap(engine);
    p->n_workers = o->threads ? o->threads : affinity_cpus();
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
    p->pin = !o->no_pin;
    p->read_only = o->read_only;
    int rc = 0;
    /* Jobs hold buffers, stream jobs hold descriptors: the queue never holds more than both. */
    if (ks__bq_init(&p->chunks, (size_t)p->n_buffers + max_files) || ks__bq_init(&p->free_jobs, p->n_buffers))
        rc = KS_ENOMEM;
    p->jobs = rc ? NULL : ks__calloc(p->n_buffers, sizeof *p->jobs);
    p->workers = rc ? NULL : ks__calloc(p->n_workers, sizeof *p->workers);
    p->rings = rc ? NULL : ks__calloc(p->n_workers + 1, sizeof *p->rings);
    if (!p->jobs || !p->workers || !p->rings)
        rc = KS_ENOMEM;
    for (unsigned i = 0; !rc && i < p->n_buffers; i++) {
        pjob *j = p->jobs[i] = ks__calloc(1, sizeof *j + KS_BATCH_MAX * sizeof(pslot));
        if (j) {
            j->cap = cap;
            j->buf = ks__malloc(cap + 64);
        }
        if (!j || !j->buf)
            rc = KS_ENOMEM;
        else
            ks__bq_push(&p->free_jobs, j);
    }
    for (unsigned i = 0; !rc && i <= p->n_workers; i++)
        rc = ks__ring_init(&p->rings[i], RING_SLOTS);
    for (unsigned i = 0; !rc && i < p->n_workers; i++) {
        worker *w = &p->workers[i];
        w->p = p;
        w->index = i;
        w->out = &p->rings[i];
        w->stream_buf = ks__malloc(STREAM_PIECE);
        if (!w->stream_buf || ks_scanner_create(engine, &w->scanner))
            rc = KS_ENOMEM;
    }
    for (unsigned i = 0; !rc && i < p->n_workers; i++) {
        /* every slot of the jobs in flight, and a stream's read */
        int e = p->reader->init(&p->workers[i].rstate, p->depth * KS_BATCH_MAX + 1);
        if (e < 0) {
            p->workers[i].rstate = NULL;
            if (backend_errno)
                *backend_errno = -e;
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

int ks_pipeline_submit(ks_pipeline *p, int fd, const char *path, uint64_t size, uint64_t limit)
{
    if (atomic_load(&p->stop)) {
        close(fd);
        return KS_ETERMINATED;
    }
    /* Counted from here: every path below closes through file_close_fd. */
    ks__fdb_take(&p->fds);
    size_t plen = strlen(path);
    pfile *f = ks__malloc(sizeof *f + plen + 1);
    if (!f) {
        close(fd);
        ks__fdb_give(&p->fds);
        return KS_ENOMEM;
    }
    memset(f, 0, sizeof *f);
    memcpy(f->path_, path, plen + 1);
    f->path = f->path_;
    f->fd = fd;
    f->size = size;
    f->limit = limit;
    f->stream_mode = size == 0;
    f->n_chunks = size ? (uint32_t)((size + p->chunk - 1) / p->chunk) : 1;
    ks__order_init(&f->order, f->n_chunks, f->stream_mode);
    ks__pl_submit_file(p, f);
    ks__pl_wait_for_fd(p); /* before returning: the caller opens the next file */
    return 0;
}

/* Async-signal-safe: a lock-free atomic compare-and-swap and nothing else. */
void ks_pipeline_stop(ks_pipeline *p)
{
    int running = STOP_NONE;
    atomic_compare_exchange_strong(&p->stop, &running, STOP_ASKED);
}

unsigned ks_pipeline_threads(const ks_pipeline *p) { return p->n_workers; }

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
