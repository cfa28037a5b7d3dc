/* inflate_gzip.c: gzip streams decoded with ISA-L (igzip): headers and trailers read as libarchive's own gzip filter
 * reads them, the deflate data between them inflated by isal_inflate, a block at a time, for libarchive to frame. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

#include "decode_ahead.h"
#include "inflate_gzip.h"

#define OUT_BLOCK KS_AHEAD_BLOCK /* what one read hands libarchive, at most */
/* The first read's output, as libarchive's gzip filter has it: a stream that fails within it fails to open (its bytes
 * are then scanned as they are, as bytes that only looked like gzip should be), unless it is gzip for sure (`sure`)
 * and gave some: a .gz cut short (a partial download, a log copied while it was written) gives what it holds. What it
 * gave is deflate's when TRUSTED_OUT of it came out before it failed (random bytes after a gzip header fail within a
 * few hundred: a code deflate has no use for, a distance before the start); less, cut short (`weak`: text after a
 * gzip header can read as deflate that wants more), and its bytes are scanned as they are too (ks__gzip_damage_at). */
#define FIRST_OUT (64u * 1024u)
#define TRUSTED_OUT 4096u
/* A weak stream holding a stored block is deflate after all (text never reads as a stored block's length and its
 * complement): its stored bytes were handed out as they are, and scanning them raw again would report them twice.
 * So the first deflate bytes of each member are kept, up to KEPT_IN (deflate less than 4 KiB out takes fewer), to
 * look for one in the member cut short. */
#define KEPT_IN (16u * 1024u)
#define STORED_STEP 4u /* ISA-L given this many at a time stops inside any stored block longer */

typedef enum part { P_HEAD, P_BODY, P_TRAIL, P_END, P_FAILED } part;

/* A header's name or comment longer than this is no header: a name is a file's (gzip writes its base name). Without
 * a bound, bytes that only begin like gzip (a line of a script) would be read to their end looking for its NUL. */
#define FIELD_MAX ((uint32_t)64 << 10)

/* Why decoding stopped: a cut (upstream ended inside the stream) and corrupt data are told apart by this, not by
 * the words of the error. */
typedef enum failure {
    F_NONE,
    F_UPSTREAM, /* upstream's failure (a parent archive cut short), not the stream's */
    F_NOT_GZIP,
    F_CUT,
    F_CORRUPT /* ISA-L refused the deflate data: fail_at says where */
} failure;

/* Where a header is being read: its fixed 10 bytes, then each optional field its flags announce. */
typedef enum head_step { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_DONE } head_step;

struct ks_gzip {
    archive_read_callback *up;
    void *up_data;
    const unsigned char *in; /* upstream's current piece, from the first byte not yet taken */
    size_t in_len;
    int up_eof;
    uint64_t bytes_in;
    uint64_t end_at;  /* where the last whole member's trailer ended */
    uint64_t members; /* members whose header was read */
    part part;
    head_step step;
    unsigned char fixed[10];
    unsigned got;      /* bytes of the current fixed-size field (header, XLEN, HCRC, trailer) */
    uint32_t skip;     /* bytes of FEXTRA left */
    uint32_t field;    /* bytes of FNAME or FCOMMENT so far */
    int returned;      /* bytes were handed out: the stream opened */
    int sure;          /* its first header was whole, with extra flags and an OS that gzip writes: gzip for sure */
    int weak;          /* it opened on less than TRUSTED_OUT out, cut short: its bytes are to be scanned as they are */
    int cut_coded;     /* it was cut in its deflate data, outside a stored block */
    failure why;       /* what kind of failure err says */
    uint64_t fail_at;  /* where in upstream's bytes the deflate data stopped decoding (ISA-L's failure) */
    int failed_after;  /* an error waits behind the bytes being returned */
    char err[256];
    size_t kept_n;     /* the current member's first deflate bytes, kept while nothing was handed out */
    ks_ahead *ahead;   /* decoding on a thread of its own, or NULL */
    unsigned char *dst; /* where decode writes: out, or an ahead block */
    /* not zeroed: ISA-L initialises what it reads of its state, and the output block is written before read */
    struct inflate_state inf;
    unsigned char kept[KEPT_IN];
    /* used only when decoding inline; never written when decoding ahead, and a block this big is mapped
     * by malloc on first touch, so it then costs address space, not memory */
    unsigned char out[OUT_BLOCK];
};

