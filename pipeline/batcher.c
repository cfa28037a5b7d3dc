/* batcher.c: the submitting side: files in, jobs out (small files packed into one buffer, big ones cut into
 * chunks), under the descriptor budget. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"

/* Every descriptor the pipeline closes goes through here, so the submitting thread can wait for
 * room under the budget instead of counting files per buffer. */
void ks__pl_file_close_fd(ks_pipeline *p, pfile *f)
{
    close(f->fd);
    f->fd = -1;
    ks__fdb_give(&p->fds);
}

void ks__pl_file_free(ks_pipeline *p, pfile *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        ks__pl_file_close_fd(p, f);
    ks__order_free(&f->order);
    ks__git_job_free(p->a, f->git_job);
    ks__afree(p->a, f);
}

/* Chunks of a file that will never be read (stopping) still report, so the writer can finish it. */
static void cancel_rest(ks_pipeline *p, pfile *f)
{
    ks_ring *r = &p->rings[p->n_workers];
    uint32_t from = f->next_chunk, n = f->n_chunks, unsent = n - from;
    if (!f->stream_mode && unsent && atomic_fetch_sub(&f->sync_left, unsent) == unsent)
        ks__pl_file_close_fd(p, f); /* no worker will read this file any more */
    /* Locals only from here: the last record lets the writer finish and free f. */
    f->next_chunk = n;
    for (uint32_t k = from; k < n; k++)
        ks__pl_push_chunk_done(p, r, f, k, 0, 0, 0, ECANCELED);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Hands the job being packed to the workers. */
void ks__pl_flush_batch(ks_pipeline *p)
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
        ks__pl_flush_batch(p);
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
        ks__pl_flush_batch(p);
}

/* Cuts one file into chunk jobs on the submitting thread (the only producer of the last ring):
 * no reader thread, and no hand-off per file. The workers do the I/O themselves, so copies from
 * the page cache run on every core and cold reads keep many reads in flight. */
void ks__pl_submit_file(ks_pipeline *p, pfile *cur)
{
    ks_ring *myring = &p->rings[p->n_workers];
    if (cur->stream_mode) {
        /* Before the hand-off: once pushed, the file may be finished and freed by the writer. */
        cur->next_chunk = 1;
        pjob *sj = ks__acalloc(p->a, 1, sizeof *sj + sizeof(pslot));
        if (!sj) {
            ks__pl_push_chunk_done(p, myring, cur, 0, 0, 0, 0, ENOMEM);
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
    ks__pl_flush_batch(p); /* it may hold the last free buffer */
    /* chunk 0 may find a container, which is then read again from the start: keep fd till it says */
    cur->container_hold = (p->containers || !p->no_decode) && !p->read_only;
    atomic_store(&cur->sync_left, cur->n_chunks + (uint32_t)cur->container_hold);
    for (;;) {
        if (atomic_load(&p->stop)) {
            cancel_rest(p, cur);
            return;
        }
        pjob *j = take_buffer(p);
        uint32_t k = cur->next_chunk++;
        if (k == 0 && cur->container_hold && p->containers && p->n_workers > 1 && cur->size >= KS_OVERLAP_FROM) {
            /* If it is a container, its members are shared out: no worker may stop before chunk 0 is done */
            cur->share_hold = 1;
            ks__bq_hold(&p->chunks);
        }
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
void ks__pl_wait_for_fd(ks_pipeline *p)
{
    if (!ks__fdb_full(&p->fds))
        return;
    ks__pl_flush_batch(p);
    ks__fdb_wait(&p->fds);
}
