/* test_container_stream.c: ks_container_stream: archives of every kind written in any pieces give exactly their members'
 * findings, anything else exactly ks_stream's; bombs stop at a budget in bounded memory; corrupt, truncated and
 * abandoned streams are reported and leak nothing; the reader thread blocks every signal. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "archives.h"
#include "corpus.h"
#include "hang.h"
#include "helpers.h"

TestSuite(cstream, .init = fx_setup, .fini = fx_teardown);

/* One finding, with what a reviewer needs to compare: where, in which member, and the secret. */
typedef struct hit {
    size_t rule;
    uint64_t start, end, line, column, secret_start;
    char object[160];
    char secret[96];
} hit;

typedef struct hits {
    hit *v;
    size_t n, cap;
    size_t problems, fatal, stop_after;
    char last_problem[512];
} hits;

static int on_hit(const ks_match *m, void *ctx)
{
    hits *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        cr_assert(h->v);
    }
    hit *x = &h->v[h->n++];
    memset(x, 0, sizeof *x);
    *x = (hit){m->rule_index, m->start, m->end, m->line, m->column, m->secret_start, "", ""};
    snprintf(x->object, sizeof x->object, "%s", m->object ? m->object : "-");
    snprintf(x->secret, sizeof x->secret, "%.*s", (int)m->secret_len, (const char *)m->secret);
    return h->stop_after && h->n >= h->stop_after;
}

static void on_problem(void *ctx, const char *object, int fatal, const char *what)
{
    hits *h = ctx;
    h->problems++;
    h->fatal += fatal != 0;
    snprintf(h->last_problem, sizeof h->last_problem, "%s: %s", object, what);
}

static void hits_free(hits *h) { free(h->v); }

static void assert_same(const hits *want, const hits *got, const char *what)
{
    size_t n = want->n < got->n ? want->n : got->n;
    for (size_t i = 0; i < n; i++) {
        const hit *a = &want->v[i], *b = &got->v[i];
        cr_assert(a->rule == b->rule && a->start == b->start && a->end == b->end && a->line == b->line &&
                      a->column == b->column && a->secret_start == b->secret_start && !strcmp(a->object, b->object) &&
                      !strcmp(a->secret, b->secret),
                  "%s: finding %zu: want rule %zu %s@%llu-%llu %llu:%llu, got rule %zu %s@%llu-%llu %llu:%llu", what, i,
                  a->rule, a->object, (unsigned long long)a->start, (unsigned long long)a->end,
                  (unsigned long long)a->line, (unsigned long long)a->column, b->rule, b->object,
                  (unsigned long long)b->start, (unsigned long long)b->end, (unsigned long long)b->line,
                  (unsigned long long)b->column);
    }
    cr_assert_eq(got->n, want->n, "%s: %zu findings, want %zu", what, got->n, want->n);
}

/* What the members give scanned alone, one after another, each under its chain ("-": the object itself). */
static void scan_alone(hits *h, const char *object, const unsigned char *p, size_t n)
{
    size_t from = h->n;
    cr_assert_eq(ks_scan(fx_scanner, p, n, 0, NULL, on_hit, h), 0);
    for (size_t i = from; i < h->n; i++)
        snprintf(h->v[i].object, sizeof h->v[i].object, "%s", object);
}

typedef enum cut { WHOLE, ONE_BYTE, SMALL, RANDOM, N_CUTS } cut;
static const char *const CUT_NAMES[] = {"whole", "1-byte pieces", "pieces of 1..300", "pieces of 1..64K"};

/* Writes `b` into a container stream cut as `how` says; returns close's code. */
static int stream_it(const blob *b, cut how, uint64_t seed, const ks_scan_opts *so, const ks_container_opts *co,
                     hits *h)
{
    ks_container_stream *cs = NULL;
    cr_assert_eq(ks_container_stream_open(fx_engine, so, co, on_hit, h, &cs), 0);
    uint64_t rs = seed | 1;
    for (size_t at = 0; at < b->len;) {
        size_t n = how == WHOLE      ? b->len
                   : how == ONE_BYTE ? 1
                   : how == SMALL    ? 1 + (size_t)(rnd_next(&rs) % 300)
                                     : 1 + (size_t)(rnd_next(&rs) % (64u << 10));
        if (n > b->len - at)
            n = b->len - at;
        int rc = ks_container_stream_write(cs, fx_scanner, b->p + at, n);
        if (rc) {
            ks_container_stream_abort(cs);
            return rc;
        }
        at += n;
    }
    return ks_container_stream_close(cs, fx_scanner);
}

static blob obj(size_t len, size_t plants, uint64_t seed) { return (blob){make_object(len, plants, seed), len, len}; }

Test(cstream, every_kind_in_any_pieces_equals_its_members_scanned_alone, .timeout = KS_HANG_S(300))
{
    const char *names[] = {"srv/.env", "docs/big.txt", "z/small.txt"};
    blob datas[] = {obj(1500, 6, 1), obj(200000, 60, 2), obj(300, 2, 3)};
    const char *ar_names[] = {"env", "big", "small"}; /* ar keeps short flat names */
    static const struct {
        int format, filter;
        const char *name;
        size_t members;
    } kinds[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, "a.tar", 3},
        {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, "a.tar.gz", 3},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2, "a.tar.bz2", 3},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, "a.tar.xz", 3},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_ZSTD, "a.tar.zst", 3},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_LZ4, "a.tar.lz4", 3},
        {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "a.zip", 3},
        {ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_NONE, "a.cpio", 3},
        {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, "a.7z", 3},
        {ARCHIVE_FORMAT_AR_GNU, ARCHIVE_FILTER_NONE, "a.a", 3},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, "notes.txt.gz", 1},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, "notes.txt.xz", 1},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = kinds[k].members;
        const char *const *nm = kinds[k].format == ARCHIVE_FORMAT_AR_GNU ? ar_names : names;
        blob arc = write_archive(kinds[k].format, kinds[k].filter, nm, n == 1 ? &datas[1] : datas, n);
        hits want = {0};
        for (size_t i = 0; i < n; i++)
            scan_alone(&want, n == 1 ? "notes.txt" : nm[i], (n == 1 ? &datas[1] : &datas[i])->p,
                       (n == 1 ? &datas[1] : &datas[i])->len);
        cr_assert_gt(want.n, 20);
        /* the compressed stream's member is named after the object's path, less its suffix */
        ks_scan_opts so = {.size = sizeof so, .path = kinds[k].name};
        for (cut how = WHOLE; how < N_CUTS; how++) {
            hits got = {0};
            char what[128];
            snprintf(what, sizeof what, "%s, %s", kinds[k].name, CUT_NAMES[how]);
            cr_assert_eq(stream_it(&arc, how, k * 31 + how, &so, NULL, &got), 0, "%s", what);
            assert_same(&want, &got, what);
            hits_free(&got);
        }
        hits_free(&want);
        free(arc.p);
    }
    for (size_t i = 0; i < 3; i++)
        free(datas[i].p);
}

/* An ISO 9660 image says what it is 32 KiB in, after a system area of zeros: written in any pieces, the
 * stream reads its head that far and opens it (it was scanned as bytes when the head stopped at 265). */
