/* container.c: opens containers by magic with libarchive (an explicit list of formats and filters), streams every
 * member to the sink, opens nested containers from their parent's stream, and stops at the first exhausted budget. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "container.h"
#include "container_sniff.h"
#include "fault_io.h"
#include "inflate_gzip.h"
#include "inflate_lz4.h"
#include "inflate_xz.h"
#include "inflate_zstd.h"
#include "le_bytes.h"
#include "zip_stripes.h"

#define BLOCK (256u * 1024u)   /* a member's bytes are handed on in pieces of at most this */
#define MAX_CHAIN 4096u        /* longer chains are cut (names are for people, not for lookups) */
#define REPLAY_MAX (1u << 20)  /* what a failed nested open may have pulled from its parent */
#define ISO_PVD_READ 132u /* of the primary volume descriptor: up to its logical block size */
_Static_assert(KS_CONTAINER_HEAD_MAX >= KS_CONTAINER_ISO_MAGIC_AT - 1 + ISO_PVD_READ, "a member's head holds an image's volume space");


/* ---- sources: memory, a descriptor, or the member being read from a parent archive ---- */

/* A source read sequentially keeps the last piece it handed libarchive (valid until it reads on) and a copy of
 * the bytes just before it: libarchive may have read past a container's end (a tar's peek at a second end
 * block, a zip's at its central directory's signature, bzip2's at a next stream) into the next piece, and a pipe
 * or a member cannot be read again. KEEP_BEFORE is more than the most libarchive peeks. */
#define KEEP_BEFORE 2048u

typedef struct last_piece {
    const unsigned char *p;
    size_t n;
    uint64_t at; /* where p is in the source */
    unsigned char before[KEEP_BEFORE]; /* the before_n bytes that precede p */
    size_t before_n;
} last_piece;

/* Before the source reads on (the last piece's bytes may be overwritten, or be the caller's and gone): its tail
 * joins `before`, and the last piece is empty until the next one (none, at the end). libarchive reads on only for
 * bytes it lacks, so what it had not consumed of a piece it read past is within the last bytes it peeked at. */
static void last_fold(last_piece *l)
{
    if (l->n >= KEEP_BEFORE) {
        memcpy(l->before, l->p + l->n - KEEP_BEFORE, KEEP_BEFORE);
        l->before_n = KEEP_BEFORE;
    } else if (l->n) {
        size_t keep = l->before_n + l->n > KEEP_BEFORE ? KEEP_BEFORE - l->n : l->before_n;
        memmove(l->before, l->before + l->before_n - keep, keep);
        memcpy(l->before + keep, l->p, l->n);
        l->before_n = keep + l->n;
    }
    l->at += l->n;
    l->p = NULL;
    l->n = 0;
}

static void last_set(last_piece *l, const void *p, size_t n, uint64_t at)
{
    l->p = p;
    l->n = n;
    l->at = at;
}

/* An object in memory or behind a descriptor, handed to libarchive in blocks of the same size
 * either way, so that both are consumed alike (the ratio guard counts what was consumed). */
typedef struct fd_src {
    int fd;
    const unsigned char *mem; /* not NULL: the object is here, and fd is not read */
    uint64_t size, pos;
    uint64_t base; /* where in the object the container begins (after a script's lead); size and pos count from it */
    unsigned char *buf;
    /* a pipe: read() from its position, after `head` (taken already to recognise it), up to `size`
     * bytes in all (0: to EOF); while it opens, what is read is kept in `replay` */
    int pipe, opening, head_given, replay_lost;
    ks_container_pull_fn pull; /* not NULL: a pipe whose bytes come from this instead of fd */
    void *pull_ctx;
    const unsigned char *head;
    size_t head_len;
    uint64_t head_at; /* where head is: 0, or where a zip read on from a later local header begins (zip_read_on) */
    unsigned char *replay;
    size_t replay_len;
    uint64_t seeks; /* calls of fd_seek: libarchive reads a zip by its central directory only if it seeks */
    int by_lead; /* a zip found by its first local header after a lead, no end record ending the object: never
                  * striped, since the threads' own readers need not read it as this one does */
    last_piece last; /* a pipe's: trailing data after a container's end is read from there */
    /* not 0: the object goes on to here, past `size`, with a zip of its own that a zip read by its directory would
     * have hidden (`cat a.zip b.zip`: libarchive reads b's directory): read after the first zip's trailing data */
    uint64_t then_size;
    /* zip_end_record's answer for this size, once split_appended_zip found it (end_known): not looked for again */
    uint64_t end_record;
    int end_known;
    _Atomic int read_failed; /* a read of the object failed (an I/O error: the object's, not its damage) */
} fd_src;

static la_ssize_t pipe_read(struct archive *a, fd_src *s, const void **out)
{
    if (!s->head_given) {
        s->head_given = 1;
        s->pos = s->head_at + s->head_len;
        *out = s->head;
        last_set(&s->last, s->head, s->head_len, s->head_at);
        return (la_ssize_t)s->head_len;
    }
    size_t want = BLOCK;
    if (s->size && s->size - s->pos < want)
        want = (size_t)(s->size - s->pos);
    if (!want)
        return 0;
    const void *got = s->buf;
    ssize_t n;
    last_fold(&s->last);
    if (s->pull) {
        n = s->pull(s->pull_ctx, &got);
        if (n < 0) {
            archive_set_error(a, EIO, "the stream was abandoned");
            return -1;
        }
    } else {
        do
            n = read(s->fd, s->buf, want);
        while (n < 0 && errno == EINTR);
    }
    if (n < 0) {
        atomic_store(&s->read_failed, 1);
        archive_set_error(a, errno, "read failed: %s", strerror(errno));
        return -1;
    }
    if (n > 0)
        last_set(&s->last, got, (size_t)n, s->pos);
    s->pos += (uint64_t)n;
    if (s->opening && n > 0 && !s->replay_lost) { /* kept, so that bytes that open as nothing are still scanned */
        unsigned char *r = s->replay_len + (size_t)n <= REPLAY_MAX ? realloc(s->replay, s->replay_len + (size_t)n) : NULL;
        if (r) {
            memcpy(r + s->replay_len, got, (size_t)n);
            s->replay = r;
            s->replay_len += (size_t)n;
        } else {
            s->replay_lost = 1;
        }
    }
    *out = got;
    return n;
}

static la_ssize_t fd_read(struct archive *a, void *cd, const void **out)
{
    fd_src *s = cd;
    if (s->pipe)
        return pipe_read(a, s, out);
    size_t want = s->size - s->pos < BLOCK ? (size_t)(s->size - s->pos) : BLOCK;
    if (!want)
        return 0;
    if (s->mem) {
        *out = s->mem + s->base + s->pos;
        s->pos += want;
        return (la_ssize_t)want;
    }
    ssize_t n;
    do
        n = KS_IO_PREAD(s->fd, s->buf, want, (off_t)(s->base + s->pos)); /* (a test build's fault hook) */
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        atomic_store(&s->read_failed, 1);
        archive_set_error(a, errno, "read failed: %s", strerror(errno));
        return -1;
    }
    s->pos += (uint64_t)n;
    *out = s->buf;
    return n;
}

static la_int64_t fd_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
    fd_src *s = cd;
    s->seeks++;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)s->pos : (int64_t)s->size;
    int64_t to = base + off;
    if (to < 0)
        to = 0;
    if ((uint64_t)to > s->size)
        to = (int64_t)s->size;
    s->pos = (uint64_t)to;
    return to;
}

static la_int64_t fd_skip(struct archive *a, void *cd, la_int64_t request)
{
    fd_src *s = cd;
    uint64_t left = s->size - s->pos, n = request > 0 ? (uint64_t)request : 0;
    if (n > left)
        n = left;
    s->pos += n;
    return (la_int64_t)n;
}

/* A member's bytes where libarchive holds them (archive_read_data_block: no copy, and a member cut short
 * loses nothing before the cut), the holes of a sparse member as zeros, as archive_read_data gives them. */
typedef struct member_rd {
    struct archive *a;
    ks_stripes *st; /* not NULL: the bytes come from the threads that decompress this zip's members */
    /* not NULL: the bytes come from here (what follows a container's end, read as a member of its own; errors are
     * set on `a`) */
    la_ssize_t (*more)(void *ctx, const void **out);
    void *more_ctx;
    uint64_t index; /* then: the member's place among the zip's entries */
    uint64_t *in_at; /* then: where the position of the handle that decompressed the last bytes goes (ratio guard) */
    const unsigned char *p; /* the current block's bytes not handed out yet */
    size_t n;
    uint64_t pos;  /* bytes handed out */
    uint64_t hole; /* zeros due before p */
    uint64_t size; /* what its entry says it holds; UINT64_MAX: not known */
    int eof, failed;
    int pass_holes; /* a hole is not handed out as zeros: member_next says MEMBER_HOLE, and the caller passes it */
    char warning[160]; /* libarchive's first warning on the member's data (a zip's CRC that does not match) */
} member_rd;

static const unsigned char zeros[64 * 1024];

#define MEMBER_HOLE (-2) /* member_next: a hole (m->hole zeros) is due, with m->pass_holes */

/* The member's next bytes, at most `max` of them: *out stays valid until the next call. Returns how
 * many, 0 at its end, -1 when the member is corrupt or cut short (the archive's error says why),
 * and -1 again after that; MEMBER_HOLE when m->pass_holes and a hole is due (m->hole bytes). */
static la_ssize_t member_next(member_rd *m, const void **out, size_t max)
{
    for (;;) {
        if (m->failed)
            return -1;
        if (m->hole && m->pass_holes)
            return MEMBER_HOLE;
        if (m->hole) {
            size_t k = m->hole < sizeof zeros ? (size_t)m->hole : sizeof zeros;
            k = k < max ? k : max;
            m->hole -= k;
            m->pos += k;
            *out = zeros;
            return (la_ssize_t)k;
        }
        if (m->n) {
            size_t k = m->n < max ? m->n : max;
            *out = m->p;
            m->p += k;
            m->n -= k;
            m->pos += k;
            return (la_ssize_t)k;
        }
        if (m->eof)
            return 0;
        const void *b = NULL;
        if (m->more || m->st) {
            const char *w = NULL;
            uint64_t in = UINT64_MAX;
            la_ssize_t k = m->more ? m->more(m->more_ctx, &b) : ks__stripes_next(m->st, m->a, m->index, &b, &w, &in);
            if (in != UINT64_MAX && m->in_at)
                *m->in_at = in;
            if (w && !m->warning[0])
                snprintf(m->warning, sizeof m->warning, "%s", w);
            if (k < 0) {
                m->failed = 1;
                return -1;
            }
            m->eof = k == 0;
            m->p = b;
            m->n = (size_t)k;
            continue;
        }
        size_t size = 0;
        la_int64_t off = 0;
        int r = archive_read_data_block(m->a, &b, &size, &off);
        if (r == ARCHIVE_EOF) { /* its offset is the member's size: a hole may end it */
            m->eof = 1;
            size = 0;
        } else if (r < ARCHIVE_WARN) {
            m->failed = 1;
            return -1;
        } else if (r == ARCHIVE_WARN && !m->warning[0]) {
            const char *w = archive_error_string(m->a);
            snprintf(m->warning, sizeof m->warning, "%s", w && *w ? w : "a warning");
        }
        if (off < 0 || (uint64_t)off < m->pos) {
            if (m->eof)
                continue;
            archive_set_error(m->a, EIO, "%s", "sparse blocks out of order");
            m->failed = 1;
            return -1;
        }
        m->hole = (uint64_t)off - m->pos;
        m->p = b;
        m->n = size;
    }
}

/* A nested container reads its parent's current member; the bytes already taken to recognise it
 * come first. While it opens, what it pulls is kept, so that a container that fails to open is
 * still scanned whole, as data. */
typedef struct nested_src {
    member_rd *parent;
    const unsigned char *head;
    size_t head_len;
    int head_given, opening, replay_lost;
    unsigned char *replay;
    size_t replay_len;
    last_piece last; /* what follows the nested container's end is read from there */
    uint64_t pos;
} nested_src;

static la_ssize_t nested_read(struct archive *a, void *cd, const void **out)
{
    nested_src *s = cd;
    if (!s->head_given) {
        s->head_given = 1;
        *out = s->head;
        last_set(&s->last, s->head, s->head_len, 0);
        s->pos = s->head_len;
        return (la_ssize_t)s->head_len;
    }
    const void *p = NULL;
    last_fold(&s->last);
    la_ssize_t n = member_next(s->parent, &p, BLOCK);
    if (n > 0) {
        last_set(&s->last, p, (size_t)n, s->pos);
        s->pos += (uint64_t)n;
    }
    if (n < 0) {
        const char *e = archive_error_string(s->parent->a);
        archive_set_error(a, EIO, "%s", e ? e : "corrupt or truncated member");
        return -1;
    }
    if (s->opening && n > 0 && !s->replay_lost) { /* once one is lost, none after it: the replay has no hole */
        if (s->replay_len + (size_t)n > REPLAY_MAX) {
            s->replay_lost = 1;
        } else {
            unsigned char *r = realloc(s->replay, s->replay_len + (size_t)n);
            if (!r) {
                s->replay_lost = 1;
            } else {
                memcpy(r + s->replay_len, p, (size_t)n);
                s->replay = r;
                s->replay_len += (size_t)n;
            }
        }
    }
    *out = p;
    return n;
}

/* ---- the streams decoded here, in front of libarchive ---- */

/* A stream decoder keysweep runs itself, in front of libarchive (which then frames what comes out):
 * gzip by ISA-L (about 3x libarchive's zlib here), zstd, xz and lz4 by their libraries (as libarchive's
 * filters, but ending where the stream does, and able to run ahead on a thread of its own). d is NULL
 * for a kind libarchive decodes itself (bzip2). */
typedef struct stream_dec {
    void *d;
    archive_read_callback *read;
    uint64_t (*bytes_in)(const void *d);
    void (*free)(void *d);
    uint64_t (*end)(const void *d); /* where the stream ended in its source; NULL: it has no trailing data */
    const char *(*refused)(const void *d); /* why a stream that is one was not decoded (a limit); NULL: none */
    const char *(*damaged)(const void *d); /* why a stream that is one failed to open; NULL: none */
    uint64_t (*damage_at)(const void *d, const void **held, size_t *held_n); /* NULL: never read on after damage */
    int rest_opens; /* the rest after damage begins with a frame of its own (xz, zstd): opened there, untried */
    /* where the bytes that gave no output begin, before the frame damage_at finds (zstd: they are scanned as they
     * are up to it); NULL: from damage_at (xz's damaged stream may have given part of a block) */
    uint64_t (*failed_at)(const void *d);
} stream_dec;

static uint64_t gzip_in(const void *d) { return ks__gzip_bytes_in(d); }
static uint64_t gzip_end(const void *d) { return ks__gzip_end(d); }
static void gzip_free(void *d) { ks__gzip_free(d); }
static const char *gzip_damaged(const void *d) { return ks__gzip_damaged(d); }
static uint64_t gzip_damage_at(const void *d, const void **held, size_t *held_n)
{
    (void)held;
    (void)held_n;
    return ks__gzip_damage_at(d);
}
static const char *zstd_damaged(const void *d) { return ks__zstd_damaged(d); }
static uint64_t zstd_damage_at(const void *d, const void **held, size_t *held_n)
{
    return ks__zstd_damage_at(d, held, held_n);
}
static uint64_t zstd_failed_at(const void *d) { return ks__zstd_failed_at(d); }
static uint64_t zstd_in(const void *d) { return ks__zstd_bytes_in(d); }
static uint64_t zstd_end(const void *d) { return ks__zstd_end(d); }
static uint64_t xz_in(const void *d) { return ks__xz_bytes_in(d); }
static uint64_t xz_end(const void *d) { return ks__xz_end(d); }
static void xz_free(void *d) { ks__xz_free(d); }
static const char *xz_refused(const void *d) { return ks__xz_refused(d); }
static const char *xz_damaged(const void *d) { return ks__xz_damaged(d); }
static uint64_t xz_damage_at(const void *d, const void **held, size_t *held_n)
{
    return ks__xz_damage_at(d, held, held_n);
}
static void zstd_free(void *d) { ks__zstd_free(d); }
static uint64_t lz4_in(const void *d) { return ks__lz4_bytes_in(d); }
static uint64_t lz4_end(const void *d) { return ks__lz4_end(d); }
static void lz4_free(void *d) { ks__lz4_free(d); }
static const char *lz4_damaged(const void *d) { return ks__lz4_damaged(d); }
static uint64_t lz4_damage_at(const void *d, const void **held, size_t *held_n)
{
    return ks__lz4_damage_at(d, held, held_n);
}

static int own_decoder(ks_container_kind kind)
{
    return kind == KS_CONT_GZIP || kind == KS_CONT_ZSTD || kind == KS_CONT_XZ || kind == KS_CONT_LZ4;
}

/* The decoder of a stream of `kind` reading `read` (on a thread of its own when `ahead`); 0 when there
 * is no memory for it. */
static int dec_open(ks_container_kind kind, archive_read_callback *read, void *cd, int ahead, stream_dec *dec)
{
    *dec = (stream_dec){0};
    if (kind == KS_CONT_GZIP) {
        ks_gzip *g = ks__gzip_new(read, cd);
        if (g && ahead)
            (void)ks__gzip_start_ahead(g); /* without a thread, it decodes on this one */
        *dec = (stream_dec){g, ks__gzip_read, gzip_in, gzip_free, gzip_end, NULL, gzip_damaged, gzip_damage_at, 0,
                            NULL};
    } else if (kind == KS_CONT_ZSTD) {
        ks_zstd *z = ks__zstd_new(read, cd);
        if (z && ahead)
            (void)ks__zstd_start_ahead(z);
        *dec = (stream_dec){z, ks__zstd_read, zstd_in, zstd_free, zstd_end, NULL, zstd_damaged, zstd_damage_at, 1,
                            zstd_failed_at};
    } else if (kind == KS_CONT_XZ) { /* libarchive's filter fails on what follows the last stream */
        ks_xz *x = ks__xz_new(read, cd);
        if (x && ahead)
            (void)ks__xz_start_ahead(x);
        *dec = (stream_dec){x, ks__xz_read, xz_in, xz_free, xz_end, xz_refused, xz_damaged, xz_damage_at, 1, NULL};
    } else if (kind == KS_CONT_LZ4) { /* libarchive's filter guesses where a frame ends, and fails on zero padding */
        ks_lz4 *l = ks__lz4_new(read, cd);
        if (l && ahead)
            (void)ks__lz4_start_ahead(l);
        *dec = (stream_dec){l, ks__lz4_read, lz4_in, lz4_free, lz4_end, NULL, lz4_damaged, lz4_damage_at, 0, NULL};
    }
    return !own_decoder(kind) || dec->d;
}

