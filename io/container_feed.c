/* container_feed.c: a container expanded into events packed in blocks from a bounded pool, on a thread of its own or on
 * the caller's, handed over a block at a time; the caller replays them through its sink on any thread and gives the
 * blocks back in any order. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "thread_start.h"

/* The events (a member begins, bytes, it ends, a problem) are packed as records into blocks and
 * handed over a block at a time: one wake-up per 256 KiB, not one per small member, and replayed in
 * order the sink sees exactly what ks__container_expand would have shown it. */
#define BLOCK KS_CONTAINER_FEED_BLOCK
#define OVERLAP_BLOCKS 4u /* ks__container_expand_overlapped: one being filled, one replayed, two ahead */

/* A record: kind (1 byte), fatal (1), length (4), then `length` bytes: a chain and its NUL; bytes;
 * nothing; a chain, a NUL, a problem's words and their NUL; nothing; a hole's length (8 bytes). */
#define REC_HEAD 6u

struct ks_cont_block {
    unsigned char *p; /* BLOCK bytes of records */
    size_t used;
    int last;                /* DONE is its last record */
    _Atomic unsigned holders; /* back in the pool when the last lets go */
};

/* The object expanded: ks__container_expand's arguments. */
typedef struct expand_args {
    const void *mem;
    size_t len;
    int fd;
    uint64_t size;
    const char *name;
    const ks_container_limits *lim;
} expand_args;

struct ks_cont_feed {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    ks_cont_block *blocks;
    unsigned n_blocks;
    ks_cont_block **full, **free; /* full: handed over, oldest at full_head; free: a stack */
    unsigned full_head, n_full, n_free;
    int last_taken;          /* the block with DONE was handed out */
    ks_cont_block *filling;  /* the producer's, not yet handed over */
    unsigned char *last_data; /* filling's last record when it is data: more data joins it */
    uint64_t next_size;       /* with next_sized: the size of the member that begins next (q_sized) */
    int next_sized;
    _Atomic int stop;        /* the consumer said stop: the producer winds down */
    const ks_cont_feed_ops *ops; /* not NULL: no thread, every block goes to ops->block (feed_run) */
    void *ctx;
    expand_args x; /* the producer's call (feed_start) */
    ks_container_result res;
    int rc;
};

/* Under f->mu: waits until `n` blocks are free; with a caller's ops, it is asked to free one first. */
static void wait_free(ks_cont_feed *f, unsigned n)
{
    while (f->n_free < n) {
        if (f->ops) {
            pthread_mutex_unlock(&f->mu);
            int freed = f->ops->starved(f->ctx);
            pthread_mutex_lock(&f->mu);
            if (freed || f->n_free >= n)
                continue;
        }
        pthread_cond_wait(&f->cv, &f->mu);
    }
}

/* Hands the block being filled to the consumer and takes a free one, waiting for one to come back. */
static void hand_over(ks_cont_feed *f)
{
    if (f->ops) { /* the caller's thread: to the caller at once */
        atomic_store_explicit(&f->filling->holders, 1, memory_order_relaxed);
        f->ops->block(f->ctx, f, f->filling);
        pthread_mutex_lock(&f->mu);
    } else {
        pthread_mutex_lock(&f->mu);
        f->full[(f->full_head + f->n_full++) % f->n_blocks] = f->filling;
        pthread_cond_broadcast(&f->cv);
    }
    wait_free(f, 1);
    f->filling = f->free[--f->n_free];
    pthread_mutex_unlock(&f->mu);
    f->filling->used = 0;
    f->last_data = NULL;
}

/* Appends one record, its payload in up to two parts; a payload longer than a block is the
 * caller's to split (only data is, and q_data does). */
static void put(ks_cont_feed *f, ks_cont_ev kind, int fatal, const void *a, size_t an, const void *b, size_t bn)
{
    size_t need = REC_HEAD + an + bn;
    if (f->filling->used + need > BLOCK)
        hand_over(f);
    unsigned char *r = f->filling->p + f->filling->used;
    uint32_t len = (uint32_t)(an + bn);
    r[0] = (unsigned char)kind;
    r[1] = (unsigned char)fatal;
    memcpy(r + 2, &len, 4);
    if (an)
        memcpy(r + REC_HEAD, a, an);
    if (bn)
        memcpy(r + REC_HEAD + an, b, bn);
    f->filling->used += need;
    f->last_data = kind == KS_EV_DATA ? r : NULL;
}