Test(cstream, an_iso9660_image_is_opened_by_its_magic_32_kib_in, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"a/one.env", "b/two.txt"}; /* in the order the image lists them */
    blob datas[] = {obj(1500, 6, 11), obj(90000, 30, 12)};
    blob iso = write_archive(ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE, names, datas, 2);
    hits want = {0};
    for (size_t i = 0; i < 2; i++)
        scan_alone(&want, names[i], datas[i].p, datas[i].len);
    cr_assert_gt(want.n, 10);
    ks_scan_opts so = {.size = sizeof so, .path = "disk.iso"};
    for (int hybrid = 0; hybrid < 2; hybrid++) {
        if (hybrid) { /* a boot sector in the system area, as distributions' images have */
            for (size_t i = 0; i < 446; i++)
                iso.p[i] = (unsigned char)(0x33 + i * 7);
            iso.p[510] = 0x55;
            iso.p[511] = 0xaa;
        }
        for (cut how = WHOLE; how < N_CUTS; how++) {
            hits got = {0};
            char what[64];
            snprintf(what, sizeof what, "disk.iso%s, %s", hybrid ? " (hybrid)" : "", CUT_NAMES[how]);
            cr_assert_eq(stream_it(&iso, how, 5 + how, &so, NULL, &got), 0, "%s", what);
            assert_same(&want, &got, what);
            hits_free(&got);
        }
    }
    hits_free(&want);
    free(iso.p);
    for (size_t i = 0; i < 2; i++)
        free(datas[i].p);
}

Test(cstream, nested_members_carry_their_chain, .timeout = KS_HANG_S(120))
{
    blob deep = obj(5000, 8, 11), log = obj(70000, 20, 12), top = obj(900, 3, 13);
    const char *in_names[] = {"deep/creds.txt"};
    blob inner = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, in_names, &deep, 1);
    const char *gz_names[] = {"app.log"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, gz_names, &log, 1);
    const char *names[] = {"top.txt", "inner.zip", "logs/app.log.gz"};
    blob datas[] = {top, inner, gz};
    blob outer = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, datas, 3);
    hits want = {0};
    scan_alone(&want, "top.txt", top.p, top.len);
    scan_alone(&want, "inner.zip!deep/creds.txt", deep.p, deep.len);
    scan_alone(&want, "logs/app.log.gz!app.log", log.p, log.len);
    for (cut how = WHOLE; how < N_CUTS; how++) {
        hits got = {0};
        cr_assert_eq(stream_it(&outer, how, 5 + how, NULL, NULL, &got), 0, "%s", CUT_NAMES[how]);
        assert_same(&want, &got, CUT_NAMES[how]);
        hits_free(&got);
    }
    /* depth 1: the tar.gz is opened, what it holds is scanned as the bytes it is */
    ks_container_opts co = {.size = sizeof co, .depth = 1};
    hits got = {0};
    cr_assert_eq(stream_it(&outer, RANDOM, 3, NULL, &co, &got), 0);
    for (size_t i = 0; i < got.n; i++)
        cr_assert(!strchr(got.v[i].object, '!'), "depth 1 opened %s", got.v[i].object);
    hits_free(&got);
    hits_free(&want);
    free(outer.p);
    free(inner.p);
    free(gz.p);
    free(deep.p);
    free(log.p);
    free(top.p);
}

/* Regression: what an appliance wrote after a container's end (a key appended to a .tar.gz, text after the tar inside
 * its stream) was taken and dropped. It is scanned as trailing data, in any pieces: "[trailing@N]", N where it
 * begins in the object holding the container. */
Test(cstream, r_bytes_after_a_containers_end_are_scanned_in_any_pieces, .timeout = KS_HANG_S(120))
{
    blob member = obj(3000, 4, 21), after_tar = obj(4000, 5, 22), after_gz = obj(5000, 6, 23);
    const char *names[] = {"srv/app.env"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &member, 1);
    blob stream_in = {.p = malloc(tar.len + after_tar.len), .len = tar.len + after_tar.len};
    memcpy(stream_in.p, tar.p, tar.len);
    memcpy(stream_in.p + tar.len, after_tar.p, after_tar.len);
    const char *raw[] = {"x"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw, &stream_in, 1);
    blob whole = {.p = malloc(gz.len + after_gz.len), .len = gz.len + after_gz.len};
    memcpy(whole.p, gz.p, gz.len);
    memcpy(whole.p + gz.len, after_gz.p, after_gz.len);
    char in_stream[64], after[64];
    snprintf(in_stream, sizeof in_stream, "data![trailing@%zu]", tar.len); /* a nameless stream's member is "data" */
    snprintf(after, sizeof after, "[trailing@%zu]", gz.len);
    hits want = {0};
    scan_alone(&want, "srv/app.env", member.p, member.len);
    scan_alone(&want, in_stream, after_tar.p, after_tar.len);
    scan_alone(&want, after, after_gz.p, after_gz.len);
    cr_assert_geq(want.n, 15);
    for (cut how = WHOLE; how < N_CUTS; how++) {
        hits got = {0};
        cr_assert_eq(stream_it(&whole, how, 41 + how, NULL, NULL, &got), 0, "%s: %s", CUT_NAMES[how], got.last_problem);
        cr_assert_eq(got.problems, 0, "%s: %s", CUT_NAMES[how], got.last_problem);
        assert_same(&want, &got, CUT_NAMES[how]);
        hits_free(&got);
    }
    hits_free(&want);
    free(whole.p);
    free(gz.p);
    free(stream_in.p);
    free(tar.p);
    free(member.p);
    free(after_tar.p);
    free(after_gz.p);
}

/* Joins blobs into one new one. */
static blob cat_blobs(const blob *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += parts[i].len;
    blob b = {.p = malloc(len ? len : 1), .len = len};
    cr_assert(b.p);
    for (size_t i = 0, at = 0; i < n; at += parts[i].len, i++)
        memcpy(b.p + at, parts[i].p, parts[i].len);
    return b;
}

/* A script: "#!/bin/sh", then text with `plants` keys, ending in a newline (where a payload may begin). */
static blob script(size_t len, size_t plants, uint64_t seed)
{
    blob b = obj(len, plants, seed);
    memcpy(b.p, "#!/bin/sh\n", 10);
    b.p[len - 1] = '\n';
    return b;
}

/* Regression: a makeself installer (a script, then a .tar.gz, .tar.xz, .gz or plain tar from one of its lines), an
 * executable jar (a script, then a zip) or a self-extracting executable ("MZ", a stub, a zip) written into a
 * container stream was scanned as its raw bytes, so a key in the payload was never found. Now, in any pieces, the
 * lead's findings are the object's own, the payload's its members', and what follows it is "[trailing@N]" with N
 * where it begins in the object, as a pipeline reports the same file. */
