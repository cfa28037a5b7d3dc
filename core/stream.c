/* stream.c: ks_stream: one object written in pieces, scanned with the same regions as ks_scan so findings are identical. */
#include <string.h>

#include "internal.h"

struct ks_stream {
    ks_scanner *scanner;
    ks_match_fn cb;
    void *ctx;
    unsigned char *buf; /* holds object bytes [base, base + len) */
    size_t len, cap;
    uint64_t base;
    uint64_t next_own;  /* absolute start of the next owned range */
    size_t margin;      /* ks__overlap: bytes kept on each side of an owned range */
    ks_lines lines;
    int stopped;
};

int ks_stream_open(ks_scanner *scanner, ks_match_fn cb, void *ctx, ks_stream **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!scanner)
        return KS_EINVAL;
    ks_stream *st = ks__calloc(1, sizeof *st);
    if (!st)
        return KS_ENOMEM;
    if (ks__scanner_acquire(scanner)) {
        ks__free(st);
        return KS_ESTATE;
    }
    st->scanner = scanner;
    st->cb = cb;
    st->ctx = ctx;
    st->margin = ks__overlap(scanner->engine);
    *out = st;
    return 0;
}

static int reserve(ks_stream *st, size_t need)
{
    if (need <= st->cap)
        return 0;
    size_t cap = st->cap ? st->cap : 4096;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    unsigned char *b = ks__realloc(st->buf, cap);
    if (!b)
        return KS_ENOMEM;
    st->buf = b;
    st->cap = cap;
    return 0;
}

/* Scans what is owned in [next_own, own_to) and drops the bytes no later range needs. */
static int flush_to(ks_stream *st, uint64_t own_to, int last)
{
    if (own_to > st->next_own) {
        int rc = ks__scan_owned(st->scanner, st->buf, st->len, st->base, st->next_own, own_to, last, &st->lines,
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
    return 0;
}

int ks_stream_write(ks_stream *st, const void *data, size_t len)
{
    if (!st || (!data && len))
        return KS_EINVAL;
    if (st->stopped)
        return KS_ETERMINATED;
    if (!len)
        return 0;
    if (st->len + len < st->len || reserve(st, st->len + len))
        return KS_ENOMEM;
    memcpy(st->buf + st->len, data, len);
    st->len += len;
    uint64_t end = st->base + st->len;
    /* A start is certain once every byte its longest match and right context could need is here. */
    if (end > st->margin)
        return flush_to(st, end - st->margin, 0);
    return 0;
}

int ks_stream_close(ks_stream *st)
{
    if (!st)
        return KS_EINVAL;
    int rc = st->stopped ? KS_ETERMINATED : flush_to(st, st->base + st->len, 1);
    ks_stream_abort(st);
    return rc;
}

void ks_stream_abort(ks_stream *st)
{
    if (!st)
        return;
    ks__scanner_release(st->scanner);
    ks__free(st->buf);
    ks__free(st);
}

size_t ks__stream_capacity(const ks_stream *st) { return st->cap; }