/* Why a stream that failed to open was one all the same, refused at a limit (said, and counted: the bytes are not
 * scanned as they are, which would find nothing in them); NULL when it was no such stream. */
static const char *dec_refused(const stream_dec *dec) { return dec->d && dec->refused ? dec->refused(dec->d) : NULL; }

/* Why a stream that failed to open was one all the same (damaged or cut before what it gave could be opened: said, as a
 * warning, and its bytes scanned as they are, as those of any container that does not open); NULL when it may be
 * none. */
static const char *dec_damaged(const stream_dec *dec) { return dec->d && dec->damaged ? dec->damaged(dec->d) : NULL; }

/* A stream that opened and then failed for damage in its middle (said where it failed): where in its source the bytes
 * that gave no output begin, to be scanned as they are (lz4's literals are kept as they are; what follows damage in a
 * gzip may be no gzip at all; 0: all of it, from a gzip that opened on little, cut short), or for xz and zstd, whose
 * compressed bytes hold nothing to find, where the next stream or frame begins, to be opened there; and the first
 * *held_n of them where its decoder gathered them. UINT64_MAX when there are none. */
static uint64_t dec_damage_at(const stream_dec *dec, const void **held, size_t *held_n)
{
    *held = NULL;
    *held_n = 0;
    return dec->d && dec->damage_at ? dec->damage_at(dec->d, held, held_n) : UINT64_MAX;
}

/* Where the bytes that gave no output begin when that is before dec_damage_at's `at` (the frame opened there): from
 * there to it they are scanned as they are where they can still be read; else `at`. */
static uint64_t dec_failed_at(const stream_dec *dec, uint64_t at)
{
    uint64_t f = at != UINT64_MAX && dec->d && dec->failed_at ? dec->failed_at(dec->d) : UINT64_MAX;
    return f < at ? f : at;
}

/* Bytes a stream that did not open pulled from a pipe or a member past the REPLAY_MAX kept of them, which cannot be
 * read again: an lz4 stream that failed in its first block (4 MiB, or 8 MiB in the legacy format) has its decoder
 * still holding that block, and what followed it is in the last piece read (its source's bytes from l_base on). The
 * replay (the bytes after a head of head_len) is made whole from those: 1, or 0 when it cannot be (it stays as it is,
 * and the loss is said). */
static int replay_refill(const stream_dec *dec, size_t head_len, const last_piece *l, uint64_t l_base,
                         unsigned char **replay, size_t *replay_len)
{
    const void *held;
    size_t held_n;
    uint64_t at = dec_damage_at(dec, &held, &held_n), kept = head_len + *replay_len;
    if (at == UINT64_MAX || at > kept || at + held_n < kept || l->at < l_base)
        return 0;
    uint64_t from = at + held_n, piece = l->at - l_base;
    if (from < piece || from > piece + l->n)
        return 0;
    size_t more = (size_t)(from - kept), tail = (size_t)(piece + l->n - from);
    unsigned char *r = realloc(*replay, *replay_len + more + tail);
    if (!r)
        return 0;
    if (more)
        memcpy(r + *replay_len, (const unsigned char *)held + (held_n - more), more);
    if (tail)
        memcpy(r + *replay_len + more, l->p + (from - piece), tail);
    *replay = r;
    *replay_len += more + tail;
    return 1;
}

/* Why a stream of `kind` that failed to open was one all the same: its decoder's word (dec_damaged); for bzip2, which
 * libarchive decodes, its first bytes `h` (n of them) holding its magic and a block's 48-bit magic (said in buf).
 * NULL when the bytes may be none. */
static const char *open_damaged(const stream_dec *dec, struct archive *a, ks_container_kind kind,
                                const unsigned char *h, size_t n, char *buf, size_t cap)
{
    const char *d = dec_damaged(dec);
    if (d || kind != KS_CONT_BZIP2 || n < 10 || h[3] < '1' || h[3] > '9' ||
        memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) != 0)
        return d;
    /* libarchive's word is the raw format's ("Unrecognized archive format"): nothing of the block came out */
    const char *e = archive_error_string(a);
    snprintf(buf, cap, "bzip2: %s", e && !strstr(e, "Unrecognized") ? e : "cut or damaged in its first block");
    return buf;
}

static void dec_free(stream_dec *dec)
{
    if (dec->d)
        dec->free(dec->d);
    dec->d = NULL;
}

/* ---- one expansion: the outermost object and everything inside it ---- */

/* A nested archive open now, and where its bytes were read from (for a damaged tar block read again): a list from
 * the innermost, on the stack frames that opened them. */
typedef struct open_src {
    struct archive *a;
    const last_piece *last;
    uint64_t base; /* where the archive begins in the member holding it (after a lead) */
    member_rd *parent; /* the member it is read from (NULL: held whole), read on after a damaged tar's special header */
    ks_container_kind kind;
    const char *name; /* the member's name, and the chain's length before it when it was dropped (a stream's one */
    size_t drop_to;   /* member: try_nested), (size_t)-1 when not: what follows the archive's end is named inside it */
    struct open_src *up;
} open_src;

typedef struct expansion {
    const ks_container_limits *lim;
    const ks_container_sink *sink;
    void *ctx;
    ks_container_result *res;
    struct archive *outer; /* what it has consumed is what the ratio guard compares with */
    stream_dec outer_dec;  /* the outermost object's own decoder: what it consumed is what the guard compares */
    ks_stripes *stripes;   /* the outermost zip's members, decompressed on threads of their own */
    fd_src *stripe_src;    /* not NULL: start them once the first header shows the zip is read by seeking */
    int halt;              /* a budget ran out or a container is corrupt: unwind */
    int entered;           /* a header was read: from now on a failure is worth saying */
    int *recording;        /* a pipe keeps what it reads until then (it may turn out to be no container) */
    int stopped;           /* the sink's non-zero value */
    uint64_t trailing_in;  /* bytes of the outermost object read after its container's end (the ratio guard's too) */
    uint64_t passed_over;  /* bytes read after containers' ends and not handed over (zeros, ends not known) */
    ks_container_kind outer_kind;
    const fd_src *zip_src; /* the outermost is a zip here: read by its directory (it sought), a corrupt member ends alone */
    uint64_t resume_at;    /* not 0: the outermost is opened again and read on from this entry */
    /* the ratio guard's, across reopenings: how far the outermost's handles before the current one read (a zip read
     * by its directory seeks, so what its handle says is a position, which the next one passes again) */
    uint64_t pos_before;
    /* the ratio guard's while a member of the outermost zip comes from its stripes (0 otherwise): the position the
     * thread that decompressed its last bytes had then, which is what the outermost handle would say without them */
    uint64_t stripe_in;
    /* the ratio guard's once the outermost container of a file or memory has ended: where (what follows is read
     * by offset from there, trailing_in bytes so far), whatever its handle or stripes read before */
    int past_end;
    uint64_t end_at;
    uint64_t headers_passed; /* headers passed over by reopenings, in all: their cost is bounded */
    unsigned damaged_said;   /* runs of damaged headers said so far (a flood of them is said once more, then not) */
    unsigned tries;          /* container candidates in trailing data opened to be tried (look_inside) */
    size_t held;             /* bytes of the 7z archives held whole in memory now (hold_member), nested in each other */
    fd_src *outer_src;       /* what x->outer reads */
    int refused_header;      /* the outermost stopped at a header it refused (not in a member's data) */
    open_src *nested;        /* the nested archives open now, innermost first */
    char chain[MAX_CHAIN];
    size_t chain_len;
} expansion;

/* libarchive's filter for a compressed stream of `kind`, and no other: a stream inside it (an lz4 in a gzip) is then
 * the stream's one member, opened as a container of its own, whose end (and what follows it) is known; in one
 * handle's chain of filters it was decoded as the outer stream's bytes, and what followed it was never scanned. */
static void stream_filter(struct archive *a, ks_container_kind kind)
{
    switch (kind) {
    case KS_CONT_GZIP: archive_read_support_filter_gzip(a); break;
    case KS_CONT_BZIP2: archive_read_support_filter_bzip2(a); break;
    case KS_CONT_XZ: archive_read_support_filter_xz(a); break;
    case KS_CONT_ZSTD: archive_read_support_filter_zstd(a); break;
    case KS_CONT_LZ4: archive_read_support_filter_lz4(a); break;
    default: break;
    }
}

static struct archive *new_reader(const expansion *x, ks_container_kind kind)
{
    struct archive *a = archive_read_new();
    if (!a)
        return NULL;
    /* Named formats only: support_format_all also enables formats that misdetect (mtree, warc...).
     * A compressed stream is one member, its decompressed bytes, which are then recognised (or not)
     * by their own magic like any member: libarchive left to guess would take a stream that starts
     * with 512 zero bytes (a disk image) for an empty tar, and scan nothing of it. */
    if (ks__container_is_stream(kind)) { /* its filter: stream_filter, once it is known whether our decoder reads it */
        archive_read_support_format_raw(a);
        return a;
    }
    if (kind == KS_CONT_RPM) { /* an rpm is a header and a cpio compressed any way */
        for (int k = KS_CONT_GZIP; k <= KS_CONT_LZ4; k++)
            stream_filter(a, (ks_container_kind)k);
        archive_read_support_filter_lzma(a);
        archive_read_support_filter_rpm(a);
        archive_read_support_format_cpio(a);
        return a;
    }
    switch (kind) {
    case KS_CONT_TAR: archive_read_support_format_tar(a); break;
    case KS_CONT_ZIP: archive_read_support_format_zip(a); break;
    case KS_CONT_7Z: archive_read_support_format_7zip(a); break;
    case KS_CONT_AR: archive_read_support_format_ar(a); break;
    case KS_CONT_CPIO: archive_read_support_format_cpio(a); break;
    case KS_CONT_ISO9660: archive_read_support_format_iso9660(a); break;
    default: break;
    }
    return a;
}

/* Sets `a` to read its source through `read`, through our own decoder for gzip, xz, zstd and lz4 (on a thread of
 * its own when `ahead`): *dec is then the decoder, for the caller to free after `a`; libarchive then frames
 * what comes out, and otherwise decodes the stream with its filter (bzip2) and no other: a stream inside it
 * is the stream's one member, opened as a container of its own. */
static int set_source(struct archive *a, ks_container_kind kind, archive_read_callback *read, void *cd, int ahead,
                      stream_dec *dec)
{
    if (!dec_open(kind, read, cd, ahead, dec))
        return 0;
    if (dec->d) {
        read = dec->read;
        cd = dec->d;
    } else if (kind == KS_CONT_BZIP2) {
        /* appended, not bid for: libarchive would bid the same filter again on what it decodes (a bzip2 in a
         * bzip2), and take the inner stream's bytes for the outer one's */
        archive_read_append_filter(a, ARCHIVE_FILTER_BZIP2);
    }
    /* lzma's "alone" format has no magic to sniff it by: libarchive's filter still takes it inside a stream (its
     * end, and what follows it there, unknown) */
    if (ks__container_is_stream(kind))
        archive_read_support_filter_lzma(a);
    archive_read_set_read_callback(a, read);
    archive_read_set_callback_data(a, cd);
    return 1;
}

/* Opens `a` on its source; a compressed stream counts as open only when a decompressor took it
 * (otherwise raw would hand back the very bytes that looked compressed, and again, and again): for
 * gzip, xz, zstd and lz4, our own decoder, which fails the open when the stream does not begin as one. */
static int open_reader(struct archive *a, ks_container_kind kind)
{
    if (archive_read_open1(a) != ARCHIVE_OK)
        return 0;
    if (ks__container_is_stream(kind) && !own_decoder(kind) && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE)
        return 0;
    return 1;
}

static void problem(expansion *x, int fatal, const char *fmt, const char *detail)
{
    char what[512];
    snprintf(what, sizeof what, fmt, detail ? detail : "unknown error");
    x->sink->problem(x->ctx, x->chain, fatal, what);
}

/* Appends one level to the chain ("!" between levels); returns the length to restore. */
static size_t chain_push(expansion *x, const char *name)
{
    size_t saved = x->chain_len;
    int n = snprintf(x->chain + x->chain_len, sizeof x->chain - x->chain_len, "%s%s", x->chain_len ? "!" : "", name);
    x->chain_len = n < 0 ? x->chain_len : x->chain_len + (size_t)n >= sizeof x->chain ? sizeof x->chain - 1
                                                                                     : x->chain_len + (size_t)n;
    return saved;
}

static void chain_pop(expansion *x, size_t saved)
{
    x->chain_len = saved;
    x->chain[saved] = '\0';
}

/* The one member of a compressed stream is named after the stream, less its suffix. */
static void stream_member_name(const char *name, char *out, size_t n)
{
    const char *base = strrchr(name, '/');
    snprintf(out, n, "%s", base ? base + 1 : name);
    static const char *const suffixes[][2] = {{".tgz", ".tar"}, {".tbz2", ".tar"}, {".txz", ".tar"},
                                              {".tzst", ".tar"}, {".gz", ""},       {".bz2", ""},
                                              {".xz", ""},      {".zst", ""},       {".lz4", ""},
                                              {".lzma", ""},    {".z", ""},         {".Z", ""}};
    size_t len = strlen(out);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i][0]);
        if (len > sl && strcmp(out + len - sl, suffixes[i][0]) == 0) {
            snprintf(out + len - sl, n - (len - sl), "%s", suffixes[i][1]);
            return;
        }
    }
    if (!out[0] || strcmp(out, "-") == 0) /* nameless, or standard input */
        snprintf(out, n, "data");
}

/* A budget ran out: said with its limit (fmt has one %s for it), and the expansion halts. Returns 0. */
static int limit_reached(expansion *x, const char *fmt, uint64_t limit)
{
    char d[32];
    snprintf(d, sizeof d, "%llu", (unsigned long long)limit);
    problem(x, 1, fmt, d);
    x->halt = 1;
    x->res->stop = KS_CONT_LIMIT;
    return 0;
}

/* The ratio guard, for `out` bytes made so far; halts the expansion when they are too many for what was read. */
static int ratio_ok(expansion *x, uint64_t out)
{
    const ks_container_limits *l = x->lim;
    if (l->max_ratio && out > l->ratio_after) {
        int64_t in = x->past_end   ? (int64_t)x->end_at
                     : x->stripe_in ? (int64_t)x->stripe_in /* the outermost handle reads only headers then */
                     : x->outer_dec.d ? (int64_t)x->outer_dec.bytes_in(x->outer_dec.d)
                                      : archive_filter_bytes(x->outer, -1);
        if (!x->past_end && in < (int64_t)x->pos_before)
            in = (int64_t)x->pos_before;
        in += (int64_t)x->trailing_in;
        if (in > 0 && out / (uint64_t)in > l->max_ratio) {
            char d[160];
            snprintf(d, sizeof d, "%llu bytes out of %lld read, more than %llu to 1", (unsigned long long)out,
                     (long long)in, (unsigned long long)l->max_ratio);
            problem(x, 1, "stopped (a compression bomb?): %s", d);
            x->halt = 1;
            x->res->stop = KS_CONT_LIMIT;
            return 0;
        }
    }
    return 1;
}

/* Counts `n` more bytes out; halts the expansion when a budget is exhausted. */
static int budget_ok(expansion *x, size_t n)
{
    x->res->bytes_out += n;
    if (x->lim->max_output && x->res->bytes_out > x->lim->max_output)
        return limit_reached(x, "stopped: the members' bytes exceed the limit of %s", x->lim->max_output);
    return ratio_ok(x, x->res->bytes_out);
}

/* One more member within the budget of members, or the expansion halts. */
static int members_ok(expansion *x)
{
    if (x->lim->max_members && x->res->members >= x->lim->max_members)
        return limit_reached(x, "stopped: more members than the limit of %s", x->lim->max_members);
    return 1;
}

/* Bytes read after a container's end and not handed over (zero padding, the rest of a member whose container's
 * end is not known) are bounded like the bytes handed over: a sparse member's holes can claim 2^63 of them. */
static int pass_over_ok(expansion *x, uint64_t n)
{
    x->passed_over += n;
    if (x->lim->max_output && x->passed_over > x->lim->max_output)
        return limit_reached(x, "stopped: the bytes after a container's end exceed the limit of %s",
                             x->lim->max_output);
    return 1;
}

static int give(expansion *x, const void *p, size_t n)
{
    if (!n)
        return 1;
    if (!budget_ok(x, n))
        return 0;
    int rc = x->sink->data(x->ctx, p, n);
    if (rc) {
        x->stopped = rc;
        return 0;
    }
    return 1;
}

/* A member read through m (an archive's entry) begins: the sink is told its size first, where the entry says it.
 * Non-zero: the sink stopped everything. */
static int begin_entry(expansion *x, const member_rd *m)
{
    if (x->sink->sized && m->size != UINT64_MAX && !m->more)
        x->sink->sized(x->ctx, m->size);
    return x->sink->begin(x->ctx, x->chain);
}

static int expand_archive(expansion *x, struct archive *a, const char *stream_name, unsigned depth,
                          unsigned char *buf);
static void expand_member(expansion *x, member_rd *mr, const char *name, size_t saved, unsigned depth, int of_stream,
                          unsigned char *buf);

/* 1 when the member is a compressed stream's one member (its decompressed bytes): not a level of its own. */
static int of_a_stream(const member_rd *m) { return !m->more && archive_format(m->a) == ARCHIVE_FORMAT_RAW; }

/* ---- trailing data: what follows a container's end in the object that holds it ---- */

/* Where a container read through `a` (and `dec`, its own decoder) ended in its source, once it was read to its
 * end; UINT64_MAX where that is not known: 7z and ISO 9660 are read by their directories, zstd takes whatever
 * follows its last frame for a frame (and fails on it, which is said). *zip_dir is set when the end is where a
 * zip read as it streams stopped: its central directory, which the caller skips (skip_zip_directory). */
