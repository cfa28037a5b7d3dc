/* inflate_lz4.c: lz4 streams decoded with liblz4, a block at a time, for libarchive to frame. libarchive's lz4 filter
 * takes four bytes past a frame to see whether another begins, so where a stream ended (and its trailing data began)
 * was a guess, and it fails on the zero padding the kernel leaves after a legacy stream (initramfs images). Here a
 * frame's blocks are found by reading their sizes, each handed to liblz4 whole (which checks the checksums), so a frame
 * ends where it does and a block cut short (a partial download) is at hand to decode what it can of; the legacy format
 * is read block by block as the lz4 tool reads it. */
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <lz4frame.h>

#include "container.h"
#include "decode_ahead.h"
#include "decode_fail.h"
#include "inflate_lz4.h"
#include "le_bytes.h"

#define FRAME_MAGIC 0x184D2204u
#define LEGACY_MAGIC 0x184C2102u
#define LEGACY_BLOCK (8u << 20)                     /* what a legacy block decompresses to, at most */
#define LEGACY_BOUND LZ4_COMPRESSBOUND(LEGACY_BLOCK) /* a block size past this is none: what follows the stream */
#define FRAME_HEAD_MAX 19u                           /* magic, FLG, BD, content size, dictionary id, checksum */
#define FRAME_WINDOW (64u << 10)                     /* how far back a linked block's matches reach */
#define LEGACY_LOOK 508u /* of a legacy block, looked at before it is taken for one: a tar header's after the size */

enum state {
    BETWEEN,      /* a frame's magic is gathered (or the stream has ended) */
    SKIP_SIZE,    /* a skippable frame's size is gathered */
    SKIP,         /* a skippable frame's bytes are passed over */
    FRAME_HEAD,   /* a frame's header is gathered, then handed to liblz4 whole */
    FRAME_UNIT,   /* a block (size word, bytes, checksum) or the end mark (and checksum) is gathered */
    FRAME_FEED,   /* the unit, whole (in upstream's piece or gathered), is handed to liblz4 */
    FRAME_STORED, /* a stored block's bytes (and checksum), handed to liblz4 as they come: it passes them on so */
    LEGACY_SIZE,  /* a legacy block's size is gathered: another block, a frame's magic, or the end */
    LEGACY_DATA,  /* a legacy block's compressed bytes are gathered */
    LEGACY_PEEK,  /* a short one did not decode: the bytes after it, to see whether a tar begins at its size */
    LEGACY_OUT    /* a decompressed legacy block is handed out */
};

