/* pipeline.c: submitting thread packs small files and cuts big ones into chunk jobs -> job queue -> pinned workers
 * (read + scan) -> per-worker SPSC result rings -> writer thread. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bqueue.h"
#include "internal.h"
#include "pipeline.h"
#include "reorder.h"
#include "ring.h"

/* ------------------------------------------------------------------ */
/* Records flowing from workers (and the reader) to the writer          */
/* ------------------------------------------------------------------ */

typedef struct pfile pfile;

/* One file in the pipeline. Who owns what: the submitting thread writes everything above `order`
 * before the file's first job is queued, and only next_chunk after; workers read the immutable
 * fields and count sync_left down; `order` belongs to the writer alone, which frees the file once
 * its last chunk has reported. */
struct pfile {
    /* set by the submitting thread before the hand-off, then read-only */
    const char *path; /* points into path_ */
    uint64_t size;
    uint64_t limit;             /* stream mode: bytes to read at most (0: to EOF) */
    uint32_t n_chunks;
    int stream_mode;
    /* submitting thread only */
    uint32_t next_chunk;
    /* workers: the descriptor, closed by whoever reads the last chunk */
    int fd;
    _Atomic uint32_t sync_left; /* chunks not yet read */
    /* writer only */
    ks_order order;
    char path_[];
};

typedef struct pjob pjob;

/* One read and scan inside a job: a chunk of a big file, or a whole small file. */
typedef struct pslot {
    pfile *file;
    pjob *job;
    uint32_t chunk;
    uint64_t base, own_from, own_to;
    unsigned char *data; /* where the read lands: placed so that a full read ends 64-byte aligned */
    size_t len;
    ks_read_req req;
} pslot;

/* Most files are far smaller than a chunk: packing them into one buffer makes one hand-off, one
 * wake-up and one io_uring submission serve many files. */
#define KS_BATCH_MAX 64

/* What a worker takes from the queue: one buffer holding one chunk or many small files, or (no
 * buffer) one file to stream. */
struct pjob {
    unsigned char *buf; /* allocation: cap bytes plus 64 of slack; NULL for a stream job */
    size_t cap, used;   /* used: end of the last slot placed, from buf */
    unsigned n;         /* slots */
    unsigned unread;    /* slots whose read has not finished (worker) */
    pslot slot[];
};

/* ------------------------------------------------------------------ */

#define KS_JOBS_IN_FLIGHT 4 /* jobs a worker keeps reading at once with an asynchronous backend */

typedef struct worker {
    ks_pipeline *p;
    unsigned index;
    pthread_t thread;
    ks_scanner *scanner;
    ks_ring *out;
    pslot *slot; /* being scanned */
    unsigned char *stream_buf;
    void *rstate; /* this worker's reader backend (its own io_uring, or pread's queue) */
    int failed;
    /* jobs whose reads are held by the backend, and jobs read and waiting to be scanned */
    unsigned in_flight, n_ready;
    struct pjob *ready[KS_JOBS_IN_FLIGHT];
} worker;

struct ks_pipeline {
    const ks_engine *engine;
    ks_pipeline_sink sink;
    void *ctx;
    const ks_reader_ops *reader;
    unsigned depth; /* jobs in flight per worker (asynchronous backend) */
    size_t chunk, margin;
    unsigned n_workers, n_buffers;
    int pin, read_only;
    ks_bqueue chunks, free_jobs;
    pjob **jobs;
    pjob *batch;        /* submitting thread: the job small files are being packed into */
    uint64_t batch_since; /* when its first file came (ns) */
    worker *workers;
    ks_ring *rings;        /* n_workers + 1: the last belongs to the reader */
    pthread_t writer_thread;
    _Atomic int stop; /* a stop_state */
    _Atomic int producers_done;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake;
    _Atomic int sleeping;
    /* Descriptor budget: files handed over and not yet closed. */
    unsigned max_files;
    _Atomic unsigned open_files;
    _Atomic int fd_waiting;
    pthread_mutex_t fd_mu;
    pthread_cond_t fd_freed;
};

#define RING_SLOTS 4096u

