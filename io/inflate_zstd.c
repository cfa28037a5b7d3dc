/* inflate_zstd.c: zstd streams decoded with libzstd's streaming decoder, a block at a time, for libarchive to frame;
 * the same decoder libarchive's zstd filter uses, so that it can run ahead on a thread of its own. */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "decode_ahead.h"
#include "decode_fail.h"
#include "inflate_zstd.h"
#include "next_magic.h"

static const unsigned char MAGIC[4] = KS_ZSTD_MAGIC;

struct ks_zstd {
    archive_read_callback *up;
    void *up_data;
    ZSTD_DStream *ds;
    ZSTD_inBuffer in;  /* upstream's current piece */
    int up_eof;
    size_t want;       /* ZSTD_decompressStream's last hint: 0 between frames */
    int frames;        /* frames decoded whole */
    unsigned char peek[4]; /* after a frame: the next bytes, taken to see whether another begins */
    size_t peek_n;
    int ended;         /* what followed a frame was none: the stream ended at end_at */
    uint64_t end_at;
    uint64_t bytes_in;
    int sure;          /* libzstd took a frame's magic and header, or the first piece held one whole: zstd for sure */
    int blameless;     /* the failure was upstream's (a parent archive cut short), not the stream's */
    int corrupt;       /* the failure was libzstd's: damage in a frame */
    int cut;           /* the stream ended inside a frame */
    int drain;         /* the last call filled the output: libzstd may hold more of the block it decoded */
    int gave;          /* bytes were handed out: the stream opened */
    uint64_t damage_at; /* damaged: where the next frame's magic is (UINT64_MAX: none follows) */
    uint64_t failed_at; /* damaged: where the bytes that gave no output begin (UINT64_MAX: not damaged so) */
    uint64_t out_at;    /* where the bytes taken since the last output begin: a damaged or cut block's, its header's */
    unsigned char held[KS_MAGIC_MAX]; /* its first held_n bytes, when an earlier piece held them */
    size_t held_n;
    ks_decode_fail fail;
    ks_ahead *ahead;
    /* used only when decoding inline (not zeroed, never touched when decoding ahead: no memory then) */
    unsigned char out[KS_AHEAD_BLOCK];
};

ks_zstd *ks__zstd_new(archive_read_callback *upstream, void *upstream_data)
{
    ks_zstd *z = malloc(sizeof *z);
    if (!z)
        return NULL;
    memset(z, 0, offsetof(ks_zstd, out));
    z->damage_at = UINT64_MAX;
    z->failed_at = UINT64_MAX;
    z->up = upstream;
    z->up_data = upstream_data;
    if (!(z->ds = ZSTD_createDStream()) || ZSTD_isError(ZSTD_initDStream(z->ds))) {
        ZSTD_freeDStream(z->ds);
        free(z);
        return NULL;
    }
    return z;
}

void ks__zstd_free(ks_zstd *z)
{
    if (!z)
        return;
    ks__ahead_stop(z->ahead);
    ZSTD_freeDStream(z->ds);
    free(z);
}

uint64_t ks__zstd_bytes_in(const ks_zstd *z) { return z->ahead ? ks__ahead_bytes_in(z->ahead) : z->bytes_in; }

/* Written by whoever decodes (the thread ahead too) before it hands out the end, so read after it. */
uint64_t ks__zstd_end(const ks_zstd *z) { return z->ended ? z->end_at : UINT64_MAX; }

/* As ks__zstd_end, read once a read failed. */
const char *ks__zstd_damaged(const ks_zstd *z)
{
    if (!ks__ahead_settled(z->ahead))
        return NULL;
    return z->sure && !z->blameless && z->fail.err[0] ? z->fail.err : NULL;
}

/* As ks__zstd_end, read once a read failed. */
uint64_t ks__zstd_damage_at(const ks_zstd *z, const void **held, size_t *held_n)
{
    int settled = ks__ahead_settled(z->ahead);
    *held = z->held;
    *held_n = settled ? z->held_n : 0;
    return settled ? z->damage_at : UINT64_MAX;
}

