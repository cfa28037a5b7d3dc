/* test_inflate.c: the stream decoders keysweep runs in front of libarchive, against streams zlib, libzstd, liblzma and
 * liblz4 write here: ISA-L's gzip (every header field, every block kind, several members, trailing bytes), libzstd's
 * (several frames, skippable and empty ones), liblzma's (several streams) and liblz4's (frames of every block kind,
 * legacy streams), streams cut or damaged at each part, upstream in pieces of any size, each decoded on the reader's
 * thread and ahead of it on a thread of its own, alike. */
#include <archive.h>
#include <criterion/criterion.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "decode_ahead.h"
#include "inflate_gzip.h"
#include "inflate_lz4.h"
#include "inflate_xz.h"
#include "inflate_zstd.h"
#include "thread_start.h"

typedef struct buf {
    unsigned char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p);
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* A decoder under test, behind one set of calls. */
typedef struct decoder {
    void *(*open)(archive_read_callback *up, void *data);
    archive_read_callback *read;
    int (*start_ahead)(void *d);
    uint64_t (*bytes_in)(const void *d);
    void (*close)(void *d);
    int in_place; /* inline, it hands some bytes out where they lie (lz4's legacy blocks), in fewer reads */
} decoder;

static void *gz_open(archive_read_callback *up, void *data) { return ks__gzip_new(up, data); }
static int gz_ahead(void *d) { return ks__gzip_start_ahead(d); }
static uint64_t gz_in(const void *d) { return ks__gzip_bytes_in(d); }
static void gz_close(void *d) { ks__gzip_free(d); }
static const decoder GZIP = {gz_open, ks__gzip_read, gz_ahead, gz_in, gz_close, 0};

static void *zs_open(archive_read_callback *up, void *data) { return ks__zstd_new(up, data); }
static int zs_ahead(void *d) { return ks__zstd_start_ahead(d); }
static uint64_t zs_in(const void *d) { return ks__zstd_bytes_in(d); }
static void zs_close(void *d) { ks__zstd_free(d); }
static const decoder ZSTD = {zs_open, ks__zstd_read, zs_ahead, zs_in, zs_close, 0};

static void *lz_open(archive_read_callback *up, void *data) { return ks__lz4_new(up, data); }
static int lz_ahead(void *d) { return ks__lz4_start_ahead(d); }
static uint64_t lz_in(const void *d) { return ks__lz4_bytes_in(d); }
static void lz_close(void *d) { ks__lz4_free(d); }
static const decoder LZ4 = {lz_open, ks__lz4_read, lz_ahead, lz_in, lz_close, 1};

/* One gzip member of `data`: FLG as given (FEXTRA, FNAME, FCOMMENT, FHCRC fields filled in), the deflate
 * data at `level` (0: stored blocks), the CRC and size trailer. */
static void member(buf *out, const unsigned char *data, size_t n, unsigned flags, int level)
{
    unsigned char h[10] = {0x1f, 0x8b, 8, (unsigned char)flags, 0, 0, 0, 0, 0, 3};
    put(out, h, 10);
    if (flags & 4)
        put(out, "\x05\x00" "extra", 7);
    if (flags & 8)
        put(out, "name.txt", 9);
    if (flags & 16)
        put(out, "a comment", 10);
    if (flags & 2)
        put(out, "\x12\x34", 2);
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 16;
    unsigned char *c = malloc(cap);
    z.next_in = (unsigned char *)(uintptr_t)data;
    z.avail_in = (uInt)n;
    z.next_out = c;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    put(out, c, cap - z.avail_out);
    deflateEnd(&z);
    free(c);
    uint32_t t[2] = {(uint32_t)crc32(0, data, (uInt)n), (uint32_t)n};
    put(out, t, 8);
}

static void frame(buf *out, const unsigned char *data, size_t n, int level)
{
    size_t cap = ZSTD_compressBound(n);
    unsigned char *c = malloc(cap);
    size_t k = ZSTD_compress(c, cap, data, n, level);
    cr_assert(!ZSTD_isError(k));
    put(out, c, k);
    free(c);
}

/* Upstream: the stream in pieces of 1..max bytes (0: whole), from a fixed seed. */
typedef struct up {
    const unsigned char *p;
    size_t len, pos, max;
    unsigned seed;
} up;

static la_ssize_t up_read(struct archive *a, void *cd, const void **out)
{
    up *u = cd;
    size_t k = u->max ? 1 + (size_t)rand_r(&u->seed) % u->max : u->len;
    if (k > u->len - u->pos)
        k = u->len - u->pos;
    *out = u->p + u->pos;
    u->pos += k;
    return (la_ssize_t)k;
}

typedef struct decoded {
    buf out;
    la_ssize_t last;  /* 0: a clean end; -1: an error */
    size_t reads;     /* reads that gave bytes */
    uint64_t in;
    char err[256];
    uint64_t rest_at; /* with a damage_at: where the decoder says to read on after a failure */
    buf held;         /* and the bytes it holds of that */
} decoded;

/* Where a decoder says to read on after damage, and the bytes it holds of that. */
typedef uint64_t (*damage_at_fn)(const void *d, const void **held, size_t *held_n);

/* `in` read by `k` in pieces of 1..max_piece (0: whole) from `seed`, inline or ahead, to its end or failure; with
 * `damage_at`, also where it says to read on from. */