ks_gzip *ks__gzip_new(archive_read_callback *upstream, void *upstream_data)
{
    /* one allocation, zeroed only up to the decoder's state: a directory of small .gz files opens one each */
    ks_gzip *g = malloc(sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, offsetof(ks_gzip, inf));
    g->up = upstream;
    g->up_data = upstream_data;
    g->part = P_HEAD;
    isal_inflate_init(&g->inf);
    g->inf.crc_flag = ISAL_DEFLATE; /* the trailer's CRC is not checked, as libarchive does not */
    return g;
}

void ks__gzip_free(ks_gzip *g)
{
    if (g)
        ks__ahead_stop(g->ahead);
    free(g);
}

uint64_t ks__gzip_bytes_in(const ks_gzip *g) { return g->ahead ? ks__ahead_bytes_in(g->ahead) : g->bytes_in; }

/* Written by whoever decodes (the thread ahead too) before it hands out the end, so read after it. */
uint64_t ks__gzip_end(const ks_gzip *g) { return g->part == P_END ? g->end_at : UINT64_MAX; }

/* As ks__gzip_end, read once a read failed. */
const char *ks__gzip_damaged(const ks_gzip *g)
{
    if (!ks__ahead_settled(g->ahead))
        return NULL;
    return g->sure && g->why != F_UPSTREAM && g->part == P_FAILED ? g->err : NULL;
}

/* As ks__gzip_end, read once a read failed. */
uint64_t ks__gzip_damage_at(const ks_gzip *g)
{
    if (!ks__ahead_settled(g->ahead) || g->part != P_FAILED || g->why == F_UPSTREAM)
        return UINT64_MAX;
    if (g->weak)
        return 0;
    return g->why == F_CORRUPT ? g->fail_at : UINT64_MAX;
}

static void fail(ks_gzip *g, failure why, const char *what)
{
    g->why = why;
    snprintf(g->err, sizeof g->err, "%s", what);
    g->part = P_FAILED;
}

/* Makes upstream bytes available: 1 when there are some, 0 at its end, -1 when it failed. */
static int pull(ks_gzip *g, struct archive *a)
{
    if (g->in_len)
        return 1;
    if (g->up_eof)
        return 0;
    const void *p = NULL;
    la_ssize_t n = g->up(a, g->up_data, &p);
    if (n < 0) {
        const char *e = archive_error_string(a);
        fail(g, F_UPSTREAM, e ? e : "read failed");
        return -1;
    }
    if (n == 0) {
        g->up_eof = 1;
        return 0;
    }
    g->in = p;
    g->in_len = (size_t)n;
    return 1;
}

static unsigned char take(ks_gzip *g)
{
    g->bytes_in++;
    g->in_len--;
    return *g->in++;
}

/* Reads a member's header as libarchive's gzip filter does (1f 8b 08, no reserved flag, FEXTRA, FNAME,
 * FCOMMENT and FHCRC skipped, the header CRC not checked). Returns 1 when read, 0 when what follows is
 * no header (a first member: not gzip; a later one: the end of the stream), -1 on an upstream error. */
static int read_head(ks_gzip *g, struct archive *a)
{
    for (;;) {
        unsigned flags = g->fixed[3];
        /* the fields the flags leave out take no bytes */
        if (g->step == H_XLEN && !(flags & 4))
            g->step = H_NAME;
        if (g->step == H_EXTRA && !g->skip)
            g->step = H_NAME;
        if (g->step == H_NAME && !(flags & 8))
            g->step = H_COMMENT;
        if (g->step == H_COMMENT && !(flags & 16))
            g->step = H_HCRC;
        if (g->step == H_HCRC && !(flags & 2))
            g->step = H_DONE;
        if (g->step == H_DONE)
            return 1;
        int r = pull(g, a);
        if (r <= 0)
            return r; /* cut short inside a header: no header, as libarchive counts it */
        switch (g->step) {
        case H_FIXED:
            g->fixed[g->got++] = take(g);
            if (g->got == 3 && memcmp(g->fixed, "\x1f\x8b\x08", 3))
                return 0;
            if (g->got == 4 && (g->fixed[3] & 0xe0))
                return 0;
            if (g->got == 10) {
                g->got = 0;
                g->step = H_XLEN;
            }
            break;
        case H_XLEN:
            g->skip |= (uint32_t)take(g) << (8 * g->got);
            if (++g->got == 2) {
                g->got = 0;
                g->step = H_EXTRA;
            }
            break;
        case H_EXTRA: {
            size_t k = g->in_len < g->skip ? g->in_len : g->skip;
            g->in += k;
            g->in_len -= k;
            g->bytes_in += k;
            g->skip -= (uint32_t)k;
            break;
        }
        case H_NAME:
        case H_COMMENT: {
            const unsigned char *nul = memchr(g->in, 0, g->in_len);
            size_t k = nul ? (size_t)(nul - g->in) + 1 : g->in_len;
            g->in += k;
            g->in_len -= k;
            g->bytes_in += k;
            g->field += (uint32_t)(k < FIELD_MAX ? k : FIELD_MAX);
            if (!nul && g->field >= FIELD_MAX)
                return 0; /* text after a line that began like gzip, not a name: read on, it would all be */
            if (nul) {
                g->step = g->step == H_NAME ? H_COMMENT : H_HCRC;
                g->field = 0;
            }
            break;
        }
        case H_HCRC:
            take(g);
            if (++g->got == 2)
                g->step = H_DONE;
            break;
        case H_DONE:
            break;
        }
    }
}