Test(cstream, r_an_installer_opens_the_stream_after_its_script_in_any_pieces, .timeout = KS_HANG_S(300))
{
    static const struct {
        int format, filter;
        const char *member;
    } kinds[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, "setup/.env"},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, "setup/.env"},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, "setup/.env"},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, "data"}, /* a nameless stream's member */
        {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "setup/.env"}, /* an executable jar: by its first local header */
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int big = 0; big < 2; big++) { /* big: script and payload cross the 1 MiB lead */
            blob sh = script(big ? 300000 : 5000, big ? 40 : 4, 50 + k);
            if (kinds[k].format == ARCHIVE_FORMAT_ZIP && big) /* a self-extracting executable's stub */
                for (size_t i = 0; i < 4000; i++)
                    sh.p[i] = i < 2 ? (unsigned char)"MZ"[i] : (unsigned char)(i * 7 + 3);
            blob member = obj(big ? 2000000 : 3000, 6, 60 + k),
                 after = obj(2000, 3, 70 + k);
            const char *names[] = {"setup/.env"};
            blob payload = write_archive(kinds[k].format, kinds[k].filter, names, &member, 1);
            blob parts[] = {sh, payload, after};
            blob whole = cat_blobs(parts, 3);
            char trailing[64];
            snprintf(trailing, sizeof trailing, "[trailing@%zu]", sh.len + payload.len);
            hits want = {0};
            scan_alone(&want, "-", sh.p, sh.len);
            scan_alone(&want, kinds[k].member, member.p, member.len);
            scan_alone(&want, trailing, after.p, after.len);
            cr_assert_geq(want.n, 10);
            for (cut how = WHOLE; how < N_CUTS; how++) {
                if (big && (how == ONE_BYTE || how == SMALL))
                    continue;
                hits got = {0};
                char what[96];
                snprintf(what, sizeof what, "kind %zu%s, %s", k, big ? " (big)" : "", CUT_NAMES[how]);
                cr_assert_eq(stream_it(&whole, how, k + how, NULL, NULL, &got), 0, "%s: %s", what, got.last_problem);
                cr_assert_eq(got.problems, 0, "%s: %s", what, got.last_problem);
                assert_same(&want, &got, what);
                hits_free(&got);
            }
            /* no decompression: a compressed payload is bytes, a plain tar is still opened */
            ks_container_opts nd = {.size = sizeof nd, .flags = KS_CONTAINER_NO_DECOMPRESS};
            hits raw = {0}, got = {0};
            scan_alone(&raw, "-", whole.p, whole.len);
            cr_assert_eq(stream_it(&whole, RANDOM, k, NULL, &nd, &got), 0);
            assert_same(kinds[k].filter == ARCHIVE_FILTER_NONE ? &want : &raw, &got, "no decompression");
            hits_free(&got);
            hits_free(&raw);
            hits_free(&want);
            free(whole.p);
            free(payload.p);
            free(sh.p);
            free(member.p);
            free(after.p);
        }
    }
}

/* A script whose line only begins like a stream (bzip2's magic and block magic, a gzip header whose name has no
 * end), or that holds nothing after its lines, is what ks_stream makes of it, in any pieces: lines and findings
 * run on across the line. */
Test(cstream, a_script_whose_line_only_looks_like_a_stream_equals_ks_stream, .timeout = KS_HANG_S(120))
{
    static const char *const looks[] = {"BZh91AY&SY but no bzip2 block follows\n",
                                        "\x1f\x8b\x08\x08\x01\x02\x03\x04\x00\x03a name that never ends\n", ""};
    for (size_t l = 0; l < sizeof looks / sizeof looks[0]; l++) {
        blob sh = script(4000, 3, 80 + l), rest = obj(6000, 5, 90 + l);
        blob parts[] = {sh, text(looks[l]), rest};
        blob whole = cat_blobs(parts, 3);
        hits want = {0};
        scan_alone(&want, "-", whole.p, whole.len);
        cr_assert_geq(want.n, 5);
        for (cut how = WHOLE; how < N_CUTS; how++) {
            hits got = {0};
            char what[64];
            snprintf(what, sizeof what, "look %zu, %s", l, CUT_NAMES[how]);
            cr_assert_eq(stream_it(&whole, how, l + how, NULL, NULL, &got), 0, "%s: %s", what, got.last_problem);
            assert_same(&want, &got, what);
            hits_free(&got);
        }
        hits_free(&want);
        free(whole.p);
        free(sh.p);
        free(rest.p);
    }
}

/* One object of ASCII text written as UTF-16LE, alone and in a tar: its findings are the text's, at their encoded
 * offsets, however it is cut (big: only whole and in pieces of 1..64K). */
static void utf16_case(int big)
{
    blob ascii = big ? obj(300000, 40, 52) : obj(3000, 5, 51);
    blob u16 = {.p = malloc(2 + 2 * ascii.len), .len = 2 + 2 * ascii.len};
    u16.p[0] = 0xff, u16.p[1] = 0xfe;
    for (size_t i = 0; i < ascii.len; i++)
        u16.p[2 + 2 * i] = ascii.p[i], u16.p[3 + 2 * i] = 0;
    const char *names[] = {"conf/u16.ini"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &u16, 1);
    for (int in_tar = 0; in_tar < 2; in_tar++) {
        hits want = {0};
        scan_alone(&want, in_tar ? names[0] : "-", ascii.p, ascii.len);
        cr_assert_geq(want.n, 4);
        for (size_t i = 0; i < want.n; i++) {
            want.v[i].start = 2 + 2 * want.v[i].start;
            want.v[i].end = 2 + 2 * want.v[i].end;
            want.v[i].secret_start = 2 + 2 * want.v[i].secret_start;
        }
        const blob *b = in_tar ? &tar : &u16;
        for (cut how = WHOLE; how < N_CUTS; how++) {
            if (big && (how == ONE_BYTE || how == SMALL))
                continue;
            hits got = {0};
            cr_assert_eq(stream_it(b, how, 61 + how, NULL, NULL, &got), 0, "%s", CUT_NAMES[how]);
            assert_same(&want, &got, CUT_NAMES[how]);
            hits_free(&got);
        }
        hits raw = {0};
        ks_container_opts co = {.size = sizeof co, .flags = KS_CONTAINER_NO_UTF16};
        cr_assert_eq(stream_it(b, SMALL, 71, NULL, &co, &raw), 0);
        cr_assert_eq(raw.n, 0, "KS_CONTAINER_NO_UTF16: %zu findings in the raw bytes", raw.n);
        hits_free(&raw);
        hits_free(&want);
    }
    free(tar.p);
    free(u16.p);
    free(ascii.p);
}

/* UTF-16 text written into a container stream, as the object or as a member of a tar, was scanned as its raw bytes
 * (a zero in every other one) and its secrets never found, while a pipeline found them in the same file. It is now
 * scanned as its characters, in any pieces: each finding where its ASCII twin's is, moved onto the encoded bytes
 * (2 + 2i, after the mark), same line and column; KS_CONTAINER_NO_UTF16 scans the bytes as they are. */
Test(cstream, r_utf16_text_is_scanned_as_its_characters, .timeout = KS_HANG_S(120))
{
    /* big: written in pieces of 16 KiB and more, its characters are gathered 128 KiB at a time (a review: handed on
     * 4 KiB at a time, each rescanning the widest rule's overlap, UTF-16 was scanned 5x slower than its text) */
    for (int big = 0; big < 2; big++)
        utf16_case(big);
}