static decoded decode_seeded(const decoder *k, const buf *in, size_t max_piece, int ahead, unsigned seed,
                             damage_at_fn damage_at)
{
    struct archive *a = archive_read_new();
    up u = {.p = in->p, .len = in->len, .max = max_piece, .seed = seed};
    void *g = k->open(up_read, &u);
    cr_assert(a && g);
    if (ahead)
        cr_assert_eq(k->start_ahead(g), 0);
    decoded d = {0};
    const void *p;
    while ((d.last = k->read(a, g, &p)) > 0) {
        put(&d.out, p, (size_t)d.last);
        d.reads++;
    }
    if (d.last < 0)
        snprintf(d.err, sizeof d.err, "%s", archive_error_string(a) ? archive_error_string(a) : "");
    d.in = k->bytes_in(g);
    if (damage_at) {
        const void *h;
        size_t hn;
        d.rest_at = damage_at(g, &h, &hn);
        put(&d.held, h, hn);
    }
    k->close(g);
    archive_read_free(a);
    return d;
}

static decoded decode_as(const decoder *k, const buf *in, size_t max_piece, int ahead)
{
    return decode_seeded(k, in, max_piece, ahead, 7, NULL);
}

/* Decoded on the reader's thread, and on a thread of its own ahead of it: the same bytes in the same
 * reads (unless inline hands some out in place), the same end or error, the same input taken. */
static decoded decode_with(const decoder *k, const buf *in, size_t max_piece)
{
    decoded d = decode_as(k, in, max_piece, 0), h = decode_as(k, in, max_piece, 1);
    cr_assert_eq(h.last, d.last, "ahead: pieces of %zu", max_piece);
    cr_assert_str_eq(h.err, d.err, "ahead: pieces of %zu", max_piece);
    cr_assert(k->in_place ? (h.reads == 0) == (d.reads == 0) : h.reads == d.reads, "ahead: pieces of %zu", max_piece);
    cr_assert_eq(h.in, d.in, "ahead: pieces of %zu", max_piece);
    cr_assert_eq(h.out.len, d.out.len, "ahead: pieces of %zu", max_piece);
    cr_assert(!d.out.len || !memcmp(h.out.p, d.out.p, d.out.len), "ahead: pieces of %zu", max_piece);
    free(h.out.p);
    return d;
}

static decoded decode(const buf *gz, size_t max_piece) { return decode_with(&GZIP, gz, max_piece); }
static decoded decode_zstd(const buf *zs, size_t max_piece) { return decode_with(&ZSTD, zs, max_piece); }

static unsigned char *text(size_t n, unsigned seed)
{
    unsigned char *t = malloc(n);
    static const char *const words[] = {"alpha ", "beta ", "x=1\n", "TOKEN=", "0123456789abcdef", "\n"};
    for (size_t i = 0; i < n;) {
        const char *w = words[rand_r(&seed) % 6];
        for (size_t k = 0; w[k] && i < n; k++)
            t[i++] = (unsigned char)w[k];
    }
    return t;
}

static const size_t PIECES[] = {0, 1, 7, 4096, 300000};

/* `in` decoded by `k` in pieces of every size in PIECES (inline and ahead) is `want` exactly, every byte of it taken. */
static void assert_decodes_whole(const decoder *k, const buf *in, const buf *want)
{
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode_with(k, in, PIECES[i]);
        cr_assert_eq(d.last, 0, "pieces of %zu: %s", PIECES[i], d.err);
        cr_assert_eq(d.out.len, want->len, "pieces of %zu", PIECES[i]);
        cr_assert(!memcmp(d.out.p, want->p, want->len), "pieces of %zu", PIECES[i]);
        cr_assert_eq(d.in, in->len, "pieces of %zu: every byte taken", PIECES[i]);
        free(d.out.p);
    }
}

Test(inflate_gzip, members_of_every_kind_in_pieces_of_any_size)
{
    size_t n1 = 300000, n2 = 100000, n3 = 700000;
    unsigned char *t1 = text(n1, 1), *t2 = malloc(n2), *t3 = text(n3, 3);
    unsigned seed = 2;
    for (size_t i = 0; i < n2; i++)
        t2[i] = (unsigned char)rand_r(&seed); /* incompressible: stored blocks */
    buf gz = {0}, want = {0};
    member(&gz, t1, n1, 4 | 8 | 16 | 2, 6);
    member(&gz, t2, n2, 0, 0);
    member(&gz, (const unsigned char *)"", 0, 8, 6); /* an empty member */
    member(&gz, t3, n3, 0, 1);
    size_t end = gz.len;
    put(&gz, "\0\0\0\0tape padding", 16); /* after the last member: not read, as libarchive does */
    put(&want, t1, n1);
    put(&want, t2, n2);
    put(&want, t3, n3);
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode(&gz, PIECES[i]);
        cr_assert_eq(d.last, 0, "pieces of %zu: %s", PIECES[i], d.err);
        cr_assert_eq(d.out.len, want.len, "pieces of %zu", PIECES[i]);
        cr_assert(!memcmp(d.out.p, want.p, want.len), "pieces of %zu", PIECES[i]);
        cr_assert(d.in >= end && d.in <= end + 3, "pieces of %zu: %llu bytes in of %zu", PIECES[i],
                  (unsigned long long)d.in, end);
        free(d.out.p);
    }
    free(gz.p);
    free(want.p);
    free(t1);
    free(t2);
    free(t3);
}

/* As libarchive's filter: a stream that fails within the first 64 KiB out before it is trusted (below) is no gzip (it
 * fails before any byte comes out, so that it is scanned as the bytes it is); one that fails later gives what came
 * before, then the error. */