struct ks_lz4 {
    archive_read_callback *up;
    void *up_data;
    LZ4F_dctx *dctx;
    const unsigned char *in; /* upstream's current piece, not yet taken */
    size_t in_n;
    int up_eof;
    enum state state;
    int started;             /* a frame or a legacy stream began: what is not one after it is trailing data */
    unsigned char word[4];   /* a magic or a size being gathered, begun at word_at in upstream's bytes */
    size_t word_n;
    uint64_t word_at;
    uint64_t skip;           /* a skippable frame's bytes still to pass over */
    unsigned char head[FRAME_HEAD_MAX]; /* a frame's header (head_n bytes of it so far) */
    size_t head_n;
    size_t block_max;        /* of the frame: what its blocks decompress to, at most (its BD) */
    int linked;              /* its blocks' matches reach into the blocks before them */
    int sums;                /* its blocks end in a checksum */
    int end_sum;             /* it ends in a checksum of its content */
    /* a unit (unit bytes: a block's size word, bytes and checksum, or the end mark and the frame's checksum): gathered
     * in unit_buf when upstream's piece does not hold it whole (unit_n bytes so far), and handed to liblz4 from there
     * or from the piece (feed_left bytes of it still to give) */
    unsigned char *unit_buf;
    size_t unit_n, unit_cap, unit, feed_left;
    size_t stored_left;      /* a stored block not whole in the piece: its bytes and checksum, after its size word */
    int from_buf;
    int pending;             /* liblz4 may still hold output of the unit given last: drained before the next */
    /* of a linked frame, the last FRAME_WINDOW bytes decoded: what a block cut short may refer back to */
    unsigned char *hist;
    size_t hist_n;
    size_t hist_from;        /* where in the bytes given out by this call hist goes on from */
    unsigned char *lin;      /* a legacy block: its compressed bytes (lin_want of them, lin_n so far) */
    size_t lin_n, lin_want;
    unsigned char *lout;     /* and what they decompressed to (lout_n bytes, handed out up to lout_pos) */
    size_t lout_n, lout_pos;
    int cut;                 /* the block handed out was cut short by upstream's end: what of it could be decoded */
    int whole_only;          /* a cut block gives nothing (ks__lz4_whole_blocks_only) */
    int known;               /* lz4 for sure: a frame's header liblz4 took, or the legacy magic and a block size */
    int blameless;           /* the failure was upstream's (a parent archive cut short) or memory's, not the stream's */
    int ran_out;             /* the failure is upstream's end inside the stream (CUT_SHORT), not damage in it */
    uint64_t unit_at;        /* where in upstream's bytes the unit fed to liblz4 began */
    int end_mark;            /* it is the frame's end mark (and content checksum) */
    uint64_t call_at;        /* and the bytes given to its latest call (a stored block's) */
    int mid;                 /* it failed so in its middle: the bytes from damage_at on gave no output */
    uint64_t damage_at;
    const unsigned char *held; /* the first held_n of them, gathered here (unit_buf or lin); NULL: in upstream's piece */
    size_t held_n;
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
    free(l->unit_buf);
    free(l->hist);
    free(l);
}

void ks__lz4_whole_blocks_only(ks_lz4 *l) { l->whole_only = 1; }

uint64_t ks__lz4_bytes_in(const ks_lz4 *l) { return l->ahead ? ks__ahead_bytes_in(l->ahead) : l->bytes_in; }

/* Written by whoever decodes (the thread ahead too) before it hands out the end, so read after it. */
uint64_t ks__lz4_end(const ks_lz4 *l) { return l->ended ? l->end_at : UINT64_MAX; }

/* As ks__lz4_end, read once a read failed. */
const char *ks__lz4_damaged(const ks_lz4 *l)
{
    if (!ks__ahead_settled(l->ahead))
        return NULL;
    return l->known && !l->blameless && l->fail.err[0] ? l->fail.err : NULL;
}

/* As ks__lz4_end. */
uint64_t ks__lz4_damage_at(const ks_lz4 *l, const void **held, size_t *held_n)
{
    /* decoding ahead, its thread wrote them before the failure the reader was handed: not read before that */
    int mid = ks__ahead_settled(l->ahead) && l->mid;
    *held = mid ? l->held : NULL;
    *held_n = mid ? l->held_n : 0;
    return mid && ks__lz4_damaged(l) ? l->damage_at : UINT64_MAX;
}

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

static int skippable(uint32_t magic) { return (magic & 0xfffffff0u) == 0x184D2A50u; }

#define CUT_SHORT "truncated lz4 input"

/* Fails for upstream's end inside the stream: it was cut short, which is not damage in it. */
static void cut_short(ks_lz4 *l, const char **failed)
{
    l->ran_out = 1;
    *failed = CUT_SHORT;
}

/* Fails for want of memory: not the stream's fault. */
static void no_memory(ks_lz4 *l, const char **failed, const char *what)
{
    l->blameless = 1;
    *failed = what;
}

