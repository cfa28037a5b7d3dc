/* writer.c: the writer thread: drains the workers' rings through the reorderer to the sink, and the hand-off it is fed by. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"

/* The moment 2 ms from now, for a timed wait on the writer's conditions (on the monotonic clock: a step of the
 * wall clock neither stalls nor hurries them). */
static struct timespec in_2ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 2 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Producer side: sleeps while the writer catches up, which is the back-pressure. Workers that yielded
 * in a loop instead spent a fifth of the CPU of a scan in which every line is a finding (2 CPUs, two
 * workers and the writer they waited for). The writer wakes them when it has taken records; the wait is
 * timed all the same, so that a wake-up missed can cost a moment, never the scan. */
void ks__pl_ring_push(ks_pipeline *p, ks_ring *r, ks_rec *rec)
{
    while (ks__ring_try_push(r, rec)) {
        pthread_mutex_lock(&p->wake_mu);
        atomic_fetch_add(&p->room_waiters, 1); /* counted, then a fence, then a look again: as the writer */
        atomic_thread_fence(memory_order_seq_cst);
        if (ks__ring_try_push(r, rec) == 0) {
            atomic_fetch_sub(&p->room_waiters, 1);
            pthread_mutex_unlock(&p->wake_mu);
            return;
        }
        if (atomic_load_explicit(&p->sleeping, memory_order_acquire))
            pthread_cond_signal(&p->wake);
        struct timespec ts = in_2ms();
        pthread_cond_timedwait(&p->room, &p->wake_mu, &ts);
        atomic_fetch_sub(&p->room_waiters, 1);
        pthread_mutex_unlock(&p->wake_mu);
    }
}

/* After records were taken: wakes the producers waiting for room. Each side has a fence between what it
 * writes and what it reads (the writer: records taken, then the waiters; a producer: its count, then its
 * ring), so at least one of the two sees the other: the writer the waiter, or the producer the room. */
static void wake_producers(ks_pipeline *p)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&p->room_waiters)) {
        pthread_mutex_lock(&p->wake_mu);
        pthread_cond_broadcast(&p->room);
        pthread_mutex_unlock(&p->wake_mu);
    }
}

static ks_rec *chunk_done_record(ks_pipeline *p, pfile *f, uint32_t chunk, uint64_t newlines, uint64_t last_nl_end, uint64_t bytes,
                                  int err)
{
    ks_rec *r = ks__acalloc(p->a, 1, sizeof *r);
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
void ks__pl_push_chunk_done(ks_pipeline *p, ks_ring *r, pfile *f, uint32_t chunk, uint64_t newlines,
                            uint64_t last_nl_end, uint64_t bytes, int err)
{
    ks_rec *rec;
    while (!(rec = chunk_done_record(p, f, chunk, newlines, last_nl_end, bytes, err)))
        usleep(1000);
    ks__pl_ring_push(p, r, rec); /* the writer polls every 2 ms: waking it per chunk costs more than it saves */
}

void ks__pl_push_container_done(ks_pipeline *p, ks_ring *r, pfile *f, uint64_t bytes, int err, uint64_t containers,
                                uint64_t members)
{
    ks_rec *rec;
    while (!(rec = chunk_done_record(p, f, 0, 0, 0, bytes, err)))
        usleep(1000);
    rec->container = 1;
    rec->containers = containers;
    rec->members = members;
    ks__pl_ring_push(p, r, rec);
}

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
        .object = r->has_object ? (const char *)r->match + r->match_len : NULL,
        .decoder = r->decoder,
        .severity = rule->severity,
        .secret_end = r->secret_end,
        .near_miss_reason = r->near_miss_reason,
        .known_test_key = r->known_test_key,
    };
    if (p->sink.on_finding(p->ctx, f->path, &m))
        atomic_store(&p->stop, STOP_SINK_FAILED);
}

static void order_file_done(void *ctx, void *file, uint64_t bytes, int err)
{
    ks_pipeline *p = ctx;
    pfile *f = file;
    p->sink.on_file_done(p->ctx, f->path, bytes, err);
    atomic_fetch_add_explicit(&p->files_done, 1, memory_order_relaxed);
    ks__pl_file_free(p, f);
}

static const ks_order_sink ORDER_SINK = {order_finding, order_file_done};

/* Notes about a container's members are reported as they come; everything else is put in order. */
static void take(ks_pipeline *p, ks_rec *r)
{
    pfile *f = r->file;
    if (r->kind == KS_REC_NOTE) {
        const char *chain = (const char *)r->match;
        if (p->sink.on_object_problem && atomic_load(&p->stop) != STOP_SINK_FAILED)
            p->sink.on_object_problem(p->ctx, f->path, chain, r->fatal, chain + strlen(chain) + 1);
        ks__afree(p->a, r);
        return;
    }
    if (r->kind == KS_REC_CHUNK_DONE && r->container && f->git_job && p->sink.on_git)
        p->sink.on_git(p->ctx, f->path, &f->git_job->totals);
    /* a repository's history is told by on_git: it is not an archive, nor its blobs members */
    if (r->kind == KS_REC_CHUNK_DONE && r->container && !f->git_job && p->sink.on_container)
        p->sink.on_container(p->ctx, f->path, r->containers, r->members);
    ks__order_take(&f->order, r, &ORDER_SINK, p);
}

void *ks__pl_writer_main(void *arg)
{
    ks_pipeline *p = arg;
    for (;;) {
        int producers_done = atomic_load_explicit(&p->producers_done, memory_order_acquire);
        size_t got = 0;
        for (unsigned i = 0; i <= p->n_workers; i++) {
            ks_rec *r;
            /* bounded per ring so one busy worker cannot starve the others */
            for (int k = 0; k < 1024 && (r = ks__ring_pop(&p->rings[i])); k++, got++)
                take(p, r);
        }
        if (got) {
            wake_producers(p);
            continue;
        }
        if (producers_done)
            break;
        p->sink.on_idle(p->ctx);
        pthread_mutex_lock(&p->wake_mu);
        atomic_store_explicit(&p->sleeping, 1, memory_order_release);
        struct timespec ts = in_2ms();
        pthread_cond_timedwait(&p->wake, &p->wake_mu, &ts);
        atomic_store_explicit(&p->sleeping, 0, memory_order_release);
        pthread_mutex_unlock(&p->wake_mu);
    }
    p->sink.on_idle(p->ctx);
    return NULL;
}