Test(inflate_gzip, cut_or_damaged_early_is_no_gzip_late_is_an_error_after_the_bytes)
{
    size_t n = 2u << 20;
    unsigned char *t = text(n, 5);
    buf gz = {0};
    member(&gz, t, n, 8, 6);
    const size_t cuts[] = {5, 12, gz.len / 2, gz.len - 3};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        buf cut = {.p = gz.p, .len = cuts[c]};
        for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
            decoded d = decode(&cut, PIECES[i]);
            cr_assert_eq(d.last, -1, "cut at %zu", cuts[c]);
            if (cuts[c] < 20) {
                cr_assert_eq(d.reads, 0, "cut at %zu: nothing out", cuts[c]);
            } else {
                cr_assert_str_eq(d.err, "truncated gzip input");
                cr_assert(d.out.len > 0 && d.out.len <= n && !memcmp(d.out.p, t, d.out.len), "cut at %zu", cuts[c]);
                if (cuts[c] == gz.len - 3)
                    cr_assert_eq(d.out.len, n, "cut in the trailer: every byte out first");
            }
            free(d.out.p);
        }
    }
    /* damage (a block of the reserved type 3): in the first member nothing comes out; in a later member,
     * after 2 MiB, the bytes before it do */
    static const unsigned char broken[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int late = 0; late <= 1; late++) {
        buf bad = {0};
        if (late)
            put(&bad, gz.p, gz.len);
        put(&bad, broken, sizeof broken);
        decoded d = decode(&bad, 0);
        cr_assert_eq(d.last, -1, "late %d", late);
        cr_assert_str_eq(d.err, "gzip decompression failed");
        cr_assert_eq(d.out.len, late ? n : 0, "late %d: %zu bytes out", late, d.out.len);
        cr_assert(!late || !memcmp(d.out.p, t, n));
        free(d.out.p);
        free(bad.p);
    }
    /* found by fuzz_container: ISA-L fails with an input position before what it was given (not to be used) */
    static const unsigned char odd[] = {0x1f, 0x8b, 8, 0, 0x10, 0, 0, 0, 2, 3, 0xab, 0xb0, 0x30, 0x61, 0, 0x65,
                                        0x2e, 0xf5, 0, 0x2f, 0xf4, 0x33, 0xf5, 0, 0, 0, 't', 'a', 'i', 'l'};
    buf o = {.p = (unsigned char *)odd, .len = sizeof odd};
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode(&o, PIECES[i]);
        cr_assert_eq(d.last, -1, "pieces of %zu", PIECES[i]);
        cr_assert_eq(d.reads, 0, "pieces of %zu", PIECES[i]);
        cr_assert_leq(d.in, sizeof odd, "pieces of %zu: %llu bytes in", PIECES[i], (unsigned long long)d.in);
        free(d.out.p);
    }
    free(gz.p);
    free(t);
}

/* A .gz that failed within its first 64 KiB out was taken for no gzip, as libarchive's filter takes it, and scanned
 * as its compressed bytes: a small .gz cut short (a partial download, a log copied while it was written) lost every
 * key in it, and nothing was said. Where it is gzip for sure (a whole header with extra flags and an OS that gzip
 * writes) and what came out is deflate's (all it was given was: it was cut; or 4 KiB came out before the damage), that
 * comes out before the error. Bytes after a gzip header that fail within a few hundred out (random ones do) still give
 * nothing, and so does a stream whose OS byte gzip never writes. */
Test(inflate_gzip, r_a_small_gz_cut_short_gives_what_it_holds)
{
    size_t n = 50000;
    unsigned char *t = text(n, 11);
    buf gz = {0};
    member(&gz, t, n, 8, 6);
    buf cut = {.p = gz.p, .len = gz.len / 2};
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode(&cut, PIECES[i]);
        cr_assert_eq(d.last, -1);
        cr_assert_str_eq(d.err, "truncated gzip input");
        cr_assert(d.out.len > 0 && d.out.len < n && !memcmp(d.out.p, t, d.out.len), "pieces of %zu: %zu out",
                  PIECES[i], d.out.len);
        free(d.out.p);
    }
    /* n bytes in a stored block, then a block of the reserved type: 5,000 come out before the error, 100 do not */
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    const size_t stored[] = {5000, 100};
    for (size_t k = 0; k < 2; k++) {
        buf st = {0};
        put(&st, head, sizeof head);
        uint16_t len = (uint16_t)stored[k], nlen = (uint16_t)~len;
        unsigned char sh[5] = {0, (unsigned char)len, (unsigned char)(len >> 8), (unsigned char)nlen,
                               (unsigned char)(nlen >> 8)};
        put(&st, sh, sizeof sh);
        put(&st, t, stored[k]);
        put(&st, "\x07\x00\x00\x00", 4);
        decoded d = decode(&st, 0);
        cr_assert_eq(d.last, -1);
        cr_assert_str_eq(d.err, "gzip decompression failed");
        cr_assert(d.out.len == (k ? 0 : stored[k]) && (k || !memcmp(d.out.p, t, stored[k])), "%zu: %zu out",
                  stored[k], d.out.len);
        free(d.out.p);
        free(st.p);
    }
    gz.p[9] = 0x80; /* an OS byte no gzip writes: maybe no gzip at all */
    decoded d = decode(&cut, 0);
    cr_assert(d.last == -1 && d.reads == 0);
    free(d.out.p);
    free(gz.p);
    free(t);
}

Test(inflate_gzip, what_is_not_gzip_is_refused)
{
    static const char *const fakes[] = {"\x1f\x8bnot gzip at all\n", "\x1f\x8b\x08\xe0 reserved flags set", "\x1f\x8b", ""};
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        buf b = {.p = (unsigned char *)(uintptr_t)fakes[i], .len = strlen(fakes[i])};
        decoded d = decode(&b, 0);
        cr_assert_eq(d.last, -1, "fake %zu", i);
        cr_assert_eq(d.reads, 0);
    }
}

