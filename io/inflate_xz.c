/* inflate_xz.c: xz streams decoded with liblzma, a block at a time, for libarchive to frame. libarchive's own xz filter
 * decodes with LZMA_CONCATENATED, which fails on anything after the last stream: appended text was lost, and with it
 * whatever the failing block held. Here each stream is decoded alone, and what follows it is looked at. */
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include "decode_ahead.h"
#include "decode_fail.h"
#include "inflate_xz.h"
#include "next_magic.h"

#define MEMLIMIT ((uint64_t)256 << 20) /* xz -9 needs 65 MiB to decode; a header may claim 4 GiB */

static const unsigned char MAGIC[6] = {0xfd, '7', 'z', 'X', 'Z', 0};

struct ks_xz {
    archive_read_callback *up;
    void *up_data;
    lzma_stream s;
    const unsigned char *in; /* upstream's current piece, not yet taken */
    size_t in_n;
    int up_eof;
    int between;        /* a stream ended: another, after zero padding, or the end */
    unsigned char peek[sizeof MAGIC]; /* then: the next bytes, taken to see whether a stream begins */
    size_t peek_n;
    int ended;          /* what followed a stream was none: the stream ended at end_at */
    uint64_t end_at;
    int refused;        /* a stream whose decoding needs more memory than MEMLIMIT, or options liblzma lacks */
    int known;          /* it failed in a stream whose header liblzma took (its CRC right): xz for sure */
    int up_failed;      /* the failure was upstream's (a parent archive cut short), not the stream's */
    int gave;           /* bytes were handed out: the stream opened */
    int streams;        /* streams decoded whole: one after them, its magic right, is xz too */
    uint64_t damage_at; /* damaged: where the next stream's magic is (UINT64_MAX: none follows) */
    unsigned char held[KS_MAGIC_MAX]; /* its first held_n bytes, when an earlier piece held them */
    size_t held_n;
    uint64_t bytes_in;
    ks_decode_fail fail;
    ks_ahead *ahead;
    /* used only when decoding inline (not zeroed, never touched when decoding ahead: no memory then) */
    unsigned char out[KS_AHEAD_BLOCK];
};

ks_xz *ks__xz_new(archive_read_callback *upstream, void *upstream_data)
{
    ks_xz *x = malloc(sizeof *x);
    if (!x)
        return NULL;
    memset(x, 0, offsetof(ks_xz, out));
    x->s = (lzma_stream)LZMA_STREAM_INIT;
    x->damage_at = UINT64_MAX;
    x->up = upstream;
    x->up_data = upstream_data;
    if (lzma_stream_decoder(&x->s, MEMLIMIT, 0) != LZMA_OK) {
        free(x);
        return NULL;
    }
    return x;
}

void ks__xz_free(ks_xz *x)
{
    if (!x)
        return;
    ks__ahead_stop(x->ahead);
    lzma_end(&x->s);
    free(x);
}

uint64_t ks__xz_bytes_in(const ks_xz *x) { return x->ahead ? ks__ahead_bytes_in(x->ahead) : x->bytes_in; }

/* Written by whoever decodes (the thread ahead too) before it hands out the end, so read after it. */
uint64_t ks__xz_end(const ks_xz *x) { return x->ended ? x->end_at : UINT64_MAX; }

const char *ks__xz_refused(const ks_xz *x) { return x->refused && !x->ahead ? x->fail.err : NULL; }

const char *ks__xz_damaged(const ks_xz *x)
{
    if (!ks__ahead_settled(x->ahead))
        return NULL;
    return x->known && !x->refused && !x->up_failed && x->fail.err[0] ? x->fail.err : NULL;
}

uint64_t ks__xz_damage_at(const ks_xz *x, const void **held, size_t *held_n)
{
    int settled = ks__ahead_settled(x->ahead);
    *held = x->held;
    *held_n = settled ? x->held_n : 0;
    return settled ? x->damage_at : UINT64_MAX;
}

/* Makes upstream bytes available: 1 when there are some, 0 at its end, -1 (with *failed) when it failed. */
static int pull(ks_xz *x, struct archive *a, const char **failed)
{
    while (!x->in_n && !x->up_eof) {
        const void *p = NULL;
        la_ssize_t n = x->up(a, x->up_data, &p);
        if (n < 0) {
            const char *e = archive_error_string(a);
            *failed = e ? e : "read failed";
            x->up_failed = 1;
            return -1;
        }
        x->up_eof = n == 0;
        x->in = p;
        x->in_n = (size_t)(n > 0 ? n : 0);
    }
    return x->in_n > 0;
}

static const char *lzma_words(lzma_ret r)
{
    switch (r) {
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "needs more than 256 MiB of memory";
    case LZMA_FORMAT_ERROR: return "not xz";
    case LZMA_OPTIONS_ERROR: return "unsupported options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_BUF_ERROR: return "truncated xz input";
    default: return "decoder error";
    }
}