static uint64_t end_in_source(struct archive *a, const stream_dec *dec, int *zip_dir)
{
    *zip_dir = 0;
    if (dec->d)
        return dec->end ? dec->end(dec->d) : UINT64_MAX;
    int fmt = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK, filters = archive_filter_count(a);
    la_int64_t at = -1;
    /* a bzip2 stream (libarchive's filter), read to its end: what the filter took of the source, which is exact
     * (libarchive's xz and lzma filters fail on what follows a stream; ours are read by their own decoders) */
    if (fmt == ARCHIVE_FORMAT_RAW && filters == 2 && archive_filter_code(a, 0) == ARCHIVE_FILTER_BZIP2)
        at = archive_filter_bytes(a, 1);
    /* tar, cpio and ar consume up to their end marker (tar's two zero blocks) and no further; a zip read as it
     * streams, up to its central directory, which it does not read */
    else if ((fmt == ARCHIVE_FORMAT_TAR || fmt == ARCHIVE_FORMAT_CPIO || fmt == ARCHIVE_FORMAT_AR ||
              fmt == ARCHIVE_FORMAT_ZIP) && filters == 1)
        at = archive_filter_bytes(a, 0);
    *zip_dir = fmt == ARCHIVE_FORMAT_ZIP;
    return at >= 0 ? (uint64_t)at : UINT64_MAX;
}

/* Trailing data as it is read: `back` (bytes taken and given back), then the piece at hand, then `more` (an
 * archive_read_callback on ctx, errors set on `a`); `at` is where the first of them is in the object. */
typedef struct trail_rd {
    const unsigned char *replay; /* read ahead to look inside (look_inside): read again before all else */
    size_t replay_n;
    const unsigned char *held; /* bytes a decoder gathered before it failed (dec_damage_at): read next */
    size_t held_n;
    unsigned char back[KEEP_BEFORE]; /* bytes libarchive read ahead, or a record's bytes given back */
    size_t back_n;
    const unsigned char *p;
    size_t n;
    uint64_t at;
    archive_read_callback *more;
    struct archive *a;
    void *ctx;
    uint64_t *read_count; /* not NULL: bytes read from the outermost object are added here (the ratio guard's) */
    member_rd *member;    /* not NULL: the member `more` reads, whose holes (sparse zeros) are passed over whole */
    const char *label;    /* what its members are named: "[label@N]"; NULL: "trailing" */
    int as_is;            /* its bytes are one member, never opened: the stream they were decoded as */
    /* it begins with a stream its decoder found after damage (stream_dec.rest_opens): opened there without the trial
     * of opens_at, which a frame giving less than its first read before the next damage would fail */
    int opens;
    /* not 0: where (as `at` counts) such a stream begins, the bytes before it handed over as they are (a damaged
     * zstd frame's that gave no output), it then opened there as `opens` says */
    uint64_t open_at;
} trail_rd;

/* The next bytes, in *q (valid until the next call): how many, 0 at the end, -1 when they could not be read.
 * `at` is advanced past them. */
static la_ssize_t trail_next(trail_rd *t, const unsigned char **q)
{
    la_ssize_t k;
    if (t->replay_n) {
        *q = t->replay;
        k = (la_ssize_t)t->replay_n;
        t->replay_n = 0;
    } else if (t->held_n) {
        *q = t->held;
        k = (la_ssize_t)t->held_n;
        t->held_n = 0;
    } else if (t->back_n) {
        *q = t->back;
        k = (la_ssize_t)t->back_n;
        t->back_n = 0;
    } else if (t->n) {
        *q = t->p;
        k = (la_ssize_t)t->n;
        t->n = 0;
    } else {
        const void *r = NULL;
        k = t->more(t->a, t->ctx, &r);
        if (k <= 0)
            return k;
        if (t->read_count)
            *t->read_count += (uint64_t)k;
        *q = r;
    }
    t->at += (uint64_t)k;
    return k;
}

/* Gives back the last `k` bytes of what trail_next returned in q (they come out again first). */
static void trail_unread(trail_rd *t, const unsigned char *q, size_t k, size_t len)
{
    if (q == t->replay) {
        t->replay = q + (len - k);
        t->replay_n = k;
    } else if (q == t->held) {
        t->held = q + (len - k);
        t->held_n = k;
    } else if (q == t->back) { /* what was given back, given back again: at most its size */
        memmove(t->back, t->back + (len - k), k);
        t->back_n = k;
    } else {
        t->p = q + (len - k);
        t->n = k;
    }
    t->at -= k;
}

/* Gives back n bytes taken last (they come out again first, before what is still given back): n plus what is
 * there fits in back, as it does for the records and pieces given back here. */
static void trail_push_back(trail_rd *t, const unsigned char *b, size_t n)
{
    if (t->back_n + n > sizeof t->back)
        n = sizeof t->back - t->back_n; /* not reached: records are at most 46 bytes, kept bytes at most 2 KiB */
    memmove(t->back + n, t->back, t->back_n);
    memcpy(t->back, b, n);
    t->back_n += n;
    t->at -= n;
}

/* Takes exactly `want` bytes into out: 1; 0 when fewer are left (what there was is given back when it fits in
 * `back`: a cut record's bytes are the zip's), -1 when they could not be read. */
static int trail_take(trail_rd *t, unsigned char *out, size_t want)
{
    size_t got = 0;
    while (got < want) {
        const unsigned char *q;
        la_ssize_t k = trail_next(t, &q);
        if (k <= 0) {
            if (k == 0)
                trail_push_back(t, out, got);
            return k < 0 ? -1 : 0;
        }
        size_t use = (size_t)k < want - got ? (size_t)k : want - got;
        memcpy(out + got, q, use);
        got += use;
        if (use < (size_t)k)
            trail_unread(t, q, (size_t)k - use, (size_t)k);
    }
    return 1;
}

/* Skips `n` bytes: 1, 0 at the end, -1 when they could not be read. */
static int trail_skip(trail_rd *t, uint64_t n)
{
    while (n) {
        const unsigned char *q;
        la_ssize_t k = trail_next(t, &q);
        if (k <= 0)
            return k < 0 ? -1 : 0;
        if ((uint64_t)k > n) {
            trail_unread(t, q, (size_t)((uint64_t)k - n), (size_t)k);
            return 1;
        }
        n -= (uint64_t)k;
    }
    return 1;
}

/* A zip read as it streams stops where its central directory begins: its records, a digital signature, the zip64
 * end records and the end record with its comment are skipped here one by one (they are the zip's, and hold only
 * its names), so that what follows the zip's end is trailing data. The first four bytes that begin no such
 * record are given back: trailing data starts there. Returns 0, or -1 when the bytes could not be read. */
#define ZIP64_EXTRA_MAX ((uint64_t)1 << 16) /* a zip64 end record's extensible data, at most (it is rarely any) */

static int skip_zip_directory(trail_rd *t)
{
    for (;;) {
        unsigned char h[46];
        int r = trail_take(t, h, 4);
        if (r <= 0)
            return r;
        size_t fixed = !memcmp(h, "PK\x01\x02", 4)   ? 46 /* a central directory record */
                       : !memcmp(h, "PK\x05\x05", 4) ? 6  /* the digital signature */
                       : !memcmp(h, "PK\x06\x06", 4) ? 12 /* the zip64 end record */
                       : !memcmp(h, "PK\x06\x07", 4) ? 20 /* the zip64 end record's locator */
                       : !memcmp(h, "PK\x05\x06", 4) ? 22 /* the end record */
                                                      : 0;
        if (!fixed) {
            trail_push_back(t, h, 4);
            return 0;
        }
        if ((r = trail_take(t, h + 4, fixed - 4)) <= 0) {
            if (r == 0) /* cut short: no record after all, its signature scanned with the rest */
                trail_push_back(t, h, 4);
            return r;
        }
        /* the zip64 end record's size counts from after that field; the end record's comment is left to be
         * scanned as trailing data (a file's zip, read by its end record, has its comment scanned too) */
        uint64_t var = fixed == 46   ? (uint64_t)ks__le16(h + 28) + ks__le16(h + 30) + ks__le16(h + 32)
                       : fixed == 6  ? ks__le16(h + 4)
                       : fixed == 12 ? ks__le64(h + 4)
                                     : 0;
        if (fixed == 12 && (var < 44 || var - 44 > ZIP64_EXTRA_MAX)) {
            /* a size no zip64 end record has (44 bytes of fields, rarely any more): not one, given back to be
             * scanned as trailing data */
            trail_push_back(t, h, 12);
            return 0;
        }
        if (var && (r = trail_skip(t, var)) <= 0)
            return r;
        if (fixed == 22)
            return 0; /* the zip ends with its end record (and comment) */
    }
}

/* The first byte of p[0..n) that is not zero, or n. */
static size_t skip_zeros(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (uint64_t w; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (w)
            break;
    }
    while (i < n && !p[i])
        i++;
    return i;
}

static la_ssize_t trail_more(void *ctx, const void **out)
{
    const unsigned char *q = NULL;
    la_ssize_t k = trail_next(ctx, &q);
    *out = q;
    return k;
}


/* Read to look inside trailing data: containers that begin in its first MiB, with their headers (a tar's, 512 bytes,
 * the longest looked at) whole. */
#define INSIDE_READ KS_CONTAINER_LEAD_READ
/* Candidates opened to be tried (opens_at): in one look, and in all the looks of one object. */
#define TRIES_PER_LOOK 8u
#define TRIES_PER_OBJECT 256u

/* 1 when the container that container_inside found at p (n bytes of it at hand; `cut`: more follow) opens and gives
 * its first member's first bytes, read from those bytes as the expansion would read them: gzip, xz and zstd by our own
 * decoders, which end where the stream does (libarchive's xz and zstd filters take what follows a stream for more of
 * it, and fail on a tar after it), other streams by libarchive's filter; also when it fails only for want of the
 * bytes that follow. A 7z, read by its index at its end, is taken on its start header's CRC. Bytes of a note that
 * only look like a container's header are passed over, so a real one after them is found. */
static int opens_at(const expansion *x, const unsigned char *p, size_t n, int cut)
{
    ks_container_kind kind = ks__container_sniff(p, n);
    struct archive *a = kind == KS_CONT_7Z ? NULL : new_reader(x, kind);
    if (!a)
        return 1; /* taken as found, as before trying */
    fd_src src = {.fd = -1, .mem = p, .size = n};
    stream_dec dec = {0};
    /* a stream as the expansion sets it up: our decoder, or libarchive's filter appended (its bidder knows no
     * skippable frame, and raw would take any bytes) */
    int ok;
    if (ks__container_is_stream(kind)) {
        ok = set_source(a, kind, fd_read, &src, 0, &dec);
        /* what a cut block gives is weak evidence: the cut may be where a container begins */
        if (ok && kind == KS_CONT_LZ4)
            ks__lz4_whole_blocks_only(dec.d);
        ok = ok && open_reader(a, kind);
    } else {
        ok = archive_read_open_memory(a, p, n) == ARCHIVE_OK;
    }
    struct archive_entry *e;
    ok = ok && archive_read_next_header(a, &e) >= ARCHIVE_WARN;
    if (ok && !archive_entry_is_encrypted(e)) { /* an encrypted member is said and passed over: the archive opens */
        char first[4096];
        /* only a fatal failure tells bytes that are none: a member that fails its CRC is scanned as it is, and one
         * libarchive cannot decompress is said, as the expansion does with them */
        ok = archive_read_data(a, first, sizeof first) != ARCHIVE_FATAL;
    }
    /* a stream refused at a limit is one (the expansion says so); bytes cut where the look stopped reading fail
     * only for want of those that follow, whether at the open (a decoder that gave nothing yet) or later */
    const char *why = ok ? NULL : archive_error_string(a);
    if (!ok && (dec_refused(&dec) || (cut && why && (strcasestr(why, "truncat") || strcasestr(why, "premature")))))
        ok = 1;
    archive_read_free(a);
    dec_free(&dec);
    return ok;
}

/* Trailing data (t at its first byte) that begins with bytes of no container, and holds one after them that
 * expand_member would open at `depth` (`cat a.tar note b.tar.gz`; a pipe's `cat a.zip note b.zip`): where it
 * begins, looked for in the first KS_CONTAINER_LEAD_MAX bytes, else 0. What was read is t's to read again (*lead,
 * freed by the caller once t is done with). A candidate that does not open (opens_at) is passed over for the next. */
static size_t look_inside(expansion *x, trail_rd *t, unsigned depth, unsigned char **lead)
{
    *lead = NULL;
    if (depth >= x->lim->max_depth || !(*lead = malloc(INSIDE_READ)))
        return 0; /* nothing found would be opened; or no room to look, and the bytes are scanned as they are */
    unsigned char *b = *lead;
    size_t n = 0;
    while (n < INSIDE_READ) {
        const unsigned char *q;
        la_ssize_t k = trail_next(t, &q);
        if (k <= 0)
            break; /* its end; or a failure, met again when the member reads on */
        size_t take = (size_t)k < INSIDE_READ - n ? (size_t)k : INSIDE_READ - n;
        memcpy(b + n, q, take);
        n += take;
        if (take < (size_t)k)
            trail_unread(t, q, (size_t)k - take, (size_t)k);
    }
    t->replay = b;
    t->replay_n = n;
    t->at -= n;
    ks_container_kind first = ks__container_sniff(b, n);
    if (first == KS_CONT_NONE && ks__container_may_lead(b, n))
        return 0; /* a container after a lead: expand_member's */
    if (first != KS_CONT_NONE && t->opens)
        return 0; /* the stream its decoder found after damage: expand_member's, untried */
    if (first != KS_CONT_NONE) {
        /* a container from its first byte is expand_member's, unless it does not open (a tar header whose checksum
         * is wrong): its bytes are then one member, and what follows them is looked through as after a note */
        if ((x->lim->no_decompress && ks__container_is_stream(first)) || x->tries >= TRIES_PER_OBJECT)
            return 0;
        x->tries++;
        if (opens_at(x, b, n, n == INSIDE_READ))
            return 0;
    }
    size_t starts = n < KS_CONTAINER_LEAD_MAX ? n : KS_CONTAINER_LEAD_MAX, in = 0;
    for (unsigned tried = 0; (in = ks__container_inside(b, n, in + 1, starts)) < n;) {
        if (x->lim->no_decompress && ks__container_is_stream(ks__container_sniff(b + in, n - in)))
            continue; /* not opened: scanned as the bytes it is */
        /* each try decodes up to a block (a bzip2 block that fails at its end costs most): tries are bounded per
         * look and per object, past which a candidate is taken as found, as before trying */
        if (tried++ >= TRIES_PER_LOOK || x->tries >= TRIES_PER_OBJECT || opens_at(x, b + in, n - in, n == INSIDE_READ))
            return in;
        x->tries++;
    }
    return 0;
}

/* Up to `n` of t's next bytes (SIZE_MAX: all of them), at `at` in the object, handed over as they are as the member
 * "[label@at]" (the bytes before a container inside trailing data; or a stream's bytes, never to be opened again):
 * 0, or -1 when they could not be read (said by the caller). A budget they run out of is said, and the member ends. */
static int give_trail_bytes(expansion *x, trail_rd *t, uint64_t at, size_t n)
{
    char step[48];
    snprintf(step, sizeof step, "[%s@%llu]", t->label ? t->label : "trailing", (unsigned long long)at);
    size_t saved = chain_push(x, step);
    la_ssize_t k = 0;
    if (members_ok(x)) {
        x->res->members++;
        int rc = x->sink->begin(x->ctx, x->chain);
        if (rc) {
            x->stopped = rc;
        } else {
            const unsigned char *q;
            while (n && !x->halt && !x->stopped && (k = trail_next(t, &q)) > 0) {
                size_t use = (size_t)k < n ? (size_t)k : n;
                if (use < (size_t)k)
                    trail_unread(t, q, (size_t)k - use, (size_t)k);
                n -= use;
                if (!give(x, q, use))
                    break;
            }
            if (!x->stopped && (rc = x->sink->end(x->ctx)) != 0)
                x->stopped = rc;
        }
    }
    chain_pop(x, saved);
    return k < 0 ? -1 : 0;
}

/* Reads the object holding a container from the container's end to its own end, and hands what is there on as a
 * member of its own, "[trailing@N]": N is where its first byte that is not zero is in that object, and the member
 * starts there (zeros pad many archives to a record size; they hold nothing, and nothing is handed over when they
 * are all there is). A tar appended to a tar, a note appended to a .gz, a secret after a zip's end record: scanned,
 * not dropped; and opened like any member when it is a container itself (`cat a.tar b.tar.gz`, a zip after a tar),
 * at `depth`, one level below the container it follows, so that no chain of them is followed past the depth
 * limit. Returns 0, or -1 when the object could not be read to its end (`a` says why, or the member's failure was
 * said). buf: KS_CONTAINER_HEAD_MAX bytes of scratch. */
static int give_trailing(expansion *x, trail_rd *t, int zip_dir, unsigned depth, unsigned char *buf)
{
    int failed = zip_dir && skip_zip_directory(t) < 0;
    while (!failed && !x->halt && !x->stopped) {
        uint64_t at = t->at;
        const unsigned char *q;
        la_ssize_t k = trail_next(t, &q);
        if (k <= 0) {
            failed = k < 0;
            break;
        }
        size_t z = skip_zeros(q, (size_t)k);
        if (z && !pass_over_ok(x, z))
            break;
        if (z == (size_t)k) {
            if (t->member && t->member->hole) { /* more of a sparse member's hole: nothing to read or scan */
                t->at += t->member->hole;
                t->member->pos += t->member->hole;
                t->member->hole = 0;
            }
            continue;
        }
        trail_unread(t, q, (size_t)k - z, (size_t)k); /* the member begins at its first byte that is not zero */
        if (t->as_is) {
            failed = give_trail_bytes(x, t, at + z, SIZE_MAX) < 0;
            break;
        }
        unsigned char *lead = NULL;
        size_t in;
        if (t->open_at > at + z) { /* read from the source: it may fail */
            in = (size_t)(t->open_at - (at + z));
            if (give_trail_bytes(x, t, at + z, in) < 0) {
                failed = 1;
                break;
            }
        } else if ((in = look_inside(x, t, depth, &lead)) != 0) {
            give_trail_bytes(x, t, at + z, in); /* read ahead: in look_inside's replay, never failing */
        }
        char step[48];
        snprintf(step, sizeof step, "[%s@%llu]", t->label ? t->label : "trailing", (unsigned long long)(at + z + in));
        size_t saved = chain_push(x, step);
        if (!x->halt && !x->stopped && members_ok(x)) {
            member_rd mr = {.a = t->a, .more = trail_more, .more_ctx = t};
            /* a stream in it is named "data" (as a piped one is), not after the step: [trailing@N]!data */
            expand_member(x, &mr, "data", saved, depth, 0, buf);
            failed = mr.failed;
        }
        chain_pop(x, saved);
        free(lead);
        break;
    }
    return failed ? -1 : 0;
}