/* A byte order mark before bytes that are no mostly-ASCII UTF-16 has them scanned both ways; the raw findings came
 * out as the two scans' pieces allowed, so their order against the characters' findings changed with how the
 * object was cut (a review). The characters' findings now come first, then the raw ones, however it is cut, also
 * as a member (whose bytes are gathered: their scan's findings were handed to the wrong context at first). */
Test(cstream, r_both_ways_findings_come_in_one_order_however_cut, .timeout = KS_HANG_S(120))
{
    blob raw_text = obj(3000, 4, 81), u16_text = obj(1500, 3, 82);
    blob b = {.p = malloc(2 + 6000 + 3 * u16_text.len + raw_text.len), .len = 0};
    b.p[b.len++] = 0xff, b.p[b.len++] = 0xfe;
    for (int i = 0; i < 3000; i++) /* no ASCII lane: not sure it is text */
        b.p[b.len++] = 0x01, b.p[b.len++] = 0x4e;
    for (size_t i = 0; i < u16_text.len; i++)
        b.p[b.len++] = u16_text.p[i], b.p[b.len++] = 0;
    b.p[b.len++] = '\n', b.p[b.len++] = 0; /* the raw text starts on an even offset, after a new line */
    memcpy(b.p + b.len, raw_text.p, raw_text.len);
    b.len += raw_text.len;
    hits first = {0};
    cr_assert_eq(stream_it(&b, WHOLE, 1, NULL, NULL, &first), 0);
    cr_assert_geq(first.n, 6, "findings both ways: %zu", first.n);
    cr_assert_lt(first.v[0].start, first.v[first.n - 1].start, "the characters' first");
    for (cut how = ONE_BYTE; how < N_CUTS; how++) {
        hits got = {0};
        cr_assert_eq(stream_it(&b, how, 91 + how, NULL, NULL, &got), 0);
        assert_same(&first, &got, CUT_NAMES[how]);
        hits_free(&got);
    }
    /* as a member, whose bytes are gathered before they are scanned: the same, in the same order */
    const char *names[] = {"bom.bin"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &b, 1);
    for (size_t i = 0; i < first.n; i++)
        snprintf(first.v[i].object, sizeof first.v[i].object, "%s", "bom.bin");
    for (cut how = WHOLE; how < N_CUTS; how++) {
        hits got = {0};
        cr_assert_eq(stream_it(&tar, how, 95 + how, NULL, NULL, &got), 0);
        assert_same(&first, &got, CUT_NAMES[how]);
        hits_free(&got);
    }
    free(tar.p);
    hits_free(&first);
    free(b.p);
    free(raw_text.p);
    free(u16_text.p);
}

/* Anything that is not a container, however it starts, gives exactly what ks_scan gives over it. */
Test(cstream, what_is_no_container_equals_ks_stream, .timeout = KS_HANG_S(120))
{
    static const size_t lens[] = {0, 1, 3, 4, 100, 264, 265, 266, 511, 512, 513, 5000, 32773, 32774, 70000, 300000};
    /* openings that look like a container to the magic test, and are not one; "" stands for 33,000 zeros
     * and "boot" for a boot sector (an ISO 9660 image's system area, either: read on to where its magic
     * would be) */
    static const char *const fakes[] = {NULL, "\x1f\x8b", "PK\x03\x04", "BZh9", "\xfd" "7zXZ", "", "boot"};
    for (size_t f = 0; f < sizeof fakes / sizeof fakes[0]; f++) {
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            blob b = obj(lens[l] ? lens[l] : 1, lens[l] / 800 + 1, l * 7 + f);
            b.len = lens[l];
            if (fakes[f] && !*fakes[f])
                memset(b.p, 0, b.len < 33000 ? b.len : 33000);
            else if (fakes[f] && !strcmp(fakes[f], "boot") && b.len >= 512)
                b.p[510] = 0x55, b.p[511] = 0xaa;
            else if (fakes[f] && b.len >= strlen(fakes[f]))
                memcpy(b.p, fakes[f], strlen(fakes[f]));
            hits want = {0};
            scan_alone(&want, "-", b.p, b.len);
            for (cut how = WHOLE; how < N_CUTS; how++) {
                if (how == ONE_BYTE && b.len > 70000)
                    continue;
                hits got = {0};
                char what[96];
                snprintf(what, sizeof what, "%zu bytes, fake %zu, %s", b.len, f, CUT_NAMES[how]);
                cr_assert_eq(stream_it(&b, how, l + how, NULL, NULL, &got), 0, "%s", what);
                assert_same(&want, &got, what);
                hits_free(&got);
            }
            /* and with containers off, whatever it holds */
            hits got = {0};
            ks_container_opts off = {.size = sizeof off, .flags = KS_CONTAINER_OFF};
            cr_assert_eq(stream_it(&b, RANDOM, l, NULL, &off, &got), 0);
            assert_same(&want, &got, "containers off");
            hits_free(&got);
            hits_free(&want);
            free(b.p);
        }
    }
    /* a real archive with containers off is its raw bytes: a stored zip shows its members' text */
    blob m = obj(3000, 5, 99);
    const char *nm[] = {"a.txt"};
    blob z = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, nm, &m, 1);
    hits want = {0}, got = {0};
    scan_alone(&want, "-", z.p, z.len);
    ks_container_opts off = {.size = sizeof off, .flags = KS_CONTAINER_OFF};
    cr_assert_eq(stream_it(&z, SMALL, 1, NULL, &off, &got), 0);
    assert_same(&want, &got, "a zip with containers off");
    hits_free(&want);
    hits_free(&got);
    free(z.p);
    free(m.p);
}

/* ---- bombs: a budget stops them, memory stays bounded ---- */

/* An engine allocator that counts the bytes it holds, and their peak. */
typedef struct counter {
    pthread_mutex_t mu;
    size_t cur, peak;
} counter;

static void *c_malloc(size_t n, void *ctx)
{
    counter *c = ctx;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    pthread_mutex_lock(&c->mu);
    c->cur += n;
    c->peak = c->cur > c->peak ? c->cur : c->peak;
    pthread_mutex_unlock(&c->mu);
    return (char *)p + 16;
}

static void c_free(void *q, void *ctx)
{
    counter *c = ctx;
    if (!q)
        return;
    size_t *p = (size_t *)((char *)q - 16);
    pthread_mutex_lock(&c->mu);
    c->cur -= *p;
    pthread_mutex_unlock(&c->mu);
    free(p);
}

static void *c_realloc(void *q, size_t n, void *ctx)
{
    void *r = c_malloc(n, ctx);
    if (r && q) {
        size_t old = *(size_t *)((char *)q - 16);
        memcpy(r, q, old < n ? old : n);
        c_free(q, ctx);
    }
    return r;
}

static ks_engine *counted_engine(counter *c)
{
    pthread_mutex_init(&c->mu, NULL);
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_yaml(r, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t", NULL, NULL), 0);
    ks_allocator a = {c_malloc, c_realloc, c_free, c};
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE, .allocator = &a};
    ks_engine *e = NULL;
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    return e;
}