/* A reader that stops early (a budget, a stop) frees the decoder while its thread is decoding ahead. */
Test(inflate_gzip, decoding_ahead_stops_when_the_reader_leaves_early)
{
    size_t n = 8u << 20;
    unsigned char *t = text(n, 9);
    buf gz = {0};
    member(&gz, t, n, 0, 1);
    for (size_t reads = 0; reads < 4; reads++) {
        struct archive *a = archive_read_new();
        up u = {.p = gz.p, .len = gz.len, .max = 4096, .seed = 3};
        ks_gzip *g = ks__gzip_new(up_read, &u);
        cr_assert(a && g);
        cr_assert_eq(ks__gzip_start_ahead(g), 0);
        const void *p;
        size_t got = 0;
        for (size_t r = 0; r < reads; r++) {
            la_ssize_t k = ks__gzip_read(a, g, &p);
            cr_assert_gt(k, 0);
            cr_assert(!memcmp(p, t + got, (size_t)k), "read %zu", r);
            got += (size_t)k;
        }
        cr_assert_leq(ks__gzip_bytes_in(g), gz.len);
        ks__gzip_free(g);
        archive_read_free(a);
    }
    free(gz.p);
    free(t);
}

Test(inflate_zstd, frames_of_every_kind_in_pieces_of_any_size)
{
    size_t n1 = 300000, n2 = 100000, n3 = 900000;
    unsigned char *t1 = text(n1, 1), *t2 = malloc(n2), *t3 = text(n3, 3);
    unsigned seed = 2;
    for (size_t i = 0; i < n2; i++)
        t2[i] = (unsigned char)rand_r(&seed); /* incompressible: raw blocks */
    buf zs = {0}, want = {0};
    frame(&zs, t1, n1, 3);
    frame(&zs, t2, n2, 1);
    /* a skippable frame (magic 0x184D2A50, a 4-byte length, then that many bytes): nothing out */
    static const unsigned char skip[] = {0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 's', 'k', 'i', 'p', '!'};
    put(&zs, skip, sizeof skip);
    frame(&zs, (const unsigned char *)"", 0, 3); /* an empty frame */
    frame(&zs, t3, n3, 19);
    put(&want, t1, n1);
    put(&want, t2, n2);
    put(&want, t3, n3);
    assert_decodes_whole(&ZSTD, &zs, &want);
    free(zs.p);
    free(want.p);
    free(t1);
    free(t2);
    free(t3);
}

/* A stream cut or damaged after some output gives that output, then the error; before any, it is no zstd. */
Test(inflate_zstd, cut_or_damaged_gives_what_came_before_then_the_error)
{
    size_t n = 3u << 20;
    unsigned char *t = text(n, 5);
    buf zs = {0};
    frame(&zs, t, n, 3);
    const size_t cuts[] = {3, zs.len / 2, zs.len - 2};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        buf cut = {.p = zs.p, .len = cuts[c]};
        for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
            decoded d = decode_zstd(&cut, PIECES[i]);
            cr_assert_eq(d.last, -1, "cut at %zu", cuts[c]);
            cr_assert(strstr(d.err, "zstd"), "cut at %zu: %s", cuts[c], d.err);
            if (cuts[c] < 10)
                cr_assert_eq(d.reads, 0, "cut at %zu: nothing out", cuts[c]);
            else
                cr_assert(d.out.len > 0 && d.out.len <= n && !memcmp(d.out.p, t, d.out.len), "cut at %zu", cuts[c]);
            free(d.out.p);
        }
    }
    buf bad = {0};
    put(&bad, zs.p, zs.len);
    put(&bad, "\x28\xb5\x2f\xfd\xff\xff\xff\xff damaged frame header", 30);
    decoded d = decode_zstd(&bad, 0);
    cr_assert_eq(d.last, -1);
    cr_assert_eq(d.out.len, n, "the first frame whole, then the error");
    cr_assert(!memcmp(d.out.p, t, n));
    free(d.out.p);
    free(bad.p);
    static const char *const fakes[] = {"not zstd at all, just text", "\x28\xb5\x2f", ""};
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        buf f = {.p = (unsigned char *)(uintptr_t)fakes[i], .len = strlen(fakes[i])};
        decoded e = decode_zstd(&f, 0);
        cr_assert_eq(e.reads, 0, "fake %zu", i);
        cr_assert(i == 2 ? e.last == 0 : e.last == -1, "fake %zu: %zd", i, e.last);
        free(e.out.p);
    }
    free(zs.p);
    free(t);
}

/* Where block k of the one zstd frame at f begins (its 3-byte header), read as RFC 8878 lays a frame out. */
static size_t zstd_block_at(const buf *f, size_t k)
{
    unsigned char fhd = f->p[4];
    static const size_t did[4] = {0, 1, 2, 4}, fcs[4] = {0, 2, 4, 8};
    int single = (fhd >> 5) & 1;
    size_t at = 5 + !single + did[fhd & 3] + ((fhd >> 6) ? fcs[fhd >> 6] : (size_t)single);
    for (size_t i = 0; i < k; i++) {
        uint32_t h = (uint32_t)f->p[at] | (uint32_t)f->p[at + 1] << 8 | (uint32_t)f->p[at + 2] << 16;
        cr_assert(!(h & 1), "block %zu is the last", i);
        at += 3 + (((h >> 1) & 3) == 1 ? 1 : h >> 3); /* an RLE block holds one byte */
    }
    return at;
}

/* A zstd block that failed took with it every block libzstd had decoded in the same call (up to 256 KiB: what one
 * read hands out), and a wrong content checksum the whole call's too: good bytes, and a key in them, lost. libzstd
 * is now given a block a call (its own hint), so what fails is the damaged block alone, and after a wrong checksum
 * every block was handed out. */