/* t set to read from `end` on in what a sequential source handed out last (its last piece, and the bytes kept before
 * it): 1, or 0 when `end` is not among them (t is then untouched). */
static int window_from(const last_piece *l, uint64_t end, trail_rd *t)
{
    if (end > l->at + l->n || (end < l->at && l->at - end > l->before_n))
        return 0;
    if (end < l->at) {
        t->back_n = (size_t)(l->at - end);
        memcpy(t->back, l->before + l->before_n - t->back_n, t->back_n);
        t->p = l->p;
        t->n = l->n;
    } else if (l->n) {
        t->p = l->p + (end - l->at);
        t->n = (size_t)(l->at + l->n - end);
    }
    t->at = end;
    return 1;
}

/* The trailing data of a source read sequentially, from `end`: in the last piece libarchive was handed, or
 * starting in the bytes kept before it (libarchive read past the end into that piece); lost only when it read
 * further ahead than that, which is said. 1 when *t is set, 0 when there is nothing to read. */
static int trailing_from_last(expansion *x, uint64_t end, const last_piece *l, trail_rd *t)
{
    if (end == UINT64_MAX || end > l->at + l->n)
        return 0;
    if (end < l->at && l->at - end > l->before_n) {
        char d[64];
        snprintf(d, sizeof d, "%llu", (unsigned long long)(l->at - end));
        problem(x, 1, "stopped: %s bytes after the container's end were read ahead and cannot be scanned", d);
        x->halt = 1;
        x->res->stop = KS_CONT_CORRUPT;
        return 0;
    }
    return window_from(l, end, t);
}

/* Reads t on to `end` (bytes of the container that its reader passed over), counted as bytes passed over: 1 there,
 * 0 when the bytes ended first or a budget ran out (said), -1 when they could not be read. */
static int pass_to(expansion *x, trail_rd *t, uint64_t end)
{
    while (t->at < end) {
        const unsigned char *q;
        la_ssize_t k = trail_next(t, &q);
        if (k <= 0)
            return k < 0 ? -1 : 0;
        size_t past = t->at > end ? (size_t)(t->at - end) : 0;
        if (past)
            trail_unread(t, q, past, (size_t)k);
        if (!pass_over_ok(x, (uint64_t)k - past))
            return 0;
    }
    return 1;
}

static la_ssize_t member_more(struct archive *a, void *ctx, const void **out)
{
    (void)a;
    return member_next(ctx, out, BLOCK);
}

/* A nested container ended cleanly: the rest of the member holding it is read to its end (a stream's must be, for
 * the stream's own end to be known), what follows the container's end handed over as trailing data, named inside
 * the member (`name`, put back on the chain when the stream's name was dropped: drop_to); the container began
 * `base` bytes into the member (after a lead). */
static void member_rest(expansion *x, nested_src *src, uint64_t end, int zip_dir, const char *name, size_t drop_to,
                        uint64_t base, unsigned depth, unsigned char *buf)
{
    size_t saved = drop_to != (size_t)-1 ? chain_push(x, name) : x->chain_len;
    trail_rd t = {.more = member_more, .a = src->parent->a, .ctx = src->parent, .member = src->parent};
    const last_piece *l = &src->last;
    int known, rc = 0;
    if (end != UINT64_MAX && end > l->at + l->n) {
        /* the container's own bytes its reader never asked for (an ISO 9660 image's unused sectors, to the end
         * of its volume space): read past, as what follows an unknown end is */
        t.at = l->at + l->n;
        int r = pass_to(x, &t, end);
        known = r > 0;
        rc = r < 0 ? -1 : 0;
    } else {
        known = trailing_from_last(x, end, l, &t);
    }
    t.at += base; /* the container began this far into the member */
    if (!x->halt) {
        if (known) {
            rc = give_trailing(x, &t, zip_dir, depth, buf);
        } else if (!rc) { /* the end is not known: the rest is read, not scanned, as libarchive would skip it */
            const void *q;
            la_ssize_t k;
            for (;;) {
                src->parent->pos += src->parent->hole; /* holes: nothing to read */
                src->parent->hole = 0;
                if (x->stopped || (k = member_next(src->parent, &q, BLOCK)) == 0 ||
                    !pass_over_ok(x, (uint64_t)(k > 0 ? k : 0)))
                    break;
                if (k < 0) {
                    rc = -1;
                    break;
                }
            }
        }
        if (rc < 0 && !x->halt && !x->stopped) {
            problem(x, 1, "stopped: corrupt or truncated member: %s", archive_error_string(src->parent->a));
            x->halt = 1;
            x->res->stop = KS_CONT_CORRUPT;
        }
    }
    chain_pop(x, saved);
}

/* A stream in a member failed for damage in its middle (said where it failed): the rest of the member, from where the
 * bytes that gave no output begin (dec_damage_at: `at`, the first held_n of them at `held`), handed over as the member
 * "[damaged@N]" and scanned as its bytes are, named inside the member as member_rest names trailing data. 0 when the
 * bytes there were not kept (never seen: the decoder holds what it gathered), said; the caller then reads the rest. */
/* Said when a damaged frame's bytes that gave nothing were read past before the damage showed (a pipe's, a member's:
 * gone), and the next frame is read on from all the same. */
#define DAMAGED_FRAME_GONE                                                                                             \
    "damaged: the damaged frame's bytes before the next frame were read before the damage showed, and are not "      \
    "scanned as they are"

static int member_damaged_rest(expansion *x, nested_src *src, uint64_t at, uint64_t from, const void *held,
                               size_t held_n, int opens, const char *name, size_t drop_to, uint64_t base,
                               unsigned depth, unsigned char *buf)
{
    trail_rd t = {.more = member_more, .a = src->parent->a, .ctx = src->parent, .member = src->parent,
                  .label = "damaged", .opens = opens};
    t.as_is = !at; /* all of it: the stream it was decoded as, not to be opened again */
    if (from < at && window_from(&src->last, from, &t)) { /* the bytes that gave nothing, then the next frame */
        t.open_at = base + at;
        at = from;
        held_n = 0; /* the magic's bytes are within the window */
    } else if (!at && !held_n && !src->replay_lost) { /* kept while it opened: its head, then the replay */
        held = src->head;
        held_n = src->head_len;
        t.p = src->replay;
        t.n = src->replay_len;
    } else if (!window_from(&src->last, at + held_n, &t)) {
        problem(x, 0, "%s", "damaged: the bytes after the damage were read before it showed, and are not scanned as they are");
        return 0;
    } else if (from < at) {
        problem(x, 0, "%s", DAMAGED_FRAME_GONE);
    }
    t.held = held;
    t.held_n = held_n;
    t.at = base + at;
    size_t saved = drop_to != (size_t)-1 ? chain_push(x, name) : x->chain_len;
    if (give_trailing(x, &t, 0, depth, buf) < 0 && !x->halt && !x->stopped) {
        problem(x, 1, "stopped: corrupt or truncated member: %s", archive_error_string(src->parent->a));
        x->halt = 1;
        x->res->stop = KS_CONT_CORRUPT;
    }
    chain_pop(x, saved);
    return 1;
}

/* An end a container's own header gives (UINT64_MAX: none), never before what its handle `a` consumed: a header that
 * claims less than libarchive read (a volume space too small) would have what was read handed over twice. */
static uint64_t not_before_consumed(struct archive *a, uint64_t end)
{
    la_int64_t took = archive_filter_bytes(a, 0);
    return end != UINT64_MAX && took > 0 && (uint64_t)took > end ? (uint64_t)took : end;
}

static uint64_t iso9660_volume_end(const unsigned char *d);
static uint64_t sevenzip_end(const fd_src *src);

/* Where a container read from a member (src) ended in it, once read to its end: as end_in_source says, and for an
 * ISO 9660 image where its primary volume descriptor (in the head) says its volume space ends, never before what
 * libarchive consumed. */
static uint64_t nested_end(struct archive *c, ks_container_kind kind, const stream_dec *dec, nested_src *src,
                           int *zip_dir)
{
    *zip_dir = 0;
    if (kind == KS_CONT_ISO9660) {
        if (src->head_len < KS_CONTAINER_ISO_MAGIC_AT - 1 + ISO_PVD_READ)
            return UINT64_MAX;
        return not_before_consumed(c, iso9660_volume_end(src->head + KS_CONTAINER_ISO_MAGIC_AT - 1));
    }
    return end_in_source(c, dec, zip_dir);
}

/* Gives back the last `k` bytes member_next handed out in `out`: they come out again next. */
static void member_unread(member_rd *m, const void *out, size_t k)
{
    if (out == zeros) {
        m->hole += k;
    } else {
        m->p -= k;
        m->n += k;
    }
    m->pos -= k;
}

/* A 7z in a member, held whole in memory to be opened there (its reader seeks: its index is at its end): the
 * member's bytes, head first, up to `max` of them, within the ratio guard. *over is set when more follow (or memory
 * ran out): they stay the member's to read. NULL when there was no memory for the head. */
static unsigned char *hold_member(expansion *x, member_rd *m, const unsigned char *head, size_t n, size_t max,
                                  size_t *len, int *over)
{
    size_t cap = n > 65536 ? n : 65536, got = n;
    unsigned char *all = malloc(cap);
    *len = n;
    *over = n > max;
    if (!all || *over)
        return all ? memcpy(all, head, n) : NULL;
    memcpy(all, head, n);
    for (;;) {
        const void *p;
        la_ssize_t k = member_next(m, &p, BLOCK);
        if (k <= 0)
            break; /* a failure is met again, and said, when the member is read on */
        unsigned char *b = all;
        if ((size_t)k > max - got) {
            b = NULL;
        } else if (got + (size_t)k > cap) {
            size_t c = cap * 2 < got + (size_t)k ? got + (size_t)k : cap * 2;
            cap = c < max ? c : max;
            b = realloc(all, cap);
        }
        if (!b) { /* too big to hold, or no memory to: the member is scanned as its bytes */
            member_unread(m, p, (size_t)k);
            *over = 1;
            break;
        }
        all = b;
        memcpy(all + got, p, (size_t)k);
        got += (size_t)k;
        if (!ratio_ok(x, x->res->bytes_out + got))
            break;
    }
    *len = got;
    return all;
}

/* What follows the end of a 7z held whole (hold_member) in its member: trailing data, named inside the member as
 * member_rest names it. */
static void held_rest(expansion *x, struct archive *c, fd_src *held, const char *name, size_t drop_to,
                      uint64_t base, unsigned depth, unsigned char *buf)
{
    uint64_t end = not_before_consumed(c, sevenzip_end(held));
    if (end == UINT64_MAX || end >= held->size)
        return;
    size_t saved = drop_to != (size_t)-1 ? chain_push(x, name) : x->chain_len;
    held->pos = end;
    trail_rd t = {.more = fd_read, .a = c, .ctx = held, .at = base + end};
    give_trailing(x, &t, 0, depth, buf); /* memory: nothing fails to be read */
    chain_pop(x, saved);
}

/* Tries the member being read as a container of its own, its first `n` bytes in head, after the member's first
 * `lead_len` bytes in `lead` (a launch script, a self-extracting stub: the member's own bytes, handed over as the
 * member after the container's). Returns 1 when it was expanded (or the expansion stopped), 0 when it is not
 * one: then the member has begun at the sink and the bytes taken so far are handed over (the caller goes on from
 * there). */
static int try_nested(expansion *x, member_rd *parent, ks_container_kind kind, const unsigned char *head, size_t n,
                      unsigned depth, const char *member_name, size_t drop_to, const unsigned char *lead,
                      size_t lead_len)
{
    unsigned char *child_buf = malloc(KS_CONTAINER_HEAD_MAX);
    nested_src src = {.parent = parent, .head = head, .head_len = n, .opening = 1};
    /* a 7z is held whole and read from memory, where its reader can seek; one too big for that is its bytes */
    fd_src held = {.fd = -1};
    unsigned char *all = NULL;
    int over = 0;
    if (kind == KS_CONT_7Z && child_buf) {
        /* the limit holds for a 7z and the 7z archives it is inside, held at the same time, together */
        size_t limit = x->lim->max_spool ? x->lim->max_spool : KS_CONTAINER_SPOOL_MAX;
        size_t len = n, max = limit > x->held ? limit - x->held : 0;
        held.mem = all = hold_member(x, parent, head, n, max, &len, &over);
        held.size = len;
        x->held += all ? len : 0;
        if (over) {
            char what[200];
            snprintf(what, sizeof what, "a 7z archive needs random access: inside another archive it is held in memory, "
                     "up to %zu bytes with the 7z archives it is in; this one is larger and was scanned as the bytes it is",
                     limit);
            problem(x, 1, "%s", what);
            if (x->res->stop == KS_CONT_COMPLETE)
                x->res->stop = KS_CONT_LIMIT;
        }
    }
    struct archive *c = child_buf && !x->halt && !over && (kind != KS_CONT_7Z || all) ? new_reader(x, kind) : NULL;
    stream_dec dec = {0};
    int opened = 0;
    if (c && all && set_source(c, kind, fd_read, &held, 0, &dec)) {
        archive_read_set_seek_callback(c, fd_seek);
        archive_read_set_skip_callback(c, fd_skip);
        opened = open_reader(c, kind);
    } else if (c && !all && set_source(c, kind, nested_read, &src, 0, &dec)) {
        opened = open_reader(c, kind);
    }
    src.opening = 0;
    const char *refused = opened ? NULL : dec_refused(&dec);
    if (refused) { /* the member is passed over, said; the archive reads on */
        problem(x, 1, "stopped: %s", refused);
        if (x->res->stop == KS_CONT_COMPLETE || x->res->stop == KS_CONT_CORRUPT)
            x->res->stop = KS_CONT_LIMIT;
        opened = 1;
    } else if (opened) {
        x->res->containers++;
        if (drop_to != (size_t)-1)
            chain_pop(x, drop_to); /* the stream's decompressed bytes are named by what they hold */
        /* an archive in a stream (.tar.gz) is one level; a stream in a stream is two */
        int same_level = of_a_stream(parent) && !ks__container_is_stream(kind);
        unsigned inner = same_level ? depth : depth + 1; /* its members', and what follows its end */
        open_src opened_here = {.a = c, .last = &src.last, .base = lead_len, .parent = all ? NULL : parent,
                                .kind = kind, .name = member_name, .drop_to = drop_to, .up = x->nested};
        x->nested = &opened_here;
        int done = expand_archive(x, c, member_name, inner, child_buf); /* 1: what follows it was handed over */
        x->nested = opened_here.up;
        /* A container in a member that is corrupt (said where it failed) ends there; the archive holding it
         * reads on to its next member, unless its own bytes failed too. Only a spent budget halts them all. */
        int corrupt = x->halt && x->res->stop == KS_CONT_CORRUPT && !parent->failed;
        if (corrupt) {
            x->halt = 0;
            /* a stream damaged in its middle: the rest of the member, scanned as its bytes are */
            const void *kept;
            size_t kept_n;
            uint64_t at = dec_damage_at(&dec, &kept, &kept_n);
            int rest_given = !all && at != UINT64_MAX &&
                             member_damaged_rest(x, &src, at, dec_failed_at(&dec, at), kept, kept_n, dec.rest_opens,
                                                 member_name, drop_to, lead_len, inner, child_buf);
            /* else a stream's one member: what is left of it is read (not scanned), so that where the stream ends,
             * and what follows it, is known (bzip2's end is where its filter stopped reading) */
            if (of_a_stream(parent) && !all && !rest_given)
                member_rest(x, &src, UINT64_MAX, 0, member_name, drop_to, lead_len, inner, child_buf);
        }
        if (!x->halt && !x->stopped && !corrupt && !done && all) {
            held_rest(x, c, &held, member_name, drop_to, lead_len, inner, child_buf);
        } else if (!x->halt && !x->stopped && !corrupt && !done) {
            int zip_dir;
            uint64_t end = nested_end(c, kind, &dec, &src, &zip_dir);
            member_rest(x, &src, end, zip_dir, member_name, drop_to, lead_len, inner, child_buf);
        }
        if (parent->warning[0] && !x->halt && !x->stopped) /* read whole above, but not what its archive says */
            problem(x, 0, "damaged, scanned as it is: %s", parent->warning);
        if (lead_len && !x->halt && !x->stopped && members_ok(x)) { /* the lead: the member's own bytes */
            x->res->members++;
            int rc = x->sink->begin(x->ctx, x->chain);
            if (!rc) {
                give(x, lead, lead_len);
                rc = x->stopped ? 0 : x->sink->end(x->ctx);
            }
            if (rc)
                x->stopped = rc;
        }
    } else if (!src.replay_lost) {
        /* not a container after all: the member's bytes so far, as data */
        opened = 0;
    }
    char damaged[200] = "", why[200];
    const char *d = opened || !c ? NULL : open_damaged(&dec, c, kind, all ? all : head, all ? held.size : n, why, sizeof why);
    if (d)
        snprintf(damaged, sizeof damaged, "%s", d);
    if (!opened && !all && src.replay_lost && replay_refill(&dec, n, &src.last, 0, &src.replay, &src.replay_len))
        src.replay_lost = 0;
    if (c)
        archive_read_free(c);
    dec_free(&dec);
    int begun = 0;
    if (!opened) {
        x->res->members++;
        int rc = begin_entry(x, parent);
        if (rc) {
            x->stopped = rc;
        } else {
            begun = 1;
            if (all) { /* what was held: the member's bytes so far */
                if (give(x, lead, lead_len))
                    give(x, all, held.size);
            } else if (give(x, lead, lead_len) && give(x, head, n) && give(x, src.replay, src.replay_len) &&
                     src.replay_lost)
                problem(x, 0, "%s", "could not be opened as a container; part of it was not scanned");
            if (damaged[0] && !x->stopped)
                problem(x, 0, "damaged, scanned as it is: %s", damaged);
        }
    }
    free(src.replay);
    x->held -= all ? held.size : 0;
    free(all);
    free(child_buf);
    return begun ? 0 : 1;
}

/* What a hole is held to the budgets for: what passing over one costs the sink (ks__stream_zeros scans a few overlaps
 * of zeros), not its size. A tar of many small holes is then stopped as a bomb: 200,000 in 5 MiB cost 10 s. */
#define HOLE_COST ((uint64_t)sizeof zeros)

/* The hole due in mr, handed to the sink whole (see ks_container_sink.zeros). 0 when the sink stopped or a budget ran
 * out. */