/* Appends n bytes to the data record that ends the block being filled. A member handed over in pieces (its head,
 * sniffed for a nested container, then its rest) is then one record, which the replay scans where it lies. */
static void join_data(ks_cont_feed *f, const void *p, size_t n)
{
    uint32_t len;
    memcpy(&len, f->last_data + 2, 4);
    memcpy(f->filling->p + f->filling->used, p, n);
    len += (uint32_t)n;
    memcpy(f->last_data + 2, &len, 4);
    f->filling->used += n;
}

static void q_sized(void *ctx, uint64_t size)
{
    ks_cont_feed *f = ctx;
    f->next_size = size;
    f->next_sized = 1;
}

/* A member begins. One whose size is known and fits a block is kept whole in one: the block is handed over first
 * when the rest of it is too small, and zeros after the chain's NUL make its bytes end 64-byte aligned. The replay
 * then hands it to the scan whole, where it lies, and the engine scans it without copying it (core/scan.c copies a
 * region that does not end aligned, as Vectorscan reads past the end otherwise). */
static int q_begin(void *ctx, const char *chain)
{
    static const unsigned char pad_zeros[64];
    ks_cont_feed *f = ctx;
    size_t cl = strlen(chain) + 1, pad = 0;
    if (f->next_sized) {
        f->next_sized = 0;
        /* its begin (and up to 63 zeros), its data and its end */
        uint64_t whole = f->next_size + 3 * REC_HEAD + cl + 63;
        if (f->next_size && f->next_size <= BLOCK && whole <= BLOCK) {
            if (f->filling->used + whole > BLOCK)
                hand_over(f);
            uint64_t data_end = f->filling->used + 2 * REC_HEAD + cl + f->next_size;
            pad = (size_t)((64 - data_end % 64) % 64);
        }
    }
    put(f, KS_EV_BEGIN, 0, chain, cl, pad_zeros, pad);
    return atomic_load(&f->stop);
}

static int q_data(void *ctx, const void *p, size_t n)
{
    ks_cont_feed *f = ctx;
    for (const unsigned char *b = p; n && !atomic_load(&f->stop);) {
        size_t room = BLOCK - f->filling->used;
        if (f->last_data && room) {
            size_t k = n < room ? n : room;
            join_data(f, b, k);
            b += k;
            n -= k;
            continue;
        }
        if (room < REC_HEAD + 4096 && n + REC_HEAD > room) { /* not worth a record: the next block */
            hand_over(f);
            room = BLOCK;
        }
        size_t k = n < room - REC_HEAD ? n : room - REC_HEAD;
        put(f, KS_EV_DATA, 0, b, k, NULL, 0);
        b += k;
        n -= k;
    }
    return atomic_load(&f->stop);
}

static int q_end(void *ctx)
{
    ks_cont_feed *f = ctx;
    put(f, KS_EV_END, 0, NULL, 0, NULL, 0);
    return atomic_load(&f->stop);
}

static int q_zeros(void *ctx, uint64_t n)
{
    ks_cont_feed *f = ctx;
    put(f, KS_EV_ZEROS, 0, &n, sizeof n, NULL, 0);
    return atomic_load(&f->stop);
}

static void q_problem(void *ctx, const char *chain, int fatal, const char *what)
{
    char w[512];
    snprintf(w, sizeof w, "%s", what);
    put(ctx, KS_EV_PROBLEM, fatal, chain, strlen(chain) + 1, w, strlen(w) + 1);
}

static const ks_container_sink QUEUE_SINK = {q_begin, q_data, q_end, q_problem, NULL, q_sized, q_zeros};

static int produce_expansion(void *pctx, const ks_container_sink *sink, void *sink_ctx, ks_container_result *res)
{
    const expand_args *x = pctx;
    return ks__container_expand(x->mem, x->len, x->fd, x->size, x->name, x->lim, sink, sink_ctx, res);
}