Test(inflate_zstd, r_a_damaged_block_takes_no_good_block_with_it)
{
    size_t n = 2u << 20, block = 128u << 10;
    unsigned char *t = text(n, 9);
    buf zs = {0};
    frame(&zs, t, n, 3);
    for (size_t k = 1; k < 8; k += 3) {
        buf bad = {0};
        put(&bad, zs.p, zs.len);
        bad.p[zstd_block_at(&bad, k)] |= 6; /* its type: reserved */
        for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
            decoded d = decode_zstd(&bad, PIECES[i]);
            cr_assert_eq(d.last, -1, "block %zu", k);
            cr_assert(d.out.len == k * block && !memcmp(d.out.p, t, d.out.len), "block %zu, pieces of %zu: %zu out",
                      k, PIECES[i], d.out.len);
            free(d.out.p);
        }
        free(bad.p);
    }
    /* with its content checksum (as the zstd tool writes a frame), wrong */
    buf sum = {0};
    ZSTD_CCtx *c = ZSTD_createCCtx();
    cr_assert(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
    sum.cap = ZSTD_compressBound(n);
    sum.p = malloc(sum.cap);
    cr_assert(sum.p);
    sum.len = ZSTD_compress2(c, sum.p, sum.cap, t, n);
    cr_assert(!ZSTD_isError(sum.len));
    ZSTD_freeCCtx(c);
    sum.p[sum.len - 1] ^= 1;
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode_zstd(&sum, PIECES[i]);
        cr_assert(d.last == -1 && strstr(d.err, "checksum"), "pieces of %zu: %s", PIECES[i], d.err);
        cr_assert(d.out.len == n && !memcmp(d.out.p, t, n), "pieces of %zu: %zu out", PIECES[i], d.out.len);
        free(d.out.p);
    }
    free(sum.p);
    free(zs.p);
    free(t);
}

static void *xz_open(archive_read_callback *read, void *data) { return ks__xz_new(read, data); }
static int xz_ahead(void *d) { return ks__xz_start_ahead(d); }
static uint64_t xz_in(const void *d) { return ks__xz_bytes_in(d); }
static void xz_close(void *d) { ks__xz_free(d); }
static const decoder XZ = {xz_open, ks__xz_read, xz_ahead, xz_in, xz_close, 0};

static void xz_stream(buf *out, const unsigned char *data, size_t n)
{
    size_t cap = lzma_stream_buffer_bound(n), k = 0;
    unsigned char *c = malloc(cap);
    cr_assert(c && lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, data, n, c, &k, cap) == LZMA_OK);
    put(out, c, k);
    free(c);
}

static uint64_t zs_damage_at(const void *d, const void **h, size_t *n) { return ks__zstd_damage_at(d, h, n); }
static uint64_t xz_damage_at(const void *d, const void **h, size_t *n) { return ks__xz_damage_at(d, h, n); }

/* Three zstd frames or xz streams, the second damaged in its middle: reading failed there, and the frames after the
 * damage were lost with it (a multi-frame .zst, `cat a.xz b.xz`), where grep finds nothing to find in between. Now
 * the decoder says where the next frame's magic is, read on to find it (in pieces of any size, split between pieces
 * too, when the bytes it holds of it are its first), for the container to open the frames after the damage there.
 * Damage in the last frame has no frame after it: zstd then says where the block that failed begins (what follows
 * it is scanned as it is: a note appended after the stream), xz nothing. */
Test(inflate_zstd, r_damage_in_a_frame_says_where_the_next_frame_begins, .timeout = 300)
{
    size_t n = 1u << 20;
    unsigned char *t[3] = {text(n, 21), text(n, 22), text(n, 23)};
    const decoder *kinds[2] = {&ZSTD, &XZ};
    const damage_at_fn at_fns[2] = {zs_damage_at, xz_damage_at};
    for (int kind = 0; kind < 2; kind++) {
        buf s = {0};
        size_t at[3];
        for (int f = 0; f < 3; f++) {
            at[f] = s.len;
            if (kind == 0)
                frame(&s, t[f], n, 3);
            else
                xz_stream(&s, t[f], n);
        }
        const size_t middle[2] = {(at[1] + at[2]) / 2, (at[2] + s.len) / 2};
        for (int d = 0; d < 2; d++) {
            buf bad = {0};
            put(&bad, s.p, s.len);
            memset(bad.p + middle[d], 0xff, 64);
            for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
                for (int ahead = 0; ahead < 2; ahead++) {
                    decoded r = decode_seeded(kinds[kind], &bad, PIECES[i], ahead, 11, at_fns[kind]);
                    cr_assert_eq(r.last, -1, "pieces of %zu, ahead %d: it fails", PIECES[i], ahead);
                    buf out = r.out, held = r.held;
                    uint64_t rest = r.rest_at;
                    cr_assert(out.len >= n && out.len < 3 * n && !memcmp(out.p, t[0], n), "%d/%d: %zu out", kind, d,
                              out.len);
                    if (d) {
                        /* zstd: the bytes from the block that failed, scanned as they are (a note after it) */
                        cr_assert(kind ? rest == UINT64_MAX : rest > at[2] && rest < s.len,
                                  "%d: nothing after the last frame: %llu", kind, (unsigned long long)rest);
                    } else {
                        cr_assert_eq(rest, at[2], "%d, pieces of %zu, ahead %d: %llu", kind, PIECES[i], ahead,
                                     (unsigned long long)rest);
                        cr_assert(held.len < 8 && (!held.len || !memcmp(held.p, bad.p + rest, held.len)),
                                  "%d, pieces of %zu: %zu held", kind, PIECES[i], held.len);
                    }
                    free(out.p);
                    free(held.p);
                }
            }
            free(bad.p);
        }
        free(s.p);
    }
    for (int f = 0; f < 3; f++)
        free(t[f]);
}