/* The trailer's bytes that ISA-L took into its bit buffer after the deflate data ended: they come first. */
static unsigned trailer_from_bits(ks_gzip *g)
{
    int bits = g->inf.read_in_length;
    unsigned whole = bits > 0 ? (unsigned)bits / 8 : 0;
    return whole > 8 ? 8 : whole;
}

static void next_member(ks_gzip *g)
{
    g->field = 0;
    isal_inflate_reset(&g->inf);
    g->inf.crc_flag = ISAL_DEFLATE;
    g->step = H_FIXED;
    g->got = 0;
    g->skip = 0;
    g->kept_n = 0; /* the member cut short is the one looked at: an earlier one's stored block says nothing of it */
}

/* Inflates into out[*produced..limit); returns 0 to go on, 1 when that much is out. */
static int inflate_some(ks_gzip *g, struct archive *a, size_t *produced, size_t limit)
{
    /* at upstream's end ISA-L is called once more with nothing: its bit buffer may hold the end */
    if (pull(g, a) < 0)
        return 0;
    size_t give = g->in_len > UINT32_MAX ? UINT32_MAX : g->in_len;
    g->inf.next_in = (uint8_t *)(uintptr_t)g->in;
    g->inf.avail_in = (uint32_t)give;
    g->inf.next_out = g->dst + *produced;
    g->inf.avail_out = (uint32_t)(limit - *produced);
    size_t room = limit - *produced;
    int rc = isal_inflate(&g->inf);
    /* after an error ISA-L's input position is not to be trusted (it can point before what it was given) */
    if (rc < 0 || g->inf.avail_in > give || g->inf.avail_out > room) {
        /* where it stopped: what it took, less the whole bytes of its bit buffer (read ahead, not decoded, perhaps
         * in an earlier call); or, where it says it took more than it was given, where the call began */
        size_t ahead = g->inf.read_in_length > 0 ? (size_t)g->inf.read_in_length / 8 : 0;
        uint64_t upto = g->bytes_in + (g->inf.avail_in <= give ? give - g->inf.avail_in : 0);
        g->fail_at = g->inf.avail_in > give || ahead > 8 ? g->bytes_in : upto > ahead ? upto - ahead : 0;
        if (rc >= 0 || g->inf.avail_out > room)
            g->inf.avail_out = (uint32_t)room;
        *produced = limit - g->inf.avail_out;
        fail(g, F_CORRUPT, "gzip decompression failed");
        return 0;
    }
    size_t used = give - g->inf.avail_in;
    if (!g->returned && g->kept_n < KEPT_IN) {
        size_t k = used < KEPT_IN - g->kept_n ? used : KEPT_IN - g->kept_n;
        memcpy(g->kept + g->kept_n, g->in, k);
        g->kept_n += k;
    }
    g->in += used;
    g->in_len -= used;
    g->bytes_in += used;
    *produced = limit - g->inf.avail_out;
    if (g->inf.block_state == ISAL_BLOCK_FINISH) {
        g->part = P_TRAIL;
        g->got = trailer_from_bits(g);
        return 0;
    }
    if (!g->inf.avail_out)
        return 1;
    if (!g->in_len && g->up_eof) {
        fail(g, F_CUT, "truncated gzip input"); /* it wanted more, and there is none */
        g->cut_coded = g->inf.block_state != ISAL_BLOCK_TYPE0; /* not a stored block's bytes, given as they are */
    }
    return 0;
}