/* Runs every rule once, so that what an engine compiles on first use (its confirm regexes) is
 * counted before a test measures what a stream holds. */
static void warm_up(ks_scanner *sc)
{
    unsigned char *b = make_object(50000, 200, 77);
    hits h = {0};
    cr_assert_eq(ks_scan(sc, b, 50000, 0, NULL, on_hit, &h), 0);
    /* and the scanner's copy buffer at its largest: a small region is copied whole to an
     * end-aligned buffer (scan.c), up to four tail lengths (max width + 132) */
    ks_engine_stats es = {.size = sizeof es};
    cr_assert_eq(ks_engine_stats_get(ks_scanner_engine(sc), &es), 0);
    size_t whole = 4 * (es.max_width + 132);
    for (size_t less = 0; less < 64; less++)
        cr_assert_eq(ks_scan(sc, b, whole - less, 0, NULL, on_hit, &h), 0);
    hits_free(&h);
    free(b);
}

/* Peak resident memory of this process so far (VmHWM), in bytes. */
static size_t peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    cr_assert(f);
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb << 10;
}

#if defined(__SANITIZE_ADDRESS__)
#define KS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_ASAN 1
#endif
#endif

/* A compressed stream made as it is written into a container stream, never held whole. */
typedef struct bomb {
    ks_container_stream *cs;
    ks_scanner *sc;
    hits *h;
    uint64_t written;
    int rc;
} bomb;

static la_ssize_t bomb_write(struct archive *a, void *ctx, const void *p, size_t n)
{
    (void)a;
    bomb *b = ctx;
    if (!b->rc)
        b->rc = ks_container_stream_write(b->cs, b->sc, p, n);
    b->written += n;
    return (la_ssize_t)n;
}

Test(cstream, a_gigabyte_of_zeros_gzip_stops_at_the_ratio_guard_in_bounded_memory, .timeout = KS_HANG_S(300))
{
    counter c = {0};
    ks_engine *e = counted_engine(&c);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    warm_up(sc);
    size_t base = c.cur, rss_before = peak_rss();
    c.peak = c.cur;
    hits h = {0};
    ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
    ks_scan_opts so = {.size = sizeof so, .path = "zeros.gz"};
    bomb b = {.sc = sc, .h = &h};
    cr_assert_eq(ks_container_stream_open(e, &so, &co, on_hit, &h, &b.cs), 0);
    struct archive *a = archive_write_new();
    cr_assert_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
    cr_assert_eq(archive_write_add_filter(a, ARCHIVE_FILTER_GZIP), ARCHIVE_OK);
    archive_write_set_bytes_per_block(a, 0);
    cr_assert_eq(archive_write_open2(a, &b, NULL, bomb_write, NULL, NULL), ARCHIVE_OK);
    struct archive_entry *ent = archive_entry_new();
    archive_entry_set_pathname(ent, "zeros");
    archive_entry_set_filetype(ent, AE_IFREG);
    cr_assert_eq(archive_write_header(a, ent), ARCHIVE_OK);
    archive_entry_free(ent);
    size_t piece = 1u << 20;
    unsigned char *zeros = calloc(1, piece);
    uint64_t fed = 0;
    /* 1 GiB of zeros, unless the stream says it stopped first */
    while (fed < ((uint64_t)1 << 30) && !h.fatal && !b.rc) {
        cr_assert_eq(archive_write_data(a, zeros, piece), (la_ssize_t)piece);
        fed += piece;
    }
    archive_write_close(a);
    archive_write_free(a);
    cr_assert_eq(b.rc, 0, "%s", ks_errname(b.rc));
    int rc = ks_container_stream_close(b.cs, sc);
    cr_assert_eq(rc, KS_ELIMIT, "%s after %llu bytes in", ks_errname(rc), (unsigned long long)b.written);
    cr_assert_eq(h.fatal, 1, "%s", h.last_problem);
    cr_assert(strstr(h.last_problem, "compression bomb"), "%s", h.last_problem);
    /* the reader runs once 64 KiB of input gathered: 64 MiB of zeros, here */
    cr_assert_lt(fed, (uint64_t)256 << 20, "stopped soon after 16 MiB came out, not at %llu", (unsigned long long)fed);
    cr_assert_eq(c.cur, base, "the stream gave back all it took");
    /* what it took through the engine: its input block, the member's stream and a piece */
    cr_assert_lt(c.peak - base, (size_t)1 << 20, "%zu bytes", c.peak - base);
    cr_log_info("stopped after %llu bytes of zeros (%llu compressed); engine memory peak %zu bytes; RSS peak +%zu KiB",
                (unsigned long long)fed, (unsigned long long)b.written, c.peak - base, (peak_rss() - rss_before) >> 10);
#ifndef KS_ASAN
    size_t grew = peak_rss() - rss_before;
    cr_assert_lt(grew, (size_t)48 << 20, "peak RSS grew by %zu bytes", grew);
#endif
    hits_free(&h);
    free(zeros);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
}

Test(cstream, a_nested_zip_bomb_stops_at_a_budget, .timeout = KS_HANG_S(300))
{
    size_t mb4 = 4u << 20;
    blob zeros = {calloc(1, mb4), mb4, mb4};
    const char *names[8] = {"0", "1", "2", "3", "4", "5", "6", "7"};
    blob level[8];
    for (int i = 0; i < 8; i++)
        level[i] = zeros;
    blob l0 = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, level, 8); /* 32 MiB */
    for (int i = 0; i < 8; i++)
        level[i] = l0;
    blob l1 = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, level, 8); /* 256 MiB */
    for (int i = 0; i < 8; i++)
        level[i] = l1;
    blob l2 = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, level, 8); /* 2 GiB */
    hits h = {0};
    ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
    int rc = stream_it(&l2, RANDOM, 1, NULL, &co, &h);
    cr_assert_eq(rc, KS_ELIMIT, "%s: %s", ks_errname(rc), h.last_problem);
    cr_assert_eq(h.fatal, 1);
    cr_assert(strstr(h.last_problem, "0!0!"), "the stop names the member: %s", h.last_problem);
    /* the member budget, at its limit and one past it */
    hits m = {0};
    ks_container_opts members = {.size = sizeof members, .max_members = 8, .max_ratio = 100000,
                                 .on_problem = on_problem};
    cr_assert_eq(stream_it(&l0, RANDOM, 2, NULL, &members, &m), 0, "%s", m.last_problem);
    members.max_members = 7;
    cr_assert_eq(stream_it(&l0, RANDOM, 2, NULL, &members, &m), KS_ELIMIT);
    cr_assert(strstr(m.last_problem, "more members than the limit of 7"), "%s", m.last_problem);
    /* the output budget, likewise */
    ks_container_opts out = {.size = sizeof out, .max_output = 8 * (uint64_t)mb4, .max_ratio = 100000,
                             .on_problem = on_problem};
    cr_assert_eq(stream_it(&l0, SMALL, 3, NULL, &out, &m), 0, "%s", m.last_problem);
    out.max_output--;
    cr_assert_eq(stream_it(&l0, RANDOM, 3, NULL, &out, &m), KS_ELIMIT);
    cr_assert(strstr(m.last_problem, "exceed the limit"), "%s", m.last_problem);
    hits_free(&m);
    hits_free(&h);
    free(l2.p);
    free(l1.p);
    free(l0.p);
    free(zeros.p);
}