/* Why the pipeline stops. Once not STOP_NONE it never returns to it. */
enum stop_state {
    STOP_NONE = 0,        /* running */
    STOP_ASKED = 1,       /* ks_pipeline_stop (a signal, an output error): no new reads */
    STOP_SINK_FAILED = 2, /* the sink refused a finding: nothing more is reported */
};
#define KS_BATCH_HUNGRY 16
#define KS_BATCH_AGE_NS 200000u
#define KS_BUFFER_BUDGET ((size_t)64 << 20)
#define STREAM_PIECE ((size_t)256 << 10)

static void wake_writer(ks_pipeline *p)
{
    if (atomic_load_explicit(&p->sleeping, memory_order_acquire)) {
        pthread_mutex_lock(&p->wake_mu);
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->wake_mu);
    }
}

/* Producer side: waits (yielding) while the writer catches up, which is the back-pressure. */
static void ring_push(ks_pipeline *p, ks_ring *r, ks_rec *rec)
{
    while (ks__ring_try_push(r, rec)) {
        wake_writer(p);
        sched_yield();
    }
}

static ks_rec *chunk_done_record(pfile *f, uint32_t chunk, uint64_t newlines, uint64_t last_nl_end, uint64_t bytes,
                                  int err)
{
    ks_rec *r = ks__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->kind = KS_REC_CHUNK_DONE;
    r->file = f;
    r->chunk = chunk;
    r->newlines = newlines;
    r->last_nl_end = last_nl_end;
    r->bytes = bytes;
    r->err = err;
    return r;
}

/* Pushes a chunk-done record; on allocation failure, waits and retries, because a lost record
 * would leave the file unfinished forever. */
static void push_chunk_done(ks_pipeline *p, ks_ring *r, pfile *f, uint32_t chunk, uint64_t newlines,
                            uint64_t last_nl_end, uint64_t bytes, int err)
{
    ks_rec *rec;
    while (!(rec = chunk_done_record(f, chunk, newlines, last_nl_end, bytes, err)))
        usleep(1000);
    ring_push(p, r, rec); /* the writer polls every 2 ms: waking it per chunk costs more than it saves */
}

/* ------------------------------------------------------------------ */
/* Descriptor budget                                                   */
/* ------------------------------------------------------------------ */

/* Every descriptor the pipeline closes goes through here, so the submitting thread can wait for
 * room under the budget instead of counting files per buffer. */