/* 1 when deflate data holds a stored block: ISA-L, given it a few bytes at a time, stops inside one. 0 too when out of
 * memory (the stream is then taken for weak: scanned twice rather than not at all). */
static int holds_stored_block(const unsigned char *p, size_t n)
{
    struct inflate_state *s = malloc(sizeof *s);
    unsigned char *out = malloc(TRUSTED_OUT);
    int found = 0;
    if (s && out) {
        isal_inflate_init(s);
        s->crc_flag = ISAL_DEFLATE;
        s->next_in = (uint8_t *)(uintptr_t)p;
        for (size_t left = n; left && !found;) {
            uint32_t step = left < STORED_STEP ? (uint32_t)left : STORED_STEP;
            s->avail_in = step;
            s->next_out = out;
            s->avail_out = TRUSTED_OUT; /* what comes out is not wanted: the same room each time */
            if (isal_inflate(s) < 0 || s->block_state == ISAL_BLOCK_FINISH || s->avail_in == step)
                break; /* (taking nothing: out of room, which less than 4 KiB out never is) */
            found = s->block_state == ISAL_BLOCK_TYPE0;
            left -= step - s->avail_in;
        }
    }
    free(s);
    free(out);
    return found;
}

/* The next decompressed bytes into g->dst (OUT_BLOCK of room), as ks__gzip_read returns them. */
static la_ssize_t decode(ks_gzip *g, struct archive *a)
{
    size_t produced = 0, limit = g->returned ? OUT_BLOCK : FIRST_OUT;
    if (g->failed_after) {
        archive_set_error(a, EIO, "%s", g->err);
        return -1;
    }
    while (produced < limit) {
        if (g->part == P_HEAD) {
            int r = read_head(g, a);
            if (r == 1) {
                /* extra flags 0, 2 or 4, and an OS the RFC names (or 255, unknown), as every gzip writer writes */
                g->sure |= !g->members && (g->fixed[8] == 0 || g->fixed[8] == 2 || g->fixed[8] == 4) &&
                           (g->fixed[9] <= 13 || g->fixed[9] == 255);
                g->members++;
                g->part = P_BODY;
            } else if (r == 0) {
                if (g->members)
                    g->part = P_END; /* what follows the last member is not read */
                else
                    fail(g, F_NOT_GZIP, "not gzip: no valid header");
            }
        } else if (g->part == P_BODY) {
            if (inflate_some(g, a, &produced, limit))
                break;
        } else if (g->part == P_TRAIL) {
            while (g->got < 8) {
                int r = pull(g, a);
                if (r <= 0)
                    break;
                take(g);
                g->got++;
            }
            if (g->part == P_FAILED)
                continue;
            if (g->got < 8) {
                fail(g, F_CUT, "truncated gzip input");
                continue;
            }
            g->end_at = g->bytes_in;
            next_member(g);
            g->part = P_HEAD;
        } else {
            break;
        }
    }
    if (g->part == P_FAILED) {
        int cut = g->why == F_CUT;
        int trusted = g->sure && g->why != F_UPSTREAM && (produced >= TRUSTED_OUT || cut);
        /* (cut in its trailer, or in a stored block: what came out is what is there, and scanned) */
        g->weak = !g->returned && trusted && produced && produced < TRUSTED_OUT && cut && g->cut_coded &&
                  !holds_stored_block(g->kept, g->kept_n);
        if (produced && (g->returned || trusted)) {
            g->failed_after = 1; /* the bytes before the failure first */
        } else {
            archive_set_error(a, EIO, "%s", g->err);
            return -1;
        }
    }
    g->returned |= produced > 0;
    return (la_ssize_t)produced;
}

static la_ssize_t fill(void *ctx, struct archive *errs, unsigned char *dst)
{
    ks_gzip *g = ctx;
    g->dst = dst;
    return decode(g, errs);
}

static uint64_t taken(void *ctx) { return ((ks_gzip *)ctx)->bytes_in; }

int ks__gzip_start_ahead(ks_gzip *g)
{
    g->ahead = ks__ahead_start(fill, taken, g);
    return g->ahead ? 0 : -1;
}

la_ssize_t ks__gzip_read(struct archive *a, void *cd, const void **out)
{
    ks_gzip *g = cd;
    if (g->ahead)
        return ks__ahead_read(g->ahead, a, out);
    g->dst = g->out;
    la_ssize_t n = decode(g, a);
    *out = g->out;
    return n;
}