/* An lz4 frame of data: blocks of `block_id`, independent or linked, with block and content checksums as asked. */
static void lz4_frame(buf *out, const unsigned char *data, size_t n, LZ4F_blockSizeID_t block_id, int linked, int sums)
{
    LZ4F_preferences_t prefs = {.frameInfo = {.blockSizeID = block_id,
                                              .blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent,
                                              .contentChecksumFlag = sums ? LZ4F_contentChecksumEnabled : 0,
                                              .blockChecksumFlag = sums ? LZ4F_blockChecksumEnabled : 0,
                                              .contentSize = sums ? n : 0}};
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    unsigned char *c = malloc(cap);
    size_t k = LZ4F_compressFrame(c, cap, data, n, &prefs);
    cr_assert(!LZ4F_isError(k));
    put(out, c, k);
    free(c);
}

/* A legacy lz4 stream of data (one block: n is at most 8 MiB), as lz4 -l writes it. */
static void lz4_legacy(buf *out, const unsigned char *data, size_t n)
{
    int cap = LZ4_compressBound((int)n);
    unsigned char *c = malloc((size_t)cap);
    int k = LZ4_compress_default((const char *)data, (char *)c, (int)n, cap);
    cr_assert_gt(k, 0);
    uint32_t k32 = (uint32_t)k;
    put(out, "\x02\x21\x4c\x18", 4);
    put(out, &k32, 4);
    put(out, c, (size_t)k);
    free(c);
}

static decoded decode_lz4(const buf *lz, size_t max_piece) { return decode_with(&LZ4, lz, max_piece); }

Test(inflate_lz4, frames_legacy_streams_and_skippable_frames_in_pieces_of_any_size)
{
    size_t n1 = 300000, n2 = 100000, n3 = 1500000;
    unsigned char *t1 = text(n1, 1), *t2 = malloc(n2), *t3 = text(n3, 3);
    unsigned seed = 2;
    for (size_t i = 0; i < n2; i++)
        t2[i] = (unsigned char)rand_r(&seed); /* incompressible: stored blocks */
    buf lz = {0}, want = {0};
    lz4_frame(&lz, t1, n1, LZ4F_max64KB, 0, 1);
    lz4_frame(&lz, t2, n2, LZ4F_max256KB, 1, 0);
    static const unsigned char skip[] = {0x5a, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 's', 'k', 'i', 'p', '!'};
    put(&lz, skip, sizeof skip);
    lz4_frame(&lz, (const unsigned char *)"", 0, LZ4F_max64KB, 0, 1); /* an empty frame */
    lz4_legacy(&lz, t3, n3);
    lz4_frame(&lz, t3, n3, LZ4F_max4MB, 1, 1); /* a frame right after a legacy stream ends it */
    put(&want, t1, n1);
    put(&want, t2, n2);
    put(&want, t3, n3);
    put(&want, t3, n3);
    assert_decodes_whole(&LZ4, &lz, &want);
    free(lz.p);
    free(want.p);
    free(t1);
    free(t2);
    free(t3);
}

/* Where the stream ends, whatever follows it: a frame's end exactly, a legacy stream's at zero padding, at a gzip
 * member (whose first bytes read as a block size) and at bytes that are no block size; nothing when nothing follows. */
Test(inflate_lz4, it_ends_where_the_stream_does_whatever_follows)
{
    size_t n = 200000;
    unsigned char *t = text(n, 4);
    buf frame = {0}, legacy = {0};
    lz4_frame(&frame, t, n, LZ4F_max64KB, 0, 1);
    lz4_legacy(&legacy, t, n);
    static const struct {
        const char *after;
        size_t len;
    } tails[] = {{"", 0}, {"\0\0\0\0\0\0\0\0", 8}, {"\x1f\x8b\x08\x00\0\0\0\0\0\x03 deflate", 18},
                 {"a note", 6}, {"ab", 2}};
    const buf *streams[] = {&frame, &legacy};
    for (size_t s = 0; s < 2; s++) {
        for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) {
            buf in = {0};
            put(&in, streams[s]->p, streams[s]->len);
            put(&in, tails[k].after, tails[k].len);
            for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
                struct archive *a = archive_read_new();
                up u = {.p = in.p, .len = in.len, .max = PIECES[i], .seed = 5};
                ks_lz4 *l = ks__lz4_new(up_read, &u);
                const void *p;
                size_t got = 0;
                la_ssize_t r;
                while ((r = ks__lz4_read(a, l, &p)) > 0)
                    got += (size_t)r;
                cr_assert_eq(r, 0, "stream %zu, tail %zu, pieces of %zu: %s", s, k, PIECES[i], archive_error_string(a));
                cr_assert_eq(got, n);
                uint64_t want = tails[k].len ? streams[s]->len : UINT64_MAX;
                cr_assert_eq(ks__lz4_end(l), want, "stream %zu, tail %zu, pieces of %zu", s, k, PIECES[i]);
                ks__lz4_free(l);
                archive_read_free(a);
            }
            free(in.p);
        }
    }
    free(frame.p);
    free(legacy.p);
    free(t);
}

/* A frame or a legacy stream cut short gives what decodes before the cut (a block liblz4 had whole, drained; the
 * first block's decodable part), then the error; a frame damaged in a later block gives every block before it. */