static int give_hole(expansion *x, member_rd *mr)
{
    uint64_t n = mr->hole;
    if (!budget_ok(x, (size_t)(n < HOLE_COST ? n : HOLE_COST)))
        return 0;
    mr->hole = 0;
    mr->pos += n;
    int rc = x->sink->zeros(x->ctx, n);
    if (rc)
        x->stopped = rc;
    return !rc;
}

/* The rest of a member begun at the sink, handed over, and its end. */
static void give_member_rest(expansion *x, member_rd *mr)
{
    const void *piece;
    la_ssize_t m = 0;
    mr->pass_holes = x->sink->zeros != NULL;
    while (!x->halt && !x->stopped && (m = member_next(mr, &piece, BLOCK)) != 0)
        if (m == MEMBER_HOLE ? !give_hole(x, mr) : m < 0 || !give(x, piece, (size_t)m))
            break;
    mr->pass_holes = 0;
    if (m < 0 && !x->halt && !x->stopped) {
        problem(x, 1, "stopped: corrupt or truncated member: %s", archive_error_string(mr->a));
        x->halt = 1;
        x->res->stop = KS_CONT_CORRUPT;
    } else if (mr->warning[0] && !x->halt && !x->stopped) { /* scanned whole, but not what its archive says */
        problem(x, 0, "damaged, scanned as it is: %s", mr->warning);
    }
    if (!x->stopped) {
        int rc = x->sink->end(x->ctx);
        if (rc)
            x->stopped = rc;
    }
}



/* ---- a container after a lead: an executable jar's launch script, a self-extracting stub, a zipapp's shebang, a
 * makeself installer's script (found by container_sniff.c) ---- */

/* A member whose first `n` bytes (head) may lead a container: its first LEAD_MAX bytes are looked through for a
 * zip's local header, or a script's line where a stream begins; a container found there is expanded inside the
 * member, the lead before it handed over as the member's own bytes (try_nested). Returns 1 when the member was
 * handled whole, 0 when it has begun at the sink with the bytes read so far handed over (the caller gives the
 * rest). */
static int container_after_lead(expansion *x, member_rd *mr, const unsigned char *head, size_t n, unsigned depth,
                                const char *name)
{
    unsigned char *acc = malloc(KS_CONTAINER_LEAD_READ);
    size_t len = n, at = n;
    ks_container_kind kind = KS_CONT_ZIP;
    if (acc) {
        memcpy(acc, head, n);
        at = ks__container_lead_zip_at(acc, len, 1);
        while (at == len && len < KS_CONTAINER_LEAD_READ) {
            const void *piece;
            la_ssize_t k = member_next(mr, &piece, KS_CONTAINER_LEAD_READ - len);
            if (k <= 0)
                break; /* its end, or a failure the caller meets again */
            memcpy(acc + len, piece, (size_t)k);
            /* a header whose name ran past what was read was not taken: looked at again */
            size_t from = len > 30 + 1024 ? len - (30 + 1024) : 1;
            len += (size_t)k;
            at = ks__container_lead_zip_at(acc, len, from);
        }
        /* a script's line before the zip (if any) where a stream begins: looked for once, all read */
        kind = ks__container_lead_kind(acc, len, at, &at);
    }
    const unsigned char *bytes = acc ? acc : head;
    if (at < len && try_nested(x, mr, kind, acc + at, len - at, depth, name, (size_t)-1, acc, at)) {
        free(acc);
        return 1;
    }
    if (at >= len) { /* no zip: a member like any other */
        x->res->members++;
        int rc = x->sink->begin(x->ctx, x->chain);
        if (rc) {
            x->stopped = rc;
            free(acc);
            return 1;
        }
        give(x, bytes, len);
    }
    free(acc);
    return 0;
}


#define DAMAGED_SAID_MAX 16 /* runs of damaged headers said one by one */
#define TAR_BLOCK 512u

/* n bytes at `at` among those a sequential source handed out last (its last piece, and the bytes kept before it):
 * 1 when they are all there, copied into out. */
static int from_last(const last_piece *l, uint64_t at, unsigned char *out, size_t n)
{
    if (at + l->before_n < l->at || at + n > l->at + l->n)
        return 0;
    size_t early = at < l->at ? (size_t)(l->at - at) : 0; /* how many of them precede the piece */
    if (early)
        memcpy(out, l->before + l->before_n - early, early < n ? early : n);
    if (n > early)
        memcpy(out + early, l->p + (size_t)(at + early - l->at), n - early);
    return 1;
}

/* n bytes the archive `a` consumed at `at` (counted from its start), read again from its source: 1 with them in out
 * and *base set to where the archive begins in the object holding it; 0 when they are gone (a pipe or a member
 * read on past them). A tar block libarchive passed over as damaged is among the last bytes it was handed. */
static int bytes_again(const expansion *x, struct archive *a, uint64_t at, unsigned char *out, size_t n,
                       uint64_t *base)
{
    if (a == x->outer && x->outer_src && !x->outer_dec.d) {
        const fd_src *src = x->outer_src;
        *base = src->base;
        if (src->pipe)
            return from_last(&src->last, at, out, n);
        if (at > src->size || src->size - at < n)
            return 0;
        if (src->mem) {
            memcpy(out, src->mem + src->base + at, n);
            return 1;
        }
        return pread(src->fd, out, n, (off_t)(src->base + at)) == (ssize_t)n;
    }
    for (const open_src *o = x->nested; o; o = o->up)
        if (o->a == a) {
            *base = o->base;
            return from_last(o->last, at, out, n);
        }
    return 0;
}

/* A run of damaged tar blocks, handed over as the member "[damaged@N]" (N: where the run begins in the object
 * holding the tar) while their bytes can still be read again: a member whose header was damaged is not lost. */
typedef struct damaged_run {
    int begun, lost; /* lost: a block could not be read again, and it and the rest are passed over */
    size_t saved;    /* the chain before the run's name */
    uint64_t bytes;
} damaged_run;

/* n bytes of a run of damaged tar blocks, at `at` in the object holding the tar: handed over, the run begun at the
 * sink with its first. Returns 0 when a budget ran out (said, halted) or the sink stopped. */
static int damaged_give(expansion *x, damaged_run *run, const unsigned char *b, size_t n, uint64_t at)
{
    run->bytes += n;
    if (!run->begun) {
        char step[48];
        snprintf(step, sizeof step, "[damaged@%llu]", (unsigned long long)at);
        run->saved = chain_push(x, step);
        run->begun = 1;
        if (!members_ok(x))
            return 0;
        x->res->members++;
        int rc = x->sink->begin(x->ctx, x->chain);
        if (rc) {
            x->stopped = rc;
            return 0;
        }
        run->begun = 2; /* begun at the sink too */
    }
    return give(x, b, n);
}

/* The block [at, at + TAR_BLOCK) of `a`, libarchive passed over: handed over, or passed over (counted) when it
 * cannot be read again. Returns 0 when a budget ran out (said, halted) or the sink stopped. */
static int damaged_block(expansion *x, struct archive *a, damaged_run *run, uint64_t at)
{
    unsigned char b[TAR_BLOCK];
    uint64_t base = 0;
    if (run->lost || !bytes_again(x, a, at, b, sizeof b, &base)) {
        run->bytes += TAR_BLOCK;
        run->lost = 1;
        return pass_over_ok(x, TAR_BLOCK) && ratio_ok(x, x->res->bytes_out + x->passed_over);
    }
    return damaged_give(x, run, b, sizeof b, base + at);
}

/* Ends a run of damaged blocks (ok: 0 when handing it over failed) at the sink, and says it (why: libarchive's
 * words): the tar is then a corrupt container's, part of it not read as members. Returns 0 when the expansion is to
 * unwind: a budget ran out (said), or the sink stopped. */
static int damaged_end(expansion *x, damaged_run *run, int ok, const char *why)
{
    if (run->begun == 2 && !x->stopped) {
        int rc = x->sink->end(x->ctx);
        if (rc)
            x->stopped = rc;
    }
    if (run->begun)
        chain_pop(x, run->saved);
    if (!ok || x->halt || x->stopped)
        return 0;
    if (x->res->stop == KS_CONT_COMPLETE)
        x->res->stop = KS_CONT_CORRUPT;
    if (++x->damaged_said > DAMAGED_SAID_MAX + 1)
        return 1;
    if (x->damaged_said == DAMAGED_SAID_MAX + 1) {
        problem(x, 0, "%s", "damaged: more damaged headers, not said one by one");
        return 1;
    }
    char d[256];
    snprintf(d, sizeof d, "%s: %llu bytes passed over to the next header, %s", why, (unsigned long long)run->bytes,
             run->lost ? (run->begun ? "scanned up to where they could not be read again" : "not scanned")
                       : "scanned as bytes");
    problem(x, 0, "damaged: %s", d);
    return 1;
}

/* The next header. A damaged one (a tar header whose checksum is wrong) is ARCHIVE_RETRY, which is no failure to
 * libarchive, though the entry it returns is no entry: the next header is looked for, block by block, as tar does.
 * The blocks passed over (the damaged header, and its member's data, which no header leads any more) are handed
 * over as a member of their own, and said. They count as bytes out for the budgets and the ratio guard: a compressed
 * flood of damaged blocks is stopped like a bomb. */
static int next_header(expansion *x, struct archive *a, struct archive_entry **e)
{
    int r = archive_read_next_header(a, e);
    if (r != ARCHIVE_RETRY)
        return r;
    char d[120];
    const char *why = archive_error_string(a);
    snprintf(d, sizeof d, "%s", why ? why : "a damaged header");
    la_int64_t now = archive_filter_bytes(a, 0);
    damaged_run run = {0};
    int ok = now >= TAR_BLOCK && damaged_block(x, a, &run, (uint64_t)now - TAR_BLOCK);
    while (ok && r == ARCHIVE_RETRY) {
        la_int64_t before = archive_filter_bytes(a, 0);
        r = archive_read_next_header(a, e);
        now = archive_filter_bytes(a, 0);
        if (r == ARCHIVE_RETRY)
            ok = now == before + TAR_BLOCK ? damaged_block(x, a, &run, (uint64_t)before)
                                           : pass_over_ok(x, now > before ? (uint64_t)(now - before) : 0);
    }
    return damaged_end(x, &run, ok, d) ? r : ARCHIVE_FATAL; /* said, and halted; or the sink stopped */
}

/* 1 when the outermost object is a zip that libarchive reads by its central directory. */
static int resumable(const expansion *x) { return x->zip_src && x->zip_src->seeks; }

/* ---- a tar read on after a damaged header that follows a special one ---- */

/* libarchive passes over a damaged tar header (ARCHIVE_RETRY: next_header), except one that follows a special header
 * (a GNU long name, a pax extended header): there it fails the whole tar for good ("Damaged tar archive", fatal), and
 * every member after it was lost. Such a tar is read on here as tar does: from the damaged header on, blocks are
 * handed over as "[damaged@N]" up to the next block that is a header again, and a new handle reads the tar on from
 * there, on the same bytes (and again after each such failure, up to MAX_TAR_RESUMES). */
#define MAX_TAR_RESUMES 4096u

typedef struct tar_resume {
    trail_rd t;                    /* the tar's bytes, from where the look for its next header goes on */
    member_rd mr;                  /* t, as what the resumed handle reads */
    nested_src ns;                 /* the resumed handle's source: the header found (hdr), then mr */
    unsigned char hdr[TAR_BLOCK];
    unsigned char *again;          /* bytes a handle was handed and did not consume: t reads them first */
    struct archive *c;             /* the resumed handle */
    open_src node;                 /* c on x->nested: a damaged block of its own is read again from ns.last */
    int pushed;                    /* node is on x->nested */
    uint64_t base;                 /* where c's first byte is in the object holding the tar */
    unsigned resumed;
    const char *name;              /* what follows the tar's end is named inside this member, when not NULL */
} tar_resume;

static void count_read_ahead(expansion *x, struct archive *a, const fd_src *src);
static void trailing_said(expansion *x, struct archive *a, int rc);

/* 1 when the 512 bytes at h are a tar header whose checksum is right (as libarchive sums it: unsigned, or signed as
 * some old writers did). */
static int tar_header_right(const unsigned char *h)
{
    size_t i = 148;
    while (i < 156 && h[i] == ' ')
        i++;
    uint64_t want = 0;
    int digits = 0;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
        want = want * 8 + (uint64_t)(h[i] - '0');
    if (!digits)
        return 0;
    uint64_t sum = 0;
    int64_t ssum = 0;
    for (i = 0; i < TAR_BLOCK; i++) {
        unsigned char b = i >= 148 && i < 156 ? ' ' : h[i];
        sum += b;
        ssum += (signed char)b;
    }
    return sum == want || (ssum >= 0 && (uint64_t)ssum == want);
}

static int zero_block(const unsigned char *h) { return skip_zeros(h, TAR_BLOCK) == TAR_BLOCK; }

/* The kind the handle `a` was opened as (libarchive sets no tar format before a long name's own header is read). */
static ks_container_kind kind_of(const expansion *x, const struct archive *a)
{
    if (a == x->outer)
        return x->outer_kind;
    for (const open_src *o = x->nested; o; o = o->up)
        if (o->a == a)
            return o->kind;
    return KS_CONT_NONE;
}

/* rs->t set to read the bytes of `a`, the tar that failed, from `at` on (counted from its first byte): again from a
 * file or memory by offset, or from what a pipe or a member handed it last and then from where they read on. 0 when
 * they cannot be read again (a decoder's output; read ahead past what is kept). */
static int first_bytes_again(expansion *x, struct archive *a, uint64_t at, tar_resume *rs)
{
    trail_rd *t = &rs->t;
    if (a == x->outer && x->outer_src && !x->outer_dec.d) {
        fd_src *src = x->outer_src;
        *t = (trail_rd){.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in};
        if (!src->pipe) {
            src->pos = at;
            t->at = src->base + at;
            return 1;
        }
        if (!window_from(&src->last, src->head_at + at, t))
            return 0;
        count_read_ahead(x, a, src);
        t->at += src->base;
        return 1;
    }
    for (const open_src *o = x->nested; o; o = o->up)
        if (o->a == a && o->parent) {
            *t = (trail_rd){.more = member_more, .a = o->parent->a, .ctx = o->parent, .member = o->parent};
            if (!window_from(o->last, at, t))
                return 0;
            t->at += o->base;
            rs->name = o->drop_to != (size_t)-1 ? o->name : NULL;
            return 1;
        }
    return 0;
}

/* rs->t to replay w bytes first (from `at` on in the last piece `l`, or in `p` when l is NULL), then mid_n bytes of
 * mid, then what it replayed still: 1, or 0 when there is no memory. The front is copied before the old replay is
 * freed, as the last piece may lie in it. */
static int replay_first(tar_resume *rs, const last_piece *l, const unsigned char *p, uint64_t at, size_t w,
                        const unsigned char *mid, size_t mid_n)
{
    size_t rep = rs->t.replay_n;
    unsigned char *b = malloc(w + mid_n + rep + 1);
    if (!b)
        return 0;
    if (l)
        from_last(l, at, b, w);
    else if (w)
        memcpy(b, p + at, w);
    if (mid_n)
        memcpy(b + w, mid, mid_n);
    if (rep)
        memcpy(b + w + mid_n, rs->t.replay, rep); /* (it may be in rs->again: copied before that is freed) */
    free(rs->again);
    rs->again = b;
    rs->t.replay = b;
    rs->t.replay_n = w + mid_n + rep;
    return 1;
}

/* The bytes the resumed handle was handed from `at` on (counted from its first) and did not consume, put before
 * what rs->t holds still: t reads on from there. 0 when they are no longer kept, or no memory. */
static int put_back(tar_resume *rs, uint64_t at)
{
    const last_piece *l = &rs->ns.last;
    uint64_t end = rs->ns.head_given ? l->at + l->n : TAR_BLOCK; /* a handle that took nothing: its header alone */
    if (at > end || (rs->ns.head_given && at < l->at && l->at - at > l->before_n))
        return 0;
    if (!replay_first(rs, rs->ns.head_given ? l : NULL, rs->hdr, at, (size_t)(end - at), rs->mr.p, rs->mr.n))
        return 0;
    rs->t.at = rs->base + at;
    rs->mr.n = 0;
    return 1;
}

/* What follows the tar's end, from t on: trailing data, named inside the member that holds the tar when the chain
 * dropped its name (a stream's one member), as member_rest names it. */
static void resumed_trailing(expansion *x, tar_resume *rs, trail_rd *t, unsigned depth, unsigned char *buf)
{
    size_t saved = rs->name ? chain_push(x, rs->name) : x->chain_len;
    trailing_said(x, t->a, give_trailing(x, t, 0, depth, buf));
    chain_pop(x, saved);
}

/* The block in rs->hdr, taken last, put back before what rs->t holds still: 1, or 0 when there is no memory. */
static int requeue_block(tar_resume *rs)
{
    if (!replay_first(rs, NULL, rs->hdr, 0, TAR_BLOCK, NULL, 0))
        return 0;
    rs->t.at -= TAR_BLOCK;
    return 1;
}

/* Reads rs->t on a block at a time: its first block (a damaged header, or one libarchive refused) and each after it
 * that is no tar header are handed over as one run of damaged blocks (fewer than a block at the end, too). Returns
 * 1 at a block that is a header (in rs->hdr; unless not to `look` for one), 2 at the tar's end marker (two zero
 * blocks, one the bytes end after, or one before another kind of container: what follows is trailing data; a lone
 * zero block is damaged data, as a member's data holds many), 0 when the bytes ended or the expansion is to unwind
 * (a budget ran out, said; the sink stopped), -1 when they could not be read. */
static int to_next_header(expansion *x, tar_resume *rs, damaged_run *run, int look)
{
    int have = 0; /* rs->hdr holds the next block already: taken to look past a zero block */
    for (int first = 1;; first = 0) {
        uint64_t at = rs->t.at - (have ? TAR_BLOCK : 0);
        if (!have) {
            int k = trail_take(&rs->t, rs->hdr, TAR_BLOCK);
            if (k < 0)
                return -1;
            if (k == 0) {
                const unsigned char *q;
                la_ssize_t n;
                while ((n = trail_next(&rs->t, &q)) > 0)
                    if (!damaged_give(x, run, q, (size_t)n, at))
                        return 0;
                return n < 0 ? -1 : 0;
            }
        }
        have = 0;
        if (zero_block(rs->hdr)) {
            int k = trail_take(&rs->t, rs->hdr, TAR_BLOCK);
            if (k < 0)
                return -1;
            if (k == 0 || zero_block(rs->hdr))
                return 2;
            ks_container_kind next = ks__container_sniff(rs->hdr, TAR_BLOCK);
            if (next != KS_CONT_NONE && next != KS_CONT_TAR)
                return requeue_block(rs) ? 2 : -1;
            if (!damaged_give(x, run, zeros, TAR_BLOCK, at))
                return 0;
            have = 1;
            continue;
        }
        if (look && !first && tar_header_right(rs->hdr))
            return 1;
        if (!damaged_give(x, run, rs->hdr, TAR_BLOCK, at))
            return 0;
    }
}