static void *producer_main(void *arg)
{
    ks_cont_feed *f = arg;
    f->rc = produce_expansion(&f->x, &QUEUE_SINK, f, &f->res);
    put(f, KS_EV_DONE, 0, NULL, 0, NULL, 0);
    pthread_mutex_lock(&f->mu);
    f->filling->last = 1; /* the last block, DONE at its end: handed over without taking another */
    f->full[(f->full_head + f->n_full++) % f->n_blocks] = f->filling;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void feed_free(ks_cont_feed *f)
{
    for (unsigned i = 0; f->blocks && i < f->n_blocks; i++)
        free(f->blocks[i].p);
    free(f->blocks);
    free(f->full);
    free(f->free);
    free(f);
}

/* A feed of `blocks` free blocks, set up to expand the object; NULL when there is no memory. */
static ks_cont_feed *feed_new(const void *mem, size_t len, int fd, uint64_t size, const char *name,
                              const ks_container_limits *lim, unsigned blocks)
{
    blocks = blocks < 2 ? 2 : blocks;
    ks_cont_feed *f = calloc(1, sizeof *f);
    int ok = f && (f->blocks = calloc(blocks, sizeof *f->blocks)) && (f->full = calloc(blocks, sizeof *f->full)) &&
             (f->free = calloc(blocks, sizeof *f->free));
    if (f)
        f->n_blocks = blocks;
    for (unsigned i = 0; ok && i < blocks; i++) {
        ok = (f->blocks[i].p = aligned_alloc(64, BLOCK)) != NULL; /* (for q_begin's alignment) */
        f->free[f->n_free++] = &f->blocks[i];
    }
    if (!ok) {
        if (f)
            feed_free(f);
        return NULL;
    }
    f->x = (expand_args){mem, len, fd, size, name, lim};
    f->filling = f->free[--f->n_free];
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    return f;
}


int ks__container_feed_run(const void *mem, size_t len, int fd, uint64_t size, const char *name,
                           const ks_container_limits *lim, unsigned blocks, const ks_cont_feed_ops *ops, void *ctx,
                           ks_container_result *res)
{
    expand_args x = {mem, len, fd, size, name, lim};
    return ks__container_feed_run_with(produce_expansion, &x, blocks, ops, ctx, res);
}

int ks__container_feed_run_with(ks_cont_producer produce, void *pctx, unsigned blocks, const ks_cont_feed_ops *ops,
                                void *ctx, ks_container_result *res)
{
    ks_cont_feed *f = feed_new(NULL, 0, -1, 0, NULL, NULL, blocks);
    if (!f)
        return -2;
    f->ops = ops;
    f->ctx = ctx;
    int rc = produce(pctx, &QUEUE_SINK, f, res);
    put(f, KS_EV_DONE, 0, NULL, 0, NULL, 0);
    f->filling->last = 1;
    atomic_store_explicit(&f->filling->holders, 1, memory_order_relaxed);
    ops->block(ctx, f, f->filling);
    pthread_mutex_lock(&f->mu);
    wait_free(f, f->n_blocks); /* every block back before the pool goes */
    pthread_mutex_unlock(&f->mu);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    feed_free(f);
    return rc;
}

int ks__container_feed_start(const void *mem, size_t len, int fd, uint64_t size, const char *name,
                             const ks_container_limits *lim, unsigned blocks, ks_cont_feed **out)
{
    ks_cont_feed *f = feed_new(mem, len, fd, size, name, lim, blocks);
    *out = NULL;
    if (!f)
        return -1;
    int ok;
    ok = ks__thread_start(&f->thread, producer_main, f) == 0; /* not on the CPU of the worker that starts it */
    if (!ok) {
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        feed_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

const ks_cont_block *ks__container_feed_next(ks_cont_feed *f, int wait)
{
    pthread_mutex_lock(&f->mu);
    while (!f->n_full && !f->last_taken && wait)
        pthread_cond_wait(&f->cv, &f->mu);
    ks_cont_block *b = NULL;
    if (f->n_full) {
        b = f->full[f->full_head];
        f->full_head = (f->full_head + 1) % f->n_blocks;
        f->n_full--;
        f->last_taken = b->last;
        atomic_store_explicit(&b->holders, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&f->mu);
    return b;
}

void ks__container_feed_hold(const ks_cont_block *b)
{
    atomic_fetch_add(&((ks_cont_block *)b)->holders, 1);
}

void ks__container_feed_release(ks_cont_feed *f, const ks_cont_block *cb)
{
    ks_cont_block *b = (ks_cont_block *)cb;
    if (atomic_fetch_sub(&b->holders, 1) != 1)
        return;
    b->last = 0;
    pthread_mutex_lock(&f->mu);
    f->free[f->n_free++] = b;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void ks__container_feed_stop(ks_cont_feed *f) { atomic_store(&f->stop, 1); }

int ks__container_feed_end(ks_cont_feed *f, ks_container_result *res)
{
    /* what the caller did not take: the producer may be waiting for room to hand it over */
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int over = f->last_taken;
        pthread_mutex_unlock(&f->mu);
        if (over)
            break;
        ks__container_feed_stop(f);
        const ks_cont_block *b = ks__container_feed_next(f, 1);
        if (b)
            ks__container_feed_release(f, b);
    }
    pthread_join(f->thread, NULL);
    *res = f->res;
    int rc = f->rc;
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    feed_free(f);
    return rc;
}

int ks__container_block_event(const ks_cont_block *b, size_t at, size_t *next)
{
    if (at + REC_HEAD > b->used)
        return -1;
    uint32_t len;
    memcpy(&len, b->p + at + 2, 4);
    *next = at + REC_HEAD + len;
    return b->p[at];
}

/* A hole's record (its length, 8 bytes at pl), to a sink that passes over zeros, or as zeros to one that does not. */
static int replay_zeros(const ks_container_sink *sink, void *ctx, const unsigned char *pl)
{
    static const unsigned char zeros[16 * 1024];
    uint64_t n;
    memcpy(&n, pl, sizeof n);
    if (sink->zeros)
        return sink->zeros(ctx, n);
    int rc = 0;
    for (size_t k; n && !rc; n -= k) {
        k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        rc = sink->data(ctx, zeros, k);
    }
    return rc;
}

int ks__container_block_replay(const ks_cont_block *b, size_t from, size_t to, const ks_container_sink *sink,
                               void *ctx, int *stopped)
{
    for (size_t at = from; at < to && at + REC_HEAD <= b->used;) {
        const unsigned char *r = b->p + at;
        uint32_t len;
        memcpy(&len, r + 2, 4);
        const unsigned char *pl = r + REC_HEAD;
        at += REC_HEAD + len;
        if ((ks_cont_ev)r[0] == KS_EV_DONE)
            return 1;
        if (*stopped)
            continue;
        int rc = 0;
        const unsigned char *nx = b->p + at; /* the next record, when it is in the range */
        int then_end = sink->data_end && at < to && at + REC_HEAD <= b->used && (ks_cont_ev)nx[0] == KS_EV_END;
        switch ((ks_cont_ev)r[0]) {
        case KS_EV_BEGIN: rc = sink->begin(ctx, (const char *)pl); break;
        case KS_EV_DATA:
            if (then_end) { /* the member's last bytes, then its end: both at once */
                uint32_t end_len;
                memcpy(&end_len, nx + 2, 4);
                at += REC_HEAD + end_len;
                rc = sink->data_end(ctx, pl, len);
            } else {
                rc = sink->data(ctx, pl, len);
            }
            break;
        case KS_EV_END: rc = sink->end(ctx); break;
        case KS_EV_ZEROS: rc = replay_zeros(sink, ctx, pl); break;
        case KS_EV_PROBLEM:
            sink->problem(ctx, (const char *)pl, r[1], (const char *)pl + strlen((const char *)pl) + 1);
            break;
        case KS_EV_DONE: break;
        }
        if (rc)
            *stopped = 1;
    }
    return 0;
}

int ks__container_expand_overlapped(const void *mem, size_t len, int fd, uint64_t size, const char *name,
                                    const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                                    ks_container_result *res)
{
    ks_cont_feed *f;
    if (ks__container_feed_start(mem, len, fd, size, name, lim, OVERLAP_BLOCKS, &f))
        return ks__container_expand(mem, len, fd, size, name, lim, sink, ctx, res); /* the same work on this thread */
    int stopped = 0;
    for (int done = 0; !done;) {
        const ks_cont_block *b = ks__container_feed_next(f, 1);
        done = ks__container_block_replay(b, 0, SIZE_MAX, sink, ctx, &stopped);
        if (stopped)
            ks__container_feed_stop(f);
        ks__container_feed_release(f, b);
    }
    int rc = ks__container_feed_end(f, res);
    return stopped ? -1 : rc;
}