Test(inflate_lz4, cut_or_damaged_gives_what_came_before_then_the_error)
{
    size_t n = 3u << 20;
    unsigned char *t = text(n, 6);
    buf frame = {0}, legacy = {0};
    lz4_frame(&frame, t, n, LZ4F_max64KB, 0, 1);
    lz4_legacy(&legacy, t, n);
    const buf *streams[] = {&frame, &legacy};
    for (size_t s = 0; s < 2; s++) {
        const size_t cuts[] = {streams[s]->len / 3, streams[s]->len - 4};
        for (size_t c = 0; c < 2; c++) {
            buf cut = {.p = streams[s]->p, .len = cuts[c]};
            for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
                decoded d = decode_lz4(&cut, PIECES[i]);
                cr_assert_eq(d.last, -1, "stream %zu cut at %zu", s, cuts[c]);
                cr_assert(strstr(d.err, "lz4: truncated"), "%s", d.err);
                cr_assert(d.out.len > n / 4 && d.out.len <= n && !memcmp(d.out.p, t, d.out.len), "stream %zu cut at %zu",
                          s, cuts[c]);
                free(d.out.p);
            }
        }
    }
    buf bad = {0};
    put(&bad, frame.p, frame.len);
    bad.p[bad.len / 2] ^= 0x55; /* a block in the middle: its checksum fails */
    decoded d = decode_lz4(&bad, 0);
    cr_assert_eq(d.last, -1);
    cr_assert(strstr(d.err, "lz4: "), "%s", d.err);
    cr_assert(d.out.len >= n / 2 - (64u << 10) * 2 && !memcmp(d.out.p, t, d.out.len), "%zu bytes before the damage",
              d.out.len);
    free(d.out.p);
    free(bad.p);
    free(frame.p);
    free(legacy.p);
    free(t);
}

/* Decoding inline, a legacy block was decoded into a buffer of its own and then copied out 256 KiB at a time; it is
 * now handed out where it lies, in one read (ahead, it is still copied into the ring's blocks). */
Test(inflate_lz4, inline_a_legacy_block_is_handed_out_in_one_read)
{
    size_t n = 3u << 20;
    unsigned char *t = text(n, 12);
    buf legacy = {0};
    lz4_legacy(&legacy, t, n);
    decoded d = decode_as(&LZ4, &legacy, 0, 0), h = decode_as(&LZ4, &legacy, 0, 1);
    cr_assert_eq(d.last, 0, "%s", d.err);
    cr_assert(d.out.len == n && !memcmp(d.out.p, t, n));
    cr_assert_eq(d.reads, 1);
    cr_assert_eq(h.reads, n / KS_AHEAD_BLOCK);
    cr_assert(h.out.len == n && !memcmp(h.out.p, t, n));
    free(d.out.p);
    free(h.out.p);
    free(legacy.p);
    free(t);
}

/* Where block k of an lz4 frame (written by lz4_frame) begins: its size word's offset; its size in *size. */
static size_t lz4_block_at(const buf *f, size_t k, size_t *size)
{
    unsigned flg = f->p[4];
    size_t at = 7 + (flg & 8u ? 8 : 0) + (flg & 1u ? 4 : 0);
    for (size_t i = 0;; i++) {
        cr_assert_leq(at + 4, f->len);
        uint32_t w = (uint32_t)f->p[at] | (uint32_t)f->p[at + 1] << 8 | (uint32_t)f->p[at + 2] << 16 |
                     (uint32_t)f->p[at + 3] << 24;
        cr_assert(w, "frame has no block %zu", k);
        *size = w & 0x7fffffffu;
        if (i == k)
            return at;
        at += 4 + *size + (flg & 0x10u ? 4 : 0);
    }
}

/* A frame cut inside a later block (a partial download) lost that whole block, up to 4 MiB: liblz4 keeps a block it
 * does not have whole to itself. Now the frame's blocks are read here and given to liblz4 whole, and what decodes of
 * the cut one is given out (with the 64 KiB before it, for linked blocks), then the cut is said. Blocks of 64 KiB and
 * 4 MiB, linked and independent, with and without checksums; the third block cut at a quarter, a half and one byte
 * before its end; in pieces of every size, inline and ahead. And a frame cut in its first block after an empty frame,
 * which stopped the first block's salvage before. */
Test(inflate_lz4, a_frame_cut_in_a_later_block_gives_what_decodes_of_it, .timeout = 300)
{
    static const struct {
        LZ4F_blockSizeID_t id;
        size_t block;
        int linked, sums;
    } kinds[] = {{LZ4F_max64KB, 64u << 10, 1, 1}, {LZ4F_max64KB, 64u << 10, 0, 0},
                 {LZ4F_max4MB, 4u << 20, 1, 0},   {LZ4F_max4MB, 4u << 20, 0, 1}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t B = kinds[k].block, n = 3 * B + B / 2;
        unsigned char *t = text(n, 9 + (unsigned)k);
        buf f = {0};
        lz4_frame(&f, t, n, kinds[k].id, kinds[k].linked, kinds[k].sums);
        size_t size, at = lz4_block_at(&f, 2, &size);
        const size_t cuts[] = {at + 4 + size / 4, at + 4 + size / 2, at + 4 + size - 1};
        const size_t least[] = {2 * B + B / 8, 2 * B + B / 3, 2 * B + 3 * B / 4}; /* text compresses evenly */
        for (size_t c = 0; c < 3; c++) {
            buf cut = {.p = f.p, .len = cuts[c]};
            for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
                decoded d = decode_lz4(&cut, PIECES[i]);
                cr_assert_eq(d.last, -1, "kind %zu, cut %zu, pieces of %zu", k, c, PIECES[i]);
                cr_assert(strstr(d.err, "lz4: truncated lz4 input"), "%s", d.err);
                cr_assert(d.out.len >= least[c] && d.out.len < 3 * B && !memcmp(d.out.p, t, d.out.len),
                          "kind %zu, cut %zu, pieces of %zu: %zu bytes", k, c, PIECES[i], d.out.len);
                free(d.out.p);
            }
        }
        free(f.p);
        free(t);
    }
    /* an empty frame before one cut in its first block: the first frame's bytes alone were kept, so nothing was */
    size_t n = 1u << 20;
    unsigned char *t = text(n, 21);
    buf two = {0};
    lz4_frame(&two, (const unsigned char *)"", 0, LZ4F_max64KB, 0, 1);
    lz4_frame(&two, t, n, LZ4F_max4MB, 0, 0);
    two.len -= two.len / 3;
    decoded d = decode_lz4(&two, 4096);
    cr_assert(strstr(d.err, "lz4: truncated lz4 input"), "%s", d.err);
    cr_assert(d.out.len >= n / 2 && !memcmp(d.out.p, t, d.out.len), "%zu bytes", d.out.len);
    free(d.out.p);
    free(two.p);
    free(t);
}