/* Says a failure of reading a tar on (why), and stops its expansion as a corrupt container's: -1. */
static int read_on_failed(expansion *x, const char *why)
{
    if (!x->halt && !x->stopped)
        problem(x, 1, "stopped: corrupt or truncated container: %s", why);
    x->halt = 1;
    x->res->stop = KS_CONT_CORRUPT;
    return -1;
}

/* `a`, a tar (or the handle that read one on), failed for good. When the failure is a damaged header after a special
 * one and the tar's bytes can be read again from there, they are handed over up to its next header, and a handle
 * reads the tar on from that: 1, with it in (*rsp)->c. -1 when the tar is done: its bytes ended (handed over, and
 * what follows its end marker as trailing data), or it stopped (said, halted), or the expansion is to unwind. 0 when
 * it is no such failure, or cannot be read again: the caller says it as before. *rsp is the caller's to free
 * (tar_resume_free). depth, buf: as expand_archive's, for what follows the tar's end. */
static int tar_read_on(expansion *x, struct archive *a, tar_resume **rsp, unsigned depth, unsigned char *buf)
{
    static const char damaged[] = "Damaged tar archive";
    const char *why = archive_error_string(a);
    la_int64_t took = archive_filter_bytes(a, 0);
    tar_resume *rs = *rsp;
    int tar = (rs && a == rs->c) || kind_of(x, a) == KS_CONT_TAR;
    if (!tar || archive_filter_count(a) != 1 || !why || strcmp(why, damaged) != 0 || took < TAR_BLOCK ||
        took % TAR_BLOCK)
        return 0;
    /* what libarchive failed on: a damaged header (read on from it); or zeros, the tar's end marker right after a
     * special header (what follows is trailing data); else no damage but the end of the bytes (a truncated tar,
     * said as before), which "Damaged tar archive" also says */
    unsigned char blk[TAR_BLOCK];
    uint64_t base;
    uint64_t at = (uint64_t)took - TAR_BLOCK;
    if (!bytes_again(x, a, at, blk, sizeof blk, &base) || tar_header_right(blk))
        return 0;
    int end = zero_block(blk);
    if (!rs && !(rs = *rsp = calloc(1, sizeof *rs)))
        return 0;
    if (end)
        at += TAR_BLOCK; /* libarchive consumed the end marker: what follows it */
    if (a == rs->c ? !put_back(rs, at) : !first_bytes_again(x, a, at, rs))
        return 0;
    if (rs->c) {
        archive_read_free(rs->c);
        rs->c = rs->node.a = NULL;
    }
    if (end) {
        if (x->res->stop == KS_CONT_COMPLETE)
            x->res->stop = KS_CONT_CORRUPT;
        problem(x, 0, "%s", "damaged: a long-name or pax header with no member after it, at the tar's end");
        resumed_trailing(x, rs, &rs->t, depth, buf);
        return -1;
    }
    int look = rs->resumed < MAX_TAR_RESUMES; /* past that, the rest is one run: each reading on costs a handle */
    if (!look && !x->halt) {
        char d[24];
        snprintf(d, sizeof d, "%u", MAX_TAR_RESUMES);
        problem(x, 0, "damaged: more than %s damaged headers after special ones: the rest of the tar is scanned as "
                      "bytes", d);
    }
    rs->resumed++;
    damaged_run run = {0};
    struct archive *c = NULL;
    int k;
    while ((k = to_next_header(x, rs, &run, look)) == 1) {
        rs->base = rs->t.at - TAR_BLOCK;
        rs->mr = (member_rd){.a = rs->t.a, .more = trail_more, .more_ctx = &rs->t};
        rs->ns = (nested_src){.parent = &rs->mr, .head = rs->hdr, .head_len = TAR_BLOCK};
        if ((c = new_reader(x, KS_CONT_TAR)) != NULL) {
            archive_read_set_read_callback(c, nested_read);
            archive_read_set_callback_data(c, &rs->ns);
            if (open_reader(c, KS_CONT_TAR))
                break;
            archive_read_free(c);
            c = NULL;
        }
        if (!put_back(rs, 0)) { /* libarchive refused the header: damaged too, read again */
            damaged_end(x, &run, 0, damaged);
            return read_on_failed(x, "no memory to read the tar on after a damaged header");
        }
    }
    if (k == 1) {
        if (!damaged_end(x, &run, 1, damaged)) {
            archive_read_free(c);
            return -1;
        }
        rs->c = c;
        if (!rs->pushed) {
            rs->node = (open_src){.last = &rs->ns.last, .kind = KS_CONT_TAR, .up = x->nested};
            x->nested = &rs->node;
            rs->pushed = 1;
        }
        rs->node.a = c;
        rs->node.base = rs->base;
        return 1;
    }
    if (k == 0 && run.bytes == TAR_BLOCK && !x->halt && !x->stopped) {
        /* the block libarchive failed on, and nothing after it: a tar cut short after a special header's body */
        damaged_end(x, &run, 0, damaged);
        return read_on_failed(x, damaged);
    }
    if (!damaged_end(x, &run, k >= 0, damaged) && k >= 0)
        return -1; /* a budget ran out (said), or the sink stopped */
    if (k < 0)
        return read_on_failed(x, archive_error_string(rs->t.a));
    if (k == 2) /* the end marker after the run: what follows is trailing data */
        resumed_trailing(x, rs, &rs->t, depth, buf);
    return -1;
}

/* The resumed tar ended (its end marker): what follows it, handed over as trailing data. */
static void tar_resumed_end(expansion *x, tar_resume *rs, unsigned depth, unsigned char *buf)
{
    la_int64_t end = archive_filter_bytes(rs->c, 0);
    trail_rd t = {.more = member_more, .a = rs->t.a, .ctx = &rs->mr};
    if (end >= 0 && trailing_from_last(x, (uint64_t)end, &rs->ns.last, &t)) {
        t.at += rs->base;
        resumed_trailing(x, rs, &t, depth, buf);
    }
}

static void tar_resume_free(expansion *x, tar_resume *rs)
{
    if (!rs)
        return;
    if (rs->pushed)
        x->nested = rs->node.up;
    if (rs->c)
        archive_read_free(rs->c);
    free(rs->again);
    free(rs);
}

/* Every member of an open archive, depth-first into nested containers. Returns 1 when what follows the archive's
 * end was handed over here already (a tar read on after a damaged header: its old handle's end is no end), else 0. */
static int expand_entries(expansion *x, struct archive *a, const char *stream_name, unsigned depth,
                          unsigned char *buf, tar_resume **rs);

static int expand_archive(expansion *x, struct archive *a, const char *stream_name, unsigned depth, unsigned char *buf)
{
    tar_resume *rs = NULL;
    int done = expand_entries(x, a, stream_name, depth, buf, &rs);
    tar_resume_free(x, rs);
    return done;
}

static int expand_entries(expansion *x, struct archive *a, const char *stream_name, unsigned depth,
                          unsigned char *buf, tar_resume **rs)
{
    struct archive_entry *e;
    ks_stripes *st = NULL;
    member_rd mr = {0};
    uint64_t first = a == x->outer ? x->resume_at : 0; /* read_on's */
    if (a == x->outer)
        x->resume_at = 0;
    for (uint64_t index = first;; index++) {
        if (x->halt || x->stopped) {
            /* a member of a zip read by its directory that failed: the entries after it are where the
             * directory says, so the zip is opened again and read on from there (expand_source) */
            if (!x->stopped && mr.failed && x->res->stop == KS_CONT_CORRUPT && a == x->outer && resumable(x))
                x->resume_at = index;
            return 0;
        }
        uint64_t seeks = x->stripe_src ? x->stripe_src->seeks : 0;
        /* libarchive tells "out of memory" from "name not convertible" by errno after a conversion that does
         * not always set it: a stale ENOMEM (any earlier failed malloc on this thread) turned a zip entry with a
         * non-UTF-8 name under the UTF-8 flag from a warning into a fatal error, and its member was lost */
        errno = 0;
        int r = next_header(x, a, &e);
        if (a == x->outer && index == 0 && x->stripe_src && r >= ARCHIVE_WARN && x->stripe_src->seeks != seeks)
            x->stripes = ks__stripes_start(x->stripe_src->fd, x->stripe_src->base, x->stripe_src->size,
                                           x->lim->decode_ahead);
        if (a == x->outer) {
            st = x->stripes;
            x->stripe_in = 0;
        }
        if (r == ARCHIVE_EOF) {
            if (*rs && a == (*rs)->c) { /* what follows it is handed over here: the old handle's end is no end */
                tar_resumed_end(x, *rs, depth, buf);
                return 1;
            }
            return 0;
        }
        if (r >= ARCHIVE_WARN && !x->entered) {
            x->entered = 1;
            if (x->recording)
                *x->recording = 0;
        }
        if (r < ARCHIVE_WARN && x->halt)
            return 0; /* a budget ran out passing over damaged headers: said */
        int resumed = r < ARCHIVE_WARN && x->entered && !x->stopped ? tar_read_on(x, a, rs, depth, buf) : 0;
        if (resumed > 0) {
            a = (*rs)->c;
            continue;
        }
        if (resumed < 0)
            return 1; /* the tar's bytes were all read, and what followed them; or it stopped, said */
        if (r < ARCHIVE_WARN) {
            /* An outermost object that fails before its first member is no container: the caller
             * scans its bytes as they are, and there is nothing to say. */
            if (x->entered)
                problem(x, 1, "stopped: corrupt or truncated container: %s", archive_error_string(a));
            x->halt = 1;
            x->res->stop = KS_CONT_CORRUPT; /* (a damaged local header fails a reopened handle again: no reading on) */
            x->refused_header = a == x->outer;
            return 0;
        }
        /* directories, links, devices: nothing to read, and nothing is ever written (a type of 0, as
         * some ar and cpio writers leave it, is a file) */
        unsigned type = archive_entry_filetype(e);
        if (type && type != AE_IFREG && archive_format(a) != ARCHIVE_FORMAT_RAW)
            continue;
        char raw_name[512];
        const char *name = archive_entry_pathname(e);
        if (archive_format(a) == ARCHIVE_FORMAT_RAW) {
            stream_member_name(stream_name, raw_name, sizeof raw_name);
            name = raw_name;
        }
        if (!name || !*name)
            name = "?"; /* a nameless entry: also what a stream inside it is named after */
        size_t saved = chain_push(x, name);
        if (archive_entry_is_encrypted(e)) {
            problem(x, 0, "%s", "encrypted: not scanned");
            chain_pop(x, saved);
            continue;
        }
        if (!members_ok(x)) {
            chain_pop(x, saved);
            return 0;
        }
        int sized = archive_entry_size_is_set(e) && archive_format(a) != ARCHIVE_FORMAT_RAW;
        mr = (member_rd){.a = a, .st = st, .index = index, .in_at = &x->stripe_in,
                         .size = sized ? (uint64_t)archive_entry_size(e) : UINT64_MAX};
        expand_member(x, &mr, name, saved, depth, archive_format(a) == ARCHIVE_FORMAT_RAW, buf);
        chain_pop(x, saved);
    }
}

/* One member, named on the chain (`saved`: the chain before its name), read through mr, its archive at `depth`
 * (of_stream: a compressed stream's one member): opened when its magic or a lead says it holds a container the
 * depth allows, else handed to the sink. Failures are said, and halt the expansion. buf: KS_CONTAINER_HEAD_MAX
 * bytes of scratch. */
static void expand_member(expansion *x, member_rd *mr, const char *name, size_t saved, unsigned depth, int of_stream,
                          unsigned char *buf)
{
    /* The head, for the magic test: a block may hold less (what a failure follows is kept) */
    la_ssize_t n = 0, got;
    const void *piece;
    size_t head_want = KS_CONTAINER_SECTOR;
    while ((size_t)n < head_want && (got = member_next(mr, &piece, head_want - (size_t)n)) > 0) {
        memcpy(buf + n, piece, (size_t)got);
        n += got;
        if ((size_t)n == KS_CONTAINER_SECTOR && ks__container_may_be_image(buf, (size_t)n))
            head_want = KS_CONTAINER_HEAD_MAX; /* its magic is 32 KiB in */
    }
    if (mr->failed && !n) {
        problem(x, 1, "stopped: corrupt or truncated member: %s", archive_error_string(mr->a));
        x->halt = 1;
        x->res->stop = KS_CONT_CORRUPT;
        return; /* the loop's head unwinds, or reads on after it */
    }
    ks_container_kind kind = ks__container_sniff(buf, (size_t)n);
    /* The decompressed bytes of a stream are not a level of their own: release.tar.gz!srv/.env */
    int nested = kind != KS_CONT_NONE && (depth < x->lim->max_depth || (of_stream && !ks__container_is_stream(kind))) &&
                 !(x->lim->no_decompress && ks__container_is_stream(kind));
    if (nested) {
        unsigned char *head = malloc((size_t)n);
        if (head) {
            memcpy(head, buf, (size_t)n);
            if (!try_nested(x, mr, kind, head, (size_t)n, depth, name, of_stream ? saved : (size_t)-1, NULL, 0))
                give_member_rest(x, mr); /* not a container: a member like any other */
            free(head);
            return;
        }
    }
    if (kind == KS_CONT_NONE && depth < x->lim->max_depth && ks__container_may_lead(buf, (size_t)n)) {
        if (!container_after_lead(x, mr, buf, (size_t)n, depth, name))
            give_member_rest(x, mr);
        return;
    }
    x->res->members++;
    int rc = begin_entry(x, mr);
    if (rc) {
        x->stopped = rc;
        return;
    }
    give(x, buf, (size_t)n);
    give_member_rest(x, mr);
}

static uint64_t zip_end_record(const fd_src *src);
static uint64_t sevenzip_end(const fd_src *src);
static uint64_t iso9660_end(const fd_src *src);
static uint64_t iso9660_volume_end(const unsigned char *d);
static uint64_t pipe_end(struct archive *a, ks_container_kind kind, const expansion *x, fd_src *src, int *zip_dir);
static int src_bytes(const fd_src *src, uint64_t off, void *out, size_t n);

/* Bytes a pipe handed the outermost handle `a` and it has not consumed (libarchive counts what it consumed; the
 * rest of its last piece was read ahead): counted as read for the ratio guard once what follows is read from them. */
static void count_read_ahead(expansion *x, struct archive *a, const fd_src *src)
{
    la_int64_t used = archive_filter_bytes(a, -1);
    uint64_t got = src->pos - src->head_at;
    if (!x->outer_dec.d && used >= 0 && got > (uint64_t)used)
        x->trailing_in += got - (uint64_t)used;
}

/* Says, and stops the expansion at, trailing data that could not be read (give_trailing's rc < 0). */
static void trailing_said(expansion *x, struct archive *a, int rc)
{
    if (rc < 0 && !x->halt && !x->stopped) {
        problem(x, 1, "stopped: what follows the container's end could not be read: %s", archive_error_string(a));
        x->halt = 1;
        x->res->stop = KS_CONT_CORRUPT;
    }
}

/* What follows `end` in a file or memory, up to src->size, read by offset and handed over as trailing data. */
static void file_trailing(expansion *x, struct archive *a, fd_src *src, uint64_t end, int zip_dir, unsigned char *buf)
{
    if (end >= src->size)
        return;
    if (!x->past_end) { /* the ratio guard counts from the first container's end */
        x->past_end = 1;
        x->end_at = end;
    }
    src->pos = end; /* fd_read reads on from there; the data is named by where it is in the file */
    trail_rd t = {.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in, .at = src->base + end};
    trailing_said(x, a, give_trailing(x, &t, zip_dir, 1, buf));
}

/* `n` bytes at `off` of a pipe's first bytes: its head, then what was kept while it opened (src->replay). 0, or -1
 * when they were not kept. */
static int pipe_bytes_at(const fd_src *src, uint64_t off, unsigned char *out, size_t n)
{
    for (size_t k = 0; k < n; k++, off++) {
        if (off < src->head_len)
            out[k] = src->head[off];
        else if (off - src->head_len < src->replay_len)
            out[k] = src->replay[off - src->head_len];
        else
            return -1;
    }
    return 0;
}

/* Where a container read from a pipe ended: as end_in_source says, but for an ISO 9660 image, whose volume space its
 * primary volume descriptor gives (among the first bytes, kept). */
static uint64_t pipe_end(struct archive *a, ks_container_kind kind, const expansion *x, fd_src *src, int *zip_dir)
{
    *zip_dir = 0;
    if (kind == KS_CONT_ISO9660) {
        unsigned char d[ISO_PVD_READ];
        return pipe_bytes_at(src, KS_CONTAINER_ISO_MAGIC_AT - 1, d, sizeof d) ? UINT64_MAX : iso9660_volume_end(d);
    }
    return end_in_source(a, &x->outer_dec, zip_dir);
}

/* What follows the outermost container's end: read by offset from a file or memory, from the last piece read
 * on from a pipe. */