static void file_close_fd(ks_pipeline *p, pfile *f)
{
    close(f->fd);
    f->fd = -1;
    atomic_fetch_sub(&p->open_files, 1);
    if (atomic_load(&p->fd_waiting)) {
        pthread_mutex_lock(&p->fd_mu);
        pthread_cond_signal(&p->fd_freed);
        pthread_mutex_unlock(&p->fd_mu);
    }
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

static int worker_on_match(const ks_match *m, void *ctx)
{
    worker *w = ctx;
    pslot *sl = w->slot;
    ks_rec *r = ks__malloc(sizeof *r + m->match_len);
    if (!r) {
        w->failed = ENOMEM;
        return 1;
    }
    memset(r, 0, sizeof *r);
    r->kind = KS_REC_FINDING;
    r->file = sl->file;
    r->chunk = sl->chunk;
    r->rule = (uint32_t)m->rule_index;
    r->near_miss = m->near_miss;
    r->allowed = m->allowed;
    r->validator = m->validator;
    r->start = m->start;
    r->end = m->end;
    r->secret_start = m->secret_start;
    r->nl_before = m->line - 1;
    r->column = m->column;
    r->match_len = m->match_len;
    r->secret_off = (size_t)(m->secret - m->match);
    r->secret_len = m->secret_len;
    memcpy(r->match, m->match, m->match_len);
    ring_push(w->p, w->out, r);
    return 0;
}

/* A slot's read has finished: note EOF surprises and close the file after its last read, so a
 * descriptor is held only until its bytes are in memory. */
static void slot_read_done(ks_pipeline *p, pslot *sl)
{
    pfile *f = sl->file;
    sl->len = sl->req.done;
    if (sl->base + sl->len < sl->own_to) /* shrank since fstat: scan what was there */
        sl->own_to = sl->base + sl->len > sl->own_from ? sl->base + sl->len : sl->own_from;
    if (atomic_fetch_sub(&f->sync_left, 1) == 1)
        file_close_fd(p, f);
}

/* A read the backend hands back: its slot is in memory; a job whose every slot is, is ready. */
static void complete(worker *w, ks_read_req *req)
{
    pslot *sl = req->user;
    pjob *j = sl->job;
    slot_read_done(w->p, sl);
    if (--j->unread == 0) {
        w->in_flight--;
        w->ready[w->n_ready++] = j;
    }
}

/* Reads one request through the worker's backend and waits for it; reads of chunk jobs that
 * finish meanwhile are completed as usual. */
static void read_one(worker *w, ks_read_req *rq)
{
    const ks_reader_ops *rd = w->p->reader;
    ks_read_req *done[KS_BATCH_MAX];
    int rc;
    while ((rc = rd->submit(w->rstate, rq)) == -EBUSY) { /* the backend is full: make room */
        int n = rd->reap(w->rstate, done, KS_BATCH_MAX, 1);
        for (int i = 0; i < n; i++)
            complete(w, done[i]);
    }
    if (rc < 0) {
        rq->res = rc;
        return;
    }
    for (;;) {
        int n = rd->reap(w->rstate, done, KS_BATCH_MAX, 1), mine = 0;
        for (int i = 0; i < n; i++) {
            if (done[i] == rq)
                mine = 1;
            else
                complete(w, done[i]);
        }
        if (mine)
            return;
        if (n < 0)
            usleep(100);
    }
}

/* Files whose size is unknown (procfs reports 0, pipes) are streamed to EOF, or to their limit, by
 * the worker, each piece a read at the descriptor's position through the worker's backend. */
static void worker_stream_file(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    pfile *f = sl->file;
    uint64_t got = 0;
    int err = 0;
    ks_stream *st = NULL;
    w->slot = sl;
    ks_scan_opts so = {.size = sizeof so, .path = f->path}; /* the library applies path conditions */
    int rc = ks_stream_open(p->engine, &so, worker_on_match, w, &st);
    if (rc)
        err = ENOMEM;
    while (!err && !atomic_load(&p->stop)) {
        /* At the limit, one more read tells a file that ends there from one that goes on
         * (/proc/PID/pagemap yields hundreds of GB); what it returns is not scanned. A whole page,
         * since some pseudo-files refuse odd sizes (pagemap: multiples of 8), and a refusal counts
         * as more data: the end was never seen. */
        int probe = f->limit && got == f->limit;
        size_t want = probe ? 4096 : STREAM_PIECE;
        if (!probe && f->limit && f->limit - got < want)
            want = (size_t)(f->limit - got);
        ks_read_req rq = {.fd = f->fd, .offset = KS_READ_AT_POS, .buf = w->stream_buf, .len = want};
        read_one(w, &rq);
        if (probe) {
            if (rq.res < 0 || rq.done)
                err = EFBIG;
            break;
        }
        if (rq.res < 0) {
            err = -rq.res;
            break;
        }
        if (rq.done == 0)
            break;
        got += rq.done;
        rc = ks_stream_write(st, w->scanner, w->stream_buf, rq.done);
        if (rc)
            err = rc == KS_ENOMEM ? ENOMEM : EIO;
    }
    if (!err && atomic_load(&p->stop))
        err = ECANCELED;
    if (st) {
        if (err && err != EFBIG)
            ks_stream_abort(st);
        else if (ks_stream_close(st, w->scanner))
            err = w->failed ? w->failed : EIO;
    }
    file_close_fd(p, f);
    /* Lines in stream mode are already absolute: the chunk reports none to settle. */
    push_chunk_done(p, w->out, f, 0, 0, 0, got, err);
}

/* Scans one slot whose read has finished and reports it; a failed read is reported as such. */
static void worker_scan_slot(worker *w, pslot *sl)
{
    ks_pipeline *p = w->p;
    if (sl->req.res < 0) {
        push_chunk_done(p, w->out, sl->file, sl->chunk, 0, 0, 0, -sl->req.res);
        return;
    }
    ks_lines lines = {.counted_to = sl->own_from, .newlines = 0, .last_nl_end = sl->own_from};
    int err = 0;
    w->failed = 0;
    w->slot = sl;
    if (sl->own_to > sl->own_from && !p->read_only) {
        int last = sl->chunk + 1 == sl->file->n_chunks;
        int rc = ks__scan_owned(w->scanner, sl->data, sl->len, sl->base, sl->own_from, sl->own_to, last,
                                sl->file->path, &lines, worker_on_match, w);
        if (rc)
            err = w->failed ? w->failed : rc == KS_ENOMEM ? ENOMEM : EIO;
    }
    uint64_t own = sl->own_to > sl->own_from ? sl->own_to - sl->own_from : 0;
    push_chunk_done(p, w->out, sl->file, sl->chunk, lines.newlines, lines.newlines ? lines.last_nl_end : 0, own, err);
}

/* Every read of the job has finished: scan its slots in order and give the buffer back. */
static void worker_finish_job(worker *w, pjob *j)
{
    for (unsigned i = 0; i < j->n; i++)
        worker_scan_slot(w, &j->slot[i]);
    ks__bq_push(&w->p->free_jobs, j);
}

/* The worker loop, for every backend: keep up to `depth` jobs of its own read or being read (each
 * job's reads submitted at once), scanning one finished job between refills. A read served from
 * the page cache finishes at submission, so with a warm cache the worker takes one job at a time
 * and leaves the rest of the queue to the other workers; pread reads inside submit and keeps one. */
static void worker_loop(worker *w)
{
    ks_pipeline *p = w->p;
    const ks_reader_ops *rd = p->reader;
    int closed = 0, queue_empty = 0;
    ks_read_req *done[KS_BATCH_MAX];
    for (;;) {
        queue_empty = 0;
        while (!closed && w->in_flight + w->n_ready < p->depth) {
            pjob *j = ks__bq_pop_batch(&p->chunks, w->in_flight + w->n_ready == 0, 1);
            if (!j) {
                queue_empty = 1;
                closed = ks__bq_drained(&p->chunks);
                break;
            }
            if (!j->buf) {
                worker_stream_file(w, &j->slot[0]);
                ks__free(j);
                continue;
            }
            j->unread = j->n;
            w->in_flight++;
            for (unsigned i = 0; i < j->n; i++) {
                int rc = rd->submit(w->rstate, &j->slot[i].req);
                if (rc < 0) {
                    j->slot[i].req.res = rc;
                    complete(w, &j->slot[i].req);
                }
            }
            break; /* submit it now: it may finish at once */
        }
        if (w->in_flight) {
            /* waits only when nothing else can be done */
            int wait = w->n_ready == 0 && (closed || queue_empty || w->in_flight >= p->depth);
            int n = rd->reap(w->rstate, done, KS_BATCH_MAX, wait);
            for (int i = 0; i < n; i++)
                complete(w, done[i]);
            if (n < 0)
                usleep(100);
        }
        if (w->n_ready) {
            pjob *j = w->ready[0];
            memmove(w->ready, w->ready + 1, --w->n_ready * sizeof *w->ready);
            worker_finish_job(w, j);
        } else if (!w->in_flight && closed) {
            break;
        }
    }
}

static void pin_to_cpu(unsigned index)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return;
    unsigned seen = 0, target = index % (unsigned)CPU_COUNT(&set);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &set))
            continue;
        if (seen++ == target) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    ks_pipeline *p = w->p;
    if (p->pin)
        pin_to_cpu(w->index);
    worker_loop(w);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Submitting thread                                                   */
