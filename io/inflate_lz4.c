/* inflate_lz4.c: lz4 streams decoded with liblz4, a block at a time, for libarchive to frame. libarchive's lz4 filter
 * takes four bytes past a frame to see whether another begins, so where a stream ended (and its trailing data began)
 * was a guess, and it fails on the zero padding the kernel leaves after a legacy stream (initramfs images). Here a
 * frame ends where liblz4 says it does, and the legacy format is read block by block as the lz4 tool reads it. */
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4frame.h>

#include "container.h"
#include "decode_ahead.h"
#include "decode_fail.h"
#include "inflate_lz4.h"

#define FRAME_MAGIC 0x184D2204u
#define LEGACY_MAGIC 0x184C2102u
#define LEGACY_BLOCK (8u << 20)                     /* what a legacy block decompresses to, at most */
#define LEGACY_BOUND LZ4_COMPRESSBOUND(LEGACY_BLOCK) /* a block size past this is none: what follows the stream */
#define FRAME_FIRST_MAX ((4u << 20) + 64u)           /* a frame's header and its first block, at most */
#define LEGACY_LOOK 508u /* of a legacy block, looked at before it is taken for one: a tar header's after the size */

enum state {
    BETWEEN,      /* a frame's magic is gathered (or the stream has ended) */
    SKIP_SIZE,    /* a skippable frame's size is gathered */
    SKIP,         /* a skippable frame's bytes are passed over */
    IN_FRAME,     /* liblz4's frame decoder takes the bytes */
    LEGACY_SIZE,  /* a legacy block's size is gathered: another block, a frame's magic, or the end */
    LEGACY_DATA,  /* a legacy block's compressed bytes are gathered */
    LEGACY_PEEK,  /* a short one did not decode: the bytes after it, to see whether a tar begins at its size */
    LEGACY_OUT    /* a decompressed legacy block is handed out */
};

struct ks_lz4 {
    archive_read_callback *up;
    void *up_data;
    LZ4F_dctx *dctx;
    size_t hint;             /* liblz4's hint: what the frame's next block (or header) takes, at most that is given */
    const unsigned char *in; /* upstream's current piece, not yet taken */
    size_t in_n;
    int up_eof;
    enum state state;
    int started;             /* a frame or a legacy stream began: what is not one after it is trailing data */
    unsigned char word[4];   /* a magic or a size being gathered, begun at word_at in upstream's bytes */
    size_t word_n;
    uint64_t word_at;
    uint64_t skip;           /* a skippable frame's bytes still to pass over */
    unsigned char *lin;      /* a legacy block: its compressed bytes (lin_want of them, lin_n so far) */
    size_t lin_n, lin_want;
    unsigned char *lout;     /* and what they decompressed to (lout_n bytes, handed out up to lout_pos) */
    size_t lout_n, lout_pos;
    int cut;                 /* the block handed out was cut short by upstream's end: what of it could be decoded */
    int whole_only;          /* a cut block gives nothing (ks__lz4_whole_blocks_only) */
    /* the first frame's bytes, kept until it gives some out: liblz4 keeps a block it does not have whole to itself, so
     * a stream cut inside its first block would give nothing (and be scanned as its compressed bytes) */
    unsigned char *first;
    size_t first_n, first_cap;
    int first_done;          /* it gave some out, or more than a block came, or it was no first frame */
    int ended;               /* what followed the stream was none: it ended at end_at */
    uint64_t end_at;
    uint64_t bytes_in;
    ks_decode_fail fail;
    ks_ahead *ahead;
    /* used only when decoding inline (not zeroed, never touched when decoding ahead: no memory then) */
    unsigned char out[KS_AHEAD_BLOCK];
};

ks_lz4 *ks__lz4_new(archive_read_callback *upstream, void *upstream_data)
{
    ks_lz4 *l = malloc(sizeof *l);
    if (!l)
        return NULL;
    memset(l, 0, offsetof(ks_lz4, out));
    l->up = upstream;
    l->up_data = upstream_data;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&l->dctx, LZ4F_VERSION))) {
        free(l);
        return NULL;
    }
    return l;
}

void ks__lz4_free(ks_lz4 *l)
{
    if (!l)
        return;
    ks__ahead_stop(l->ahead);
    LZ4F_freeDecompressionContext(l->dctx);
    free(l->lin);
    free(l->lout);
    free(l->first);
    free(l);
}

