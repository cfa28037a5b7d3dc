/* stream.c: ks_stream: one object written in pieces, scanned with the same regions as ks_scan so findings are
 * identical; a stream holds no scanner, each call brings one. */
#include <string.h>

#include "alloc.h"
#include "scanner_int.h"

struct ks_stream {
    const ks_engine *engine;
    ks_match_fn cb;
    void *ctx;
    char *path;         /* ks_scan_opts.path, copied; NULL when none */
    unsigned char *buf; /* holds object bytes [base, base + len) */
    size_t len, cap;
    uint64_t base;
    uint64_t next_own;  /* absolute start of the next owned range */
    size_t margin;      /* ks__overlap: bytes kept on each side of an owned range */
    ks_lines lines;
    int stopped;
};

int ks_stream_open(const ks_engine *engine, const ks_scan_opts *opts, ks_match_fn cb, void *ctx, ks_stream **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!engine)
        return KS_EINVAL;
    const ks_allocator *a = ks__engine_alloc(engine);
    ks_stream *st = ks__acalloc(a, 1, sizeof *st);
    if (!st)
        return KS_ENOMEM;
    const char *path = ks__scan_opts_path(opts);
    if (path && !(st->path = ks__astrdup(a, path))) {
        ks__afree(a, st);
        return KS_ENOMEM;
    }
    st->engine = engine;
    st->cb = cb;
    st->ctx = ctx;
    st->margin = ks__overlap(engine);
    *out = st;
    return 0;
}

static int reserve(ks_stream *st, size_t need)
{
    if (need <= st->cap)
        return 0;
    size_t cap = st->cap ? st->cap : 256; /* small objects (and idle streams) stay small */
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    unsigned char *b = ks__arealloc(ks__engine_alloc(st->engine), st->buf, cap);
    if (!b)
        return KS_ENOMEM;
    st->buf = b;
    st->cap = cap;
    return 0;
}

/* Scans what is owned in [next_own, own_to) and drops the bytes no later range needs; between
 * calls the buffer shrinks back to what it keeps, so an idle open stream stays small. */
static int flush_to(ks_stream *st, ks_scanner *sc, uint64_t own_to, int last)
{
    if (own_to > st->next_own) {
        int rc = ks__scan_owned(sc, st->buf, st->len, st->base, st->next_own, own_to, last, st->path, &st->lines,
                                st->cb, st->ctx);
        if (rc) {
            st->stopped = 1;
            return rc;
        }
        st->next_own = own_to;
    }
    uint64_t keep_from = st->next_own > st->margin ? st->next_own - st->margin : 0;
    if (keep_from > st->base) {
        size_t drop = (size_t)(keep_from - st->base);
        memmove(st->buf, st->buf + drop, st->len - drop);
        st->len -= drop;
        st->base = keep_from;
    }
    size_t keep = st->len > 256 ? st->len : 256;
    if (!last && st->cap > 2 * keep) {
        unsigned char *b = ks__arealloc(ks__engine_alloc(st->engine), st->buf, keep);
        if (b) { /* a failed shrink keeps the larger buffer: nothing is lost */
            st->buf = b;
            st->cap = keep;
        }
    }
    return 0;
}

/* Takes the caller's scanner for one call: it must belong to the stream's engine and be free. */
static int take(const ks_stream *st, ks_scanner *sc)
{
    if (!sc || ks_scanner_engine(sc) != st->engine)
        return KS_EINVAL;
    return ks__scanner_acquire(sc);
}

int ks_stream_write(ks_stream *st, ks_scanner *sc, const void *data, size_t len)
{
    if (!st || (!data && len))
        return KS_EINVAL;
    if (st->stopped)
        return KS_ETERMINATED;
    if (!len)
        return 0;
    if (st->len + len < st->len || reserve(st, st->len + len))
        return KS_ENOMEM;
    int rc = take(st, sc);
    if (rc)
        return rc;
    memcpy(st->buf + st->len, data, len);
    st->len += len;
    uint64_t end = st->base + st->len;
    /* A start is certain once every byte its longest match, its right context and its allow
     * window could need is here. */
    if (end > st->margin)
        rc = flush_to(st, sc, end - st->margin, 0);
    ks__scanner_release(sc);
    return rc;
}

int ks_stream_close(ks_stream *st, ks_scanner *sc)
{
    if (!st)
        return KS_EINVAL;
    int rc = st->stopped ? KS_ETERMINATED : take(st, sc);
    if (!rc) {
        rc = flush_to(st, sc, st->base + st->len, 1);
        ks__scanner_release(sc);
    }
    ks_stream_abort(st);
    return rc;
}

void ks_stream_abort(ks_stream *st)
{
    if (!st)
        return;
    const ks_allocator *a = ks__engine_alloc(st->engine);
    ks__afree(a, st->path);
    ks__afree(a, st->buf);
    ks__afree(a, st);
}

size_t ks_stream_bytes(const ks_stream *st)
{
    return st ? sizeof *st + st->cap + (st->path ? strlen(st->path) + 1 : 0) : 0;
}

size_t ks__stream_capacity(const ks_stream *st) { return st->cap; }

/* Zeros written as data: n bytes, from a static room (each write rescans its overlaps: a room of 64 KiB writes an
 * edge of zeros in one). */
static int write_zeros(ks_stream *st, ks_scanner *sc, uint64_t n)
{
    static const unsigned char zeros[64 * 1024];
    int rc = 0;
    while (n && !rc) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        rc = ks_stream_write(st, sc, zeros, k);
        n -= k;
    }
    return rc;
}

int ks__stream_zeros(ks_stream *st, ks_scanner *sc, uint64_t n)
{
    if (!st)
        return KS_EINVAL;
    uint64_t edge = 2 * (uint64_t)st->margin; /* zeros written on each side of what is passed over */
    if (n <= 2 * edge)
        return write_zeros(st, sc, n);
    int rc = write_zeros(st, sc, edge);
    if (rc)
        return rc;
    /* The buffer now holds zeros alone (it keeps a margin on each side of next_own, the end less a margin) and every
     * byte before them is scanned and its newlines counted. Zeros further on are passed over as if scanned: each lies
     * a margin or more inside zeros, where no match that holds a byte of anything else can reach. */
    uint64_t jump = n - 2 * edge;
    if (st->base + st->len != st->next_own + st->margin || st->lines.counted_to != st->next_own)
        return write_zeros(st, sc, n - edge); /* (not as expected: written, as before) */
    st->base += jump;
    st->next_own += jump;
    st->lines.counted_to += jump;
    return write_zeros(st, sc, edge);
}