/* ------------------------------------------------------------------ */

static void file_free(ks_pipeline *p, pfile *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        file_close_fd(p, f);
    ks__order_free(&f->order);
    ks__free(f);
}

/* Chunks of a file that will never be read (stopping) still report, so the writer can finish it. */
static void cancel_rest(ks_pipeline *p, pfile *f)
{
    ks_ring *r = &p->rings[p->n_workers];
    uint32_t from = f->next_chunk, n = f->n_chunks, unsent = n - from;
    if (!f->stream_mode && unsent && atomic_fetch_sub(&f->sync_left, unsent) == unsent)
        file_close_fd(p, f); /* no worker will read this file any more */
    /* Locals only from here: the last record lets the writer finish and free f. */
    f->next_chunk = n;
    for (uint32_t k = from; k < n; k++)
        push_chunk_done(p, r, f, k, 0, 0, 0, ECANCELED);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Hands the job being packed to the workers. */
static void flush_batch(ks_pipeline *p)
{
    if (p->batch) {
        ks__bq_push(&p->chunks, p->batch);
        p->batch = NULL;
    }
}

static pjob *take_buffer(ks_pipeline *p)
{
    pjob *j = ks__bq_pop_batch(&p->free_jobs, 1, p->n_buffers > 8 ? p->n_buffers / 4 : 1);
    j->n = 0;
    j->used = 0;
    return j;
}

/* Places one read of [base, base + len) of f in job j after its last slot, so that the read ends
 * 64-byte aligned: that spares the engine its tail re-scan (see scan.c). Returns NULL when it
 * does not fit. */
static pslot *place_slot(pjob *j, pfile *f, uint32_t chunk, uint64_t base, uint64_t own_from, uint64_t own_to,
                         size_t len)
{
    uintptr_t start = (uintptr_t)j->buf + j->used;
    uintptr_t end = (start + len + 63) & ~(uintptr_t)63;
    if (end - (uintptr_t)j->buf > j->cap + 64)
        return NULL;
    pslot *sl = &j->slot[j->n++];
    memset(sl, 0, sizeof *sl);
    sl->file = f;
    sl->job = j;
    sl->chunk = chunk;
    sl->base = base;
    sl->own_from = own_from;
    sl->own_to = own_to;
    sl->data = (unsigned char *)(end - len);
    sl->req.fd = f->fd;
    sl->req.offset = base;
    sl->req.len = len;
    sl->req.buf = sl->data;
    sl->req.user = sl;
    j->used = end - (uintptr_t)j->buf;
    return sl;
}

/* A file of one chunk joins the job being packed; the job goes to the workers when full, or when
 * a worker is waiting for work and the batch is worth waking it for (so packing never starves
 * them for long). */
static void submit_small(ks_pipeline *p, pfile *f)
{
    atomic_store(&f->sync_left, 1);
    f->next_chunk = 1;
    size_t len = (size_t)f->size;
    if (p->batch && !place_slot(p->batch, f, 0, 0, 0, f->size, len))
        flush_batch(p);
    if (!p->batch) {
        p->batch = take_buffer(p);
        p->batch_since = now_ns(); /* after the wait for a buffer, which is not the batch's age */
        place_slot(p->batch, f, 0, 0, 0, f->size, len); /* size <= chunk: always fits */
    }
    /* A waiting worker gets the batch once it is worth a wake-up, or has waited long enough; the
     * clock is read only when a worker waits. */
    if (p->batch->n == KS_BATCH_MAX ||
        (ks__bq_has_sleepers(&p->chunks) &&
         (p->batch->n >= KS_BATCH_HUNGRY || now_ns() - p->batch_since > KS_BATCH_AGE_NS)))
        flush_batch(p);
}

/* Cuts one file into chunk jobs on the submitting thread (the only producer of the last ring):
 * no reader thread, and no hand-off per file. The workers do the I/O themselves, so copies from
 * the page cache run on every core and cold reads keep many reads in flight. */
static void submit_file(ks_pipeline *p, pfile *cur)
{
    ks_ring *myring = &p->rings[p->n_workers];
    if (cur->stream_mode) {
        /* Before the hand-off: once pushed, the file may be finished and freed by the writer. */
        cur->next_chunk = 1;
        pjob *sj = ks__calloc(1, sizeof *sj + sizeof(pslot));
        if (!sj) {
            push_chunk_done(p, myring, cur, 0, 0, 0, 0, ENOMEM);
        } else {
            sj->n = 1;
            sj->slot[0].file = cur;
            sj->slot[0].job = sj;
            ks__bq_push(&p->chunks, sj);
        }
        return;
    }
    if (cur->n_chunks == 1) {
        submit_small(p, cur);
        return;
    }
    flush_batch(p); /* it may hold the last free buffer */
    atomic_store(&cur->sync_left, cur->n_chunks);
    for (;;) {
        if (atomic_load(&p->stop)) {
            cancel_rest(p, cur);
            return;
        }
        pjob *j = take_buffer(p);
        uint32_t k = cur->next_chunk++;
        int last = cur->next_chunk == cur->n_chunks; /* cur may be freed once its last chunk reports */
        uint64_t own_from = (uint64_t)k * p->chunk;
        uint64_t own_to = own_from + p->chunk < cur->size ? own_from + p->chunk : cur->size;
        uint64_t base = own_from > p->margin ? own_from - p->margin : 0;
        uint64_t end = own_to + p->margin < cur->size ? own_to + p->margin : cur->size;
        place_slot(j, cur, k, base, own_from, own_to, (size_t)(end - base)); /* one chunk fills a buffer */
        ks__bq_push(&p->chunks, j); /* a worker reads and scans it */
        if (last)
            return;
    }
}

/* Waits until one more descriptor fits the budget. The job being packed holds descriptors too,
 * so it goes to the workers first. */
static void wait_for_fd(ks_pipeline *p)
{
    if (atomic_load(&p->open_files) < p->max_files)
        return;
    flush_batch(p);
    pthread_mutex_lock(&p->fd_mu);
    atomic_store(&p->fd_waiting, 1);
    while (atomic_load(&p->open_files) >= p->max_files)
        pthread_cond_wait(&p->fd_freed, &p->fd_mu);
    atomic_store(&p->fd_waiting, 0);
    pthread_mutex_unlock(&p->fd_mu);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

/* The reorderer's sink: a finding with its exact line becomes a ks_match for the pipeline's sink. */
static void order_finding(void *ctx, void *file, const ks_rec *r, uint64_t line, uint64_t column)
{
    ks_pipeline *p = ctx;
    pfile *f = file;
    if (atomic_load(&p->stop) == STOP_SINK_FAILED)
        return; /* nothing more can be reported */
    const ks_erule *rule = &p->engine->rules[r->rule];
    ks_match m = {
        .rule_index = r->rule,
        .rule_id = rule->rule.id,
        .rule_name = rule->rule.name,
        .start = r->start,
        .end = r->end,
        .line = line,
        .column = column,
        .match = r->match,
        .match_len = r->match_len,
        .secret = r->match + r->secret_off,
        .secret_len = r->secret_len,
        .secret_start = r->secret_start,
        .validator = r->validator,
        .near_miss = r->near_miss,
        .allowed = r->allowed,
    };
    if (p->sink.on_finding(p->ctx, f->path, &m))
        atomic_store(&p->stop, STOP_SINK_FAILED);
}

static void order_file_done(void *ctx, void *file, uint64_t bytes, int err)
{
    ks_pipeline *p = ctx;
    pfile *f = file;
    p->sink.on_file_done(p->ctx, f->path, bytes, err);
    file_free(p, f);
}

static const ks_order_sink ORDER_SINK = {order_finding, order_file_done};

static void *writer_main(void *arg)
{
    ks_pipeline *p = arg;
    for (;;) {
        int producers_done = atomic_load_explicit(&p->producers_done, memory_order_acquire);
        size_t got = 0;
        for (unsigned i = 0; i <= p->n_workers; i++) {
            ks_rec *r;
            /* bounded per ring so one busy worker cannot starve the others */
            for (int k = 0; k < 1024 && (r = ks__ring_pop(&p->rings[i])); k++, got++)
                ks__order_take(&((pfile *)r->file)->order, r, &ORDER_SINK, p);
        }
        if (got)
            continue;
        if (producers_done)
            break;
        p->sink.on_idle(p->ctx);
        pthread_mutex_lock(&p->wake_mu);
        atomic_store_explicit(&p->sleeping, 1, memory_order_release);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 2 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->wake_mu, &ts);
        atomic_store_explicit(&p->sleeping, 0, memory_order_release);
        pthread_mutex_unlock(&p->wake_mu);
    }
    p->sink.on_idle(p->ctx);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Public (library-internal) API                                       */
/* ------------------------------------------------------------------ */

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
    pthread_mutex_destroy(&p->fd_mu);
    pthread_cond_destroy(&p->fd_freed);
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
    pthread_mutex_init(&p->fd_mu, NULL);
    pthread_cond_init(&p->fd_freed, NULL);
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
    p->max_files = o->max_open_files ? o->max_open_files : KS_PIPELINE_DEFAULT_OPEN_FILES;
    p->pin = !o->no_pin;
    p->read_only = o->read_only;
    int rc = 0;
    /* Jobs hold buffers, stream jobs hold descriptors: the queue never holds more than both. */
    if (ks__bq_init(&p->chunks, (size_t)p->n_buffers + p->max_files) || ks__bq_init(&p->free_jobs, p->n_buffers))
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
        pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
    pthread_create(&p->writer_thread, NULL, writer_main, p);
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
    atomic_fetch_add(&p->open_files, 1);
    size_t plen = strlen(path);
    pfile *f = ks__malloc(sizeof *f + plen + 1);
    if (!f) {
        close(fd);
        atomic_fetch_sub(&p->open_files, 1);
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
    submit_file(p, f);
    wait_for_fd(p); /* before returning: the caller opens the next file */
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
    flush_batch(p);
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