/* As ks__zstd_end, read once a read failed. */
uint64_t ks__zstd_failed_at(const ks_zstd *z) { return ks__ahead_settled(z->ahead) ? z->failed_at : UINT64_MAX; }

/* A zstd frame's magic, or a skippable frame's (which the decoder passes over itself). */
static int frame_magic(const unsigned char *p)
{
    return !memcmp(p, MAGIC, sizeof MAGIC) ||
           ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18);
}

/* Upstream's next piece into z->in: 1, 0 at its end, -1 (with *failed) when it failed. */
static int pull(ks_zstd *z, struct archive *a, const char **failed)
{
    const void *p = NULL;
    la_ssize_t n = z->up(a, z->up_data, &p);
    if (n < 0) {
        const char *e = archive_error_string(a);
        *failed = e ? e : "read failed";
        z->blameless = 1;
        return -1;
    }
    if (n == 0)
        z->up_eof = 1;
    z->in = (ZSTD_inBuffer){p, (size_t)(n > 0 ? n : 0), 0};
    return n > 0;
}

/* Between frames: whether another begins (its first bytes then fed to the decoder). 1 when it does, 0 when the
 * stream ended (at upstream's end, or before bytes that are no frame: trailing data, from end_at), -1 (with
 * *failed) on an upstream error or a decoder error. */
static int next_frame(ks_zstd *z, struct archive *a, ZSTD_outBuffer *out, const char **failed)
{
    while (z->peek_n < sizeof z->peek) {
        if (z->in.pos == z->in.size) {
            if (z->up_eof)
                break;
            if (pull(z, a, failed) < 0)
                return -1;
            continue;
        }
        z->peek[z->peek_n++] = ((const unsigned char *)z->in.src)[z->in.pos++];
    }
    if (!z->peek_n)
        return 0; /* upstream's end, right after a frame */
    if (z->peek_n < sizeof z->peek || !frame_magic(z->peek)) {
        z->ended = 1;
        z->end_at = z->bytes_in;
        return 0;
    }
    ZSTD_inBuffer pb = {z->peek, z->peek_n, 0};
    size_t r = ZSTD_decompressStream(z->ds, out, &pb);
    z->bytes_in += z->peek_n; /* taken from upstream, whether libzstd took them or failed on them */
    z->peek_n = 0;
    if (ZSTD_isError(r)) {
        *failed = ZSTD_getErrorName(r);
        z->corrupt = 1;
        return -1;
    }
    z->want = r;
    return 1;
}

/* After damage in a frame: the next frame's magic, looked for from where libzstd stopped on (upstream read on to find
 * it), is where the bytes to read on from begin (damage_at): frames after the damaged one are whole, and are opened
 * there. The bytes from the unit that failed (`failed_at`: nothing from there was handed out, a block a call) up to it
 * are scanned as they are where the caller can still read them (a block's raw literals, a note between two streams);
 * with no frame after them, all of the rest is. */
static void find_next_frame(ks_zstd *z, struct archive *a, uint64_t failed_at)
{
    z->failed_at = failed_at;
    z->damage_at = ks__next_magic(MAGIC, sizeof MAGIC, z->up, z->up_data, a, z->up_eof,
                                  (const unsigned char *)z->in.src + z->in.pos, z->in.size - z->in.pos, z->bytes_in,
                                  z->held, &z->held_n);
    if (z->damage_at == UINT64_MAX)
        z->damage_at = failed_at;
}

/* One call of libzstd on `in` (from z->in's position: what it takes is taken from z->in), its hint and what it gave
 * noted: 1, or 0 with *failed when it failed. */
