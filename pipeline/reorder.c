/* reorder.c: findings and chunk completions in any order -> findings in file order with exact lines, then the file's completion. */
#include <errno.h>

#include "alloc.h"
#include "reorder.h"

void ks__order_init(ks_order *o, const ks_allocator *a, uint32_t n_chunks, int stream_mode)
{
    *o = (ks_order){.a = a, .n_chunks = n_chunks ? n_chunks : 1, .stream_mode = stream_mode};
}

/* Lines inside a chunk count from its owned start; the newlines of every chunk before it make them
 * absolute. A finding on the chunk's first line needs the end of the last newline before it. */
static void emit(const ks_order *o, const ks_rec *r, const ks_order_sink *sink, void *ctx)
{
    if (r->in_member) {
        sink->finding(ctx, r->file, r, r->nl_before + 1, r->column);
        return;
    }
    uint64_t line = o->nl_prefix + r->nl_before + 1;
    uint64_t column = (r->nl_before || o->stream_mode) ? r->column : r->start - o->last_nl_end + 1;
    sink->finding(ctx, r->file, r, line, column);
}

static int tables(ks_order *o)
{
    if (o->done)
        return 0;
    o->pending = ks__acalloc(o->a, o->n_chunks, sizeof *o->pending);
    o->tails = ks__acalloc(o->a, o->n_chunks, sizeof *o->tails);
    o->done = ks__acalloc(o->a, o->n_chunks, sizeof *o->done);
    if (o->pending && o->tails && o->done)
        return 0;
    ks__afree(o->a, o->pending);
    ks__afree(o->a, o->tails);
    ks__afree(o->a, o->done);
    o->pending = o->tails = o->done = NULL;
    return -1;
}

/* Emits, in file order, every chunk whose predecessors have all reported; then, maybe, the file. */
static void settle(ks_order *o, void *file, const ks_order_sink *sink, void *ctx)
{
    while (o->next_emit < o->n_chunks && o->done[o->next_emit]) {
        uint32_t k = o->next_emit;
        ks_rec *d = o->done[k];
        for (ks_rec *r = o->pending[k], *nx; r; r = nx) {
            nx = r->next;
            /* a container's members were scanned: its raw bytes say nothing more */
            if (!(o->container && k > 0 && !r->in_member))
                emit(o, r, sink, ctx);
            ks__afree(o->a, r);
        }
        o->pending[k] = o->tails[k] = NULL;
        o->done[k] = NULL;
        if (k == 0 && d->container)
            o->container = 1;
        o->nl_prefix += d->newlines;
        if (d->last_nl_end)
            o->last_nl_end = d->last_nl_end;
        o->bytes += d->bytes;
        if (d->err && !o->err)
            o->err = d->err;
        ks__afree(o->a, d);
        o->next_emit++;
    }
    if (o->next_emit == o->n_chunks) {
        uint64_t bytes = o->bytes;
        int err = o->err;
        ks__order_free(o);
        sink->file_done(ctx, file, bytes, err);
    }
}

void ks__order_take(ks_order *o, ks_rec *r, const ks_order_sink *sink, void *ctx)
{
    void *file = r->file;
    if (o->n_chunks == 1) {
        /* One chunk (most files): its lines are exact already, so nothing waits to be settled. */
        if (r->kind == KS_REC_FINDING) {
            emit(o, r, sink, ctx);
            ks__afree(o->a, r);
        } else {
            uint64_t bytes = r->bytes;
            int err = r->err;
            ks__afree(o->a, r);
            sink->file_done(ctx, file, bytes, err);
        }
        return;
    }
    if (o->untracked || tables(o)) {
        /* Out of memory for this file's chunk tables: its findings cannot be put in order, so they
         * are dropped and the file reported failed once every chunk is in. */
        o->untracked = 1;
        int last = r->kind == KS_REC_CHUNK_DONE && ++o->next_emit == o->n_chunks;
        uint64_t bytes = o->bytes;
        ks__afree(o->a, r);
        if (last)
            sink->file_done(ctx, file, bytes, ENOMEM);
        return;
    }
    if (r->kind == KS_REC_FINDING) {
        r->next = NULL;
        if (o->tails[r->chunk])
            o->tails[r->chunk]->next = r;
        else
            o->pending[r->chunk] = r;
        o->tails[r->chunk] = r;
        return;
    }
    o->done[r->chunk] = r;
    if (r->chunk == o->next_emit)
        settle(o, file, sink, ctx);
}

void ks__order_free(ks_order *o)
{
    for (uint32_t k = 0; o->done && k < o->n_chunks; k++) {
        for (ks_rec *r = o->pending[k], *nx; r; r = nx) {
            nx = r->next;
            ks__afree(o->a, r);
        }
        ks__afree(o->a, o->done[k]);
    }
    ks__afree(o->a, o->pending);
    ks__afree(o->a, o->tails);
    ks__afree(o->a, o->done);
    o->pending = o->tails = o->done = NULL;
}