/* Makes upstream bytes available: 1 when there are some, 0 at its end, -1 (with *failed) when it failed. */
static int pull(ks_lz4 *l, struct archive *a, const char **failed)
{
    while (!l->in_n && !l->up_eof) {
        const void *p = NULL;
        la_ssize_t n = l->up(a, l->up_data, &p);
        if (n < 0) {
            const char *e = archive_error_string(a);
            *failed = e ? e : "read failed";
            l->blameless = 1;
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

/* What a whole word that may begin a frame begins: a frame (its header gathered next), a skippable frame, a legacy
 * stream, or nothing (the end, or a failure when no stream began before it). */
static void begin_frame(ks_lz4 *l, const char **failed)
{
    uint32_t magic = ks__le32(l->word);
    if (magic == FRAME_MAGIC) {
        memcpy(l->head, l->word, sizeof l->word);
        l->head_n = sizeof l->word;
        l->state = FRAME_HEAD;
    } else if (skippable(magic)) {
        l->state = SKIP_SIZE;
    } else if (magic == LEGACY_MAGIC) {
        l->state = LEGACY_SIZE;
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
static void legacy_size(ks_lz4 *l, const char **failed)
{
    uint32_t size = ks__le32(l->word);
    if (size == FRAME_MAGIC || size == LEGACY_MAGIC || skippable(size)) {
        begin_frame(l, failed);
        return;
    }
    if (!size || size > LEGACY_BOUND) {
        end_here(l);
        return;
    }
    l->lin_n = 0;
    l->lin_want = size;
    l->state = LEGACY_DATA;
    l->known = 1;
}

/* lin, where a legacy block is gathered when upstream's piece does not hold it whole (with room for its size word
 * before it: note_damage); 0 when out of memory. */
static int lin_room(ks_lz4 *l) { return l->lin || (l->lin = malloc(LEGACY_BOUND + sizeof l->word)); }

/* The legacy format has no end marker, and what follows a stream may read as a block size: a gzip member whose header
 * names no file (`tar cz` writes such headers; its flags byte is the size's top byte) and a tar whose first name is
 * three bytes or fewer (`tar -C dir -cf x .` begins with "./"). So a block's first bytes are looked at before it is
 * taken for one (LEGACY_LOOK of them, or all of a smaller one, and LEGACY_LOOK all the same when a smaller one does
 * not decode: a tar named in one byte): 1 when they, with the size, begin such a container (the rest of a gzip
 * header: extra flags 0, 2 or 4, and a known OS; a tar header whose checksum is right), and the stream has ended. A
 * block with such a size and such bytes is as good as never written. Other bytes after a legacy stream whose first
 * four read as a size under 8.4 MB (an .ico's 00 00 01 00) are taken for a block, said to be corrupt or cut, and (when
 * none of it decodes) left to the caller to scan as they are (ks__lz4_damage_at). */
static int gzip_like(const ks_lz4 *l) { return !memcmp(l->word, "\x1f\x8b\x08\x00", 4); }

/* How many of a legacy block's first bytes legacy_ends_here looks at. */
static size_t legacy_look(const ks_lz4 *l)
{
    return gzip_like(l) ? 6 : l->lin_want < LEGACY_LOOK ? l->lin_want : LEGACY_LOOK;
}

/* 1 when the size word and the `n` bytes at b after it are a tar header whose checksum is right. */
static int tar_at_word(const ks_lz4 *l, const unsigned char *b, size_t n)
{
    if (n < LEGACY_LOOK)
        return 0;
    unsigned char h[512];
    memcpy(h, l->word, 4);
    memcpy(h + 4, b, LEGACY_LOOK);
    return ks__container_tar_header(h);
}

/* Whether the block's first `n` bytes (at b) begin what follows the stream. */
static int legacy_ends_here(const ks_lz4 *l, const unsigned char *b, size_t n)
{
    if (gzip_like(l))
        return n >= 6 && (b[4] == 0 || b[4] == 2 || b[4] == 4) && (b[5] <= 13 || b[5] == 255);
    return tar_at_word(l, b, n);
}

/* A legacy block whole at src (lin, or upstream's piece): decompressed, to be handed out. */
static void legacy_block(ks_lz4 *l, const unsigned char *src, const char **failed)
{
    if (!l->lout && !(l->lout = malloc(LEGACY_BLOCK))) {
        no_memory(l, failed, "out of memory for a legacy block");
        return;
    }
    int n = LZ4_decompress_safe((const char *)src, (char *)l->lout, (int)l->lin_want, (int)LEGACY_BLOCK);
    if (n < 0 && l->lin_want < LEGACY_LOOK) { /* too short to have been looked at: a tar named in 1 byte ("k\0\0\0") */
        if (src != l->lin) {
            if (!lin_room(l)) {
                no_memory(l, failed, "out of memory for a legacy block");
                return;
            }
            memcpy(l->lin, src, l->lin_want);
            l->lin_n = l->lin_want;
        }
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

/* A legacy block's bytes: read where they lie when upstream's piece holds them all, else gathered in lin (its first
 * bytes alone first, as few as can be read again from what the source keeps, should they begin what follows). */
static void legacy_data(ks_lz4 *l, const char **failed)
{
    if (!l->lin_n && l->in_n >= l->lin_want) {
        if (legacy_ends_here(l, l->in, l->lin_want)) {
            end_here(l);
            return;
        }
        legacy_block(l, l->in, failed);
        take(l, NULL, l->lin_want);
        return;
    }
    if (!lin_room(l)) {
        no_memory(l, failed, "out of memory for a legacy block");
        return;
    }
    size_t look = legacy_look(l), was = l->lin_n;
    l->lin_n += take(l, l->lin + l->lin_n, (l->lin_n < look ? look : l->lin_want) - l->lin_n);
    if (was < look && l->lin_n >= look && legacy_ends_here(l, l->lin, l->lin_n)) {
        end_here(l);
        return;
    }
    if (l->lin_n == l->lin_want)
        legacy_block(l, l->lin, failed);
}

/* A frame's header, gathered (FLG says how long it is) and then handed to liblz4 whole, which checks it. */
static size_t head_len(unsigned flg) { return 7 + (flg & 8u ? 8 : 0) + (flg & 1u ? 4 : 0); }

static void frame_head(ks_lz4 *l, const char **failed)
{
    size_t want = l->head_n < 5 ? 5 : head_len(l->head[4]);
    l->head_n += take(l, l->head + l->head_n, want - l->head_n);
    if (l->head_n < 5 || l->head_n < head_len(l->head[4]))
        return;
    size_t dn = 0, sn = l->head_n;
    size_t r = LZ4F_decompress(l->dctx, l->word, &dn, l->head, &sn, NULL);
    if (LZ4F_isError(r)) {
        *failed = lz4f_words(r);
        return;
    }
    unsigned flg = l->head[4], bd = (l->head[5] >> 4) & 7u; /* liblz4 took it: BD is 4 to 7 */
    l->block_max = (size_t)64 << (10 + 2 * (bd - 4));
    l->linked = !(flg & 0x20u);
    l->sums = (flg & 0x10u) != 0;
    l->end_sum = (flg & 0x04u) != 0;
    l->hist_n = 0;
    l->unit_n = 0;
    l->state = FRAME_UNIT;
    l->known = 1;
}

/* The size of the unit that word w begins: a block's size word, bytes and checksum; or the end mark and the frame's
 * checksum. A size past the frame's blocks is a unit of its word alone, for liblz4 to refuse. */
static size_t unit_size(const ks_lz4 *l, uint32_t w)
{
    size_t size = w & 0x7fffffffu;
    if (!w)
        return 4 + (l->end_sum ? 4 : 0);
    return size > l->block_max ? 4 : 4 + size + (l->sums ? 4 : 0);
}

/* unit_buf, room for `n` bytes; 0 when out of memory. */
static int unit_room(ks_lz4 *l, size_t n)
{
    if (n <= l->unit_cap)
        return 1;
    unsigned char *g = realloc(l->unit_buf, n);
    if (!g)
        return 0;
    l->unit_buf = g;
    l->unit_cap = n;
    return 1;
}

/* The unit's first `n` bytes (at hand: in upstream's piece, or in unit_buf when from_buf) are handed to liblz4 next. */
static void feed_next(ks_lz4 *l, size_t n, int from_buf)
{
    l->unit_at = l->bytes_in - (from_buf ? n : 0);
    l->feed_left = n;
    l->from_buf = from_buf;
    l->state = FRAME_FEED;
}

/* A stored block: its size word (the unit's) alone, its bytes then as they come (liblz4 passes them on as it gets
 * them, so a cut one has given out all that came: no 4 MiB gathered for it), and its checksum on its own (a bad one
 * takes none of them with it, whether the block came whole or not). Not for a stream tried in trailing data, where a
 * cut block gives nothing: there it is gathered like any other. */
static int stored_streams(const ks_lz4 *l, uint32_t w) { return w >> 31 && l->unit > 4 && !l->whole_only; }

static void stored_next(ks_lz4 *l, int from_buf)
{
    l->stored_left = l->unit - 4;
    l->unit = 4;
    feed_next(l, 4, from_buf);
}

/* The next unit: handed over where it lies when upstream's piece holds it whole, else gathered in unit_buf. */
static void frame_unit(ks_lz4 *l, const char **failed)
{
    if (!l->unit_n && l->in_n >= 4) {
        uint32_t w = ks__le32(l->in);
        l->unit = unit_size(l, w);
        l->end_mark = !w;
        if (stored_streams(l, w))
            stored_next(l, 0);
        else if (l->in_n >= l->unit)
            feed_next(l, l->unit, 0);
        if (l->state != FRAME_UNIT)
            return;
    }
    if (l->unit_n < 4) {
        if (!unit_room(l, 4)) {
            no_memory(l, failed, "out of memory for an lz4 block");
            return;
        }
        l->unit_n += take(l, l->unit_buf + l->unit_n, 4 - l->unit_n);
        if (l->unit_n < 4)
            return;
        l->unit = unit_size(l, ks__le32(l->unit_buf));
        l->end_mark = !ks__le32(l->unit_buf);
        if (stored_streams(l, ks__le32(l->unit_buf))) {
            stored_next(l, 1);
            return;
        }
        if (!unit_room(l, l->unit)) {
            no_memory(l, failed, "out of memory for an lz4 block");
            return;
        }
    }
    l->unit_n += take(l, l->unit_buf + l->unit_n, l->unit - l->unit_n);
    if (l->unit_n == l->unit)
        feed_next(l, l->unit, 1);
}

/* liblz4 given *sn bytes of src (it takes what it will: *sn is then what it took), its output counted into *pos;
 * returns its hint (0: the frame ended), or says its error in *failed. */
static size_t lz4f_call(ks_lz4 *l, const unsigned char *src, size_t *sn, unsigned char *dst, size_t *pos, size_t cap,
                        const char **failed)
{
    size_t room = cap - *pos, dn = room;
    size_t r = LZ4F_decompress(l->dctx, dst + *pos, &dn, src, sn, NULL);
    *pos += dn;
    l->pending = dn == room;
    if (LZ4F_isError(r))
        *failed = lz4f_words(r);
    return r;
}

/* What liblz4 still holds of the unit given last (a big block given out a piece at a time), into dst. */
static void flush(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap, const char **failed)
{
    size_t sn = 0;
    lz4f_call(l, l->word, &sn, dst, pos, cap, failed);
}

/* The unit at hand (feed_left bytes of it not yet taken) to liblz4, once it holds nothing of the one before: a unit
 * at a time, since liblz4 says nothing of what it wrote in a call that fails, and a bad block (or checksum) given
 * together with good ones would take their bytes with it. */
static void feed(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap, const char **failed)
{
    const unsigned char *src = l->from_buf ? l->unit_buf + (l->unit - l->feed_left) : l->in;
    size_t sn = l->feed_left, was = *pos;
    size_t r = lz4f_call(l, src, &sn, dst, pos, cap, failed);
    if (!l->from_buf)
        take(l, NULL, sn);
    l->feed_left -= sn;
    if (*failed) {
        return;
    } else if (!r) {
        l->state = BETWEEN; /* liblz4 stopped exactly at the frame's end, with nothing held */
        l->pending = 0;
    } else if (!l->feed_left) {
        l->unit_n = 0;
        l->state = l->stored_left ? FRAME_STORED : FRAME_UNIT;
    } else if (!sn && *pos == was) {
        *failed = "lz4 frame decoder made no progress"; /* never seen: guards against a loop */
    }
}

/* A stored block's next bytes at hand, to liblz4: its checksum on its own, so that a bad one takes no bytes with it. */
static void frame_stored(ks_lz4 *l, unsigned char *dst, size_t *pos, size_t cap, const char **failed)
{
    size_t sum = l->sums ? 4 : 0, give = l->stored_left > sum ? l->stored_left - sum : l->stored_left;
    size_t sn = give < l->in_n ? give : l->in_n, was = *pos;
    l->call_at = l->bytes_in;
    lz4f_call(l, l->in, &sn, dst, pos, cap, failed);
    take(l, NULL, sn);
    l->stored_left -= sn;
    if (*failed)
        return;
    if (!l->stored_left)
        l->state = FRAME_UNIT;
    else if (!sn && *pos == was)
        *failed = "lz4 frame decoder made no progress";
}

/* Of a linked frame, the bytes it gave out in this call since hist_from (dst's): its last FRAME_WINDOW remembered,
 * which a block cut short may refer back to. */
static void remember(ks_lz4 *l, const unsigned char *dst, size_t pos)
{
    size_t n = pos - l->hist_from;
    const unsigned char *p = dst + l->hist_from;
    l->hist_from = pos;
    int in_frame = l->state == FRAME_UNIT || l->state == FRAME_FEED || l->state == FRAME_STORED;
    if (!n || !l->linked || !in_frame || l->whole_only ||
        !(l->hist || (l->hist = malloc(FRAME_WINDOW))))
        return;
    if (n >= FRAME_WINDOW) {
        memcpy(l->hist, p + n - FRAME_WINDOW, FRAME_WINDOW);
        l->hist_n = FRAME_WINDOW;
        return;
    }
    size_t keep = FRAME_WINDOW - n < l->hist_n ? FRAME_WINDOW - n : l->hist_n;
    memmove(l->hist, l->hist + l->hist_n - keep, keep);
    memcpy(l->hist + keep, p, n);
    l->hist_n = keep + n;
}

/* The longest prefix of the block whose first `n` bytes are at src (the rest cut off) that decodes, into dst (`cap`
 * bytes of room), with the `dict_n` bytes before the block at dict: found by halving, since a partial decode that
 * needs bytes past those at hand fails and one that stops sooner succeeds. */
static size_t decodable(const unsigned char *src, size_t n, unsigned char *dst, size_t cap, const unsigned char *dict,
                        size_t dict_n)
{
    const char *s = (const char *)src, *d = (const char *)dict;
    int lo = 0, hi = (int)cap;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (LZ4_decompress_safe_partial_usingDict(s, (char *)dst, (int)n, mid, (int)cap, d, (int)dict_n) == mid)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo > 0 && LZ4_decompress_safe_partial_usingDict(s, (char *)dst, (int)n, lo, (int)cap, d, (int)dict_n) == lo
               ? (size_t)lo
               : 0;
}

/* What decoded of a block cut short (`n` bytes in lout, from `have` bytes of it) is handed out; then the stream is said
 * to be cut. Unless it is less than half of them: lz4 never gives fewer bytes out than it took in (a literal costs one
 * byte and a match less than its length), so most of them are no lz4 at all (what follows a legacy stream, taken for a
 * block: a gzip whose OS byte legacy_ends_here does not know), and they are left to be scanned as they are
 * (ks__lz4_damage_at). */
static void hand_out_cut(ks_lz4 *l, size_t n, size_t have)
{
    if (!n || n < have / 2)
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
        hand_out_cut(l, decodable(l->lin, l->lin_n, l->lout, LEGACY_BLOCK, NULL, 0), l->lin_n);
}

/* A frame's block cut short by upstream's end (a partial download), which liblz4 never had whole: as much of it as
 * decodes (with the frame's last FRAME_WINDOW bytes before it, when its blocks are linked), handed out before the
 * stream is said to be cut. A block of 4 MiB may hold many of a tar's members. (A stored one was given out as it
 * came, or, in trailing data, gives nothing.) */
static void frame_salvage(ks_lz4 *l)
{
    if (l->unit_n <= 4)
        return;
    uint32_t w = ks__le32(l->unit_buf);
    size_t size = w & 0x7fffffffu, have = l->unit_n - 4;
    if (!w || w >> 31 || size > l->block_max || !(l->lout || (l->lout = malloc(LEGACY_BLOCK)))) /* stored: given */
        return;
    if (have > size) /* the block whole, cut in its checksum (-BX) */
        have = size;
    const unsigned char *dict = l->linked ? l->hist : NULL;
    hand_out_cut(l, decodable(l->unit_buf + 4, have, l->lout, l->block_max, dict, dict ? l->hist_n : 0), have);
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
    else if (l->state == FRAME_UNIT && !l->whole_only)
        frame_salvage(l);
    if (l->cut)
        return;
    cut_short(l, failed);
}

/* A failure in the stream's middle, for damage in it or a cut block none of which decoded (bytes after a legacy stream
 * taken for a block: an .ico's 00 00 01 00): where the bytes no output came from begin (the unit or block being
 * decoded, whose output liblz4 never gives out in part), and those of them gathered here. Not for a cut block that gave
 * some out (its bytes would be scanned twice). */
static void note_damage(ks_lz4 *l)
{
    int cut = l->ran_out;
    if (!l->known || l->blameless || (l->cut && cut) || l->mid)
        return;
    l->mid = 1;
    l->held = NULL;
    l->held_n = 0;
    switch (l->state) {
    case FRAME_FEED:
        l->damage_at = l->unit_at + (l->end_mark ? l->unit : 0); /* a content checksum: all was given out */
        if (l->from_buf && !l->end_mark) {
            l->held = l->unit_buf;
            l->held_n = l->unit;
        }
        break;
    case FRAME_STORED: /* its checksum (its bytes were given out as they came); cut: nothing is left */
        l->damage_at = cut ? l->bytes_in : l->call_at;
        break;
    case FRAME_UNIT: /* cut */
        l->damage_at = l->bytes_in - l->unit_n;
        l->held = l->unit_buf;
        l->held_n = l->unit_n;
        break;
    case LEGACY_DATA:
    case LEGACY_PEEK: /* the block's size word and bytes: what follows a legacy stream may begin there (a gzip) */
        l->damage_at = l->word_at;
        if (l->lin_n) { /* gathered: the size word put back before them */
            memmove(l->lin + sizeof l->word, l->lin, l->lin_n);
            memcpy(l->lin, l->word, sizeof l->word);
            l->held = l->lin;
            l->held_n = l->lin_n + sizeof l->word;
        }
        break;
    case FRAME_HEAD: /* a frame's header, gathered from its magic on */
        l->damage_at = l->word_at;
        l->held = l->head;
        l->held_n = l->head_n;
        break;
    default: /* a skippable frame: what follows it */
        l->damage_at = l->bytes_in;
        break;
    }
}

/* The next decompressed bytes into dst (KS_AHEAD_BLOCK of room). `in_place`: a decoded legacy block is left for
 * ks__lz4_read to hand out where it lies (decoding inline), not copied into dst. */
static la_ssize_t decode(ks_lz4 *l, struct archive *a, unsigned char *dst, int in_place)
{
    if (ks__decode_fail_due(&l->fail, a))
        return -1;
    size_t pos = 0, cap = KS_AHEAD_BLOCK;
    const char *failed = NULL;
    l->hist_from = 0;
    while (pos < cap && !l->ended && !failed) {
        if (l->state == LEGACY_OUT) {
            if (in_place)
                break;
            size_t k = l->lout_n - l->lout_pos < cap - pos ? l->lout_n - l->lout_pos : cap - pos;
            memcpy(dst + pos, l->lout + l->lout_pos, k);
            pos += k;
            l->lout_pos += k;
            if (l->lout_pos == l->lout_n) {
                l->state = LEGACY_SIZE;
                if (l->cut)
                    cut_short(l, &failed);
            }
            continue;
        }
        if (l->pending && (l->state == FRAME_FEED || l->state == FRAME_STORED)) {
            flush(l, dst, &pos, cap, &failed); /* liblz4 holds output of the unit before: out first */
            continue;
        }
        if (l->state == FRAME_FEED) { /* a unit whole at hand: upstream is not read */
            feed(l, dst, &pos, cap, &failed);
            continue;
        }
        int r = pull(l, a, &failed);
        if (r < 0)
            break;
        if (!r) {
            if (l->pending) {
                flush(l, dst, &pos, cap, &failed); /* a block it had whole, given out before the cut is said */
                continue;
            }
            remember(l, dst, pos);
            at_upstream_end(l, &failed);
            if (l->state == LEGACY_OUT && !failed)
                continue; /* what a cut block held */
            break;
        }
        switch (l->state) {
        case BETWEEN:
            if (gather_word(l))
                begin_frame(l, &failed);
            break;
        case SKIP_SIZE:
            if (gather_word(l)) {
                l->skip = ks__le32(l->word);
                l->state = l->skip ? SKIP : BETWEEN; /* an empty one ends where its size does */
            }
            break;
        case SKIP:
            l->skip -= take(l, NULL, l->skip < l->in_n ? (size_t)l->skip : l->in_n);
            if (!l->skip)
                l->state = BETWEEN;
            break;
        case FRAME_HEAD:
            frame_head(l, &failed);
            l->hist_from = pos; /* what the frame gives out begins here */
            break;
        case FRAME_UNIT:
            frame_unit(l, &failed);
            break;
        case FRAME_STORED:
            frame_stored(l, dst, &pos, cap, &failed);
            break;
        case LEGACY_SIZE:
            if (gather_word(l))
                legacy_size(l, &failed);
            break;
        case LEGACY_DATA:
            legacy_data(l, &failed);
            break;
        case LEGACY_PEEK:
            l->lin_n += take(l, l->lin + l->lin_n, LEGACY_LOOK - l->lin_n);
            if (l->lin_n < LEGACY_LOOK)
                break;
            if (tar_at_word(l, l->lin, l->lin_n))
                end_here(l);
            else
                failed = "corrupt legacy block";
            break;
        case FRAME_FEED:
        case LEGACY_OUT:
            break;
        }
    }
    remember(l, dst, pos);
    if (failed)
        note_damage(l);
    return ks__decode_fail_after(&l->fail, a, "lz4", failed, pos);
}

/* Decoding inline, a decoded legacy block (up to 8 MiB) is handed out where it lies, not copied a piece at a time. */
static la_ssize_t hand_out_in_place(ks_lz4 *l, struct archive *a, const void **out)
{
    size_t n = l->lout_n - l->lout_pos;
    *out = l->lout + l->lout_pos;
    l->lout_pos = l->lout_n;
    l->state = LEGACY_SIZE;
    return ks__decode_fail_after(&l->fail, a, "lz4", l->cut ? CUT_SHORT : NULL, n);
}

la_ssize_t ks__lz4_read(struct archive *a, void *cd, const void **out)
{
    ks_lz4 *l = cd;
    if (l->ahead)
        return ks__ahead_read(l->ahead, a, out);
    for (;;) {
        if (l->state == LEGACY_OUT && l->lout_pos < l->lout_n)
            return hand_out_in_place(l, a, out);
        if (l->state == LEGACY_OUT) /* a block that decoded to nothing (a cut one never does) */
            l->state = LEGACY_SIZE;
        *out = l->out;
        la_ssize_t n = decode(l, a, l->out, 1);
        if (n || l->state != LEGACY_OUT)
            return n;
    }
}

static la_ssize_t fill(void *ctx, struct archive *errs, unsigned char *dst) { return decode(ctx, errs, dst, 0); }

static uint64_t taken(void *ctx) { return ((ks_lz4 *)ctx)->bytes_in; }

int ks__lz4_start_ahead(ks_lz4 *l)
{
    l->ahead = ks__ahead_start(fill, taken, l);
    return l->ahead ? 0 : -1;
}