static int call(ks_zstd *z, ZSTD_outBuffer *out, ZSTD_inBuffer *in, const char **failed)
{
    size_t before = in->pos, out_before = out->pos, r = ZSTD_decompressStream(z->ds, out, in);
    z->in.pos = in->pos;
    z->bytes_in += in->pos - before;
    if (ZSTD_isError(r)) {
        *failed = ZSTD_getErrorName(r);
        z->corrupt = 1;
        return 0;
    }
    z->want = r;
    z->frames += r == 0;
    z->drain = out->pos == out->size;
    if (out->pos > out_before)
        z->out_at = z->bytes_in;
    return 1;
}

/* The next decompressed bytes into dst (KS_AHEAD_BLOCK of room). */
static la_ssize_t decode(ks_zstd *z, struct archive *a, unsigned char *dst)
{
    if (ks__decode_fail_due(&z->fail, a))
        return -1;
    ZSTD_outBuffer out = {dst, KS_AHEAD_BLOCK, 0};
    const char *failed = NULL;
    while (out.pos < out.size && !z->ended) {
        if (z->drain) { /* the last call filled the room: what libzstd holds of a block comes out before more input,
                         * which, should it fail (a damaged header next), would take that output with it */
            ZSTD_inBuffer none = {z->in.src, z->in.pos, z->in.pos};
            if (!call(z, &out, &none, &failed))
                break;
            continue;
        }
        if (!z->want && z->frames) { /* a frame ended: another, or the stream's end */
            int r = next_frame(z, a, &out, &failed);
            if (r <= 0)
                break;
            continue;
        }
        if (z->in.pos == z->in.size && !z->up_eof && pull(z, a, &failed) < 0)
            break;
        if (z->in.pos == z->in.size && z->up_eof) {
            if (z->want) { /* inside a frame, and no more input */
                failed = "truncated zstd input";
                z->cut = 1;
            }
            break;
        }
        size_t before = z->in.pos;
        if (!z->bytes_in && !z->sure) /* a whole frame header, right, at the start: zstd for sure, should it fail */
            z->sure = ZSTD_getFrameContentSize((const char *)z->in.src + before, z->in.size - before) !=
                      ZSTD_CONTENTSIZE_ERROR;
        /* a block a call: a call that fails hands out nothing it decoded, so a damaged block, or a wrong checksum,
         * takes no good block with it. libzstd's hint is the rest of the block and the next block's header (3 bytes):
         * that header is left for a call of its own, should it be the damage. (A hint for no block, a header's or a
         * checksum's, is then given in two calls: libzstd takes any number of bytes.) The magic first. */
        size_t give = z->in.size - before, unit = z->want > 3 ? z->want - 3 : z->want ? z->want : sizeof MAGIC;
        ZSTD_inBuffer in = {z->in.src, before + (give < unit ? give : unit), before};
        if (!call(z, &out, &in, &failed))
            break;
        z->sure |= z->bytes_in >= 6; /* a magic and a frame header's first bytes, taken (a wrong magic fails at 4) */
    }
    /* (a stream that did not open is scanned as it is from the bytes kept of it: nothing more is read of it here) */
    if (z->corrupt && z->sure && (z->gave || out.pos))
        find_next_frame(z, a, z->out_at); /* (a failed call takes nothing; nor did those since the last output) */
    else if (z->cut && (z->gave || out.pos)) /* what libzstd took of a block it never had whole gave nothing */
        z->damage_at = z->failed_at = z->out_at;
    z->gave |= out.pos > 0;
    return ks__decode_fail_after(&z->fail, a, "zstd", failed, out.pos);
}

la_ssize_t ks__zstd_read(struct archive *a, void *cd, const void **out)
{
    ks_zstd *z = cd;
    if (z->ahead)
        return ks__ahead_read(z->ahead, a, out);
    *out = z->out;
    return decode(z, a, z->out);
}

static la_ssize_t fill(void *ctx, struct archive *errs, unsigned char *dst) { return decode(ctx, errs, dst); }

static uint64_t taken(void *ctx) { return ((ks_zstd *)ctx)->bytes_in; }

int ks__zstd_start_ahead(ks_zstd *z)
{
    z->ahead = ks__ahead_start(fill, taken, z);
    return z->ahead ? 0 : -1;
}