/* A 7z needs random access: held whole up to max_spool, opened at close; past it, its bytes are scanned. */
Test(cstream, a_7z_is_held_up_to_its_limit_and_scanned_as_bytes_past_it)
{
    const char *names[] = {"a.txt"};
    blob d = obj(30000, 10, 71);
    blob arc = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, names, &d, 1);
    hits want = {0}, raw = {0};
    scan_alone(&want, "a.txt", d.p, d.len);
    scan_alone(&raw, "-", arc.p, arc.len);
    ks_container_opts co = {.size = sizeof co, .max_spool = arc.len, .on_problem = on_problem};
    hits got = {0};
    cr_assert_eq(stream_it(&arc, SMALL, 1, NULL, &co, &got), 0, "%s", got.last_problem);
    assert_same(&want, &got, "a 7z at the limit");
    hits_free(&got);
    co.max_spool = arc.len - 1;
    memset(&got, 0, sizeof got);
    cr_assert_eq(stream_it(&arc, SMALL, 1, NULL, &co, &got), KS_ELIMIT);
    cr_assert(strstr(got.last_problem, "random access"), "%s", got.last_problem);
    assert_same(&raw, &got, "a 7z one past the limit");
    hits_free(&got);
    hits_free(&raw);
    hits_free(&want);
    /* the same limit for a 7z inside a tar (held once its member is read) */
    const char *in_names[] = {"in/a.7z"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, in_names, &arc, 1);
    memset(&want, 0, sizeof want);
    memset(&raw, 0, sizeof raw);
    scan_alone(&want, "in/a.7z!a.txt", d.p, d.len);
    scan_alone(&raw, "in/a.7z", arc.p, arc.len);
    co.max_spool = arc.len;
    memset(&got, 0, sizeof got);
    cr_assert_eq(stream_it(&tar, SMALL, 1, NULL, &co, &got), 0, "%s", got.last_problem);
    assert_same(&want, &got, "a 7z in a tar at the limit");
    hits_free(&got);
    co.max_spool = arc.len - 1;
    memset(&got, 0, sizeof got);
    int trc = stream_it(&tar, SMALL, 1, NULL, &co, &got);
    cr_assert_eq(trc, KS_ELIMIT, "%d %s", trc, got.last_problem);
    cr_assert(strstr(got.last_problem, "random access"), "%s", got.last_problem);
    assert_same(&raw, &got, "a 7z in a tar one past the limit");
    hits_free(&got);
    hits_free(&raw);
    hits_free(&want);
    free(tar.p);
    free(arc.p);
    free(d.p);
}

/* ---- corrupt, truncated, stopped and abandoned streams ---- */

Test(cstream, truncated_and_corrupt_archives_are_reported_with_the_findings_before, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    blob datas[] = {obj(20000, 10, 21), obj(20000, 10, 22), obj(400000, 80, 23)};
    hits want = {0};
    for (int i = 0; i < 3; i++)
        scan_alone(&want, names[i], datas[i].p, datas[i].len);
    static const struct {
        int format, filter;
        size_t at_least; /* findings certain before the cut: a.txt's and b.txt's */
    } kinds[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, 20},
        {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, 20},
        /* a nested reader asks its parent for a block at a time, and libarchive drops the bytes of a
         * block that ends in an error: what the last block held is lost, as it is for files */
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, 0},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        blob arc = write_archive(kinds[k].format, kinds[k].filter, names, datas, 3);
        blob cut_short = arc;
        cut_short.len = arc.len * 3 / 4; /* inside c.txt */
        for (cut how = WHOLE; how < N_CUTS; how++) {
            hits got = {0};
            ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
            int rc = stream_it(&cut_short, how, how, NULL, &co, &got);
            cr_assert_eq(rc, KS_ECORRUPT, "kind %zu, %s: %s", k, CUT_NAMES[how], ks_errname(rc));
            cr_assert_eq(got.fatal, 1, "%s", got.last_problem);
            cr_assert(strstr(got.last_problem, "truncated"), "%s", got.last_problem);
            /* what came before the cut is there, exactly */
            cr_assert_geq(got.n, kinds[k].at_least, "kind %zu, %s: %zu findings; %s", k, CUT_NAMES[how], got.n,
                          got.last_problem);
            cr_assert_lt(got.n, want.n);
            hits prefix = want;
            prefix.n = got.n;
            assert_same(&prefix, &got, "before the cut");
            hits_free(&got);
        }
        free(arc.p);
    }
    /* a damaged header (libarchive checks a tar header's sum; it does not check a gzip CRC): passed over to the
     * next header, as tar does, and said; the tar is reported corrupt, and the blocks passed over (b.txt's header
     * and data) are scanned as the member "[damaged@N]" */
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, datas, 3);
    size_t b_header = 512 + (datas[0].len + 511) / 512 * 512;
    memset(tar.p + b_header + 148, '7', 6);
    hits got = {0};
    ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
    int rc = stream_it(&tar, RANDOM, 9, NULL, &co, &got);
    cr_assert_eq(rc, KS_ECORRUPT, "%s: %s", ks_errname(rc), got.last_problem);
    cr_assert_eq(got.problems, 1);
    cr_assert_eq(got.fatal, 0, "%s", got.last_problem);
    cr_assert(strstr(got.last_problem, "damaged: ") && strstr(got.last_problem, "scanned as bytes"), "%s",
              got.last_problem);
    hits around = {0}; /* a.txt's, the damaged run's and c.txt's */
    scan_alone(&around, names[0], datas[0].p, datas[0].len);
    size_t c_header = b_header + 512 + (datas[1].len + 511) / 512 * 512;
    char damaged[48];
    snprintf(damaged, sizeof damaged, "[damaged@%zu]", b_header);
    scan_alone(&around, damaged, tar.p + b_header, c_header - b_header);
    scan_alone(&around, names[2], datas[2].p, datas[2].len);
    assert_same(&around, &got, "around the damaged header");
    hits_free(&around);
    hits_free(&got);
    free(tar.p);
    hits_free(&want);
    for (int i = 0; i < 3; i++)
        free(datas[i].p);
}

/* A zip written into the stream cannot be read by its central directory: after a member whose deflated bytes are
 * damaged, libarchive fails for good, and the members after it were lost. The stream reads on from the next local
 * header: a.txt's and c.txt's findings however the zip is cut, the damage said once. */