static void outer_trailing(expansion *x, struct archive *a, ks_container_kind kind, fd_src *src, unsigned char *buf)
{
    /* a zip libarchive read by its central directory (it sought) ends with its end record; 7z and ISO 9660, read
     * by their directories too, where their headers say */
    int zip_dir = 0;
    uint64_t end = kind == KS_CONT_ZIP && src->seeks ? (src->end_known ? src->end_record : zip_end_record(src))
                   : src->pipe                     ? pipe_end(a, kind, x, src, &zip_dir)
                   : kind == KS_CONT_7Z            ? sevenzip_end(src)
                   : kind == KS_CONT_ISO9660       ? iso9660_end(src)
                                                   : end_in_source(a, &x->outer_dec, &zip_dir);
    /* a zip libarchive tried to seek in but then read as it streams (its end record too far back): where that
     * stopped, and its directory skipped */
    if (kind == KS_CONT_ZIP && end == UINT64_MAX && !src->pipe)
        end = end_in_source(a, &x->outer_dec, &zip_dir);
    if (kind == KS_CONT_7Z || kind == KS_CONT_ISO9660)
        end = not_before_consumed(a, end);
    if (src->pipe && end != UINT64_MAX)
        end += src->head_at; /* the handle counts from where it began: a zip read on after a corrupt member */
    if (!src->pipe) {
        file_trailing(x, a, src, end, zip_dir, buf);
        return;
    }
    trail_rd t = {.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in};
    const last_piece *l = &src->last;
    if (end != UINT64_MAX && end > l->at + l->n) {
        /* the container's own bytes its reader never asked for (an ISO 9660 image's unused sectors, to the end of its
         * volume space): read past, as they are passed over in a file */
        count_read_ahead(x, a, src);
        t.at = l->at + l->n;
        int r = trail_skip(&t, end - t.at);
        if (r <= 0) {
            trailing_said(x, a, r);
            return;
        }
    } else {
        if (!trailing_from_last(x, end, l, &t))
            return;
        count_read_ahead(x, a, src);
    }
    t.at += src->base; /* named by where it is in the stream (after a script's lead) */
    trailing_said(x, a, give_trailing(x, &t, zip_dir, 1, buf));
}

/* The outermost stream failed for damage in its middle (said where it failed): its source from where the bytes that
 * gave no output begin (dec_damage_at), handed over as the member "[damaged@N]" and scanned as its bytes are; read by
 * offset from a file or memory, from the last piece (and what its decoder gathered) from a pipe. */
static void outer_damaged_rest(expansion *x, struct archive *a, fd_src *src, unsigned char *buf)
{
    const void *held;
    size_t held_n;
    uint64_t at = dec_damage_at(&x->outer_dec, &held, &held_n), from = dec_failed_at(&x->outer_dec, at);
    if (at == UINT64_MAX || x->stopped || !x->entered || x->res->stop != KS_CONT_CORRUPT)
        return;
    trail_rd t = {.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in, .label = "damaged",
                  .as_is = !at, /* all of it: the stream it was decoded as, not to be opened again */
                  .opens = x->outer_dec.rest_opens};
    if (!src->pipe) {
        if (from < at) { /* the damaged frame's bytes that gave nothing, as they are, then the next frame */
            t.open_at = src->base + at;
            at = from;
        }
        src->pos = at;
        t.at = at;
        if (!x->past_end) { /* the ratio guard counts from there, as after a container's end (file_trailing) */
            x->past_end = 1;
            x->end_at = at;
        }
    } else if (!at && !held_n && !src->replay_lost) { /* all of it, kept while it opened: its head, then the replay */
        t.held = src->head;
        t.held_n = src->head_len;
        t.p = src->replay;
        t.n = src->replay_len;
        t.at = src->head_at;
    } else if (from < at && window_from(&src->last, src->head_at + from, &t)) {
        t.open_at = src->base + src->head_at + at; /* (held: the magic's bytes, within what the window reads) */
    } else if (window_from(&src->last, src->head_at + at + held_n, &t)) {
        if (from < at)
            problem(x, 0, "%s", DAMAGED_FRAME_GONE);
        t.held = held;
        t.held_n = held_n;
        t.at = src->head_at + at;
    } else {
        problem(x, 0, "%s", "damaged: the bytes after the damage were read before it showed, and are not scanned as they are");
        return;
    }
    t.at += src->base;
    x->halt = 0; /* the stream's failure stopped the stream alone */
    trailing_said(x, a, give_trailing(x, &t, 0, 1, buf));
}

/* A handle on the outermost container's source (decoded ahead on a thread of its own when `ahead`), which seeks
 * unless the source is a pipe (zip is then read as it streams) or our own decoder's; NULL when none can be had. */
static struct archive *outer_reader(expansion *x, ks_container_kind kind, fd_src *src, int ahead)
{
    struct archive *a = new_reader(x, kind);
    if (a && !set_source(a, kind, fd_read, src, ahead, &x->outer_dec)) {
        archive_read_free(a);
        return NULL;
    }
    if (a && !src->pipe && !x->outer_dec.d) {
        archive_read_set_seek_callback(a, fd_seek);
        archive_read_set_skip_callback(a, fd_skip);
    }
    return a;
}

/* The zip's striping threads stopped, a read of theirs that failed kept in src->read_failed. */
static void stripes_stop(expansion *x, fd_src *src)
{
    if (ks__stripes_read_failed(x->stripes))
        atomic_store(&src->read_failed, 1);
    ks__stripes_stop(x->stripes);
}

#define MAX_REOPEN 64 /* corrupt members a zip is read on after */
#define MAX_HEADERS_PASSED ((uint64_t)1 << 20) /* headers passed over again by reopenings, in all (about a second) */

/* The outermost zip, read by its directory, failed in one member (said): it is opened again, its entries up to
 * x->resume_at passed over by their headers, and read on. Returns the new handle (the old one freed), or NULL
 * when the zip cannot be opened again. */
static struct archive *read_on(expansion *x, struct archive *a, ks_container_kind kind, fd_src *src, const char *name,
                               unsigned char *buf)
{
    uint64_t from = x->resume_at;
    x->resume_at = 0;
    if (from > MAX_HEADERS_PASSED - x->headers_passed)
        return a; /* the corrupt member said why the zip stopped */
    x->headers_passed += from;
    la_int64_t pos = archive_filter_bytes(a, -1);
    if (x->stripe_in > (uint64_t)(pos > 0 ? pos : 0))
        pos = (la_int64_t)x->stripe_in; /* the failed member's thread read further than the handle */
    if (pos > 0 && (uint64_t)pos > x->pos_before)
        x->pos_before = (uint64_t)pos;
    stripes_stop(x, src); /* read on one member at a time */
    x->stripes = NULL;
    x->stripe_src = NULL;
    archive_read_free(a);
    x->outer = NULL;
    src->pos = 0;
    if (!(a = outer_reader(x, kind, src, 0)))
        return NULL;
    struct archive_entry *e;
    uint64_t i = 0;
    if (open_reader(a, kind))
        while (i < from && archive_read_next_header(a, &e) >= ARCHIVE_WARN)
            i++;
    x->outer = a;
    if (i < from)
        return a; /* the corrupt member already said why the zip stopped */
    x->halt = 0;
    x->resume_at = from;
    expand_archive(x, a, name, 1, buf);
    return a;
}

/* ---- a zip read as it streams, read on after a corrupt member ---- */

/* A local header is taken only with this many bytes after it at hand (its name, and the next header's signature
 * when its sizes say where that is); nearer the window's end it is looked at again once more bytes came. */
#define HEADER_ROOM (30u + 1024u + 4u)

/* 1 when q (room bytes there) begins the zip's central directory as a zip writer leaves it: a directory record
 * (a version needed from 1.0 to 6.3, a name of 1 to 1,024 bytes), a zip64 end record or the end record. */
static int directory_looks_right(const unsigned char *q, size_t room)
{
    if (room < 4 || q[0] != 'P' || q[1] != 'K')
        return 0;
    if (q[2] == 5 && q[3] == 6)
        return room >= 22;
    if (q[2] == 6 && q[3] == 6)
        return room >= 56;
    return q[2] == 1 && q[3] == 2 && room >= 46 && q[6] >= 10 && q[6] <= 63 && ks__le16(q + 28) >= 1 &&
           ks__le16(q + 28) <= 1024;
}

static la_ssize_t trail_callback(struct archive *a, void *ctx, const void **out)
{
    (void)a;
    return trail_more(ctx, out);
}

/* The zip read from a pipe (or the library's stream) stopped at a corrupt member, said: libarchive fails for good
 * after a decompression error, and a pipe cannot be read again by its central directory, so the members after it
 * were lost. The bytes after where the handle stopped (or the oldest still kept, when it read further ahead) are
 * looked through for the next local header that looks right, past the one this handle began at: a new handle reads
 * the zip on from there, its first bytes those already read (src->head, in *head, which the caller frees after the
 * handle), and that handle is returned. When the central directory comes first, the zip ends there: the directory is
 * passed over and what follows it is trailing data (buf: scratch for it), and NULL is returned, as it is when
 * nothing follows, the bytes cannot be read (nothing more to say: the corrupt member was) or a budget ran out
 * (said). */
static struct archive *zip_read_on(expansion *x, struct archive *a, fd_src *src, unsigned char **head,
                                   unsigned char *buf)
{
    la_int64_t took = archive_filter_bytes(a, 0);
    const last_piece *l = &src->last;
    uint64_t from = src->head_at + (uint64_t)(took > 0 ? took : 0), oldest = l->at - l->before_n;
    /* never where this handle began, or before: each reading on goes further; nor a header it refused, which
     * would be refused again */
    uint64_t past = x->refused_header && from > src->head_at ? from : src->head_at;
    x->refused_header = 0;
    trail_rd t = {.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in};
    if (took < 0 || !trailing_from_last(x, from > oldest ? from : oldest, l, &t))
        return NULL;
    count_read_ahead(x, a, src);
    x->halt = 0; /* halted by the corrupt member; again by a budget that runs out looking (said) */
    unsigned char *w = malloc(BLOCK + HEADER_ROOM); /* bytes not judged yet from earlier pieces, then a piece */
    size_t carry = 0, len = 0, at = 0;
    uint64_t w_at = t.at; /* where w[0] is */
    int found = 0;        /* 1: a local header at w + at; 2: the central directory */
    while (w && !found && !x->halt) {
        const unsigned char *q;
        la_ssize_t k = trail_next(&t, &q); /* a piece is at most BLOCK bytes: a pipe's read, a pull, a kept piece */
        if (k < 0)
            break;
        if (k > 0)
            memcpy(w + carry, q, (size_t)k);
        len = carry + (size_t)k;
        size_t upto = k == 0 ? len : len > HEADER_ROOM ? len - HEADER_ROOM : 0; /* the rest waits for more */
        for (size_t i = 0; i < upto; i++) {
            const unsigned char *p = memchr(w + i, 'P', upto - i);
            if (!p)
                break;
            i = (size_t)(p - w);
            if (w_at + i <= past)
                continue;
            found = ks__zip_local_header_right(p, len - i) ? 1 : directory_looks_right(p, len - i) ? 2 : 0;
            if (found) {
                at = i;
                break;
            }
        }
        if (found || k == 0 || !pass_over_ok(x, upto))
            break;
        memmove(w, w + upto, len - upto);
        carry = len - upto;
        w_at += upto;
    }
    struct archive *b = NULL;
    if (found == 2 && pass_over_ok(x, at)) {
        /* what follows the directory is read from w, then from what t still holds and the pipe */
        trail_rd rest = {.p = w + at, .n = len - at, .at = src->base + w_at + at, .more = trail_callback, .a = a,
                         .ctx = &t};
        if (give_trailing(x, &rest, 1, 1, buf) < 0 && !x->halt && !x->stopped) {
            problem(x, 1, "stopped: what follows the container's end could not be read: %s", archive_error_string(a));
            x->res->stop = KS_CONT_CORRUPT;
        }
    } else if (found == 1 && pass_over_ok(x, at)) {
        size_t held = len - at + t.back_n + t.n; /* the piece's rest, and what t still holds of what was read */
        if ((*head = malloc(held))) {
            memcpy(*head, w + at, len - at);
            memcpy(*head + len - at, t.back, t.back_n);
            if (t.n)
                memcpy(*head + len - at + t.back_n, t.p, t.n);
            src->head = *head;
            src->head_len = held;
            src->head_at = w_at + at;
            src->head_given = 0;
            src->opening = 0;
            src->last.before_n = 0; /* what precedes the head was passed over: never taken for its neighbour */
            /* the guard's bytes read: all before the new handle's first (it counts from there) */
            x->trailing_in = src->head_at;
            b = outer_reader(x, KS_CONT_ZIP, src, 0);
            if (b && !open_reader(b, KS_CONT_ZIP)) {
                archive_read_free(b);
                b = NULL;
            }
        }
    }
    free(w);
    if (!b)
        x->halt = 1; /* as the corrupt member left it, or the budget; or the zip ended */
    return b;
}

/* Where a zstd frame's magic next begins in src at or after `from` (as src counts), read by offset a block at a time
 * into buf (BLOCK bytes); UINT64_MAX when none does, or the bytes could not be read. */
static uint64_t src_next_zstd_frame(const fd_src *src, uint64_t from, unsigned char *buf)
{
    const size_t m = sizeof KS_ZSTD_MAGIC - 1;
    if (src->mem) {
        const unsigned char *all = src->mem + src->base;
        const unsigned char *q = from < src->size ? memmem(all + from, src->size - from, KS_ZSTD_MAGIC, m) : NULL;
        return q ? (uint64_t)(q - all) : UINT64_MAX;
    }
    while (from < src->size && src->size - from >= m) {
        size_t n = src->size - from < BLOCK ? (size_t)(src->size - from) : BLOCK;
        if (src_bytes(src, from, buf, n))
            return UINT64_MAX;
        const unsigned char *q = memmem(buf, n, KS_ZSTD_MAGIC, m);
        if (q)
            return from + (uint64_t)(q - buf);
        from += n - (m - 1); /* a magic across two blocks */
    }
    return UINT64_MAX;
}

/* The outermost zstd stream, from a file or memory, failed to open for damage in its first frame (`damaged`, said):
 * when another frame follows, the bytes up to it are handed over as they are as the member "[damaged@0]" and the
 * frames from there are opened as "[damaged@N]" (as after damage further in, outer_damaged_rest), and 0 is returned;
 * 1 when they are all to be scanned as they are (no frame follows, or the source reads in order). */
static int first_frame_damaged(expansion *x, struct archive *a, ks_container_kind kind, fd_src *src,
                               const char *damaged, unsigned char *buf)
{
    uint64_t first, next;
    /* past the damaged frame's own magic, skippable frames before it (pzstd writes one) passed over */
    if (kind != KS_CONT_ZSTD || src->pipe || src->pull || (first = src_next_zstd_frame(src, 0, buf)) == UINT64_MAX ||
        (next = src_next_zstd_frame(src, first + sizeof KS_ZSTD_MAGIC - 1, buf)) == UINT64_MAX)
        return 1;
    char why[300];
    snprintf(why, sizeof why, "%s; scanned as it is up to the next frame, at byte %llu, and read on there", damaged,
             (unsigned long long)(src->base + next));
    problem(x, 0, "damaged: %s", why);
    x->res->containers = 1;
    x->past_end = 1; /* the ratio guard counts all of it, as after a container's end */
    x->end_at = 0;
    src->pos = 0;
    trail_rd t = {.more = fd_read, .a = a, .ctx = src, .read_count = &x->trailing_in, .label = "damaged",
                  .opens = 1, .at = src->base, .open_at = src->base + next};
    trailing_said(x, a, give_trailing(x, &t, 0, 1, buf));
    return 0;
}

static int expand_source(fd_src *src, ks_container_kind kind, const char *name, const ks_container_limits *lim,
                         const ks_container_sink *sink, void *ctx, ks_container_result *res)
{
    if (kind == KS_CONT_NONE || (lim->no_decompress && ks__container_is_stream(kind)) || lim->max_depth < 1)
        return 1;
    expansion *x = calloc(1, sizeof *x);
    unsigned char *buf = malloc(BLOCK);
    if (!src->mem && !src->pull) /* a pull source hands over its own bytes */
        src->buf = malloc(BLOCK);
    struct archive *a = NULL;
    int rc = 1;
    if (!x || !buf || (!src->mem && !src->pull && !src->buf))
        goto out;
    x->lim = lim;
    x->sink = sink;
    x->ctx = ctx;
    x->res = res;
    int orc;
    /* decoded ahead only from a file read by offset: a pipe's bytes are recorded as they are read, for a replay */
    if (!(a = outer_reader(x, kind, src, lim->decode_ahead && !src->pipe && !src->mem && !src->pull)))
        goto out;
    src->opening = 1; /* until the first header: till then it may still be no container */
    x->recording = &src->opening;
    orc = open_reader(a, kind);
    x->outer = a;
    x->outer_src = src;
    x->outer_kind = kind;
    const char *refused = orc ? NULL : dec_refused(&x->outer_dec);
    if (refused) {
        problem(x, 1, "stopped: %s", refused);
        res->containers = 1;
        res->stop = KS_CONT_LIMIT;
        rc = 0;
        goto out;
    }
    if (!orc) { /* not one after all: scanned as it is, and said when it was one all the same */
        unsigned char h[10];
        char why[200];
        int have = !(src->pipe ? pipe_bytes_at(src, 0, h, sizeof h) : src_bytes(src, 0, h, sizeof h));
        const char *damaged = open_damaged(&x->outer_dec, a, kind, h, have ? sizeof h : 0, why, sizeof why);
        if (damaged && !first_frame_damaged(x, a, kind, src, damaged, buf)) {
            rc = x->stopped ? -1 : 0;
            goto out;
        }
        if (damaged)
            problem(x, 0, "damaged, scanned as it is: %s", damaged);
        goto out;
    }
    res->containers = 1;
    /* A big zip on disk, with workers to spare: its members are decompressed several at a time, once its first
     * header shows that libarchive reads it by its central directory (it sought to it). A zip read as it streams
     * is not: a member skipped ends where its header says, one read where its compressed data ends, so threads
     * that skip members could see other entries than the one that reads them, and a member would be lost. */
    if (kind == KS_CONT_ZIP && lim->decode_ahead > 1 && !src->pipe && !src->mem && !src->pull && !src->by_lead)
        x->stripe_src = src;
    if (kind == KS_CONT_ZIP && !src->pipe)
        x->zip_src = src;
    int done = expand_archive(x, a, name, 1, buf);
    for (unsigned again = 0; a && x->resume_at && !x->stopped && again < MAX_REOPEN; again++)
        a = read_on(x, a, kind, src, name, buf);
    unsigned char *held = NULL; /* the current handle's first bytes (src->head), freed after it */
    for (unsigned again = 0; a && src->pipe && kind == KS_CONT_ZIP && x->halt && x->entered && !x->stopped &&
                             res->stop == KS_CONT_CORRUPT && again < MAX_REOPEN;
         again++) {
        unsigned char *head = NULL;
        struct archive *b = zip_read_on(x, a, src, &head, buf);
        if (!b) {
            free(head);
            break;
        }
        archive_read_free(a);
        free(held);
        held = head;
        x->outer = a = b;
        x->halt = 0;
        expand_archive(x, a, name, 1, buf);
    }
    /* an archive with no member (an empty zip's end record alone) may still be followed by bytes */
    if (a && !done && !x->halt && !x->stopped)
        outer_trailing(x, a, kind, src, buf);
    else if (a && x->halt)
        outer_damaged_rest(x, a, src, buf);
    /* the zip that follows the first one: trailing data of its own, opened as the pipe's reading opens it (a corrupt
     * first zip stops only itself) */
    if (a && src->then_size > src->size && !x->stopped && (!x->halt || res->stop == KS_CONT_CORRUPT) &&
        (x->entered || res->stop != KS_CONT_CORRUPT)) { /* (a first zip that failed before a header: all bytes) */
        x->halt = 0;
        uint64_t at = src->size;
        src->size = src->then_size;
        file_trailing(x, a, src, at, 0, buf);
    }
    rc = x->stopped ? -1 : 0;
    if (!rc && !x->entered && res->stop == KS_CONT_CORRUPT)
        rc = 1; /* not even a first header: the raw bytes are all there is to scan */
    if (a)
        archive_read_free(a);
    a = NULL;
    free(held);
out:
    if (x)
        stripes_stop(x, src);
    if (a)
        archive_read_free(a);
    if (x && rc == 1 && src->pipe && src->replay_lost &&
        replay_refill(&x->outer_dec, src->head_len, &src->last, src->head_at, &src->replay, &src->replay_len))
        src->replay_lost = 0;
    if (x)
        dec_free(&x->outer_dec); /* (its thread ahead, which reads the object too, is joined) */
    /* the object could not be read (said where): an error of its own, not a container's damage (0 errors, exit 0) */
    if (x && rc == 0 && atomic_load(&src->read_failed) && res->stop != KS_CONT_LIMIT)
        res->stop = KS_CONT_IO;
    free(src->buf);
    src->buf = NULL;
    free(buf);
    free(x);
    return rc;
}