/* Incompressible bytes: a frame of them is stored blocks. */
static unsigned char *noise(size_t n, unsigned seed)
{
    unsigned char *t = malloc(n);
    for (size_t i = 0; i < n; i++)
        t[i] = (unsigned char)rand_r(&seed);
    return t;
}

/* The review of reading frames here: (1) a stored block whose checksum fails gave its bytes out when it came in
 * pieces (liblz4 passes them on as they come) and nothing when it came whole (given to liblz4 with its checksum):
 * its checksum is now given on its own either way, after its bytes; (2) a stream tried in trailing data, where a cut
 * block gives nothing, gave out a cut stored block's bytes: it now gathers stored blocks like any other. */
Test(inflate_lz4, r_review_of_reading_frames_here)
{
    size_t B = 64u << 10, n = 3 * B;
    unsigned char *t = noise(n, 31);
    buf f = {0};
    lz4_frame(&f, t, n, LZ4F_max64KB, 0, 1);
    size_t size, at = lz4_block_at(&f, 1, &size);
    cr_assert(size == B && f.p[at + 3] & 0x80, "block 1 is stored");
    buf bad = {0};
    put(&bad, f.p, f.len);
    bad.p[at + 4 + B] ^= 1; /* its checksum */
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        decoded d = decode_lz4(&bad, PIECES[i]);
        cr_assert(strstr(d.err, "lz4: block checksum error"), "%s", d.err);
        cr_assert(d.out.len == 2 * B && !memcmp(d.out.p, t, d.out.len), "pieces of %zu: %zu bytes", PIECES[i],
                  d.out.len);
        free(d.out.p);
    }
    buf cut = {.p = f.p, .len = at + 4 + B / 2};
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        struct archive *a = archive_read_new();
        up u = {.p = cut.p, .len = cut.len, .max = PIECES[i], .seed = 5};
        ks_lz4 *l = ks__lz4_new(up_read, &u);
        ks__lz4_whole_blocks_only(l);
        const void *p;
        size_t got = 0;
        la_ssize_t r;
        while ((r = ks__lz4_read(a, l, &p)) > 0)
            got += (size_t)r;
        cr_assert_eq(r, -1);
        cr_assert(strstr(archive_error_string(a), "lz4: truncated lz4 input"), "%s", archive_error_string(a));
        cr_assert_eq(got, B, "pieces of %zu: block 0 alone", PIECES[i]);
        ks__lz4_free(l);
        archive_read_free(a);
    }
    free(bad.p);
    free(f.p);
    free(t);
}

static void *cpus_of_this_thread(void *arg)
{
    cpu_set_t set;
    *(int *)arg = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
    return NULL;
}

/* A decoder run ahead (and a zip's striping lanes) was started by the worker that opened the container, and a thread
 * inherits its creator's CPU mask: the worker pinned to one CPU ran its decoder on that same CPU, and the two never
 * overlapped (a .tar.gz at -j2: the decoder and the framing shared CPU 0 for 1.14 s while CPU 1 idled 35%). Helper
 * threads now start with the process's mask (ks__thread_start), whatever their starter's. */
/* As a pinned worker: pins itself to the first CPU it may run on, then starts a thread both ways; the CPU counts
 * they saw in out[0] (pthread_create) and out[1] (ks__thread_start). */
static void *as_a_pinned_worker(void *arg)
{
    int *out = arg;
    cpu_set_t all, one;
    CPU_ZERO(&one);
    if (sched_getaffinity(0, sizeof all, &all) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &all)) {
                CPU_SET(c, &one);
                break;
            }
    if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0)
        return NULL;
    pthread_t t;
    if (pthread_create(&t, NULL, cpus_of_this_thread, &out[0]) == 0)
        pthread_join(t, NULL);
    if (ks__thread_start(&t, cpus_of_this_thread, &out[1]) == 0)
        pthread_join(t, NULL);
    return NULL;
}

Test(decode_ahead, r_a_helper_thread_ran_on_the_one_cpu_its_pinned_starter_had)
{
    cpu_set_t all;
    cr_assert_eq(sched_getaffinity(0, sizeof all, &all), 0);
    if (CPU_COUNT(&all) < 2)
        cr_skip_test("one CPU: nothing to pin away from");
    int seen[2] = {0, 0};
    pthread_t w;
    cr_assert_eq(pthread_create(&w, NULL, as_a_pinned_worker, seen), 0);
    pthread_join(w, NULL);
    cr_assert_eq(seen[0], 1, "a thread inherits its creator's mask (%d CPUs)", seen[0]);
    cr_assert_eq(seen[1], CPU_COUNT(&all), "a helper may run on %d CPUs", seen[1]);
}