Test(cstream, r_a_zips_damaged_member_stops_only_itself_in_any_pieces, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    blob datas[] = {obj(20000, 10, 41), obj(300000, 10, 42), obj(400000, 80, 43)};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 3);
    unsigned char *b = NULL;
    for (size_t k = 4; k + 30 <= zip.len && !b; k++)
        if (!memcmp(zip.p + k, "PK\3\4", 4))
            b = zip.p + k;
    cr_assert(b && b[8] == 8, "b.txt deflated");
    memset(b + 30 + (b[26] | b[27] << 8) + (b[28] | b[29] << 8) + 4, 0xff, 16);
    hits around = {0};
    scan_alone(&around, names[0], datas[0].p, datas[0].len);
    scan_alone(&around, names[2], datas[2].p, datas[2].len);
    for (cut how = WHOLE; how < N_CUTS; how++) {
        hits got = {0};
        ks_container_opts co = {.size = sizeof co, .on_problem = on_problem};
        int rc = stream_it(&zip, how, 50 + how, NULL, &co, &got);
        cr_assert_eq(rc, KS_ECORRUPT, "%s: %s", CUT_NAMES[how], ks_errname(rc));
        cr_assert_eq(got.problems, 1, "%s: %s", CUT_NAMES[how], got.last_problem);
        assert_same(&around, &got, CUT_NAMES[how]);
        hits_free(&got);
    }
    hits_free(&around);
    free(zip.p);
    for (int i = 0; i < 3; i++)
        free(datas[i].p);
}

/* Two members of 30 secrets in a .tar.gz, written in pieces of `piece` bytes (0: at once), with a
 * callback that stops after 3: the stream ends there, whichever call met the stop. */
static void stop_after_three(size_t piece, uint64_t seed)
{
    const char *names[] = {"a.txt", "b.txt"};
    blob datas[] = {obj(100000, 30, seed), obj(100000, 30, seed + 1)};
    blob arc = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, datas, 2);
    if (!piece) /* then it is all held back until close, where the stop comes */
        cr_assert_lt(arc.len, 64 << 10, "less than a block of input");
    size_t step = piece ? piece : arc.len;
    hits h = {.stop_after = 3};
    ks_container_stream *cs = NULL;
    cr_assert_eq(ks_container_stream_open(fx_engine, NULL, NULL, on_hit, &h, &cs), 0);
    int rc = 0;
    size_t at = 0;
    for (; at < arc.len && !rc; at += step)
        rc = ks_container_stream_write(cs, fx_scanner, arc.p + at, arc.len - at < step ? arc.len - at : step);
    if (!rc)
        rc = ks_container_stream_close(cs, fx_scanner);
    else {
        cr_assert_eq(ks_container_stream_write(cs, fx_scanner, arc.p, 10), KS_ETERMINATED, "only close remains");
        cr_assert_eq(ks_container_stream_close(cs, fx_scanner), KS_ETERMINATED);
    }
    cr_assert_eq(rc, KS_ETERMINATED, "pieces of %zu: %s", piece, ks_errname(rc));
    cr_assert_eq(h.n, 3, "nothing after the callback said stop");
    hits_free(&h);
    free(arc.p);
    free(datas[0].p);
    free(datas[1].p);
}

Test(cstream, a_callback_that_stops_ends_the_stream) { stop_after_three(1000, 31); }

/* Regression: the bytes held back until close (less than a block of input) were handed over there,
 * and a callback that stopped the scan in them went unreported (close returned 0). */
Test(cstream, a_callback_that_stops_in_the_bytes_close_hands_over_is_reported) { stop_after_three(0, 33); }

Test(cstream, abandoned_anywhere_it_leaks_nothing, .timeout = KS_HANG_S(120))
{
    counter c = {0};
    ks_engine *e = counted_engine(&c);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    const char *names[] = {"a.txt", "in.zip"};
    blob in = obj(50000, 10, 41);
    const char *in_names[] = {"deep.txt"};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, in_names, &in, 1);
    blob datas[] = {obj(150000, 30, 42), zip};
    blob xz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, names, datas, 2);
    /* then bytes that are no xz (trailing data, a member of its own): 70000 stops in them (the test read past the
     * archive there before, whatever the heap held, and began a trailing member now and then) */
    blob arc = {.p = malloc(xz.len + 40000), .len = xz.len + 40000};
    memcpy(arc.p, xz.p, xz.len);
    uint32_t rs = 5;
    for (size_t i = xz.len; i < arc.len; i++)
        arc.p[i] = (unsigned char)((rs = rs * 1103515245u + 12345u) >> 24);
    free(xz.p);
    cr_assert_gt(arc.len, 70000);
    warm_up(sc);
    size_t base = c.cur;
    const size_t stops[] = {0, 1, 100, 265, 266, 70000, arc.len / 2, arc.len - 1, arc.len};
    for (size_t s = 0; s < sizeof stops / sizeof stops[0]; s++) {
        hits h = {0};
        ks_container_stream *cs = NULL;
        cr_assert_eq(ks_container_stream_open(e, NULL, NULL, on_hit, &h, &cs), 0);
        for (size_t at = 0; at < stops[s]; at += 777)
            cr_assert_eq(ks_container_stream_write(cs, sc, arc.p + at, stops[s] - at < 777 ? stops[s] - at : 777), 0);
        ks_container_stream_abort(cs);
        cr_assert_eq(c.cur, base, "abandoned after %zu bytes: %zu bytes kept", stops[s], c.cur - base);
        hits_free(&h);
    }
    ks_container_stream_abort(NULL);
    cr_assert_eq(ks_container_stream_close(NULL, sc), KS_EINVAL);
    free(arc.p);
    free(zip.p);
    free(in.p);
    free(datas[0].p);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
}

/* ---- the reader thread, the arguments, the path ---- */

/* Regression: a member bigger than a gathering room (256 KiB) whose last room's findings stopped the callback left
 * its engine stream allocated (about 33 KB a member): close saw the failed write and skipped the stream. */
Test(cstream, r_a_stop_in_a_big_members_last_room_leaks_nothing, .timeout = KS_HANG_S(120))
{
    counter c = {0};
    ks_engine *e = counted_engine(&c);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    warm_up(sc);
    size_t base = c.cur;
    blob member = obj(540000, 0, 7);
    member.p[524000] = '\n';
    memcpy(member.p + 524001, PLANTS[0], strlen(PLANTS[0]));
    member.p[524001 + strlen(PLANTS[0])] = '\n';
    const char *names[] = {"big.txt"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &member, 1);
    for (size_t piece = 4096; piece <= ((size_t)1 << 20); piece *= 16) {
        hits h = {.stop_after = 1};
        ks_container_stream *cs = NULL;
        cr_assert_eq(ks_container_stream_open(e, NULL, NULL, on_hit, &h, &cs), 0);
        int rc = 0;
        for (size_t at = 0; at < tar.len && !rc; at += piece)
            rc = ks_container_stream_write(cs, sc, tar.p + at, tar.len - at < piece ? tar.len - at : piece);
        int crc = ks_container_stream_close(cs, sc);
        cr_assert(rc == KS_ETERMINATED || crc == KS_ETERMINATED, "pieces of %zu: %s, %s", piece, ks_errname(rc),
                  ks_errname(crc));
        cr_assert_eq(h.n, 1);
        cr_assert_eq(c.cur, base, "pieces of %zu: %zu bytes still held", piece, c.cur - base);
        hits_free(&h);
    }
    free(tar.p);
    free(member.p);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
}

/* Regression: a plain object that begins like a lead ("#!", "MZ") kept its first MiB for as long as it was open,
 * where a plain object holds what a ks_stream holds once its lead is decided. */
