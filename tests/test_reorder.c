/* test_reorder.c: the writer's reorderer on its own, without threads: any arrival order gives findings in file order
 * with exact lines and columns, one completion last, the first error kept; out of memory fails the file, never loses
 * its completion. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "fault.h"
#include "helpers.h"
#include "reorder.h"

typedef struct emitted {
    uint64_t start[256], line[256], column[256];
    size_t n;
    int done;
    uint64_t bytes;
    int err;
    int finding_after_done;
} emitted;

static void on_finding(void *ctx, void *file, const ks_rec *r, uint64_t line, uint64_t column)
{
    emitted *e = ctx;
    cr_assert_eq(file, (void *)e);
    e->finding_after_done |= e->done;
    e->start[e->n] = r->start;
    e->line[e->n] = line;
    e->column[e->n++] = column;
}

static void on_done(void *ctx, void *file, uint64_t bytes, int err)
{
    emitted *e = ctx;
    e->done++;
    e->bytes = bytes;
    e->err = err;
}

static const ks_order_sink SINK = {on_finding, on_done};

static ks_rec *rec(emitted *e, ks_rec_kind kind, uint32_t chunk)
{
    ks_rec *r = ks__calloc(1, sizeof *r);
    cr_assert_not_null(r);
    r->kind = kind;
    r->file = e;
    r->chunk = chunk;
    return r;
}

/* A file of 6 chunks of 100 bytes; chunk k has k newlines, the last at 100k + 50; one finding per
 * chunk at 100k + 10 on the chunk's first line, and one at 100k + 60 on its (k+1)th line. */
#define CHUNKS 6
static ks_rec *make(emitted *e, int i)
{
    uint32_t k = (uint32_t)(i / 3);
    int what = i % 3;
    if (what == 2) {
        ks_rec *d = rec(e, KS_REC_CHUNK_DONE, k);
        d->newlines = k;
        d->last_nl_end = k ? 100 * k + 51 : 0;
        d->bytes = 100;
        d->err = k == 4 ? EIO : k == 5 ? EINVAL : 0;
        return d;
    }
    ks_rec *f = rec(e, KS_REC_FINDING, k);
    f->start = 100 * k + (what ? 60 : 10);
    f->nl_before = what ? k : 0;
    f->column = what ? 9 : 999; /* only used when the line is inside the chunk */
    return f;
}

Test(reorder, any_arrival_order_gives_file_order_and_exact_lines)
{
    uint64_t seed = 11;
    for (int round = 0; round < 200; round++) {
        emitted e = {0};
        ks_order o;
        ks__order_init(&o, NULL, CHUNKS, 0);
        int order[3 * CHUNKS];
        for (int i = 0; i < 3 * CHUNKS; i++)
            order[i] = i;
        for (int i = 3 * CHUNKS - 1; i > 0; i--) { /* shuffle */
            int j = (int)(rnd_next(&seed) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        /* one worker sends a chunk's records in order: its findings by start, then its completion;
         * chunks interleave freely */
        for (int c = 0; c < CHUNKS; c++) {
            int *at[3], n = 0;
            for (int i = 0; i < 3 * CHUNKS; i++)
                if (order[i] / 3 == c)
                    at[n++] = &order[i];
            for (int x = 0; x < 3; x++)
                *at[x] = 3 * c + x;
        }
        for (int i = 0; i < 3 * CHUNKS; i++)
            ks__order_take(&o, make(&e, order[i]), &SINK, &e);
        cr_assert_eq(e.done, 1, "round %d: %d completions", round, e.done);
        cr_assert_eq(e.finding_after_done, 0);
        cr_assert_eq(e.bytes, 100 * CHUNKS);
        cr_assert_eq(e.err, EIO, "the first error in file order");
        cr_assert_eq(e.n, 2 * CHUNKS);
        uint64_t nl = 0, last_nl_end = 0;
        for (uint32_t k = 0; k < CHUNKS; k++) {
            cr_assert_eq(e.start[2 * k], 100 * k + 10);
            cr_assert_eq(e.line[2 * k], nl + 1);
            cr_assert_eq(e.column[2 * k], 100 * k + 10 - last_nl_end + 1, "chunk %u: its first line began earlier", k);
            cr_assert_eq(e.start[2 * k + 1], 100 * k + 60);
            cr_assert_eq(e.line[2 * k + 1], nl + k + 1);
            /* past a newline of its chunk the worker's column stands; chunk 0 has none before it */
            cr_assert_eq(e.column[2 * k + 1], k ? 9 : 61);
            nl += k;
            if (k)
                last_nl_end = 100 * k + 51;
        }
    }
}

Test(reorder, single_chunk_files_and_streams_pass_straight_through)
{
    emitted e = {0};
    ks_order o;
    ks__order_init(&o, NULL, 1, 1);
    ks_rec *f = rec(&e, KS_REC_FINDING, 0);
    f->start = 5000;
    f->nl_before = 0;
    f->column = 7; /* stream mode: absolute already */
    ks__order_take(&o, f, &SINK, &e);
    cr_assert_eq(e.n, 1, "emitted at once");
    cr_assert_eq(e.column[0], 7);
    ks_rec *d = rec(&e, KS_REC_CHUNK_DONE, 0);
    d->bytes = 9000;
    ks__order_take(&o, d, &SINK, &e);
    cr_assert_eq(e.done, 1);
    cr_assert_eq(e.bytes, 9000);
    cr_assert_eq(e.err, 0);
}

Test(reorder, out_of_memory_drops_findings_but_completes_the_file_as_failed)
{
    emitted e = {0};
    ks_order o;
    ks__order_init(&o, NULL, 3, 0);
    ks_rec *r[4] = {make(&e, 0), make(&e, 2), make(&e, 5), make(&e, 8)};
    ks__fault_alloc_set(1, 1); /* the chunk tables cannot be allocated */
    for (int i = 0; i < 4; i++)
        ks__order_take(&o, r[i], &SINK, &e);
    ks__fault_alloc_set(0, 0);
    cr_assert_eq(e.n, 0);
    cr_assert_eq(e.done, 1);
    cr_assert_eq(e.err, ENOMEM);
}

Test(reorder, an_abandoned_file_frees_what_it_holds)
{
    emitted e = {0};
    ks_order o;
    ks__order_init(&o, NULL, CHUNKS, 0);
    for (int i = 3; i < 3 * CHUNKS; i++) /* chunk 0 never reports: nothing can be emitted */
        ks__order_take(&o, make(&e, i), &SINK, &e);
    cr_assert_eq(e.n, 0);
    cr_assert_eq(e.done, 0);
    ks__order_free(&o); /* LeakSanitizer checks that every held record is freed */
    ks__order_free(&o); /* and that a second free is harmless */
}