void ks__lz4_whole_blocks_only(ks_lz4 *l) { l->whole_only = 1; }

uint64_t ks__lz4_bytes_in(const ks_lz4 *l) { return l->ahead ? ks__ahead_bytes_in(l->ahead) : l->bytes_in; }

/* Written by whoever decodes (the thread ahead too) before it hands out the end, so read after it. */
uint64_t ks__lz4_end(const ks_lz4 *l) { return l->ended ? l->end_at : UINT64_MAX; }

/* liblz4's error, in words ("ERROR_contentChecksum_invalid" is its name for it). */
static const char *lz4f_words(size_t code)
{
    const char *name = LZ4F_getErrorName(code);
    return strstr(name, "ontentChecksum") ? "stream checksum error"
           : strstr(name, "lockChecksum") ? "block checksum error"
           : strstr(name, "decompressionFailed") ? "malformed lz4 data"
           : strncmp(name, "ERROR_", 6) == 0 ? name + 6
                                             : name;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int skippable(uint32_t magic) { return (magic & 0xfffffff0u) == 0x184D2A50u; }

/* Makes upstream bytes available: 1 when there are some, 0 at its end, -1 (with *failed) when it failed. */
static int pull(ks_lz4 *l, struct archive *a, const char **failed)
{
    while (!l->in_n && !l->up_eof) {
        const void *p = NULL;
        la_ssize_t n = l->up(a, l->up_data, &p);
        if (n < 0) {
            const char *e = archive_error_string(a);
            *failed = e ? e : "read failed";
            return -1;
        }
        if (n == 0)
            l->up_eof = 1;
        l->in = p;
        l->in_n = (size_t)(n > 0 ? n : 0);
    }
    return l->in_n > 0;
}

/* Takes up to `want` bytes of upstream's piece (into dst when not NULL); how many. */
static size_t take(ks_lz4 *l, unsigned char *dst, size_t want)
{
    size_t k = want < l->in_n ? want : l->in_n;
    if (dst)
        memcpy(dst, l->in, k);
    l->in += k;
    l->in_n -= k;
    l->bytes_in += k;
    return k;
}

/* Gathers the next 4-byte word; 1 once it is whole. */
static int gather_word(ks_lz4 *l)
{
    if (!l->word_n)
        l->word_at = l->bytes_in;
    l->word_n += take(l, l->word + l->word_n, sizeof l->word - l->word_n);
    if (l->word_n < sizeof l->word)
        return 0;
    l->word_n = 0;
    return 1;
}

/* The stream has ended at word_at: what follows (the word too) is no frame. */
static void end_here(ks_lz4 *l)
{
    l->ended = 1;
    l->end_at = l->word_at;
}

/* What a whole word that may begin a frame begins: a frame (its magic handed to liblz4), a skippable frame, a legacy
 * stream, or nothing (the end, or a failure when no stream began before it). */
static void begin_frame(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap, const char **failed)
{
    uint32_t magic = le32(l->word);
    if (magic == FRAME_MAGIC) {
        size_t dn = cap - *pos, sn = sizeof l->word;
        size_t r = LZ4F_decompress(l->dctx, dst + *pos, &dn, l->word, &sn, NULL);
        if (LZ4F_isError(r)) {
            *failed = lz4f_words(r);
            return;
        }
        *pos += dn;
        l->hint = r;
        l->state = IN_FRAME;
        /* kept for frame_salvage, which a stream tried in trailing data does without */
        if (!l->first_done && !l->whole_only && (l->first = malloc(l->first_cap = 64u << 10))) {
            memcpy(l->first, l->word, sizeof l->word);
            l->first_n = sizeof l->word;
        }
    } else if (skippable(magic)) {
        l->state = SKIP_SIZE;
    } else if (magic == LEGACY_MAGIC) {
        l->state = LEGACY_SIZE;
        l->first_done = 1;
    } else if (l->started) {
        end_here(l);
        return;
    } else {
        *failed = "not an lz4 stream";
        return;
    }
    l->started = 1;
}

/* A whole legacy block size: the block's bytes follow (legacy_ends_here decides on their first ones), or (a frame's
 * magic, zero padding, bytes that are no block size) the legacy stream has ended. */
static void legacy_size(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap, const char **failed)
{
    uint32_t size = le32(l->word);
    if (size == FRAME_MAGIC || size == LEGACY_MAGIC || skippable(size)) {
        begin_frame(l, dst, pos, cap, failed);
        return;
    }
    if (!size || size > LEGACY_BOUND) {
        end_here(l);
        return;
    }
    if (!l->lin && !(l->lin = malloc(LEGACY_BOUND))) {
        *failed = "out of memory for a legacy block";
        return;
    }
    l->lin_n = 0;
    l->lin_want = size;
    l->state = LEGACY_DATA;
}

/* The legacy format has no end marker, and what follows a stream may read as a block size: a gzip member whose header
 * names no file (`tar cz` writes such headers; its flags byte is the size's top byte) and a tar whose first name is
 * three bytes or fewer (`tar -C dir -cf x .` begins with "./"). So a block's first bytes are looked at before it is
 * taken for one (LEGACY_LOOK of them, or all of a smaller one, and LEGACY_LOOK all the same when a smaller one does
 * not decode: a tar named in one byte): 1 when they, with the size, begin such a container (the rest of a gzip
 * header: extra flags 0, 2 or 4, and a known OS; a tar header whose checksum is right), and the stream has ended. A
 * block with such a size and such bytes is as good as never written. Other bytes after a legacy stream whose first
 * four read as a size under 8.4 MB (an .ico's 00 00 01 00) are taken for a block, and said to be corrupt. */
static int gzip_like(const ks_lz4 *l) { return !memcmp(l->word, "\x1f\x8b\x08\x00", 4); }

/* How many of a legacy block's first bytes legacy_ends_here looks at. */
static size_t legacy_look(const ks_lz4 *l)
{
    return gzip_like(l) ? 6 : l->lin_want < LEGACY_LOOK ? l->lin_want : LEGACY_LOOK;
}

/* 1 when the size word and the LEGACY_LOOK bytes gathered after it are a tar header whose checksum is right. */
static int tar_at_word(const ks_lz4 *l)
{
    if (l->lin_n < LEGACY_LOOK)
        return 0;
    unsigned char h[512];
    memcpy(h, l->word, 4);
    memcpy(h + 4, l->lin, LEGACY_LOOK);
    return ks__container_tar_header(h);
}

static int legacy_ends_here(const ks_lz4 *l)
{
    const unsigned char *b = l->lin;
    if (gzip_like(l))
        return l->lin_n >= 6 && (b[4] == 0 || b[4] == 2 || b[4] == 4) && (b[5] <= 13 || b[5] == 255);
    return tar_at_word(l);
}

/* A legacy block gathered whole: decompressed, to be handed out. */
static void legacy_block(ks_lz4 *l, const char **failed)
{
    if (!l->lout && !(l->lout = malloc(LEGACY_BLOCK))) {
        *failed = "out of memory for a legacy block";
        return;
    }
    int n = LZ4_decompress_safe((const char *)l->lin, (char *)l->lout, (int)l->lin_want, (int)LEGACY_BLOCK);
    if (n < 0 && l->lin_want < LEGACY_LOOK) { /* too short to have been looked at: a tar named in 1 byte ("k\0\0\0") */
        l->state = LEGACY_PEEK;
        return;
    }
    if (n < 0) {
        *failed = "corrupt legacy block";
        return;
    }
    l->lout_n = (size_t)n;
    l->lout_pos = 0;
    l->state = LEGACY_OUT;
}

/* The first frame's bytes are no longer kept. */
static void drop_first(ks_lz4 *l)
{
    free(l->first);
    l->first = NULL;
    l->first_done = 1;
}

/* The first `sn` bytes at hand went to the first frame's decoder, which gave `dn` out: kept, until it gives some. */
static void keep_first(ks_lz4 *l, size_t sn, size_t dn)
{
    if (!l->first)
        return;
    if (dn || l->first_n + sn > FRAME_FIRST_MAX) {
        drop_first(l);
        return;
    }
    if (l->first_n + sn > l->first_cap) { /* grown as the block comes: most streams give some out in their first KiB */
        size_t cap = 2 * l->first_cap > l->first_n + sn ? 2 * l->first_cap : l->first_n + sn;
        unsigned char *g = realloc(l->first, cap);
        if (!g) {
            drop_first(l);
            return;
        }
        l->first = g;
        l->first_cap = cap;
    }
    memcpy(l->first + l->first_n, l->in, sn);
    l->first_n += sn;
}

/* The longest prefix of the block whose first `n` bytes are at src (the rest cut off) that decodes, into dst (`cap`
 * bytes of room): found by halving, since a partial decode that needs bytes past those at hand fails and one that
 * stops sooner succeeds. */
static size_t decodable(const unsigned char *src, size_t n, unsigned char *dst, size_t cap)
{
    int lo = 0, hi = (int)cap;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (LZ4_decompress_safe_partial((const char *)src, (char *)dst, (int)n, mid, (int)cap) == mid)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo > 0 && LZ4_decompress_safe_partial((const char *)src, (char *)dst, (int)n, lo, (int)cap) == lo
               ? (size_t)lo
               : 0;
}

/* What decoded of a block cut short (`n` bytes in lout) is handed out; then the stream is said to be cut. */
static void hand_out_cut(ks_lz4 *l, size_t n)
{
    if (!n)
        return;
    l->lout_n = n;
    l->lout_pos = 0;
    l->cut = 1;
    l->state = LEGACY_OUT;
}

/* A legacy block cut short by upstream's end (a partial download): as much of it as decodes, handed out before the
 * stream is said to be cut. A whole block is 8 MiB: its first bytes may hold a tar's first members. */
static void legacy_salvage(ks_lz4 *l)
{
    if (l->lout || (l->lout = malloc(LEGACY_BLOCK)))
        hand_out_cut(l, decodable(l->lin, l->lin_n, l->lout, LEGACY_BLOCK));
}

/* The first frame cut short inside its first block, which liblz4 kept to itself: the block read from the bytes kept
 * (after the frame's header: FLG, BD, the content size and dictionary id when FLG says, the header checksum), as
 * much of it as decodes (or, stored, as came) handed out before the stream is said to be cut. */
static void frame_salvage(ks_lz4 *l)
{
    const unsigned char *h = l->first;
    size_t n = l->first_n;
    if (n < 7)
        return;
    unsigned flg = h[4], bd = (h[5] >> 4) & 7u;
    size_t at = 7 + (flg & 8u ? 8 : 0) + (flg & 1u ? 4 : 0);
    if (bd < 4 || at + 4 > n)
        return;
    uint32_t word = le32(h + at);
    size_t size = word & 0x7fffffffu, max = (size_t)64 << (10 + 2 * (bd - 4)), have = n - at - 4;
    if (!size || size > max || !(l->lout || (l->lout = malloc(LEGACY_BLOCK))))
        return;
    if (have > size) /* the block whole, cut in its checksum (-BX) */
        have = size;
    if (word >> 31) { /* stored as it is */
        memcpy(l->lout, h + at + 4, have);
        hand_out_cut(l, have);
    } else {
        hand_out_cut(l, decodable(h + at + 4, have, l->lout, max));
    }
}

/* At upstream's end inside a frame: what liblz4 still holds of a block it had whole (it gives a big block out a piece
 * at a time), into dst; 1 when it gave some. */
static int drain(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap)
{
    size_t dn = cap - *pos, sn = 0;
    size_t r = LZ4F_decompress(l->dctx, dst + *pos, &dn, l->word, &sn, NULL);
    if (LZ4F_isError(r) || !dn)
        return 0;
    *pos += dn;
    drop_first(l);
    return 1;
}

/* At upstream's end: the stream's end, trailing bytes too few to be a word, or a stream cut short. */
static void at_upstream_end(ks_lz4 *l, const char **failed)
{
    if ((l->state == BETWEEN || l->state == LEGACY_SIZE) && l->started) {
        if (l->word_n)
            end_here(l);
        return;
    }
    if (l->state == BETWEEN && !l->word_n)
        return; /* nothing at all */
    if (l->state == LEGACY_PEEK) {
        *failed = "corrupt legacy block";
        return;
    }
    if (l->state == LEGACY_DATA && gzip_like(l) && l->lin_n < 6) { /* too short to tell: a gzip's first bytes */
        end_here(l);
        return;
    }
    if (l->state == LEGACY_DATA && l->lin_n && !l->whole_only)
        legacy_salvage(l);
    else if (l->state == IN_FRAME && l->first && !l->whole_only)
        frame_salvage(l);
    if (l->cut)
        return;
    *failed = "truncated lz4 input";
}

/* The next decompressed bytes into dst (KS_AHEAD_BLOCK of room). */
static la_ssize_t decode(ks_lz4 *l, struct archive *a, unsigned char *dst)
{
    if (ks__decode_fail_due(&l->fail, a))
        return -1;
    size_t pos = 0, cap = KS_AHEAD_BLOCK;
    const char *failed = NULL;
    while (pos < cap && !l->ended && !failed) {
        if (l->state == LEGACY_OUT) {
            size_t k = l->lout_n - l->lout_pos < cap - pos ? l->lout_n - l->lout_pos : cap - pos;
            memcpy(dst + pos, l->lout + l->lout_pos, k);
            pos += k;
            l->lout_pos += k;
            if (l->lout_pos == l->lout_n) {
                l->state = LEGACY_SIZE;
                if (l->cut)
                    failed = "truncated lz4 input";
            }
            continue;
        }
        int r = pull(l, a, &failed);
        if (r < 0)
            break;
        if (!r) {
            if (l->state == IN_FRAME && drain(l, dst, &pos, cap))
                continue; /* a block it had whole, given out before the cut is said */
            at_upstream_end(l, &failed);
            if (l->state == LEGACY_OUT && !failed)
                continue; /* what a cut block held */
            break;
        }
        switch (l->state) {
        case BETWEEN:
            if (gather_word(l))
                begin_frame(l, dst, &pos, cap, &failed);
            break;
        case SKIP_SIZE:
            if (gather_word(l)) {
                l->skip = le32(l->word);
                l->state = l->skip ? SKIP : BETWEEN; /* an empty one ends where its size does */
            }
            break;
        case SKIP:
            l->skip -= take(l, NULL, l->skip < l->in_n ? (size_t)l->skip : l->in_n);
            if (!l->skip)
                l->state = BETWEEN;
            break;
        case IN_FRAME: {
            /* a block at a time: liblz4 says nothing of what it wrote in a call that fails, so a bad block (or
             * checksum) given together with good ones would take their bytes with it */
            size_t dn = cap - pos, sn = l->in_n < l->hint ? l->in_n : l->hint;
            size_t hint = LZ4F_decompress(l->dctx, dst + pos, &dn, l->in, &sn, NULL);
            keep_first(l, sn, dn);
            take(l, NULL, sn);
            pos += dn;
            if (LZ4F_isError(hint)) {
                failed = lz4f_words(hint);
            } else if (!hint) {
                l->state = BETWEEN; /* liblz4 stopped exactly at the frame's end */
                drop_first(l);
            } else {
                l->hint = hint;
            }
            break;
        }
        case LEGACY_SIZE:
            if (gather_word(l))
                legacy_size(l, dst, &pos, cap, &failed);
            break;
        case LEGACY_DATA: {
            /* its first bytes alone first (as few as can be read again from what the source keeps, should they
             * begin what follows the stream), then the rest */
            size_t look = legacy_look(l), was = l->lin_n;
            l->lin_n += take(l, l->lin + l->lin_n, (l->lin_n < look ? look : l->lin_want) - l->lin_n);
            if (was < look && l->lin_n >= look && legacy_ends_here(l)) {
                end_here(l);
                break;
            }
            if (l->lin_n == l->lin_want)
                legacy_block(l, &failed);
            break;
        }
        case LEGACY_PEEK:
            l->lin_n += take(l, l->lin + l->lin_n, LEGACY_LOOK - l->lin_n);
            if (l->lin_n < LEGACY_LOOK)
                break;
            if (tar_at_word(l))
                end_here(l);
            else
                failed = "corrupt legacy block";
            break;
        case LEGACY_OUT:
            break;
        }
    }
    return ks__decode_fail_after(&l->fail, a, "lz4", failed, pos);
}

la_ssize_t ks__lz4_read(struct archive *a, void *cd, const void **out)
{
    ks_lz4 *l = cd;
    if (l->ahead)
        return ks__ahead_read(l->ahead, a, out);
    *out = l->out;
    return decode(l, a, l->out);
}

static la_ssize_t fill(void *ctx, struct archive *errs, unsigned char *dst) { return decode(ctx, errs, dst); }

static uint64_t taken(void *ctx) { return ((ks_lz4 *)ctx)->bytes_in; }

int ks__lz4_start_ahead(ks_lz4 *l)
{
    l->ahead = ks__ahead_start(fill, taken, l);
    return l->ahead ? 0 : -1;
}