Test(cstream, r_a_plain_script_lets_go_of_its_lead, .timeout = KS_HANG_S(120))
{
    static const char *const starts[] = {"#!/bin/sh\n", "MZ\x90"};
    for (size_t k = 0; k < 2; k++) {
        counter c = {0};
        ks_engine *e = counted_engine(&c);
        ks_scanner *sc = NULL;
        cr_assert_eq(ks_scanner_create(e, &sc), 0);
        warm_up(sc);
        size_t base = c.cur;
        blob b = obj(3 << 20, 20, 40 + k);
        memcpy(b.p, starts[k], strlen(starts[k]));
        hits h = {0};
        ks_container_stream *cs = NULL;
        cr_assert_eq(ks_container_stream_open(e, NULL, NULL, on_hit, &h, &cs), 0);
        for (size_t at = 0; at < b.len; at += 64 << 10)
            cr_assert_eq(ks_container_stream_write(cs, sc, b.p + at, 64 << 10), 0);
        cr_assert_lt(c.cur - base, (size_t)256 << 10, "%s: %zu bytes held after 3 MiB", k ? "MZ" : "#!",
                     c.cur - base);
        cr_assert_eq(ks_container_stream_close(cs, sc), 0);
        cr_assert_eq(c.cur, base);
        hits want = {0};
        scan_alone(&want, "-", b.p, b.len);
        cr_assert_eq(h.n, want.n);
        hits_free(&want);
        hits_free(&h);
        free(b.p);
        ks_scanner_destroy(sc);
        ks_engine_destroy(e);
    }
}

static size_t thread_ids(pid_t *ids, size_t max)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert(d);
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) && n < max;)
        if (de->d_name[0] != '.')
            ids[n++] = (pid_t)atoi(de->d_name);
    closedir(d);
    return n;
}

Test(cstream, the_reader_thread_blocks_every_signal)
{
    pid_t before[64], after[64];
    size_t nb = thread_ids(before, 64);
    const char *names[] = {"a.txt"};
    blob d = obj(300000, 10, 51);
    blob arc = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, &d, 1);
    hits h = {0};
    ks_container_stream *cs = NULL;
    cr_assert_eq(ks_container_stream_open(fx_engine, NULL, NULL, on_hit, &h, &cs), 0);
    cr_assert_eq(ks_container_stream_write(cs, fx_scanner, arc.p, arc.len / 2), 0);
    size_t na = thread_ids(after, 64), readers = 0;
    for (size_t i = 0; i < na; i++) {
        int known = 0;
        for (size_t j = 0; j < nb; j++)
            known |= after[i] == before[j];
        if (known)
            continue;
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)after[i]);
        FILE *f = fopen(path, "r");
        cr_assert(f);
        unsigned long long blocked = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
                break;
        fclose(f);
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGALRM, SIGUSR1, SIGCHLD};
        for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
            cr_assert(blocked & (1ull << (sigs[k] - 1)), "the reader takes signal %d (SigBlk %llx)", sigs[k], blocked);
        readers++;
    }
    cr_assert_eq(readers, 1, "one reader thread while a container is open, %zu found", readers);
    cr_assert_eq(ks_container_stream_write(cs, fx_scanner, arc.p + arc.len / 2, arc.len - arc.len / 2), 0);
    cr_assert_eq(ks_container_stream_close(cs, fx_scanner), 0);
    cr_assert_gt(h.n, 0);
    cr_assert_eq(thread_ids(after, 64), nb, "the reader is gone once the stream is closed");
    hits_free(&h);
    free(arc.p);
    free(d.p);
}

Test(cstream, bad_arguments_and_older_options)
{
    ks_container_stream *cs = (ks_container_stream *)1;
    cr_assert_eq(ks_container_stream_open(NULL, NULL, NULL, on_hit, NULL, &cs), KS_EINVAL);
    cr_assert_null(cs);
    cr_assert_eq(ks_container_stream_open(fx_engine, NULL, NULL, on_hit, NULL, NULL), KS_EINVAL);
    hits h = {0};
    cr_assert_eq(ks_container_stream_open(fx_engine, NULL, NULL, on_hit, &h, &cs), 0);
    cr_assert_eq(ks_container_stream_write(cs, NULL, "abc", 3), KS_EINVAL);
    cr_assert_eq(ks_container_stream_write(cs, fx_scanner, NULL, 3), KS_EINVAL);
    ks_engine *other = engine_from_yaml(TEST_RULES_YAML);
    ks_scanner *osc = NULL;
    cr_assert_eq(ks_scanner_create(other, &osc), 0);
    cr_assert_eq(ks_container_stream_write(cs, osc, "abc", 3), KS_EINVAL, "a scanner of another engine");
    cr_assert_eq(ks_container_stream_write(cs, fx_scanner, "abc", 3), 0);
    cr_assert_eq(ks_container_stream_close(cs, fx_scanner), 0);
    ks_scanner_destroy(osc);
    ks_engine_destroy(other);
    /* a caller built before on_problem existed: its size stops short of it, and it is not read */
    blob d = obj(200000, 4, 61);
    const char *names[] = {"a.txt"};
    blob arc = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, &d, 1);
    arc.len /= 2;
    ks_container_opts old = {.size = offsetof(ks_container_opts, on_problem), .on_problem = (ks_problem_fn)1};
    int rc = stream_it(&arc, RANDOM, 1, NULL, &old, &h);
    cr_assert_eq(rc, KS_ECORRUPT, "%s", ks_errname(rc));
    hits_free(&h);
    free(arc.p);
    free(d.p);
}

static void no_diag(const ks_diag *d, void *ctx)
{
    (void)d;
    (void)ctx;
}

Test(cstream, members_meet_path_conditions_as_path_bang_member)
{
    const char *toml = "[[rules]]\nid = \"php-only\"\nregex = '''PHPTOK_[A-Z0-9]{12}'''\npath = '''\\.php$'''\n";
    ks_rules *r = NULL;
    cr_assert_eq(ks_rules_create(&r), 0);
    cr_assert_eq(ks_rules_load_gitleaks(r, toml, strlen(toml), "g.toml", no_diag, NULL), 0);
    ks_engine *e = NULL;
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_engine_create(r, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(r);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    const char *names[] = {"src/a.php", "src/a.txt"};
    blob datas[] = {text("x PHPTOK_ABCDEF123456 y\n"), text("x PHPTOK_ABCDEF123456 y\n")};
    blob arc = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 2);
    for (int with_path = 0; with_path <= 1; with_path++) {
        hits h = {0};
        ks_scan_opts so = {.size = sizeof so, .path = with_path ? "up/load.zip" : NULL};
        ks_container_stream *cs = NULL;
        cr_assert_eq(ks_container_stream_open(e, &so, NULL, on_hit, &h, &cs), 0);
        cr_assert_eq(ks_container_stream_write(cs, sc, arc.p, arc.len), 0);
        cr_assert_eq(ks_container_stream_close(cs, sc), 0);
        cr_assert_eq(h.n, 1, "with path %d: %zu findings", with_path, h.n);
        cr_assert_str_eq(h.v[0].object, "src/a.php");
        hits_free(&h);
    }
    free(arc.p);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
}