/* Runs the decoder over `p`/`n` (taken as far as it takes them) into out; the liblzma return. */
static lzma_ret code(ks_xz *x, const unsigned char *p, size_t *n, unsigned char *dst, size_t *out_pos, int finish)
{
    x->s.next_in = p;
    x->s.avail_in = *n;
    x->s.next_out = dst + *out_pos;
    x->s.avail_out = KS_AHEAD_BLOCK - *out_pos;
    lzma_ret r = lzma_code(&x->s, finish ? LZMA_FINISH : LZMA_RUN);
    x->bytes_in += *n - x->s.avail_in;
    *n = x->s.avail_in;
    *out_pos = KS_AHEAD_BLOCK - x->s.avail_out;
    return r;
}

/* After a stream: zero padding passed over, then another stream begun (its magic fed to a new decoder), or the
 * end. 1 when one begins, 0 at the end (ended set when bytes that begin none follow), -1 with *failed. */
static int next_stream(ks_xz *x, struct archive *a, unsigned char *dst, size_t *out_pos, const char **failed)
{
    while (!x->peek_n) { /* padding */
        int r = pull(x, a, failed);
        if (r <= 0)
            return r; /* upstream's end after the stream (and its padding): no trailing data */
        if (*x->in)
            break;
        x->in++, x->in_n--, x->bytes_in++;
    }
    while (x->peek_n < sizeof x->peek) {
        int r = pull(x, a, failed);
        if (r < 0)
            return -1;
        if (!r)
            break;
        x->peek[x->peek_n++] = *x->in++;
        x->in_n--;
    }
    if (x->peek_n < sizeof x->peek || memcmp(x->peek, MAGIC, sizeof MAGIC)) {
        x->ended = 1;
        x->end_at = x->bytes_in; /* after the stream's zero padding, which pieces already read past */
        return 0;
    }
    lzma_ret r = lzma_stream_decoder(&x->s, MEMLIMIT, 0);
    size_t n = x->peek_n;
    if (r == LZMA_OK)
        r = code(x, x->peek, &n, dst, out_pos, 0);
    x->peek_n = 0;
    if (r != LZMA_OK) {
        *failed = lzma_words(r);
        return -1;
    }
    x->between = 0;
    return 1;
}

/* The next decompressed bytes into dst (KS_AHEAD_BLOCK of room). */
static la_ssize_t decode(ks_xz *x, struct archive *a, unsigned char *dst)
{
    if (ks__decode_fail_due(&x->fail, a))
        return -1;
    size_t out_pos = 0;
    const char *failed = NULL;
    lzma_ret last = LZMA_OK;
    while (out_pos < KS_AHEAD_BLOCK && !x->ended) {
        if (x->between) {
            if (next_stream(x, a, dst, &out_pos, &failed) <= 0)
                break;
            continue;
        }
        int more = pull(x, a, &failed);
        if (more < 0)
            break;
        lzma_ret r = last = code(x, x->in, &x->in_n, dst, &out_pos, !more);
        x->in = x->s.next_in;
        if (r == LZMA_STREAM_END) {
            x->between = 1;
            x->streams++;
        } else if (r != LZMA_OK) {
            failed = lzma_words(r);
            x->refused = r == LZMA_MEMLIMIT_ERROR || r == LZMA_OPTIONS_ERROR;
            break;
        } else if (!more && out_pos < KS_AHEAD_BLOCK) {
            failed = "truncated xz input"; /* all of it given, the output not full, and no end */
            last = LZMA_BUF_ERROR;
            break;
        }
    }
    /* liblzma takes no byte past a stream's header before its CRC is right, and says a wrong one at once: a stream cut
     * after it, or failing past it, is xz (total_in counts the current stream's) */
    size_t in = (size_t)x->s.total_in;
    if (failed && !x->between && last != LZMA_MEM_ERROR &&
        (in > LZMA_STREAM_HEADER_SIZE || (in == LZMA_STREAM_HEADER_SIZE && last == LZMA_BUF_ERROR)))
        x->known = 1;
    /* damage in a stream (not a cut): the next stream's magic, looked for from where liblzma stopped on, is where the
     * bytes to read on from begin. Streams after the damaged one are whole, and are opened there; the damaged one's
     * bytes before it are compressed, and may hold a block that decoded (found twice were they scanned as they are).
     * A stream that did not open is scanned as it is from the bytes kept of it: nothing more is read of it here. One
     * damaged in its header after whole ones (its magic right) is xz too */
    if ((x->known || x->streams) && last == LZMA_DATA_ERROR && (x->gave || out_pos))
        x->damage_at = ks__next_magic(MAGIC, sizeof MAGIC, x->up, x->up_data, a, x->up_eof, x->in, x->in_n,
                                      x->bytes_in, x->held, &x->held_n);
    x->gave |= out_pos > 0;
    return ks__decode_fail_after(&x->fail, a, "xz", failed, out_pos);
}

la_ssize_t ks__xz_read(struct archive *a, void *cd, const void **out)
{
    ks_xz *x = cd;
    if (x->ahead)
        return ks__ahead_read(x->ahead, a, out);
    *out = x->out;
    return decode(x, a, x->out);
}

static la_ssize_t fill(void *ctx, struct archive *errs, unsigned char *dst) { return decode(ctx, errs, dst); }

static uint64_t taken(void *ctx) { return ((ks_xz *)ctx)->bytes_in; }

int ks__xz_start_ahead(ks_xz *x)
{
    x->ahead = ks__ahead_start(fill, taken, x);
    return x->ahead ? 0 : -1;
}