/* n bytes of the object at off, from memory or the descriptor: 0, or -1 when they are not all there. */
static int bytes_at(const void *mem, size_t len, int fd, uint64_t size, uint64_t off, void *out, size_t n)
{
    if (off > size || size - off < n)
        return -1;
    if (mem) {
        memcpy(out, (const unsigned char *)mem + off, n);
        return 0;
    }
    return pread(fd, out, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* `n` bytes at `off` in the container src reads (which begins src->base bytes into its object): 0, or -1 when they
 * are not all there. */
static int src_bytes(const fd_src *src, uint64_t off, void *out, size_t n)
{
    uint64_t whole = src->base + src->size;
    if (off > src->size)
        return -1;
    return bytes_at(src->mem, src->mem ? (size_t)whole : 0, src->fd, whole, src->base + off, out, n);
}

#define EOCD_LEN 22u
#define EOCD_COMMENT_MAX 1024u /* the end record is looked for this far back: zip comments are short */
#define EOCD_SEARCH (65535u + EOCD_LEN) /* how far back libarchive looks for it: a comment's most */

/* The end of an ISO 9660 image's volume space, from its primary volume descriptor's first ISO_PVD_READ bytes (at
 * KS_CONTAINER_ISO_MAGIC_AT - 1): its count of logical blocks times their size; UINT64_MAX when that is not there. */
static uint64_t iso9660_volume_end(const unsigned char *d)
{
    if (d[0] != 1)
        return UINT64_MAX;
    uint64_t blocks = ks__le32(d + 80), block = ks__le16(d + 128);
    return blocks && block ? blocks * block : UINT64_MAX;
}

/* A 7z archive ends where its signature header says: after its next header, NextHeaderOffset bytes past the
 * 32-byte signature header and NextHeaderSize long; UINT64_MAX when that is past the object's end. */
static uint64_t sevenzip_end(const fd_src *src)
{
    unsigned char h[32];
    if (src_bytes(src, 0, h, sizeof h))
        return UINT64_MAX;
    uint64_t off = ks__le64(h + 12), len = ks__le64(h + 20);
    return off <= src->size && len <= src->size - off && 32 + off + len <= src->size ? 32 + off + len : UINT64_MAX;
}

/* An ISO 9660 image ends after its volume space: the primary volume descriptor's count of logical blocks times
 * their size; UINT64_MAX when that is not there. */
static uint64_t iso9660_end(const fd_src *src)
{
    unsigned char d[ISO_PVD_READ];
    return src_bytes(src, KS_CONTAINER_ISO_MAGIC_AT - 1, d, sizeof d) ? UINT64_MAX : iso9660_volume_end(d);
}

/* Where the end record libarchive read a zip by ends (its comment and whatever follows are trailing data): the
 * last one in its search window, as libarchive takes it (one disk, its entry counts agreeing); UINT64_MAX when
 * none is found. */
static uint64_t zip_end_record(const fd_src *src)
{
    size_t tn = src->size < EOCD_SEARCH ? (size_t)src->size : EOCD_SEARCH;
    unsigned char *tail = malloc(tn ? tn : 1);
    uint64_t end = UINT64_MAX;
    if (tail && !src_bytes(src, src->size - tn, tail, tn)) {
        for (size_t i = tn >= EOCD_LEN ? tn - EOCD_LEN + 1 : 0; i-- > 0;) {
            const unsigned char *r = tail + i;
            if (r[0] == 'P' && !memcmp(r, "PK\x05\x06", 4) && !(r[4] | r[5] | r[6] | r[7]) && r[8] == r[10] &&
                r[9] == r[11]) {
                end = src->size - tn + i + EOCD_LEN;
                break;
            }
        }
    }
    free(tail);
    return end;
}

#define SPLITS_MAX 16u /* zips appended one after another that are told apart (each opens one level deeper anyway) */

/* Where the zip libarchive would read src by begins (`end`: where src's last end record ends, zip_end_record's),
 * when that is past the object's start and the bytes before it end a zip of their own (a zip appended to a zip),
 * with *first_end where that one's end record ends; 0 otherwise. */
static uint64_t appended_zip_at(const fd_src *src, uint64_t end, uint64_t *first_end)
{
    unsigned char r[EOCD_LEN], h[4];
    if (end == UINT64_MAX || src_bytes(src, end - EOCD_LEN, r, sizeof r))
        return 0;
    uint64_t dir_len = ks__le32(r + 12), dir_at = ks__le32(r + 16); /* 0xffffffff: zip64, whose records say; not split */
    if (dir_len == 0xffffffffu || dir_at == 0xffffffffu || !dir_len || dir_len + dir_at > end - EOCD_LEN)
        return 0;
    uint64_t begins = end - EOCD_LEN - dir_len - dir_at;
    if (!begins || src_bytes(src, begins, h, 4) || memcmp(h, "PK\x03\x04", 4) ||
        src_bytes(src, end - EOCD_LEN - dir_len, h, 4) || memcmp(h, "PK\x01\x02", 4))
        return 0;
    fd_src first = *src;
    first.size = begins;
    if ((*first_end = zip_end_record(&first)) == UINT64_MAX)
        return 0; /* the bytes before it end no zip of their own: read as libarchive reads them */
    return begins;
}

/* A zip that begins the object and has zips appended to it (`cat a.zip b.zip c.zip`): libarchive reads a zip by the
 * last end record, c's, which says where c's directory begins counting from c's start, so a's and b's members would
 * never be read. The object is cut before each appended zip in turn, from the last, down to the first zip
 * (src->size), and what follows it is read after it as trailing data (to src->then_size), as a pipe reads it: b
 * opened there, and c after b's end. */
static void split_appended_zip(fd_src *src)
{
    uint64_t whole = src->size, end = zip_end_record(src), begins, first_end;
    for (unsigned i = 0; i < SPLITS_MAX && (begins = appended_zip_at(src, end, &first_end)) != 0; i++) {
        src->size = begins;
        end = first_end;
    }
    src->end_record = end; /* the trailing data's start, when libarchive has read the zip by it */
    src->end_known = 1;
    if (src->size < whole)
        src->then_size = whole;
}

int ks__container_zip_after(const void *mem, size_t len, int fd, uint64_t size, uint64_t *prefix)
{
    if (mem)
        size = len;
    if (size < EOCD_LEN + 4)
        return 0;
    unsigned char tail[EOCD_LEN + EOCD_COMMENT_MAX];
    size_t tn = size < sizeof tail ? (size_t)size : sizeof tail;
    if (bytes_at(mem, len, fd, size, size - tn, tail, tn))
        return 0;
    /* the end record whose comment runs to the end; found by its rarest byte (0x06, which text lacks), since
     * every file that is no container at its head comes here */
    const unsigned char *e = NULL;
    for (const unsigned char *q = tail + 3; (q = memchr(q, 6, (size_t)(tail + tn - q))) != NULL; q++) {
        const unsigned char *r = q - 3;
        if (!memcmp(r, "PK\x05\x06", 4) && (size_t)(r - tail) + EOCD_LEN <= tn &&
            (size_t)(r - tail) + EOCD_LEN + (r[20] | r[21] << 8) == tn)
            e = r;
    }
    if (!e)
        return 0;
    uint64_t eocd = size - tn + (size_t)(e - tail), cd_size = ks__le32(e + 12), cd_off = ks__le32(e + 16);
    if (cd_off == 0xffffffffu || cd_size + cd_off >= eocd)
        return 0; /* zip64, or nothing before the zip: its head shows it */
    uint64_t start = eocd - cd_size - cd_off;
    unsigned char sig[4];
    if (bytes_at(mem, len, fd, size, eocd - cd_size, sig, 4) || memcmp(sig, "PK\x01\x02", 4) ||
        bytes_at(mem, len, fd, size, start, sig, 4) || memcmp(sig, "PK\x03\x04", 4))
        return 0;
    *prefix = start;
    return 1;
}

ks_container_kind ks__container_lead_at(const void *mem, size_t len, int fd, uint64_t size, uint64_t *base)
{
    size_t n = (mem ? len : size) < KS_CONTAINER_LEAD_READ ? (size_t)(mem ? len : size) : KS_CONTAINER_LEAD_READ;
    unsigned char *lead = mem ? NULL : malloc(n ? n : 1);
    const unsigned char *h = mem ? mem : lead;
    ks_container_kind k = KS_CONT_NONE;
    if (h && (mem || pread(fd, lead, n, 0) == (ssize_t)n))
        k = ks__container_after_lead(h, n, base);
    free(lead);
    return k;
}

/* The kind its head says, or an ISO 9660 image by its descriptor further in, or a zip after other bytes by
 * its end record, or after a lead a zip by its first local header or a stream at a script's line (*base: where it
 * begins), in an object whose bytes are all at hand: in memory, or behind a descriptor that can be read
 * anywhere. */
static ks_container_kind sniff_object(const unsigned char *head, size_t hn, const void *mem, size_t len, int fd,
                                      uint64_t size, uint64_t *base, int *by_lead)
{
    *base = 0;
    *by_lead = 0;
    ks_container_kind k = ks__container_sniff(head, hn);
    if (k != KS_CONT_NONE)
        return k;
    unsigned char m[5];
    if (!bytes_at(mem, len, fd, mem ? len : size, KS_CONTAINER_ISO_MAGIC_AT, m, sizeof m) && !memcmp(m, "CD001", 5))
        return KS_CONT_ISO9660;
    uint64_t prefix;
    if (ks__container_zip_after(mem, len, fd, size, &prefix))
        return KS_CONT_ZIP;
    if (!ks__container_may_lead(head, hn))
        return KS_CONT_NONE;
    k = ks__container_lead_at(mem, len, fd, size, base);
    *by_lead = k == KS_CONT_ZIP;
    return k;
}

int ks__container_expand(const void *mem, size_t len, int fd, uint64_t size, const char *name,
                         const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                         ks_container_result *res)
{
    memset(res, 0, sizeof *res);
    unsigned char head[KS_CONTAINER_MAGIC_LEN];
    size_t hn = 0;
    if (mem) {
        hn = len < sizeof head ? len : sizeof head;
        memcpy(head, mem, hn);
    } else {
        ssize_t r = pread(fd, head, sizeof head, 0);
        hn = r > 0 ? (size_t)r : 0;
    }
    uint64_t base;
    int by_lead;
    ks_container_kind kind = sniff_object(head, hn, mem, len, fd, size, &base, &by_lead);
    fd_src src = {.fd = fd, .mem = mem, .size = (mem ? len : size) - base, .base = base, .by_lead = by_lead};
    if (kind == KS_CONT_ZIP && !by_lead)
        split_appended_zip(&src);
    return expand_source(&src, kind, name, lim, sink, ctx, res);
}

/* A pipe or a pull source: what was read past head is handed back when it is no container. */
/* A 7z read as it streams (KS_CONTAINER_SPOOL_MAX): the rest of the stream read into memory after its head, and the
 * whole opened there, as a file's would be (what follows its end included); `all` holds it. Past the limit, what was
 * read after the head is handed back in *replay to be scanned as bytes with the rest, a fatal problem is said, and
 * res->stop is KS_CONT_LIMIT. Returns what expand_source returns (1: no container, *replay then set), or -1 when the
 * stream could not be read (said). */
static int expand_spooled(fd_src *src, const char *name, const ks_container_limits *lim, const ks_container_sink *sink,
                          void *ctx, ks_container_result *res, unsigned char **replay, size_t *replay_len)
{
    size_t len = src->head_len, cap = len > 65536 ? len : 65536;
    unsigned char *all = malloc(cap);
    struct archive *err = archive_read_new(); /* for what pipe_read says when a read fails */
    if (!src->pull)
        src->buf = malloc(BLOCK);
    if (!all || !err || (!src->pull && !src->buf)) {
        free(all);
        free(src->buf);
        src->buf = NULL;
        if (err)
            archive_read_free(err);
        res->bytes_read = src->head_len;
        return 1; /* no memory: scanned as bytes, as a stream that opens as nothing */
    }
    memcpy(all, src->head, len);
    src->head_given = 1;
    src->pos = src->head_at + len;
    int rc = 0, over = 0;
    for (;;) {
        const void *p;
        la_ssize_t n = pipe_read(err, src, &p);
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        if ((size_t)n > KS_CONTAINER_SPOOL_MAX - len) {
            over = 1;
        } else if (len + (size_t)n > cap) {
            size_t c = cap * 2 > len + (size_t)n ? cap * 2 : len + (size_t)n;
            c = c < KS_CONTAINER_SPOOL_MAX ? c : KS_CONTAINER_SPOOL_MAX;
            unsigned char *b = realloc(all, c);
            if (!b)
                over = 1;
            else
                all = b, cap = c;
        }
        if (over) { /* the piece read last is handed back too */
            unsigned char *b = realloc(all, len + (size_t)n);
            if (b) {
                all = b;
                memcpy(all + len, p, (size_t)n);
                len += (size_t)n;
            } else {
                sink->problem(ctx, "", 1, "a 7z archive bigger than memory allows: part of its bytes not scanned");
            }
            break;
        }
        memcpy(all + len, p, (size_t)n);
        len += (size_t)n;
    }
    res->bytes_read = src->pos;
    if (rc < 0) {
        sink->problem(ctx, "", 1, archive_error_string(err));
        res->stop = KS_CONT_CORRUPT;
    } else if (over) {
        char what[160];
        snprintf(what, sizeof what, "a 7z archive needs random access: from a pipe it is opened up to %zu bytes, "
                 "this one is larger and was scanned as the bytes it is", KS_CONTAINER_SPOOL_MAX);
        sink->problem(ctx, "", 1, what);
        res->stop = KS_CONT_LIMIT;
        rc = 1;
    } else {
        fd_src whole = {.fd = -1, .mem = all, .size = len};
        rc = expand_source(&whole, KS_CONT_7Z, name, lim, sink, ctx, res);
    }
    archive_read_free(err);
    free(src->buf);
    src->buf = NULL;
    if (rc == 1 && len > src->head_len) { /* what was read after the head, to be scanned with the rest */
        memmove(all, all + src->head_len, len - src->head_len);
        *replay = all;
        *replay_len = len - src->head_len;
        return 1;
    }
    free(all);
    return rc;
}

static int expand_sequential(fd_src *src, const char *name, const ks_container_limits *lim,
                             const ks_container_sink *sink, void *ctx, ks_container_result *res,
                             unsigned char **replay, size_t *replay_len)
{
    const unsigned char *head = src->head;
    size_t head_len = src->head_len;
    memset(res, 0, sizeof *res);
    *replay = NULL;
    *replay_len = 0;
    ks_container_kind kind = ks__container_sniff(head, head_len);
    if (kind == KS_CONT_7Z && !src->base && lim->max_depth >= 1)
        return expand_spooled(src, name, lim, sink, ctx, res, replay, replay_len);
    int rc = expand_source(src, kind, name, lim, sink, ctx, res);
    res->bytes_read = src->pos > head_len ? src->pos : head_len; /* the head counts even when unopened */
    if (rc == 1 && src->replay_lost)
        sink->problem(ctx, "", 1, "looked like a container but is none, and part of what was read to find out "
                                  "was not scanned");
    if (rc == 1) {
        *replay = src->replay;
        *replay_len = src->replay_len;
    } else {
        free(src->replay);
    }
    return rc;
}

int ks__container_expand_pipe(const void *head, size_t head_len, int fd, uint64_t limit, const char *name,
                              const ks_container_limits *lim, const ks_container_sink *sink, void *ctx,
                              ks_container_result *res, unsigned char **replay, size_t *replay_len)
{
    return ks__container_expand_pipe_at(head, head_len, fd, limit, 0, name, lim, sink, ctx, res, replay, replay_len);
}

int ks__container_expand_pipe_at(const void *head, size_t head_len, int fd, uint64_t limit, uint64_t base,
                                 const char *name, const ks_container_limits *lim, const ks_container_sink *sink,
                                 void *ctx, ks_container_result *res, unsigned char **replay, size_t *replay_len)
{
    fd_src src = {.fd = fd, .pipe = 1, .head = head, .head_len = head_len, .size = limit ? limit - base : 0,
                  .base = base};
    return expand_sequential(&src, name, lim, sink, ctx, res, replay, replay_len);
}

int ks__container_expand_pull(const void *head, size_t head_len, ks_container_pull_fn pull, void *pull_ctx,
                              uint64_t base, const char *name, const ks_container_limits *lim,
                              const ks_container_sink *sink, void *ctx, ks_container_result *res,
                              unsigned char **replay, size_t *replay_len)
{
    fd_src src = {.fd = -1, .pipe = 1, .pull = pull, .pull_ctx = pull_ctx, .head = head, .head_len = head_len,
                  .base = base};
    return expand_sequential(&src, name, lim, sink, ctx, res, replay, replay_len);
}
