/* test_container.c: the container reader on archives libarchive writes here: every kind and filter, nesting, each
 * budget at its limit and one past it, many tiny members, and memory and descriptor sources giving the same. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "archives.h"
#include "container.h"
#include "fault_io.h"
#include "hang.h"
#include "inflate_gzip.h"

typedef struct member {
    char chain[256];
    blob data;
} member;

typedef struct seen {
    member m[64];
    size_t n, total, problems, fatal;
    uint64_t big_members;
    char last_problem[512];
} seen;

static int on_begin(void *ctx, const char *chain)
{
    seen *s = ctx;
    s->total++;
    if (s->n < 64) {
        snprintf(s->m[s->n].chain, sizeof s->m[s->n].chain, "%s", chain);
        s->m[s->n].data = (blob){0};
    }
    return 0;
}

static int on_data(void *ctx, const void *p, size_t n)
{
    seen *s = ctx;
    if (s->n >= 64)
        return 0;
    blob *b = &s->m[s->n].data;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int on_end(void *ctx)
{
    seen *s = ctx;
    if (s->n < 64)
        s->n++;
    return 0;
}

static void on_problem(void *ctx, const char *chain, int fatal, const char *what)
{
    seen *s = ctx;
    s->problems++;
    s->fatal += fatal != 0;
    snprintf(s->last_problem, sizeof s->last_problem, "%s: %s", chain, what);
}

static const ks_container_sink SINK = {on_begin, on_data, on_end, on_problem, NULL, NULL, NULL};

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->m[i].data.p);
}

static const ks_container_limits DEFAULTS = {.max_depth = 8, .max_output = 1u << 30, .max_members = 1000000,
                                             .ratio_after = 16u << 20, .max_ratio = 200};

/* Expands from memory and from a descriptor; both must see the same; returns the memory one. */
static int expand_both(const blob *b, const char *name, const ks_container_limits *lim, seen *s,
                       ks_container_result *res)
{
    memset(s, 0, sizeof *s);
    int rc = ks__container_expand(b->p, b->len, -1, b->len, name, lim, &SINK, s, res);
    int fd = memfd_create("t", MFD_CLOEXEC);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
    /* a descriptor; a descriptor with the decompression on a thread of its own; and with the outermost
     * object decompressed ahead too (a gzip or zstd on a thread more, a zip's members on three) */
    for (int overlapped = 0; overlapped <= 2; overlapped++) {
        seen f;
        memset(&f, 0, sizeof f);
        ks_container_result fres;
        ks_container_limits ahead = *lim;
        ahead.decode_ahead = 3;
        int frc = (overlapped ? ks__container_expand_overlapped : ks__container_expand)(
            NULL, 0, fd, b->len, name, overlapped == 2 ? &ahead : lim, &SINK, &f, &fres);
        cr_assert_eq(frc, rc, "%s: rc %d from memory, %d from a descriptor (overlapped %d)", name, rc, frc, overlapped);
        cr_assert_eq(f.total, s->total, "%s: members", name);
        cr_assert_eq(f.problems, s->problems, "%s: problems", name);
        cr_assert_eq(fres.bytes_out, res->bytes_out, "%s: bytes", name);
        cr_assert_eq(fres.stop, res->stop, "%s: stop", name);
        for (size_t i = 0; i < s->n && i < f.n; i++) {
            cr_assert_str_eq(f.m[i].chain, s->m[i].chain);
            cr_assert(f.m[i].data.len == s->m[i].data.len &&
                      (!s->m[i].data.len || !memcmp(f.m[i].data.p, s->m[i].data.p, s->m[i].data.len)));
        }
        seen_free(&f);
    }
    close(fd);
    return rc;
}

Test(container, sniffs_by_magic_only)
{
    static const struct {
        const char *bytes;
        size_t n;
        ks_container_kind kind;
    } cases[] = {
        {"\x1f\x8b\x08", 3, KS_CONT_GZIP}, {"BZh9", 4, KS_CONT_BZIP2},          {"\xfd" "7zXZ\0", 6, KS_CONT_XZ},
        {"\x28\xb5\x2f\xfd", 4, KS_CONT_ZSTD}, {"\x04\x22\x4d\x18", 4, KS_CONT_LZ4}, {"\x02\x21\x4c\x18", 4, KS_CONT_LZ4}, {"PK\x03\x04", 4, KS_CONT_ZIP},
        {"PK\x05\x06", 4, KS_CONT_ZIP},     {"7z\xbc\xaf\x27\x1c", 6, KS_CONT_7Z}, {"!<arch>\n", 8, KS_CONT_AR},
        {"070701", 6, KS_CONT_CPIO},        {"\xed\xab\xee\xdb", 4, KS_CONT_RPM},
        {"BZh0", 4, KS_CONT_NONE},          {"\x1f", 1, KS_CONT_NONE},        {"PK\x03", 3, KS_CONT_NONE},
        {"hello.tar.gz", 12, KS_CONT_NONE},
        /* skippable frames before a zstd or lz4 frame (pzstd writes one); before anything else, or longer than the
         * head shows, they say nothing */
        {"\x50\x2a\x4d\x18\x04\0\0\0\x36\0\0\0\x28\xb5\x2f\xfd", 16, KS_CONT_ZSTD},
        {"\x5f\x2a\x4d\x18\0\0\0\0\x50\x2a\x4d\x18\x01\0\0\0x\x04\x22\x4d\x18", 21, KS_CONT_LZ4},
        {"\x50\x2a\x4d\x18\x04\0\0\0\x36\0\0\0PK\x03\x04", 16, KS_CONT_NONE},
        {"\x50\x2a\x4d\x18\x40\0\0\0\x36\0\0\0\x28\xb5\x2f\xfd", 16, KS_CONT_NONE},
        {"\x50\x2a\x4d\x18\x04\0\0\0\x36\0\0\0\x28\xb5", 14, KS_CONT_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_assert_eq(ks__container_sniff((const unsigned char *)cases[i].bytes, cases[i].n), cases[i].kind,
                     "case %zu", i);
    unsigned char tar[512] = {0};
    memcpy(tar + 257, "ustar\0", 6);
    cr_assert_eq(ks__container_sniff(tar, sizeof tar), KS_CONT_TAR);
    cr_assert_eq(ks__container_sniff(tar, 262), KS_CONT_NONE, "tar's magic ends at 262");
}

Test(container, every_format_and_filter_gives_its_members_whole, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"srv/.env", "docs/notes.txt"};
    blob datas[] = {text("x=1\nTOKEN=AKIAQYLPMN5HHHFPZAM2\n"), text("first\nsecond line\n")};
    static const struct {
        int format;
        int filter;
        const char *name;
        size_t members;
    } kinds[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, "a.tar", 2},
        {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, "a.tar.gz", 2},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2, "a.tar.bz2", 2},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, "a.tar.xz", 2},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_ZSTD, "a.tar.zst", 2},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_LZ4, "a.tar.lz4", 2},
        {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "a.zip", 2},
        {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, "a.7z", 2},
        {ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_NONE, "a.cpio", 2},
        {ARCHIVE_FORMAT_AR_GNU, ARCHIVE_FILTER_NONE, "a.a", 2},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, "notes.txt.gz", 1},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, "notes.txt.xz", 1},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t n = kinds[k].members;
        const char *ar_names[] = {"env", "notes"}; /* ar keeps short flat names */
        blob arc = write_archive(kinds[k].format, kinds[k].filter,
                                 kinds[k].format == ARCHIVE_FORMAT_AR_GNU ? ar_names : names,
                                 n == 1 ? &datas[1] : datas, n);
        seen s;
        ks_container_result res;
        int rc = expand_both(&arc, kinds[k].name, &DEFAULTS, &s, &res);
        cr_assert_eq(rc, 0, "%s: rc %d", kinds[k].name, rc);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s: %s", kinds[k].name, s.last_problem);
        cr_assert_eq(s.n, n, "%s: %zu members", kinds[k].name, s.n);
        for (size_t i = 0; i < n; i++) {
            const blob *want = n == 1 ? &datas[1] : &datas[i];
            cr_assert(s.m[i].data.len == want->len && (!want->len || !memcmp(s.m[i].data.p, want->p, want->len)),
                      "%s member %zu",
                      kinds[k].name, i);
        }
        if (n == 1)
            cr_assert_str_eq(s.m[0].chain, "notes.txt", "a stream's member is named after it");
        else if (kinds[k].format != ARCHIVE_FORMAT_AR_GNU)
            cr_assert_str_eq(s.m[0].chain, "srv/.env", "%s: a .tar.gz is one level", kinds[k].name);
        seen_free(&s);
        free(arc.p);
    }
}

/* An ISO 9660 image (Rock Ridge and Joliet names, as libarchive writes it) is recognised by the
 * volume descriptor 32 KiB in, and its files are its members; its directories are not. */
Test(container, iso9660_images_by_their_volume_descriptor)
{
    const char *names[] = {"srv/.env", "docs/notes.txt"};
    blob datas[] = {text("x=1\nTOKEN=AKIAQYLPMN5HHHFPZAM2\n"), text("first\nsecond line\n")};
    blob iso = write_archive(ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE, names, datas, 2);
    cr_assert_eq(ks__container_sniff(iso.p, iso.len), KS_CONT_ISO9660);
    cr_assert_eq(ks__container_sniff(iso.p, KS_CONTAINER_MAGIC_LEN), KS_CONT_NONE, "a short head cannot tell");
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&iso, "disk.iso", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    for (size_t i = 0; i < 2; i++) {
        size_t w = strcmp(s.m[i].chain, "srv/.env") == 0 ? 0 : 1;
        cr_assert_str_eq(s.m[i].chain, names[w]);
        cr_assert(s.m[i].data.len == datas[w].len && !memcmp(s.m[i].data.p, datas[w].p, datas[w].len));
    }
    seen_free(&s);
    free(iso.p);
}

/* An image inside an archive or a compressed stream is opened too: a member whose head is zeros, or a boot
 * sector (a hybrid image, as distributions ship), is read on to where an image's magic is (it was scanned as
 * bytes: t.tar!x.iso at the raw line, not its files). */
Test(container, iso9660_images_nested_in_a_tar_and_a_gzip_stream)
{
    const char *names[] = {"srv/.env"};
    blob datas[] = {text("x=1\nTOKEN=AKIAQYLPMN5HHHFPZAM2\n")};
    blob iso = write_archive(ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE, names, datas, 1);
    const char *outer_names[] = {"disk.iso"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, outer_names, &iso, 1);
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, outer_names, &iso, 1);
    blob hybrid = {malloc(iso.len), iso.len, iso.len}; /* a boot sector in the system area */
    cr_assert_not_null(hybrid.p);
    memcpy(hybrid.p, iso.p, iso.len);
    for (size_t i = 0; i < 446; i++)
        hybrid.p[i] = (unsigned char)(0x33 + i * 7);
    hybrid.p[510] = 0x55;
    hybrid.p[511] = 0xaa;
    blob htar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, outer_names, &hybrid, 1);
    const struct {
        const blob *b;
        const char *name, *chain;
    } cases[] = {{&tar, "t.tar", "disk.iso!srv/.env"}, {&gz, "disk.iso.gz", "srv/.env"},
                 {&htar, "hybrid.tar", "disk.iso!srv/.env"}};
    for (size_t k = 0; k < 3; k++) {
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(cases[k].b, cases[k].name, &DEFAULTS, &s, &res), 0, "%s", cases[k].name);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s: %s", cases[k].name, s.last_problem);
        cr_assert_eq(s.n, 1, "%s", cases[k].name);
        cr_assert_str_eq(s.m[0].chain, cases[k].chain, "%s", cases[k].name);
        cr_assert(s.m[0].data.len == datas[0].len && !memcmp(s.m[0].data.p, datas[0].p, datas[0].len));
        cr_assert_eq(res.containers, 2, "%s", cases[k].name);
        seen_free(&s);
    }
    free(iso.p);
    free(tar.p);
    free(gz.p);
    free(hybrid.p);
    free(htar.p);
}

/* A zip after other bytes (an executable jar's launch script) is found by its end record, with or without a
 * comment; a zip that starts the object, and text that only ends like an end record, are not. */
Test(container, a_zip_after_other_bytes_is_found_by_its_end_record)
{
    const char *names[] = {"BOOT-INF/classes/application.properties"};
    blob datas[] = {text("app.key=AKIAQYLPMN5HHHFPZAM2\n")};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 1);
    static const char script[] = "#!/bin/bash\nexec java -jar \"$0\" \"$@\"\n";
    size_t sl = sizeof script - 1;
    blob jar = {malloc(sl + zip.len + 40), 0, 0};
    cr_assert_not_null(jar.p);
    memcpy(jar.p, script, sl);
    memcpy(jar.p + sl, zip.p, zip.len);
    jar.len = sl + zip.len;
    uint64_t prefix = 0;
    cr_assert_eq(ks__container_zip_after(zip.p, zip.len, -1, 0, &prefix), 0, "a zip that starts the object");
    cr_assert_eq(ks__container_zip_after(jar.p, jar.len, -1, 0, &prefix), 1);
    cr_assert_eq(prefix, sl);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&jar, "app.jar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.m[0].chain, names[0]);
    cr_assert(s.m[0].data.len == datas[0].len && !memcmp(s.m[0].data.p, datas[0].p, datas[0].len));
    seen_free(&s);
    /* a comment of 30 bytes after the end record (its length in the record's last two bytes) */
    jar.p[jar.len - 2] = 30;
    memset(jar.p + jar.len, 'c', 30);
    jar.len += 30;
    cr_assert_eq(ks__container_zip_after(jar.p, jar.len, -1, 0, &prefix), 1, "with a comment");
    cr_assert_eq(prefix, sl);
    /* the comment's length says one byte more than there is: no end record ends the object */
    jar.p[jar.len - 32] = 31;
    cr_assert_eq(ks__container_zip_after(jar.p, jar.len, -1, 0, &prefix), 0);
    /* an end record in text, pointing at no central directory */
    unsigned char fake[64] = "x AKIAQYLPMN5HHHFPZAM2\nPK\x05\x06";
    cr_assert_eq(ks__container_zip_after(fake, 23 + 22, -1, 0, &prefix), 0);
    free(jar.p);
    free(zip.p);
}

Test(container, nesting_to_the_depth_and_not_past_it)
{
    const char *inner_names[] = {"deep/creds.txt"};
    blob inner_data[] = {text("password=hunter2hunter2\n")};
    blob inner = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, inner_names, inner_data, 1);
    const char *mid_names[] = {"inner.zip"};
    blob mid = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, mid_names, &inner, 1);
    const char *outer_names[] = {"release.tar.gz"};
    blob outer = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, outer_names, &mid, 1);
    for (unsigned depth = 1; depth <= 4; depth++) {
        ks_container_limits lim = DEFAULTS;
        lim.max_depth = depth;
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&outer, "outer.zip", &lim, &s, &res), 0);
        cr_assert_eq(s.n, 1, "depth %u", depth);
        /* zip (1) > tar.gz (2) > zip (3): a level past the depth is a member of bytes */
        const char *want = depth == 1 ? "release.tar.gz" : depth == 2 ? "release.tar.gz!inner.zip"
                                                                      : "release.tar.gz!inner.zip!deep/creds.txt";
        cr_assert_str_eq(s.m[0].chain, want, "depth %u", depth);
        if (depth >= 3)
            cr_assert(s.m[0].data.len == inner_data[0].len);
        seen_free(&s);
    }
    free(inner.p);
    free(mid.p);
    free(outer.p);
}

/* Each budget: at the limit nothing stops; one past it the expansion stops, says why, and what came
 * before was handed over. */
Test(container, budgets_at_the_limit_and_one_past_it)
{
    enum { N = 5 };
    const char *names[N] = {"a", "b", "c", "d", "e"};
    blob datas[N];
    for (int i = 0; i < N; i++)
        datas[i] = text("0123456789\n"); /* 11 bytes each: 55 in all */
    blob arc = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, datas, N);
    for (int past = 0; past <= 1; past++) {
        ks_container_limits lim = DEFAULTS;
        lim.max_members = N - past;
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&arc, "m.tar", &lim, &s, &res), 0);
        cr_assert_eq(res.stop, past ? KS_CONT_LIMIT : KS_CONT_COMPLETE);
        cr_assert_eq(s.n, (size_t)(N - past));
        if (past)
            cr_assert(strstr(s.last_problem, "more members than the limit of 4"), "%s", s.last_problem);
        seen_free(&s);

        lim = DEFAULTS;
        lim.max_output = 55 - past;
        cr_assert_eq(expand_both(&arc, "o.tar", &lim, &s, &res), 0);
        cr_assert_eq(res.stop, past ? KS_CONT_LIMIT : KS_CONT_COMPLETE, "output limit, past %d", past);
        cr_assert_eq(s.n, N, "every member begun is ended");
        if (past)
            cr_assert(strstr(s.last_problem, "exceed the limit of 54"), "%s", s.last_problem);
        seen_free(&s);
    }
    free(arc.p);

    /* the ratio guard: 200 bytes out per byte of the file, once ratio_after bytes came out */
    size_t big = 4u << 20;
    unsigned char *zeros = calloc(1, big);
    blob z = {.p = zeros, .len = big};
    const char *zname[] = {"zeros"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, zname, &z, 1);
    ks_container_limits lim = DEFAULTS;
    lim.ratio_after = 1u << 20;
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&gz, "zeros.gz", &lim, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_LIMIT, "4 MiB of zeros in %zu bytes", gz.len);
    cr_assert(strstr(s.last_problem, "compression bomb"), "%s", s.last_problem);
    cr_assert_lt(res.bytes_out, (uint64_t)2 << 20, "stopped soon after the guard began");
    seen_free(&s);
    lim.max_ratio = 100000; /* a generous guard lets the same stream through */
    cr_assert_eq(expand_both(&gz, "zeros.gz", &lim, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE);
    cr_assert_eq(res.bytes_out, big);
    seen_free(&s);
    free(gz.p);
    free(zeros);
}

Test(container, a_hundred_thousand_tiny_members, .timeout = KS_HANG_S(300))
{
    enum { N = 100000 };
    struct archive *a = archive_write_new();
    archive_write_set_format_ustar(a);
    size_t cap = (size_t)N * 1024 + 65536, len = 0;
    unsigned char *buf = malloc(cap);
    cr_assert_eq(archive_write_open_memory(a, buf, cap, &len), ARCHIVE_OK);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "d/%06d", i);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_size(e, 2);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_write_header(a, e);
        archive_write_data(a, "x\n", 2);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    blob b = {.p = buf, .len = len};
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&b, "many.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE);
    cr_assert_eq(s.total, N);
    cr_assert_eq(res.bytes_out, 2u * N);
    seen_free(&s);
    free(buf);
}

static int stop_at_second(void *ctx, const char *chain)
{
    return ++*(int *)ctx == 2;
}
static int no_data(void *ctx, const void *p, size_t n) { return 0; }
static int no_end(void *ctx) { return 0; }
static void no_problem(void *ctx, const char *chain, int fatal, const char *what) {}

/* A sink that says stop stops it, on the calling thread or with a producer thread alike. */
Test(container, a_sink_that_stops_stops_it)
{
    const char *names[] = {"a", "b", "c"};
    blob datas[] = {text("1\n"), text("2\n"), text("3\n")};
    blob arc = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 3);
    static const ks_container_sink stopper = {stop_at_second, no_data, no_end, no_problem, NULL, NULL, NULL};
    for (int overlapped = 0; overlapped <= 1; overlapped++) {
        int begun = 0;
        ks_container_result res;
        int rc = (overlapped ? ks__container_expand_overlapped : ks__container_expand)(arc.p, arc.len, -1, arc.len,
                                                                                       "s.zip", &DEFAULTS, &stopper,
                                                                                       &begun, &res);
        cr_assert_eq(rc, -1, "overlapped %d", overlapped);
        cr_assert_eq(begun, 2, "overlapped %d: nothing after the stop", overlapped);
    }
    free(arc.p);
}

Test(container, what_is_not_a_container_is_said_so)
{
    const char *fakes[] = {"\x1f\x8bnot gzip at all\n", "PK\x03\x04 broken zip header", "BZh9 not bzip2 either"};
    for (size_t i = 0; i < 3; i++) {
        blob b = text(fakes[i]);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&b, "fake", &DEFAULTS, &s, &res), 1, "fake %zu", i);
        cr_assert_eq(s.total, 0);
        cr_assert_eq(s.problems, 0, "nothing to say about bytes that are no container");
    }
    blob plain = text("just text\n");
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&plain, "plain", &DEFAULTS, &s, &res), 1);
    ks_container_limits off = DEFAULTS;
    off.no_decompress = 1;
    const char *n[] = {"x"};
    blob d = text("data\n");
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, n, &d, 1);
    cr_assert_eq(expand_both(&gz, "x.gz", &off, &s, &res), 1, "no_decompress leaves a .gz closed");
    free(gz.p);
}

/* As a pipe: the head given, the rest read() from the descriptor's position. */
static int expand_piped_with(const blob *b, const char *name, const ks_container_limits *lim, seen *s,
                             ks_container_result *res)
{
    memset(s, 0, sizeof *s);
    int fd = memfd_create("p", MFD_CLOEXEC);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
    /* the head a caller reads first: an image's system area, on to its magic */
    size_t want = b->len >= KS_CONTAINER_SECTOR && ks__container_may_be_image(b->p, b->len) ? KS_CONTAINER_HEAD_MAX
                                                                                         : KS_CONTAINER_MAGIC_LEN;
    size_t hl = b->len < want ? b->len : want;
    cr_assert_eq(lseek(fd, (off_t)hl, SEEK_SET), (off_t)hl);
    unsigned char *replay = NULL;
    size_t replay_len = 0;
    int rc = ks__container_expand_pipe(b->p, hl, fd, 0, name, lim, &SINK, s, res, &replay, &replay_len);
    free(replay);
    close(fd);
    return rc;
}

static int expand_piped(const blob *b, const char *name, seen *s, ks_container_result *res)
{
    return expand_piped_with(b, name, &DEFAULTS, s, res);
}

/* `b` expanded as the object `name` (how 0: from memory, a descriptor and ahead, which agree), from a pipe (1), or as
 * the member `name` of the tar "t.tar" (2): the rc. */
static int expand_how(const blob *b, const char *name, int how, seen *s, ks_container_result *res)
{
    if (how < 2)
        return how ? expand_piped(b, name, s, res) : expand_both(b, name, &DEFAULTS, s, res);
    const char *names[] = {name};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, b, 1);
    int rc = expand_both(&tar, "t.tar", &DEFAULTS, s, res);
    free(tar.p);
    return rc;
}

/* gzip is inflated by ISA-L before libarchive frames it: several members are one stream, a stream cut short
 * gives its members up to the cut and says so, and every source (memory, descriptor, thread, pipe) agrees. */
Test(container, gzip_members_and_a_cut_stream_from_every_source, .timeout = KS_HANG_S(120))
{
    const char *n[] = {"x"};
    blob parts[] = {text("first member\n"), text("second TOKEN=AKIAQYLPMN5HHHFPZAM2\n")};
    blob a = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, n, &parts[0], 1);
    blob b = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, n, &parts[1], 1);
    blob two = {.p = malloc(a.len + b.len), .len = a.len + b.len};
    memcpy(two.p, a.p, a.len);
    memcpy(two.p + a.len, b.p, b.len);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&two, "two.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 1, "a stream of two members is one member");
    cr_assert_str_eq(s.m[0].chain, "two");
    cr_assert(s.m[0].data.len == parts[0].len + parts[1].len && !memcmp(s.m[0].data.p, parts[0].p, parts[0].len) &&
              !memcmp(s.m[0].data.p + parts[0].len, parts[1].p, parts[1].len));
    seen_free(&s);
    cr_assert_eq(expand_piped(&two, "two.gz", &s, &res), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_eq(res.bytes_out, parts[0].len + parts[1].len, "piped");
    seen_free(&s);

    /* a .tar.gz of three 400 KB members cut in the middle: the first members whole, then the cut, named */
    enum { N = 3, SZ = 400000 };
    const char *names[N] = {"m0", "m1", "m2"};
    blob datas[N];
    unsigned seed = 9;
    for (int i = 0; i < N; i++) {
        datas[i] = (blob){.p = malloc(SZ), .len = SZ};
        for (size_t k = 0; k < SZ; k++)
            datas[i].p[k] = (unsigned char)"0123456789abcdef\n"[rand_r(&seed) % 17];
    }
    blob tgz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, datas, N);
    blob cut = {.p = tgz.p, .len = tgz.len * 2 / 3};
    cr_assert_eq(expand_both(&cut, "cut.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert(strstr(s.last_problem, "truncated gzip input"), "%s", s.last_problem);
    cr_assert_geq(s.n, 2);
    cr_assert(s.m[0].data.len == SZ && !memcmp(s.m[0].data.p, datas[0].p, SZ), "the first member whole");
    uint64_t direct = res.bytes_out;
    seen_free(&s);
    cr_assert_eq(expand_piped(&cut, "cut.tar.gz", &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT, "piped");
    cr_assert_eq(res.bytes_out, direct, "piped: the same bytes up to the cut");
    seen_free(&s);
    for (int i = 0; i < N; i++)
        free(datas[i].p);
    free(tgz.p);
    free(two.p);
    free(a.p);
    free(b.p);
}

static la_ssize_t whole_read(struct archive *a, void *cd, const void **out)
{
    blob *b = cd;
    *out = b->p;
    la_ssize_t n = (la_ssize_t)b->len;
    b->len = 0;
    return n;
}

/* Regression: a member was read 256 KiB at a time with archive_read_data, which drops what it copied
 * when the container fails inside the request: a .tar.gz cut short lost up to 256 KiB before the cut. */
Test(container, a_member_cut_short_loses_nothing_before_the_cut, .timeout = KS_HANG_S(120))
{
    enum { SZ = 3000000 };
    const char *names[] = {"big.txt"};
    blob data = {.p = malloc(SZ), .len = SZ};
    unsigned seed = 5;
    for (size_t k = 0; k < SZ; k++)
        data.p[k] = (unsigned char)"0123456789abcdef\n"[rand_r(&seed) % 17];
    blob tgz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, &data, 1);
    for (int tenth = 3; tenth <= 8; tenth++) {
        blob cut = {.p = tgz.p, .len = tgz.len * (size_t)tenth / 10};
        /* what the cut stream inflates to, by the same decoder: the tar header, then the member's bytes */
        blob src = cut;
        struct archive *a = archive_read_new();
        ks_gzip *g = ks__gzip_new(whole_read, &src);
        cr_assert(a && g);
        const void *p;
        la_ssize_t k;
        size_t inflated = 0;
        while ((k = ks__gzip_read(a, g, &p)) > 0)
            inflated += (size_t)k;
        ks__gzip_free(g);
        archive_read_free(a);
        cr_assert_gt(inflated, 512u);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&cut, "cut.tar.gz", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "cut at %d/10", tenth);
        cr_assert_eq(s.n, 1);
        cr_assert_eq(s.m[0].data.len, inflated - 512, "cut at %d/10: every byte before the cut", tenth);
        cr_assert(!memcmp(s.m[0].data.p, data.p, s.m[0].data.len));
        seen_free(&s);
    }
    free(tgz.p);
    free(data.p);
}

/* A zip whose central directory gives its second member fewer compressed bytes than it has, so that inflating it
 * fails part way: read by several threads at once (io/zip_stripes.c) it gives what one thread gives: the first
 * member whole, the second up to where it fails (said), then the third whole (the zip read on past the failure).
 * The first version of the threads dropped what they had inflated of the block the failure came in. */
Test(container, zip_stripes_keep_the_bytes_before_a_member_fails, .timeout = KS_HANG_S(120))
{
    enum { SZ = 1500000 };
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    blob data[3];
    unsigned seed = 9;
    for (int i = 0; i < 3; i++) {
        data[i] = (blob){.p = malloc(SZ), .len = SZ};
        for (size_t k = 0; k < SZ; k++)
            data[i].p[k] = (unsigned char)"0123456789abcdef \n"[rand_r(&seed) % 18];
    }
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, data, 3);
    unsigned char *cd = NULL;
    for (size_t k = 0, n = 0; k + 46 <= zip.len && !cd; k++)
        if (!memcmp(zip.p + k, "PK\1\2", 4) && ++n == 2)
            cd = zip.p + k;
    cr_assert(cd, "no second central directory entry");
    uint32_t csize = (uint32_t)cd[20] | (uint32_t)cd[21] << 8 | (uint32_t)cd[22] << 16 | (uint32_t)cd[23] << 24;
    cr_assert_gt(csize, 100000u);
    csize /= 2;
    for (int b = 0; b < 4; b++)
        cd[20 + b] = (unsigned char)(csize >> (8 * b));
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&zip, "cut.zip", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT, "stop %d, %zu members, %s", res.stop, s.n, s.last_problem);
    cr_assert_eq(s.n, 3);
    cr_assert(s.m[0].data.len == SZ && !memcmp(s.m[0].data.p, data[0].p, SZ));
    cr_assert_gt(s.m[1].data.len, 0u);
    cr_assert_lt(s.m[1].data.len, (size_t)SZ);
    cr_assert(!memcmp(s.m[1].data.p, data[1].p, s.m[1].data.len));
    cr_assert_str_eq(s.m[2].chain, "c.txt");
    cr_assert(s.m[2].data.len == SZ && !memcmp(s.m[2].data.p, data[2].p, SZ));
    seen_free(&s);
    free(zip.p);
    for (int i = 0; i < 3; i++)
        free(data[i].p);
}

/* Regression (fuzz_container, CI): a zip libarchive reads as it streams (its end record points past itself) whose
 * first member's header says its compressed data is 10 bytes longer than it is: read, the member ends where its
 * deflate stream does and the next header follows; skipped, it ends where the header says, at no header. The
 * striping threads skip the members they do not take, so they must never read such a zip: n.txt was lost. */
Test(container, zip_read_as_it_streams_is_not_striped)
{
    static const unsigned char z[] =
        "\x50\x4b\x03\x04\x14\x00\x00\x00\x08\x00\xe8\x02\x82\x5d\x53\x0c\x84\x9f\x21\x00\x00\x00\x1f\x00"
        "\x00\x00\x06\x00\x00\x00\x61\x2f\x2e\x65\x6e\x76\xab\xb0\x35\xe4\x0a\xf1\xf7\x09\xf0\xf5\x33\xf5"
        "\xf0\xf0\x70\x0b\x88\x72\xf4\x35\xe2\x02\x00\x50\x4b\x03\x04\x14\x00\x00\x00\x08\x00\xe8\x02\x82"
        "\x5d\x1f\x08\xea\x46\x04\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x6e\x2e\x74\x78\x74\xab\xe0"
        "\x02\x00\x50\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\xe8\x02\x82\x5d\x53\x0c\x84\x9f\x21\x00"
        "\x00\x00\x1f\x00\x00\x00\xfa\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00"
        "\x61\x2f\x2e\x65\x6e\x76\x50\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\xe8\x02\x82\x5d\x1f\x08"
        "\xea\x46\x04\x00\x00\x00\x02\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01"
        "\x45\x00\x00\x00\x6e\x2e\x74\x78\x74\x50\x4b\x05\x06\x00\x00\x00\x00\x02\x00\x02\x00\x67\x00\x00"
        "\x00\x6c\x00\x00\x00\x00\x00";
    blob zip = {.p = malloc(sizeof z - 1), .len = sizeof z - 1};
    memcpy(zip.p, z, zip.len);
    seen s;
    ks_container_result res;
    expand_both(&zip, "streamed.zip", &DEFAULTS, &s, &res); /* from memory, a descriptor, and striped: the same */
    cr_assert_eq(s.n, 2, "%zu members", s.n);
    cr_assert_str_eq(s.m[1].chain, "n.txt");
    cr_assert_eq(s.m[1].data.len, 2u);
    seen_free(&s);
    free(zip.p);
}

/* Regression (fuzz_container, stop 24): a zip entry whose name is not UTF-8 though its flag says so was lost
 * whenever the calling thread's errno held ENOMEM from any earlier failed malloc: libarchive takes errno after
 * the name's conversion for its own, and gave up on the archive ("Can't allocate memory for Pathname"). */
Test(container, a_stale_enomem_does_not_lose_a_member_whose_name_is_not_utf8)
{
    static const unsigned char z[] =
        "\x50\x4b\x03\x04\x14\x00\x00\x08\x00\x00\x00\x00\x00\x00\xf7\x04\x0f\xfb\x18\x00\x00\x00\x18\x00"
        "\x00\x00\x07\x00\x00\x00\x76\xe9\xe9\x2e\x74\x78\x74\x4b\x53\x54\x45\x53\x54\x5f\x41\x42\x43\x44"
        "\x45\x46\x47\x48\x31\x32\x33\x34\x35\x36\x37\x38\x0a\x50\x4b\x01\x02\x14\x00\x14\x00\x00\x08\x00"
        "\x00\x00\x00\x00\x00\xf7\x04\x0f\xfb\x18\x00\x00\x00\x18\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x76\xe9\xe9\x2e\x74\x78\x74\x50\x4b\x05\x06\x00\x00"
        "\x00\x00\x01\x00\x01\x00\x35\x00\x00\x00\x3d\x00\x00\x00\x00\x00";
    blob zip = {.p = malloc(sizeof z - 1), .len = sizeof z - 1};
    memcpy(zip.p, z, zip.len);
    seen s;
    ks_container_result res;
    errno = ENOMEM;
    expand_both(&zip, "u8.zip", &DEFAULTS, &s, &res);
    cr_assert_eq(s.n, 1, "%zu members", s.n);
    cr_assert_eq(s.m[0].data.len, 24u);
    seen_free(&s);
    free(zip.p);
}

/* a followed by b, in a new blob */
static blob joined(const blob *a, const blob *b)
{
    blob j = {.p = malloc(a->len + b->len + 1), .len = a->len + b->len};
    cr_assert(j.p);
    memcpy(j.p, a->p, a->len);
    memcpy(j.p + a->len, b->p, b->len);
    return j;
}

/* The last member seen is `chain` holding exactly `want`. */
static void assert_last_member(const seen *s, const char *what, const char *chain, const blob *want)
{
    cr_assert_geq(s->n, 1, "%s: no member", what);
    const member *m = &s->m[s->n - 1];
    cr_assert_str_eq(m->chain, chain, "%s: %s", what, m->chain);
    cr_assert(m->data.len == want->len && !memcmp(m->data.p, want->p, want->len), "%s: %zu bytes, want %zu", what,
              m->data.len, want->len);
}

/* Regression: what followed a container's end (a note or a key appended to a .tar, .gz or .zip, a tar appended to
 * a tar, text after the tar inside a .tar.gz) was read past and never scanned. It is now a member of its own,
 * "[trailing@N]", N where its first byte that is not zero is in the object holding the container, from every
 * source (memory, descriptor, threads, a pipe); zero padding alone is no member. */
Test(container, r_bytes_after_a_containers_end_are_scanned_as_trailing_data, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"srv/.env"}, *ar_names[] = {"env"};
    blob inner = text("x=1\n");
    blob note = text("appended TOKEN=AKIAQYLPMN5HHHFPZAM2\n");
    static const struct {
        int format, filter;
        const char *name;
        int not_piped;
    } kinds[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, "a.tar", 0},
        {ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_NONE, "a.cpio", 0},
        {ARCHIVE_FORMAT_AR_GNU, ARCHIVE_FILTER_NONE, "a.a", 0},
        {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "a.zip", 0},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, "a.tar.gz", 0},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2, "a.tar.bz2", 0},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, "n.txt.gz", 0},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_BZIP2, "n.txt.bz2", 0},
        /* a review (2nd): after zstd's last frame, what is no frame failed the stream, and was lost */
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_ZSTD, "a.tar.zst", 0},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_ZSTD, "n.txt.zst", 0},
        /* and libarchive's xz filter failed on it (all of a small .xz was lost): xz is decoded here now */
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, "a.tar.xz", 0},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, "n.txt.xz", 0},
        {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, "a.7z", 0}, /* held whole from a pipe (expand_spooled) */
        /* from a pipe: where its primary volume descriptor, in the head, says its volume space ends */
        {ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE, "a.iso", 0},
        /* from a pipe: four bytes before what its filter took, when more was read */
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_LZ4, "a.tar.lz4", 0},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, "n.txt.lz4", 0},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        blob arc = write_archive(kinds[k].format, kinds[k].filter,
                                 kinds[k].format == ARCHIVE_FORMAT_AR_GNU ? ar_names : names, &inner, 1);
        blob with = joined(&arc, &note);
        char chain[64];
        snprintf(chain, sizeof chain, "[trailing@%zu]", arc.len);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&with, kinds[k].name, &DEFAULTS, &s, &res), 0, "%s", kinds[k].name);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s: %s", kinds[k].name, s.last_problem);
        cr_assert_eq(s.n, 2, "%s: the member and the trailing data", kinds[k].name);
        cr_assert(s.m[0].data.len == inner.len, "%s", kinds[k].name);
        assert_last_member(&s, kinds[k].name, chain, &note);
        seen_free(&s);
        /* through a pipe (a zip is read as it streams: its central directory is skipped, not handed over) */
        if (!kinds[k].not_piped) {
            cr_assert_eq(expand_piped(&with, kinds[k].name, &s, &res), 0, "%s piped", kinds[k].name);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s piped: %s", kinds[k].name, s.last_problem);
            cr_assert_eq(s.n, 2, "%s piped: %zu (%s; %s) %s", kinds[k].name, s.n, s.m[0].chain, s.n > 1 ? s.m[1].chain : "", s.last_problem);
            assert_last_member(&s, kinds[k].name, chain, &note);
            cr_assert_eq(res.bytes_read, with.len, "%s: a pipe is read to its end", kinds[k].name);
            seen_free(&s);
        }
        if (kinds[k].format == ARCHIVE_FORMAT_AR_GNU) { /* libarchive reads on for a header after an ar's members */
            free(with.p);
            free(arc.p);
            continue;
        }
        /* zeros after it (padding): nothing more to hand over */
        blob pad = {.p = calloc(1, 4096), .len = 4096};
        blob padded = joined(&arc, &pad);
        cr_assert_eq(expand_both(&padded, kinds[k].name, &DEFAULTS, &s, &res), 0);
        cr_assert_eq(s.n, 1, "%s: zeros are no trailing data", kinds[k].name);
        cr_assert_eq(s.problems, 0, "%s: %s", kinds[k].name, s.last_problem);
        seen_free(&s);
        free(pad.p);
        free(padded.p);
        free(with.p);
        free(arc.p);
    }

    /* inside a stream: a tar, then text, gzipped; and a .tar.gz, then a second .tar.gz (two tars in one stream) */
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &inner, 1);
    blob tar_note = joined(&tar, &note);
    const char *raw_name[] = {"x"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw_name, &tar_note, 1);
    char chain[64], nested[80];
    snprintf(chain, sizeof chain, "b.tar![trailing@%zu]", tar.len);
    snprintf(nested, sizeof nested, "in/b.tar.gz!%s", chain);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&gz, "b.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.m[0].chain, "srv/.env", "a .tar.gz is still one level");
    assert_last_member(&s, "text after the tar in the stream", chain, &note);
    seen_free(&s);
    cr_assert_eq(expand_piped(&gz, "b.tar.gz", &s, &res), 0);
    assert_last_member(&s, "piped", chain, &note);
    seen_free(&s);
    /* the same tar.gz inside a tar: the member's own trailing data, named inside it */
    const char *outer_names[] = {"in/b.tar.gz"};
    blob outer = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, outer_names, &gz, 1);
    cr_assert_eq(expand_both(&outer, "o.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.m[0].chain, "in/b.tar.gz!srv/.env");
    assert_last_member(&s, "nested", nested, &note);
    seen_free(&s);
    free(outer.p);
    /* a zip inside a tar, read as it streams: its directory skipped, its comment and what follows handed over;
     * and one with nothing after it gives nothing more */
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, &inner, 1);
    blob zip_note = joined(&zip, &note);
    const char *zip_names[] = {"lib/plain.jar", "lib/noted.jar"};
    blob zips[] = {zip, zip_note};
    blob zt = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, zip_names, zips, 2);
    cr_assert_eq(expand_both(&zt, "z.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 3, "two members and one trailing data");
    snprintf(nested, sizeof nested, "lib/noted.jar![trailing@%zu]", zip.len);
    assert_last_member(&s, "a zip in a tar", nested, &note);
    seen_free(&s);
    free(zt.p);
    free(zip_note.p);
    free(zip.p);
    free(gz.p);
    free(tar_note.p);
    free(tar.p);
}

/* The trailing data of a small .gz counts as read for the ratio guard: 20 MB of text after a 40-byte stream
 * is no compression bomb. */
Test(container, r_trailing_data_is_no_compression_bomb, .timeout = KS_HANG_S(120))
{
    const char *n[] = {"x"};
    blob tiny = text("tiny\n");
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, n, &tiny, 1);
    enum { BIG = 20 << 20 };
    blob big = {.p = malloc(BIG), .len = BIG};
    for (size_t i = 0; i < BIG; i++)
        big.p[i] = (unsigned char)"abcdefgh\n"[i % 9];
    blob with = joined(&gz, &big);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&with, "t.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(res.bytes_out, tiny.len + BIG);
    seen_free(&s);
    free(with.p);
    free(big.p);
    free(gz.p);
}

/* A tar's end falls anywhere in the pieces it is read in (256 KiB from a pipe, a stream's blocks): its trailing data
 * is found wherever, and never said to be lost. */
Test(container, r_trailing_data_wherever_the_tars_end_falls, .timeout = KS_HANG_S(300))
{
    const char *names[] = {"m"};
    blob note = text("appended TOKEN=AKIAQYLPMN5HHHFPZAM2\n");
    const char *raw_name[] = {"x"};
    for (long delta = -3 * 512; delta <= 3 * 512; delta += 512) {
        for (int block = 1; block <= 2; block++) {
            size_t size = (size_t)((long)(block * (256 << 10)) + delta - 512);
            blob data = {.p = malloc(size), .len = size};
            for (size_t i = 0; i < size; i++)
                data.p[i] = (unsigned char)"0123456789\n"[i % 11];
            blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &data, 1);
            /* the end blocks only, no record padding: the tar ends where the size says */
            size_t end = 512 + (size + 511) / 512 * 512 + 1024;
            blob cut = {.p = tar.p, .len = end};
            blob with = joined(&cut, &note);
            char chain[64];
            snprintf(chain, sizeof chain, "[trailing@%zu]", end);
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_piped(&with, "a.tar", &s, &res), 0);
            cr_assert_eq(s.problems, 0, "size %zu: %s", size, s.last_problem);
            assert_last_member(&s, "piped", chain, &note);
            seen_free(&s);
            blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw_name, &with, 1);
            snprintf(chain, sizeof chain, "a.tar![trailing@%zu]", end);
            cr_assert_eq(expand_both(&gz, "a.tar.gz", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(s.problems, 0, "size %zu in a stream: %s", size, s.last_problem);
            assert_last_member(&s, "in a stream", chain, &note);
            seen_free(&s);
            free(gz.p);
            free(with.p);
            free(tar.p);
            free(data.p);
        }
    }
}

/* Regression: a zip after a lead inside an archive (a Spring Boot "fully executable" jar in an image layer, a
 * self-extracting stub in a zip of installers, a Python zipapp) was scanned as its raw bytes: a key in a deflated
 * member was never found. The member's first MiB is now looked through for a local header: the zip's members are
 * members of the member, the lead is the member's own bytes, what follows the zip is its trailing data; a
 * signature without a header that looks right, or past the first MiB, leaves the member whole, byte for byte. */
Test(container, r_a_zip_after_a_lead_inside_an_archive, .timeout = KS_HANG_S(120))
{
    const char *in_names[] = {"BOOT-INF/classes/application.properties"};
    blob props = text("spring.main.banner-mode=off\napp.key=AKIAQYLPMN5HHHFPZAM2\n");
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, in_names, &props, 1);
    blob script = text("#!/bin/bash\nexec java -jar \"$0\" \"$@\"\n");
    blob stub = {.p = calloc(1, 5000), .len = 5000}; /* an executable's header, then a zip */
    memcpy(stub.p, "MZ\x90\0", 4);
    blob note = text("after the zip TOKEN=AKIAQYLPMN5HHHFPZAM2\n");
    blob jar = joined(&script, &zip), exe = joined(&stub, &zip), jar_note = joined(&jar, &note);
    /* a script without a zip, and one with a local header's signature but no header that looks right after it */
    blob plain = text("#!/bin/sh\necho 'no zip here'\n");
    blob fake = joined(&script, &(blob){.p = (unsigned char *)"PK\x03\x04\x14\0\0\0\x08\0garbage that opens nothing",
                                        .len = 36});
    blob far_lead = {.p = malloc((2u << 20) + zip.len), .len = (2u << 20) + zip.len}; /* past the first MiB */
    memset(far_lead.p, '#', 2u << 20);
    far_lead.p[1] = '!';
    memcpy(far_lead.p + (2u << 20), zip.p, zip.len);
    const char *names[] = {"opt/app.jar", "setup.exe", "noted.jar", "plain.sh", "fake.sh", "far.sh"};
    blob datas[] = {jar, exe, jar_note, plain, fake, far_lead};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, datas, 6);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&tar, "layer.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    char trailing[96];
    snprintf(trailing, sizeof trailing, "noted.jar![trailing@%zu]", jar.len);
    struct {
        const char *chain;
        const blob *data;
    } want[] = {
        {"opt/app.jar!BOOT-INF/classes/application.properties", &props},
        {"opt/app.jar", &script},
        {"setup.exe!BOOT-INF/classes/application.properties", &props},
        {"setup.exe", &stub},
        {"noted.jar!BOOT-INF/classes/application.properties", &props},
        {trailing, &note},
        {"noted.jar", &script},
        {"plain.sh", &plain},
        {"fake.sh", &fake},
        {"far.sh", &far_lead},
    };
    cr_assert_eq(s.n, sizeof want / sizeof want[0], "%zu members", s.n);
    for (size_t i = 0; i < s.n; i++) {
        cr_assert_str_eq(s.m[i].chain, want[i].chain, "member %zu", i);
        cr_assert(s.m[i].data.len == want[i].data->len && !memcmp(s.m[i].data.p, want[i].data->p, want[i].data->len),
                  "%s: %zu bytes, want %zu", want[i].chain, s.m[i].data.len, want[i].data->len);
    }
    cr_assert_eq(res.containers, 5, "the tar.gz and three zips");
    seen_free(&s);
    /* at the depth limit the zip is not looked for: the member is its bytes */
    ks_container_limits one = DEFAULTS;
    one.max_depth = 1;
    cr_assert_eq(expand_both(&tar, "layer.tar.gz", &one, &s, &res), 0);
    cr_assert_eq(s.n, 6);
    cr_assert_str_eq(s.m[0].chain, "opt/app.jar");
    cr_assert_eq(s.m[0].data.len, jar.len);
    seen_free(&s);
    free(tar.p);
    free(far_lead.p);
    free(fake.p);
    free(jar_note.p);
    free(exe.p);
    free(jar.p);
    free(stub.p);
    free(zip.p);
}

/* Regressions from a review of trailing data and leads. An executable holding a local header's signature with
 * zeros after it is no zip: it was opened, failed after its "member", and stopped the tar holding it as corrupt
 * (its bytes and the tar's next member never scanned). A zip whose central directory begins a byte or three before
 * a 256 KiB piece boundary had libarchive peek into the next piece: "read ahead and cannot be scanned" stopped a
 * valid archive. A zip64 end record claiming 2^62 bytes swallowed what followed a piped zip; a zip with more than
 * 64 KiB after its end record had that lost from a file; an empty zip's end record followed by text gave nothing. */
static blob stored_zip_with_directory_at(size_t cd_at)
{
    const char *names[] = {"m"};
    size_t size = cd_at > 4096 ? cd_at - 4096 : 1;
    for (int round = 0; round < 6; round++) {
        blob data = {.p = malloc(size), .len = size};
        uint64_t r = 88172645463325252ull;
        for (size_t i = 0; i < size; i++) { /* incompressible: deflate stores it, its size follows the data's */
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            data.p[i] = (unsigned char)(r >> 32);
        }
        blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, &data, 1);
        free(data.p);
        size_t cd = 0;
        for (size_t i = zip.len - 4; i > 0 && !cd; i--)
            if (!memcmp(zip.p + i, "PK\x01\x02", 4))
                cd = i;
        if (cd == cd_at)
            return zip;
        free(zip.p);
        size = size + cd_at - cd;
    }
    cr_assert_fail("no zip with its directory at %zu", cd_at);
    return (blob){0};
}

Test(container, r_review_of_trailing_data_and_leads, .timeout = KS_HANG_S(120))
{
    seen s;
    ks_container_result res;
    /* a false local header in an executable */
    unsigned char exe[200] = "MZ";
    memcpy(exe + 102, "PK\x03\x04", 4);
    exe[102 + 26] = 5;
    memcpy(exe + 102 + 30, "hello then TOKEN=AKIAQYLPMN5HHHFPZAM2\n", 38);
    blob exe_b = {.p = exe, .len = sizeof exe}, z = text("z TOKEN=AKIAQYLPMN5HHHFPZAM2\n");
    const char *names[] = {"prog.exe", "z.txt"};
    blob datas[] = {exe_b, z};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, datas, 2);
    cr_assert_eq(expand_both(&tar, "a.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert(s.m[0].data.len == sizeof exe && !memcmp(s.m[0].data.p, exe, sizeof exe), "the exe whole");
    assert_last_member(&s, "the next member", "z.txt", &z);
    seen_free(&s);
    free(tar.p);

    /* a zip's directory just before a piece boundary: inside a tar (its data at 512), and piped (pieces after the
     * 265-byte head) */
    for (size_t k = 1; k <= 3; k++) {
        blob zip = stored_zip_with_directory_at((256u << 10) - 512 - k);
        const char *tn[] = {"inner.zip", "z.txt"};
        blob td[] = {zip, z};
        blob t2 = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tn, td, 2);
        cr_assert_eq(expand_both(&t2, "b.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "k %zu: %s", k, s.last_problem);
        cr_assert_eq(s.problems, 0, "k %zu: %s", k, s.last_problem);
        assert_last_member(&s, "after the zip", "z.txt", &z);
        seen_free(&s);
        free(t2.p);
        free(zip.p);
        blob piped = stored_zip_with_directory_at((256u << 10) + KS_CONTAINER_MAGIC_LEN - k);
        cr_assert_eq(expand_piped(&piped, "p.zip", &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "piped k %zu: %s", k, s.last_problem);
        cr_assert_eq(s.n, 1, "no trailing data");
        seen_free(&s);
        free(piped.p);
    }

    /* a zip64 end record of a size no such record has, after a piped zip: trailing data from its signature */
    const char *zn[] = {"m"};
    blob m = text("x\n");
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, zn, &m, 1);
    unsigned char rec[12 + 40] = "PK\x06\x06";
    rec[4 + 7] = 0x40; /* 2^62 */
    memcpy(rec + 12, "TOKEN=AKIAQYLPMN5HHHFPZAM2 after it\n....", 40);
    blob rec_b = {.p = rec, .len = sizeof rec}, hostile = joined(&zip, &rec_b);
    char chain[64];
    snprintf(chain, sizeof chain, "[trailing@%zu]", zip.len);
    cr_assert_eq(expand_piped(&hostile, "g.zip", &s, &res), 0);
    assert_last_member(&s, "a hostile zip64 record", chain, &rec_b);
    seen_free(&s);
    free(hostile.p);

    /* more than 64 KiB after a zip in a file */
    blob far = {.p = malloc(120000), .len = 120000};
    for (size_t i = 0; i < far.len; i++)
        far.p[i] = (unsigned char)"0123456789 trailing\n"[i % 20];
    blob zip_far = joined(&zip, &far);
    cr_assert_eq(expand_both(&zip_far, "c.zip", &DEFAULTS, &s, &res), 0);
    assert_last_member(&s, "120 KB after a zip", chain, &far);
    seen_free(&s);
    free(zip_far.p);
    free(far.p);
    free(zip.p);

    /* an empty zip (its end record alone), then text */
    unsigned char empty[22] = "PK\x05\x06";
    blob empty_b = {.p = empty, .len = 22}, note = text("note TOKEN=AKIAQYLPMN5HHHFPZAM2\n"), after = joined(&empty_b, &note);
    cr_assert_eq(expand_both(&after, "d.zip", &DEFAULTS, &s, &res), 0);
    assert_last_member(&s, "after an empty zip", "[trailing@22]", &note);
    seen_free(&s);
    cr_assert_eq(expand_piped(&after, "d.zip", &s, &res), 0);
    assert_last_member(&s, "piped, after an empty zip", "[trailing@22]", &note);
    seen_free(&s);
    free(after.p);
}

/* A zip in a tar whose first member's deflated data is corrupt stopped the tar too: the tar's later members (and
 * the launch script before the zip) were never scanned. A corrupt container ends where it failed; the archive
 * holding it reads on. */
static size_t le16_at(const unsigned char *p) { return (size_t)p[0] | (size_t)p[1] << 8; }
static size_t le32_at(const unsigned char *p) { return le16_at(p) | le16_at(p + 2) << 16; }

/* Overwrites 16 bytes of the deflated data of a zip's entry `k` (found by the central directory; no comment). */
static void corrupt_zip_member(blob *zip, size_t k)
{
    const unsigned char *eocd = zip->p + zip->len - 22;
    cr_assert(!memcmp(eocd, "PK\5\6", 4) && k < le16_at(eocd + 10));
    const unsigned char *c = zip->p + le32_at(eocd + 16);
    for (size_t i = 0; i < k; i++)
        c += 46 + le16_at(c + 28) + le16_at(c + 30) + le16_at(c + 32);
    unsigned char *l = zip->p + le32_at(c + 42);
    cr_assert(!memcmp(l, "PK\3\4", 4) && le16_at(l + 8) == 8 && le32_at(c + 20) > 40, "a deflated member");
    memset(l + 30 + le16_at(l + 26) + le16_at(l + 28) + 4, 0xff, 16);
}

Test(container, r_a_corrupt_container_stops_only_itself, .timeout = KS_HANG_S(120))
{
    static char body[4000];
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    const char *in_names[] = {"a.txt"};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, in_names,
                              &(blob){.p = (unsigned char *)body, .len = 3999}, 1);
    corrupt_zip_member(&zip, 0);
    blob script = text("#!/bin/sh\nexec java -jar \"$0\"\n");
    blob jar = joined(&script, &zip);
    blob first = text("first AKIAQYLPMN5HHHFPZAM2\n"), after = text("after AKIAQYLPMN5HHHFPZAM2\n");
    const char *names[] = {"first.txt", "bad.zip", "app.jar", "after.txt"};
    blob datas[] = {first, zip, jar, after};
    for (int filter = 0; filter < 2; filter++) {
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, filter ? ARCHIVE_FILTER_GZIP : ARCHIVE_FILTER_NONE, names,
                                 datas, 4);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&tar, "layer.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "said, and counted as stopped");
        cr_assert_eq(s.problems, 2, "one for each corrupt zip");
        cr_assert_eq(s.n, 3, "%zu members", s.n);
        cr_assert_str_eq(s.m[0].chain, "first.txt");
        cr_assert_str_eq(s.m[1].chain, "app.jar");
        cr_assert(s.m[1].data.len == script.len && !memcmp(s.m[1].data.p, script.p, script.len), "the lead");
        cr_assert_str_eq(s.m[2].chain, "after.txt");
        cr_assert(s.m[2].data.len == after.len && !memcmp(s.m[2].data.p, after.p, after.len));
        seen_free(&s);
        free(tar.p);
    }
    free(jar.p);
    free(zip.p);
}

/* 2 * PAIRS members, "bad000", "good000", ...: the bad ones deflated and then damaged, the good ones holding a key;
 * zips of the first n_bad pairs, for each n in bad_counts, read as files or memory (expand_both) or piped. Every
 * good member is read whole, up to MAX_REOPEN (64) corrupt ones, each said. */
static void corrupt_pairs(int piped)
{
    static char body[4000];
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    enum { PAIRS = 65 };
    const char *names[2 * PAIRS];
    blob datas[2 * PAIRS];
    char name_buf[2 * PAIRS][16];
    for (size_t i = 0; i < 2 * PAIRS; i++) {
        snprintf(name_buf[i], sizeof name_buf[i], "%s%03zu", i % 2 ? "good" : "bad", i / 2);
        names[i] = name_buf[i];
        datas[i] = i % 2 ? text("key AKIAQYLPMN5HHHFPZAM2\n") : (blob){.p = (unsigned char *)body, .len = 3999};
    }
    static const size_t bad_counts[] = {1, 2, 64, PAIRS}; /* and at the limit and one past it */
    for (size_t t = 0; t < sizeof bad_counts / sizeof bad_counts[0]; t++) {
        size_t n_bad = bad_counts[t];
        blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 2 * n_bad);
        for (size_t k = 0; k < n_bad; k++)
            corrupt_zip_member(&zip, 2 * k);
        seen s;
        ks_container_result res;
        cr_assert_eq(piped ? expand_piped(&zip, "app.zip", &s, &res) : expand_both(&zip, "app.zip", &DEFAULTS, &s, &res),
                     0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT);
        cr_assert_eq(s.problems, n_bad, "each corrupt member said: %zu of %zu (%s)", s.problems, n_bad, s.last_problem);
        size_t want = n_bad <= 64 ? n_bad : 64; /* past the limit, the members after the last corrupt one */
        cr_assert_eq(s.n, want, "%zu corrupt: %zu members read on, want %zu", n_bad, s.n, want);
        for (size_t i = 0; i < s.n; i++) {
            cr_assert_str_eq(s.m[i].chain, names[2 * i + 1]);
            cr_assert(s.m[i].data.len == datas[2 * i + 1].len &&
                      !memcmp(s.m[i].data.p, datas[2 * i + 1].p, s.m[i].data.len));
        }
        seen_free(&s);
        free(zip.p);
    }
}

/* A zip on disk whose second member's deflated data was corrupt stopped there: libarchive fails for good after a
 * decompression error, and the members after it, where the central directory says, were never read. The zip is
 * opened again and read on after each corrupt member, up to MAX_REOPEN (64) of them. */
Test(container, r_a_corrupt_member_of_a_zip_on_disk_stops_only_itself, .timeout = KS_HANG_S(120)) { corrupt_pairs(0); }

/* The same zips piped: a pipe cannot be read again by the central directory, so the members after the first corrupt
 * one were lost (the file's scan found them), and with findings before it the scan even exited 1 as complete. The
 * bytes after the failure are looked through for the next local header, and the zip is read on from there, up to
 * MAX_REOPEN (64) times, as on disk. Big members (1.5 MB, so that the rest of the corrupt one spans several reads)
 * and bytes after the zip's end (named by where they are in the stream) too. */
Test(container, r_a_corrupt_member_of_a_piped_zip_stops_only_itself, .timeout = KS_HANG_S(120))
{
    corrupt_pairs(1);

    enum { SZ = 1500000 };
    const char *big_names[] = {"a.txt", "b.txt", "c.txt"};
    blob big[3];
    unsigned seed = 5;
    for (int i = 0; i < 3; i++) {
        big[i] = (blob){.p = malloc(SZ), .len = SZ};
        for (size_t k = 0; k < SZ; k++)
            big[i].p[k] = (unsigned char)"0123456789abcdef \n"[rand_r(&seed) % 18];
    }
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, big_names, big, 3);
    corrupt_zip_member(&zip, 1);
    blob tail = text("tail AKIAQYLPMN5HHHFPZAM2\n");
    blob piped = joined(&zip, &tail);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_piped(&piped, "big.zip", &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert_eq(s.problems, 1, "%s", s.last_problem);
    cr_assert_eq(s.n, 3, "a, c and the tail: %zu (%s)", s.n, s.last_problem);
    cr_assert_str_eq(s.m[0].chain, "a.txt");
    cr_assert(s.m[0].data.len == SZ && !memcmp(s.m[0].data.p, big[0].p, SZ));
    cr_assert_str_eq(s.m[1].chain, "c.txt");
    cr_assert(s.m[1].data.len == SZ && !memcmp(s.m[1].data.p, big[2].p, SZ));
    char trailing[64];
    snprintf(trailing, sizeof trailing, "[trailing@%zu]", zip.len);
    cr_assert_str_eq(s.m[2].chain, trailing);
    cr_assert(s.m[2].data.len == tail.len && !memcmp(s.m[2].data.p, tail.p, tail.len));
    seen_free(&s);
    free(piped.p);
    free(zip.p);
    for (int i = 0; i < 3; i++)
        free(big[i].p);
}

/* lz4's legacy format (the kernel's lz4: initramfs images, compressed kernels) was not recognised: its members'
 * bytes were scanned compressed, and a key among them found only while lz4 left it a literal. Now it is a stream like
 * a frame, from a file and a pipe, what follows it trailing data. The stream is written by hand: the legacy magic,
 * one block's size, the block (its one sequence all literals, as an LZ4 block may end). */
Test(container, r_lz4_legacy_streams_are_opened, .timeout = KS_HANG_S(120))
{
    const char *text_in = "first line\nkey AKIAQYLPMN5HHHFPZAM2\n";
    size_t L = strlen(text_in);
    unsigned char lz[256];
    size_t n = 0;
    memcpy(lz, "\x02\x21\x4c\x18", 4);
    n = 8; /* the block's size after it */
    lz[n++] = 0xf0; /* fifteen literals or more: the rest in the bytes after */
    size_t rest = L - 15;
    for (; rest >= 255; rest -= 255)
        lz[n++] = 255;
    lz[n++] = (unsigned char)rest;
    memcpy(lz + n, text_in, L);
    n += L;
    uint32_t block = (uint32_t)(n - 8);
    memcpy(lz + 4, &block, 4); /* little-endian, as this machine */
    blob stream = {.p = lz, .len = n}, note = text("a note after it\n");
    blob with = joined(&stream, &note);
    cr_assert_eq(ks__container_sniff(with.p, with.len), KS_CONT_LZ4);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&with, "k.lz4", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.m[0].chain, "k");
    cr_assert(s.m[0].data.len == L && !memcmp(s.m[0].data.p, text_in, L));
    char want[32];
    snprintf(want, sizeof want, "[trailing@%zu]", n);
    assert_last_member(&s, "legacy lz4", want, &note);
    seen_free(&s);
    cr_assert_eq(expand_piped(&with, "k.lz4", &s, &res), 0);
    cr_assert_eq(s.n, 2, "piped");
    assert_last_member(&s, "legacy lz4 piped", want, &note);
    seen_free(&s);
    free(with.p);
}

/* `n` bytes that compress little, from `seed`: lines of random letters (text), or random bytes (noise: lz4 stores its
 * blocks as they are). */
static blob pseudo_random(size_t n, uint32_t seed, int text)
{
    blob b = {.p = malloc(n), .len = n};
    cr_assert(b.p);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b.p[i] = !text ? (unsigned char)(seed >> 24) : i % 64 == 63 ? '\n' : (unsigned char)('a' + (seed >> 16) % 26);
    }
    return b;
}

/* A legacy lz4 stream of `body`, as the lz4 tool writes one (lz4 -l): the magic, then blocks of 8 MiB of it at most,
 * each its compressed size (little-endian) and its bytes. */
static blob legacy_lz4(const blob *body)
{
    const size_t block = 8u << 20;
    size_t cap = 4 + (body->len / block + 1) * (4 + (size_t)LZ4_compressBound((int)block));
    blob out = {.p = malloc(cap), .len = 4};
    cr_assert(out.p);
    memcpy(out.p, "\x02\x21\x4c\x18", 4);
    for (size_t at = 0; at < body->len; at += block) {
        size_t n = body->len - at < block ? body->len - at : block;
        int c = LZ4_compress_default((const char *)body->p + at, (char *)out.p + out.len + 4, (int)n,
                                     LZ4_compressBound((int)block));
        cr_assert_gt(c, 0);
        uint32_t c32 = (uint32_t)c;
        memcpy(out.p + out.len, &c32, 4); /* little-endian, as this machine */
        out.len += 4 + (size_t)c;
    }
    return out;
}

/* lz4's legacy format has no end marker. libarchive's filter took the zero padding the kernel leaves after a legacy
 * stream (initramfs images) for a block and failed ("lz4 decompression failed": the scan incomplete), and took a
 * .tar.gz after one for a block too (a gzip header that names no file, as `tar cz` writes, reads as a block size):
 * its key was lost. keysweep now decodes lz4 itself (liblz4): a legacy stream ends at zero padding, at a gzip member,
 * at a size no block has, or at another frame, which goes on the same stream; what follows is trailing data. Blocks
 * of 8 MiB, a key across their boundary; memory, descriptor, decoded ahead, a pipe. */
Test(container, r_an_lz4_legacy_stream_padded_with_zeros_or_followed_by_a_tar_gz, .timeout = KS_HANG_S(300))
{
    size_t L = (8u << 20) + 5000;
    blob body = pseudo_random(L, 12345, 1);
    memcpy(body.p, "AKIAQYLPMN5HHHFPZAM2", 20);
    memcpy(body.p + (8u << 20) - 10, "AKIAQYLPMN5HHHFPZAM3", 20);
    memcpy(body.p + L - 21, "AKIAQYLPMN5HHHFPZAM4", 20);
    blob leg = legacy_lz4(&body);
    const char *names[] = {"srv/.env"};
    blob inner = text("TOKEN=AKIAQYLPMN5HHHFPZAM5\n"), note = text("a note AKIAQYLPMN5HHHFPZAM6\n");
    blob zeros = {.p = calloc(1, 4096), .len = 4096};
    blob zeros_note = joined(&(blob){.p = zeros.p, .len = 100}, &note);
    blob targz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, &inner, 1);
    cr_assert(!memcmp(targz.p, "\x1f\x8b\x08\x00", 4), "a gzip header that names no file");
    blob leg_inner = legacy_lz4(&inner);
    const char *raw[] = {"x"};
    blob frame = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, raw, &inner, 1);
    blob body_inner = joined(&body, &inner);
    char at_note[48], at_targz[48];
    snprintf(at_note, sizeof at_note, "[trailing@%zu]", leg.len + 100);
    snprintf(at_targz, sizeof at_targz, "[trailing@%zu]!srv/.env", leg.len);
    const struct {
        const char *what;
        const blob *after;
        size_t members;
        const char *last;     /* the last member's chain, and what it holds */
        const blob *holds;
    } cases[] = {
        {"nothing", NULL, 1, "k", &body},
        {"zeros", &zeros, 1, "k", &body},
        {"zeros and a note", &zeros_note, 2, at_note, &note},
        {"a .tar.gz", &targz, 2, at_targz, &inner},
        {"another legacy stream", &leg_inner, 1, "k", &body_inner},
        {"a frame", &frame, 1, "k", &body_inner},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        blob all = joined(&leg, cases[c].after ? cases[c].after : &(blob){.p = (unsigned char *)"", .len = 0});
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&all, "k.lz4", &s, &res) : expand_both(&all, "k.lz4", &DEFAULTS, &s, &res),
                         0);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s (piped %d): %s", cases[c].what, piped, s.last_problem);
            cr_assert_eq(s.problems, 0, "%s (piped %d): %s", cases[c].what, piped, s.last_problem);
            cr_assert_eq(s.n, cases[c].members, "%s (piped %d): %zu members", cases[c].what, piped, s.n);
            cr_assert_str_eq(s.m[0].chain, "k");
            if (cases[c].members > 1)
                cr_assert(s.m[0].data.len == L && !memcmp(s.m[0].data.p, body.p, L), "%s", cases[c].what);
            assert_last_member(&s, cases[c].what, cases[c].last, cases[c].holds);
            seen_free(&s);
        }
        free(all.p);
    }

    /* a legacy stream cut inside its second block or its first (a partial download): what decodes of the cut block
     * is handed over, then the cut is said; before, a stream cut inside its first block was scanned as its compressed
     * bytes, a tar's first members in it lost, and nothing said */
    for (size_t at = 0; at < 2; at++) {
        blob cut = {.p = leg.p, .len = at ? leg.len / 2 : leg.len - 1000};
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&cut, "k.lz4", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%zu: %s", at, s.last_problem);
        cr_assert(strstr(s.last_problem, "lz4: truncated lz4 input"), "%s", s.last_problem);
        cr_assert_eq(s.n, 1);
        size_t got = s.m[0].data.len, least = at ? (3u << 20) : (8u << 20) + 1000;
        cr_assert(got >= least && got < L && !memcmp(s.m[0].data.p, body.p, got), "%zu: %zu bytes", at, got);
        seen_free(&s);
        cr_assert_eq(expand_piped(&cut, "k.lz4", &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%zu piped: %s", at, s.last_problem);
        cr_assert_eq(s.m[0].data.len, got, "%zu piped", at);
        seen_free(&s);
    }
    /* a legacy stream whose first block does not decode is no stream: its bytes are scanned as they are */
    unsigned char bad_bytes[18] = {0x02, 0x21, 0x4c, 0x18, 10, 0, 0, 0}; /* a block of 10 bytes, its literals' */
    memset(bad_bytes + 8, 0xff, 10);                                      /* length running past them */
    blob bad = {.p = bad_bytes, .len = sizeof bad_bytes};
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&bad, "k.lz4", &DEFAULTS, &s, &res), 1);
    seen_free(&s);
    free(body_inner.p);
    free(frame.p);
    free(leg_inner.p);
    free(targz.p);
    free(zeros_note.p);
    free(zeros.p);
    free(leg.p);
    free(body.p);
}

/* An lz4 frame cut inside its first block (a partial download of a small .tar.lz4) gave nothing: liblz4 (and
 * libarchive's filter before it) keeps a block it does not have whole to itself, so the stream did not open and its
 * compressed bytes were scanned, the members in it lost and nothing said. The first frame's bytes are now kept until
 * it gives some out; cut before that, what decodes of its first block is handed over, then the cut is said. A 3 MiB
 * block, compressed and stored; memory, descriptor, ahead, a pipe. */
Test(container, r_an_lz4_frame_cut_inside_its_first_block_is_scanned_to_the_cut, .timeout = KS_HANG_S(120))
{
    size_t L = 3u << 20;
    blob body = pseudo_random(L, 777, 1), noise = pseudo_random(L, 778, 0);
    memcpy(body.p + 100, "AKIAQYLPMN5HHHFPZAM2", 20);
    const char *raw[] = {"k"};
    const blob *bodies[] = {&body, &noise};
    for (size_t b = 0; b < 2; b++) {
        blob frame = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, raw, bodies[b], 1);
        blob cut = {.p = frame.p, .len = frame.len / 2};
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&cut, "k.lz4", &s, &res) : expand_both(&cut, "k.lz4", &DEFAULTS, &s, &res),
                         0, "%zu: opened", b);
            cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%zu: %s", b, s.last_problem);
            cr_assert(strstr(s.last_problem, "lz4: truncated lz4 input"), "%s", s.last_problem);
            cr_assert_eq(s.n, 1);
            size_t got = s.m[0].data.len;
            cr_assert(got >= L / 4 && got < L && !memcmp(s.m[0].data.p, bodies[b]->p, got), "%zu: %zu bytes", b, got);
            seen_free(&s);
        }
        free(frame.p);
    }
    free(noise.p);
    free(body.p);
}

/* An lz4 frame written with liblz4: blocks of `block_id` (LZ4F_max64KB...), with a content checksum. */
static blob lz4_frame(const blob *body, LZ4F_blockSizeID_t block_id)
{
    LZ4F_preferences_t prefs = {.frameInfo = {.blockSizeID = block_id, .contentChecksumFlag = LZ4F_contentChecksumEnabled}};
    size_t cap = LZ4F_compressFrameBound(body->len, &prefs);
    blob out = {.p = malloc(cap)};
    cr_assert(out.p);
    out.len = LZ4F_compressFrame(out.p, cap, body->p, body->len, &prefs);
    cr_assert(!LZ4F_isError(out.len));
    return out;
}

/* An lz4 or xz stream cut or damaged before what it gave could be opened (a partial download of a few bytes, a first
 * block that does not decode) was scanned as its bytes and nothing was said, as if it were no such stream at all.
 * Where its bytes are one for sure (an lz4 frame's header whole and right, the legacy magic and a block size, an xz
 * stream's header whose CRC is right), that is now said as a warning, and they are still scanned as they are; bytes
 * that only begin with the magic are not. A file, a pipe and a tar's member. */
Test(container, r_an_lz4_or_xz_stream_that_fails_before_it_opens_is_said_and_scanned_as_it_is)
{
    blob body = pseudo_random(1u << 20, 91, 1);
    blob frame = lz4_frame(&body, LZ4F_max64KB);
    const char *raw[] = {"k"};
    blob xz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, raw, &body, 1);
    static const unsigned char legacy[] = {0x02, 0x21, 0x4c, 0x18, 0x00, 0x10, 0x00, 0x00, 0xf0, 0x41};
    blob cuts[] = {{.p = frame.p, .len = 8},
                   {.p = frame.p, .len = 13},
                   {.p = (unsigned char *)legacy, .len = 10},
                   {.p = xz.p, .len = 30}};
    for (size_t c = 0; c < 4; c++) {
        seen s;
        ks_container_result res;
        const char *name = c < 3 ? "k.lz4" : "k.xz";
        cr_assert_eq(expand_both(&cuts[c], name, &DEFAULTS, &s, &res), 1, "%zu: scanned as it is", c);
        cr_assert(s.problems == 1 && s.fatal == 0 && strstr(s.last_problem, "damaged, scanned as it is: "),
                  "%zu: %s", c, s.last_problem);
        cr_assert(strstr(s.last_problem, c < 3 ? ": lz4: truncated lz4 input" : ": xz: truncated xz input"), "%s",
                  s.last_problem);
        seen_free(&s);
        cr_assert_eq(expand_piped(&cuts[c], name, &s, &res), 1, "%zu: piped", c);
        cr_assert(s.problems == 1 && strstr(s.last_problem, "damaged, scanned as it is: "), "%zu: %s", c,
                  s.last_problem);
        seen_free(&s);
        const char *names[] = {name};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &cuts[c], 1);
        cr_assert_eq(expand_both(&tar, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert(s.n == 1 && !strcmp(s.m[0].chain, name) && s.m[0].data.len == cuts[c].len &&
                      !memcmp(s.m[0].data.p, cuts[c].p, cuts[c].len),
                  "%zu: the member's bytes as they are", c);
        cr_assert(s.problems == 1 && !strncmp(s.last_problem, name, 4) &&
                      strstr(s.last_problem, ": damaged, scanned as it is: "),
                  "%zu: %s", c, s.last_problem);
        seen_free(&s);
        free(tar.p);
    }
    /* the magic, then bytes that are no header (its checksum or CRC wrong): none of either, nothing said */
    const blob *streams[] = {&frame, &xz};
    for (size_t k = 0; k < 2; k++) {
        blob fake = {.p = malloc(64), .len = 64};
        memcpy(fake.p, streams[k]->p, 64);
        fake.p[k ? 9 : 6] ^= 0xff;
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&fake, k ? "k.xz" : "k.lz4", &DEFAULTS, &s, &res), 1);
        cr_assert_eq(s.problems, 0, "%s", s.last_problem);
        seen_free(&s);
        free(fake.p);
    }
    /* (review) an xz cut right after its header is said too; a tar cut inside its lz4 or xz member is the tar's cut,
     * said once as such, never the member's stream "damaged" (the decoders passed the tar's failure on as theirs) */
    blob head = {.p = xz.p, .len = 12};
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&head, "k.xz", &DEFAULTS, &s, &res), 1);
    cr_assert(s.problems == 1 && strstr(s.last_problem, "damaged, scanned as it is: xz: truncated xz input"), "%s",
              s.last_problem);
    seen_free(&s);
    for (size_t k = 0; k < 2; k++) {
        const char *names[] = {k ? "k.xz" : "k.lz4"};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, streams[k], 1);
        tar.len = 512 + (k ? 30 : 13);
        cr_assert_eq(expand_both(&tar, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert(s.problems == 1 && strstr(s.last_problem, "stopped: corrupt or truncated member") &&
                      !strstr(s.last_problem, "damaged"),
                  "%zu: %zu problems, the last %s", k, s.problems, s.last_problem);
        seen_free(&s);
        free(tar.p);
    }
    free(xz.p);
    free(frame.p);
    free(body.p);
}

/* Where the units of an lz4 frame (7-byte header: no content size, no dictionary; no block checksums) begin: the
 * offset of block `k` (its size word), or of the end mark when the frame has fewer blocks. */
static size_t lz4_block_at(const blob *frame, size_t k)
{
    size_t at = 7;
    for (size_t i = 0; i < k; i++) {
        uint32_t w;
        memcpy(&w, frame->p + at, 4); /* little-endian, as this machine */
        if (!w)
            break;
        at += 4 + (w & 0x7fffffffu);
    }
    return at;
}

/* An lz4 stream damaged in its middle gave the bytes before the damage and nothing after it, though lz4 keeps literals
 * as they are: a key in a later block was there for grep to find, and lost (exit 0 when nothing before it was
 * found). Now the bytes from the damaged block on are scanned as they are, as the member "[damaged@N]" (N: where the
 * block's size word is), once: the blocks before it are not scanned twice. So are bytes after a legacy stream whose
 * first four read as a block's size (an .ico's 00 00 01 00) and which decode to nothing, and what follows a frame whose
 * content checksum is wrong (its blocks were all given out). From memory, a descriptor, decoded ahead, a pipe, and as
 * a tar's member. */
Test(container, r_an_lz4_stream_damaged_in_its_middle_has_the_rest_scanned_as_it_is, .timeout = KS_HANG_S(120))
{
    blob body = {.p = malloc(6 * 65536), .len = 6 * 65536}; /* lines lz4 compresses: no block is stored */
    cr_assert(body.p);
    for (size_t i = 0; i < body.len; i += 32) {
        char line[64];
        snprintf(line, sizeof line, "row %07zu of lines, repeated.\n", i / 32); /* 32 bytes */
        memcpy(body.p + i, line, 32);
    }
    blob frame = lz4_frame(&body, LZ4F_max64KB);
    size_t at = lz4_block_at(&frame, 2);
    uint32_t w;
    memcpy(&w, frame.p + at, 4);
    memset(frame.p + at + 4, 0xff, w & 0x7fffffffu); /* a literal run longer than the block: it does not decode */
    static const unsigned char ico[] = "\x00\x00\x01\x00\x01\x00 icon bytes, then KEY=AKIAQYLPMN5HHHFPZAM8 here\n";
    blob small = {.p = body.p, .len = 100000};
    blob legacy = legacy_lz4(&small);
    blob leg_ico = {.p = malloc(legacy.len + sizeof ico - 1), .len = legacy.len + sizeof ico - 1};
    cr_assert(leg_ico.p);
    memcpy(leg_ico.p, legacy.p, legacy.len);
    memcpy(leg_ico.p + legacy.len, ico, sizeof ico - 1);
    static const char note[] = "a note after the frame: KEY=AKIAQYLPMN5HHHFPZAM9\n";
    blob good = lz4_frame(&small, LZ4F_max64KB);
    blob sum_bad = {.p = malloc(good.len + sizeof note - 1), .len = good.len + sizeof note - 1};
    cr_assert(sum_bad.p);
    memcpy(sum_bad.p, good.p, good.len);
    sum_bad.p[good.len - 1] ^= 1;
    memcpy(sum_bad.p + good.len, note, sizeof note - 1);
    const struct {
        const blob *b;
        size_t out;  /* what decodes before the damage */
        size_t rest; /* where the rest scanned as it is begins */
        const char *why;
    } cases[] = {{&frame, 2 * 65536, at, "lz4: malformed lz4 data"},
                 {&leg_ico, small.len, legacy.len + 2, "lz4: truncated lz4 input"}, /* (00 00: passed over) */
                 {&sum_bad, small.len, good.len, "lz4: stream checksum error"}};
    for (size_t c = 0; c < 3; c++) {
        const blob *b = cases[c].b;
        char step[48];
        snprintf(step, sizeof step, "[damaged@%zu]", cases[c].rest);
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(b, "k.lz4", how, &s, &res), 0, "%zu/%d", c, how);
            cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%zu/%d", c, how);
            cr_assert(s.problems == 1 && strstr(s.last_problem, cases[c].why), "%zu/%d: %s", c, how, s.last_problem);
            cr_assert_eq(s.n, 2, "%zu/%d: the stream, then its rest", c, how);
            cr_assert(s.m[0].data.len == cases[c].out && !memcmp(s.m[0].data.p, body.p, cases[c].out), "%zu/%d", c, how);
            char chain[64];
            snprintf(chain, sizeof chain, "%s%s", how == 2 ? "k.lz4!" : "", step);
            cr_assert_str_eq(s.m[1].chain, chain, "%zu/%d", c, how);
            size_t n = b->len - cases[c].rest;
            cr_assert(s.m[1].data.len == n && !memcmp(s.m[1].data.p, b->p + cases[c].rest, n),
                      "%zu/%d: %zu bytes, %zu expected", c, how, s.m[1].data.len, n);
            seen_free(&s);
        }
    }
    /* a content checksum wrong with nothing after it: nothing more to scan */
    good.p[good.len - 1] ^= 1;
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&good, "k.lz4", &DEFAULTS, &s, &res), 0);
    cr_assert(s.n == 1 && res.stop == KS_CONT_CORRUPT);
    seen_free(&s);
    /* a gzip whose OS byte gzip never writes after a legacy stream: taken for a block, cut, and what little of it
     * decodes (less than half its bytes: no lz4) is not handed out; what follows the stream opens as a gzip */
    blob text_note = {.p = (unsigned char *)note, .len = sizeof note - 1};
    const char *g_names[] = {"g"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, g_names, &text_note, 1);
    gz.p[9] = 0x80;
    memset(gz.p + 4, 0, 4); /* no time stamp: libarchive writes the clock's, and the bytes taken for a block with it */
    blob leg_gz = {.p = malloc(legacy.len + gz.len), .len = legacy.len + gz.len};
    cr_assert(leg_gz.p);
    memcpy(leg_gz.p, legacy.p, legacy.len);
    memcpy(leg_gz.p + legacy.len, gz.p, gz.len);
    for (int how = 0; how < 3; how++) {
        int rc = expand_how(&leg_gz, "k.lz4", how, &s, &res);
        char chain[64];
        snprintf(chain, sizeof chain, "%s[damaged@%zu]!data", how == 2 ? "k.lz4!" : "", legacy.len);
        cr_assert(rc == 0 && s.n == 2 && s.m[0].data.len == small.len && !strcmp(s.m[1].chain, chain) &&
                      s.m[1].data.len == text_note.len && !memcmp(s.m[1].data.p, note, text_note.len),
                  "%d: %zu members, the second %s", how, s.n, s.n > 1 ? s.m[1].chain : "");
        seen_free(&s);
    }
    free(leg_gz.p);
    free(gz.p);
    /* (review) a stored block cut short: its bytes were given out as they came, and are not scanned again */
    blob noise = pseudo_random(200000, 5, 0);
    blob stored = lz4_frame(&noise, LZ4F_max64KB);
    memcpy(&w, stored.p + lz4_block_at(&stored, 1), 4);
    cr_assert(w >> 31, "a stored block");
    stored.len = lz4_block_at(&stored, 1) + 3000;
    cr_assert_eq(expand_both(&stored, "k.lz4", &DEFAULTS, &s, &res), 0);
    cr_assert(s.n == 1 && s.m[0].data.len == 65536 + 2996 && !memcmp(s.m[0].data.p, noise.p, 65536 + 2996), "%zu, %s",
              s.n, s.n > 1 ? s.m[1].chain : "");
    seen_free(&s);
    cr_assert_eq(expand_piped(&stored, "k.lz4", &s, &res), 0);
    cr_assert(s.n == 1 && s.m[0].data.len == 65536 + 2996);
    seen_free(&s);
    free(stored.p);
    free(noise.p);
    free(good.p);
    free(sum_bad.p);
    free(leg_ico.p);
    free(legacy.p);
    free(frame.p);
    free(body.p);
}

/* A stream that did not open from a pipe or a member keeps the bytes it pulled (1 MiB of them: they cannot be read
 * again) to scan them as they are. An lz4 stream that fails in its first block pulls all of it first (up to 4 MiB; 8
 * MiB in the legacy format): the rest was lost ("part of it was not scanned"), and what followed it was scanned as if
 * it came right after the first MiB, so each finding there had a false offset and line (a key at 4,048,600 reported at
 * 3,786,456). The decoder still holds the block: the bytes are now whole, at their offsets. A 4 MiB frame block and
 * a legacy block that do not decode, as a tar's member and from a pipe. */
Test(container, r_an_lz4_stream_failing_in_a_big_first_block_is_scanned_whole_at_its_offsets, .timeout = KS_HANG_S(120))
{
    blob body = pseudo_random(5u << 20, 31, 1);
    for (size_t i = 0; i + 64 <= body.len; i += 64) /* lines that lz4 compresses a little: the block is not stored */
        memcpy(body.p + i, "row of a text that repeats ", 27);
    blob frame = lz4_frame(&body, LZ4F_max4MB);
    uint32_t w;
    memcpy(&w, frame.p + 7, 4);
    cr_assert(!(w >> 31) && w > (1u << 20), "a compressed first block of more than 1 MiB: %u", w);
    memset(frame.p + 11, 0xff, w); /* a literal run longer than the block: it does not decode */
    blob legacy = legacy_lz4(&body);
    memcpy(&w, legacy.p + 4, 4);
    cr_assert(w > (1u << 20));
    memset(legacy.p + 8, 0xff, w);
    const blob *streams[] = {&frame, &legacy};
    for (size_t k = 0; k < 2; k++) {
        const blob *b = streams[k];
        seen s;
        ks_container_result res;
        const char *names[] = {"k.lz4"};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, b, 1);
        cr_assert_eq(expand_both(&tar, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert(s.n == 1 && !strcmp(s.m[0].chain, "k.lz4"), "%zu", k);
        cr_assert(s.m[0].data.len == b->len && !memcmp(s.m[0].data.p, b->p, b->len), "%zu: %zu bytes of %zu", k,
                  s.m[0].data.len, b->len);
        cr_assert(s.problems == 1 && strstr(s.last_problem, "k.lz4: damaged, scanned as it is: lz4: "), "%zu: %zu, %s",
                  k, s.problems, s.last_problem);
        seen_free(&s);
        free(tar.p);
        /* from a pipe: what was read after its head, handed back whole to be scanned */
        memset(&s, 0, sizeof s);
        int fd = memfd_create("p", MFD_CLOEXEC);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
        cr_assert_eq(lseek(fd, KS_CONTAINER_MAGIC_LEN, SEEK_SET), (off_t)KS_CONTAINER_MAGIC_LEN);
        unsigned char *replay = NULL;
        size_t replay_len = 0;
        cr_assert_eq(ks__container_expand_pipe(b->p, KS_CONTAINER_MAGIC_LEN, fd, 0, "k.lz4", &DEFAULTS, &SINK, &s, &res,
                                               &replay, &replay_len),
                     1);
        cr_assert(s.problems == 1 && strstr(s.last_problem, "damaged, scanned as it is: lz4: "), "%zu: %zu, %s", k,
                  s.problems, s.last_problem);
        /* the pipe is read on from where the replay ends */
        size_t rest = (size_t)lseek(fd, 0, SEEK_CUR);
        cr_assert(KS_CONTAINER_MAGIC_LEN + replay_len == rest &&
                      !memcmp(replay, b->p + KS_CONTAINER_MAGIC_LEN, replay_len),
                  "%zu: %zu bytes replayed, the pipe at %zu", k, replay_len, rest);
        free(replay);
        close(fd);
        seen_free(&s);
    }
    free(legacy.p);
    free(frame.p);
    free(body.p);
}

/* A .gz, .zst or .bz2 that failed before what it gave could be opened (within its first 64 KiB out, where a stream
 * that fails is taken for no stream at all) was scanned as its compressed bytes without a word: a small one cut short
 * (a partial download, a log copied while it was written) lost every key in it, with exit 0. A .gz that is gzip for
 * sure now gives what it holds before the cut is said; a .zst or .bz2 cut in its first block (libzstd and libbz2
 * decode no part of a block) is said to be damaged, and still scanned as it is. From memory, a descriptor, ahead, a
 * pipe, and as a tar's member. */
Test(container, r_a_small_gz_zst_or_bz2_cut_short_is_scanned_to_the_cut_or_said, .timeout = KS_HANG_S(120))
{
    blob body = {.p = malloc(60000), .len = 60000};
    cr_assert(body.p);
    for (size_t i = 0; i < body.len; i += 30) {
        char line[64];
        snprintf(line, sizeof line, "key%05zu = value of line %04zu\n", i / 30, i % 7919); /* 30 bytes */
        memcpy(body.p + i, line, 30);
    }
    const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_BZIP2};
    const char *said[] = {"stopped: corrupt or truncated member: truncated gzip input",
                          "damaged, scanned as it is: zstd: truncated zstd input",
                          "damaged, scanned as it is: bzip2: cut or damaged in its first block"};
    for (size_t f = 0; f < 3; f++) {
        const char *raw[] = {"k"};
        blob whole = write_archive(ARCHIVE_FORMAT_RAW, filters[f], raw, &body, 1);
        blob cut = {.p = whole.p, .len = whole.len / 2};
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            int rc = expand_how(&cut, "k.z", how, &s, &res);
            cr_assert(s.problems == 1 && strstr(s.last_problem, said[f]), "%zu/%d: %zu, %s", f, how, s.problems,
                      s.last_problem);
            if (f == 0) { /* what decodes, up to the cut */
                cr_assert(rc == 0 && s.n == 1 && s.m[0].data.len > 1000 && s.m[0].data.len < body.len &&
                              !memcmp(s.m[0].data.p, body.p, s.m[0].data.len),
                          "%d: rc %d, %zu members", how, rc, s.n);
            } else if (how < 2) { /* scanned as it is, by the caller */
                cr_assert_eq(rc, 1, "%zu/%d", f, how);
            } else {
                cr_assert(rc == 0 && s.n == 1 && s.m[0].data.len == cut.len && !memcmp(s.m[0].data.p, cut.p, cut.len),
                          "%zu: the member's bytes as they are", f);
            }
            seen_free(&s);
        }
        free(whole.p);
    }
    free(body.p);
}

/* A review of opening a .gz cut short (a helper: 2,564 files of a gzip header, then a few bytes and a key as text)
 * found 40 keys lost: text after a gzip header can read as deflate that wants more (a fixed-Huffman block cut short),
 * which opened as gzip, so the bytes were no longer scanned as they are. And a gzip whose deflate data turns to
 * garbage (a splice) after 4 KiB out lost a key in that garbage, which the raw scan had found. Now a .gz that opens
 * on less than 4 KiB out, cut short, has all its bytes scanned as they are too ("[damaged@0]", never opened again);
 * and after damage in its deflate data, the bytes from where it stopped decoding are ("[damaged@N]", as for lz4).
 * Memory, descriptor, ahead, pipe, tar member. */
Test(container, r_review_of_opening_a_gz_cut_short, .timeout = KS_HANG_S(120))
{
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    static const char key[] = "*x=KEY=AKIAQYLPMN5HHHFPZAM5\n";
    blob text_after = {.p = malloc(sizeof head + sizeof key - 1), .len = sizeof head + sizeof key - 1};
    cr_assert(text_after.p);
    memcpy(text_after.p, head, sizeof head);
    memcpy(text_after.p + sizeof head, key, sizeof key - 1);
    /* 5,000 bytes in a stored block, a block of the reserved type, then a key as text */
    blob body = pseudo_random(5000, 17, 1);
    blob splice = {.p = malloc(sizeof head + 5 + body.len + 1 + 20000 + sizeof key - 1)};
    cr_assert(splice.p);
    memcpy(splice.p, head, sizeof head);
    unsigned char sh[5] = {0, 5000 & 0xff, 5000 >> 8, (unsigned char)~5000, (unsigned char)(~5000 >> 8)};
    memcpy(splice.p + 10, sh, 5);
    memcpy(splice.p + 15, body.p, body.len);
    splice.p[15 + body.len] = 0x07;
    memset(splice.p + 16 + body.len, 'z', 20000);
    memcpy(splice.p + 16 + body.len + 20000, key, sizeof key - 1);
    splice.len = 16 + body.len + 20000 + sizeof key - 1;
    const blob *cases[] = {&text_after, &splice};
    for (size_t c = 0; c < 2; c++) {
        const blob *b = cases[c];
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            int rc = expand_how(b, "k.gz", how, &s, &res);
            cr_assert(rc == 0 && s.n == 2 && s.problems == 1, "%zu/%d: rc %d, %zu members, %s", c, how, rc, s.n,
                      s.last_problem);
            const char *at = strstr(s.m[1].chain, "[damaged@");
            cr_assert(at && (how < 2 || !strncmp(s.m[1].chain, "k.gz!", 5)), "%zu/%d: %s", c, how, s.m[1].chain);
            size_t from = strtoul(at + 9, NULL, 10);
            cr_assert(c ? from > 15 + body.len && from < 16 + body.len + 20000 : from == 0, "%zu/%d: from %zu", c, how,
                      from);
            cr_assert(s.m[1].data.len == b->len - from && !memcmp(s.m[1].data.p, b->p + from, b->len - from),
                      "%zu/%d: the bytes as they are, from %zu", c, how, from);
            if (c == 1)
                cr_assert(s.m[0].data.len == body.len && !memcmp(s.m[0].data.p, body.p, body.len));
            seen_free(&s);
        }
    }
    /* (review) a .gz of stored bytes cut in its trailer, or in its stored block: what came out is what is there, and
     * its bytes are not scanned again */
    blob stored = {.p = malloc(10 + 5 + 3000 + 8)};
    cr_assert(stored.p);
    memcpy(stored.p, head, sizeof head);
    unsigned char fh[5] = {1, 3000 & 0xff, 3000 >> 8, (unsigned char)~3000, (unsigned char)(~3000 >> 8)};
    memcpy(stored.p + 10, fh, 5);
    memcpy(stored.p + 15, body.p, 3000);
    memset(stored.p + 15 + 3000, 0, 8); /* (the CRC is not checked) */
    const size_t cuts[] = {10 + 5 + 3000 + 4, 10 + 5 + 2000};
    for (size_t c = 0; c < 2; c++) {
        stored.len = cuts[c];
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(&stored, "k.gz", how, &s, &res), 0);
            size_t out = c ? 2000 : 3000;
            cr_assert(s.n == 1 && s.problems == 1 && strstr(s.last_problem, "truncated gzip input") &&
                          s.m[0].data.len == out && !memcmp(s.m[0].data.p, body.p, out),
                      "%zu/%d: %zu members, %s", c, how, s.n, s.n > 1 ? s.m[1].chain : s.last_problem);
            seen_free(&s);
        }
    }
    free(stored.p);
    free(body.p);
    free(splice.p);
    free(text_after.p);
}

/* `body` compressed as one zstd frame (kind 0, with its content checksum, as the zstd tool writes one) or one xz
 * stream (1), appended to `b`. */
static void zstd_or_xz_onto(blob *b, const blob *body, int kind)
{
    size_t cap = kind ? lzma_stream_buffer_bound(body->len) : ZSTD_compressBound(body->len), k = 0;
    b->p = realloc(b->p, b->len + cap);
    cr_assert(b->p);
    if (kind) {
        cr_assert(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, body->p, body->len, b->p + b->len, &k, cap) ==
                  LZMA_OK);
    } else {
        ZSTD_CCtx *c = ZSTD_createCCtx();
        cr_assert(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
        k = ZSTD_compress2(c, b->p + b->len, cap, body->p, body->len);
        cr_assert(!ZSTD_isError(k));
        ZSTD_freeCCtx(c);
    }
    b->len += k;
}

/* The members of a zstd's damaged frames' bytes that gave no output, "[damaged@F]" after `in` (no "!data"; F counted
 * from the read-on it is in, "[damaged@N]!"), each checked to be b's bytes from there up to a frame's start (one of
 * `at`, n of them: the frame read on from), and taken out of s so that the rest reads as xz's: how many there were. */
static size_t take_out_raw_members(seen *s, const blob *b, const size_t *at, size_t n, const char *in)
{
    size_t k = 0, taken = 0;
    for (size_t m = 0; m < s->n; m++) {
        const char *c = s->m[m].chain;
        unsigned long long f = 0, step;
        int end = 0;
        if (strncmp(c, in, strlen(in)))
            goto keep;
        c += strlen(in);
        while (sscanf(c, "[damaged@%llu]%n", &step, &end) == 1 && end) { /* read-ons count from where they begin */
            f += step;
            c += end;
            if (*c != '!')
                break;
            c++;
            end = 0;
        }
        if (end && !*c) {
            size_t next = f + s->m[m].data.len, i = 0;
            while (i < n && at[i] != next)
                i++;
            cr_assert(i < n && next <= b->len && !memcmp(s->m[m].data.p, b->p + f, next - f),
                      "%s: %zu bytes, not up to a frame", s->m[m].chain, s->m[m].data.len);
            free(s->m[m].data.p);
            taken++;
            continue;
        }
    keep:
        s->m[k++] = s->m[m];
    }
    s->n = k;
    return taken;
}

/* A .zst of several frames, or several xz streams one after another, damaged in one: the frames after it were lost
 * with it, and nothing was said of them. Now the decoder finds the next frame's magic, and what follows is opened
 * there, as the member "[damaged@N]" (N: where that frame begins), its frames decoded. A damaged xz stream's bytes
 * between are not scanned as they are (part of a block may have been decoded, and would be found twice); a zstd
 * frame's, from the block that failed (none of it was handed out), are, as "[damaged@F]", where they can be read
 * again (always from a file or memory). */
Test(container, r_a_zstd_or_xz_stream_damaged_in_a_frame_has_the_frames_after_it_read, .timeout = KS_HANG_S(300))
{
    blob body[3] = {pseudo_random(300000, 31, 1), pseudo_random(300000, 32, 1), pseudo_random(300000, 33, 1)};
    static const char *const names[2] = {"k.zst", "k.xz"};
    for (int kind = 0; kind < 2; kind++) {
        blob b = {0};
        size_t at[3];
        for (int f = 0; f < 3; f++) {
            at[f] = b.len;
            zstd_or_xz_onto(&b, &body[f], kind);
        }
        memset(b.p + (at[1] + at[2]) / 2, 0xff, 64);
        char chain[64];
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(&b, names[kind], how, &s, &res), 0, "%d/%d", kind, how);
            cr_assert(s.problems == 1 && strstr(s.last_problem, kind ? "xz: corrupt data" : "zstd: "), "%d/%d: %s",
                      kind, how, s.last_problem);
            size_t raw = take_out_raw_members(&s, &b, at, 3, how == 2 ? "k.zst!" : "");
            cr_assert(kind ? !raw : raw == 1, "%d/%d: %zu", kind, how, raw);
            cr_assert_eq(s.n, 2, "%d/%d: the stream, then the frame after the damage", kind, how);
            cr_assert(s.m[0].data.len >= body[0].len && !memcmp(s.m[0].data.p, body[0].p, body[0].len), "%d/%d",
                      kind, how);
            snprintf(chain, sizeof chain, "%s[damaged@%zu]!data", how == 2 ? (kind ? "k.xz!" : "k.zst!") : "", at[2]);
            cr_assert_str_eq(s.m[1].chain, chain, "%d/%d", kind, how);
            cr_assert(s.m[1].data.len == body[2].len && !memcmp(s.m[1].data.p, body[2].p, body[2].len), "%d/%d",
                      kind, how);
            seen_free(&s);
        }
        free(b.p);
    }
    /* (review) a small frame between two damaged ones (it gave less than opens_at's trial read before the next
     * damage, and was passed over as bytes), and damage in a later frame's header (an xz stream's was no xz for
     * sure, and ended the read): A, B damaged, C of 2,000 bytes, D damaged, E */
    blob small = {.p = body[1].p, .len = 2000};
    const blob *parts[5] = {&body[0], &body[1], &small, &body[1], &body[2]};
    for (int kind = 0; kind < 2; kind++) {
        blob b = {0};
        size_t at[5];
        for (int f = 0; f < 5; f++) {
            at[f] = b.len;
            zstd_or_xz_onto(&b, parts[f], kind);
        }
        for (int f = 1; f < 5; f += 2) /* zstd: a reserved bit in its frame header; xz: its stream flags */
            b.p[at[f] + (kind ? 8 : 4)] ^= kind ? 0xff : 0x08;
        char chain[2][64];
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(&b, names[kind], how, &s, &res), 0, "%d/%d", kind, how);
            const char *in = how == 2 ? (kind ? "k.xz!" : "k.zst!") : "";
            /* zstd's damaged frames' bytes: B's from a file (D's, within C's read-on, were read from a member in
             * pieces, and are gone when D's damage shows); D's alone from a pipe or a tar (B's are gone) */
            size_t raw = take_out_raw_members(&s, &b, at, 5, in);
            cr_assert(kind ? !raw : raw == 1, "%d/%d: %zu", kind, how, raw);
            cr_assert_eq(s.n, 3, "%d/%d: A, C and E", kind, how);
            snprintf(chain[0], sizeof chain[0], "%s[damaged@%zu]!data", in, at[2]);
            snprintf(chain[1], sizeof chain[1], "%s[damaged@%zu]![damaged@%zu]!data", in, at[2], at[4] - at[2]);
            const blob *want[3] = {&body[0], &small, &body[2]};
            for (int m = 0; m < 3; m++) {
                cr_assert(s.m[m].data.len == want[m]->len && !memcmp(s.m[m].data.p, want[m]->p, want[m]->len),
                          "%d/%d: member %d, %zu bytes", kind, how, m, s.m[m].data.len);
                if (m)
                    cr_assert_str_eq(s.m[m].chain, chain[m - 1], "%d/%d", kind, how);
            }
            seen_free(&s);
        }
        free(b.p);
    }
    for (int f = 0; f < 3; f++)
        free(body[f].p);
}

/* A .zst cut inside a block: libzstd gives nothing of a compressed block it never had whole, and the bytes it took of
 * it were not scanned at all. From a file or memory they are now, from the last output on, as "[damaged@F]": a key
 * among a block's literals stored as they are is found there, once, at every cut after it. */
Test(container, r_a_zstd_cut_inside_a_block_has_its_bytes_scanned_as_they_are, .timeout = KS_HANG_S(120))
{
    static const char key[] = "AKIAQYLPMN5HHHFPZAM2";
    /* a block libzstd compresses (a 1,000-byte run again and again) whose literals are stored as they are (50 bytes
     * of noise after each run): the key among them, in the last block */
    blob run = pseudo_random(1000, 43, 0), noise = pseudo_random(300000, 44, 0), body = {.p = malloc(300000)};
    cr_assert(body.p);
    while (body.len + 1050 <= 300000) {
        memcpy(body.p + body.len, run.p, 1000);
        memcpy(body.p + body.len + 1000, noise.p + body.len, 50);
        body.len += 1050;
    }
    memcpy(body.p + 280000, key, sizeof key - 1);
    blob b = {0};
    zstd_or_xz_onto(&b, &body, 0);
    unsigned char *in = memmem(b.p, b.len, key, sizeof key - 1);
    cr_assert(in, "the key as it is in the compressed bytes");
    size_t key_at = (size_t)(in - b.p), raws = 0;
    for (size_t cut = key_at + sizeof key - 1; cut < b.len; cut += (b.len - key_at) / 5 + 1) {
        blob c = {.p = b.p, .len = cut};
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&c, "k.zst", &DEFAULTS, &s, &res), 0, "%zu", cut);
        cr_assert(s.problems == 1 && strstr(s.last_problem, "truncated zstd input"), "%zu: %s", cut, s.last_problem);
        size_t found = 0, raw = 0;
        for (size_t m = 0; m < s.n; m++) {
            for (const unsigned char *p = s.m[m].data.p, *e = p + s.m[m].data.len;
                 p && (p = memmem(p, (size_t)(e - p), key, sizeof key - 1)) != NULL; p++)
                found++;
            unsigned long long f;
            if (sscanf(s.m[m].chain, "[damaged@%llu]", &f) == 1) {
                raw++;
                cr_assert(f + s.m[m].data.len == cut && !memcmp(s.m[m].data.p, b.p + f, s.m[m].data.len), "%zu: %s",
                          cut, s.m[m].chain);
            }
        }
        cr_assert(found == 1 && raw <= 1, "%zu: the key %zu times, %zu members as they are", cut, found, raw);
        raws += raw;
        seen_free(&s);
    }
    cr_assert(raws >= 4, "a cut past the key leaves bytes that gave nothing: %zu", raws);
    free(b.p);
    free(body.p);
    free(run.p);
    free(noise.p);
}

static void put_bytes(blob *b, const void *p, size_t n);

/* A .zst whose first frame was damaged in its first block did not open, and was scanned as it is: a note after that
 * frame was found, the frames after it were lost. From a file or memory, the bytes up to the next frame are now the
 * member "[damaged@0]", scanned as they are, and the frames from there are opened as "[damaged@N]"; read in order (a
 * pipe, or a member), it is scanned as it is, as before. */
Test(container, r_a_zstd_damaged_in_its_first_block_has_the_frames_after_it_read, .timeout = KS_HANG_S(120))
{
    blob body[2] = {pseudo_random(300000, 41, 1), pseudo_random(200000, 42, 1)};
    static const char note[] = "\nnote: TOKEN=AKIAQYLPMN5HHHFPZAM2\n";
    blob b = {0};
    zstd_or_xz_onto(&b, &body[0], 0);
    b.p = realloc(b.p, b.len + sizeof note);
    cr_assert(b.p);
    memcpy(b.p + b.len, note, sizeof note - 1);
    b.len += sizeof note - 1;
    size_t second = b.len;
    zstd_or_xz_onto(&b, &body[1], 0);
    zstd_or_xz_onto(&b, &body[0], 0); /* a third, read on from the second */
    memset(b.p + 40, 0xff, 64);      /* in the first block */
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&b, "k.zst", &DEFAULTS, &s, &res), 0);
    cr_assert(s.problems == 1 && strstr(s.last_problem, "Data corruption") &&
                  strstr(s.last_problem, "up to the next frame") && res.containers >= 1,
              "%zu: %s", s.problems, s.last_problem);
    cr_assert_eq(s.n, 2, "the bytes up to the second frame, then its frames: %zu", s.n);
    cr_assert_str_eq(s.m[0].chain, "[damaged@0]");
    cr_assert(s.m[0].data.len == second && !memcmp(s.m[0].data.p, b.p, second), "%zu bytes", s.m[0].data.len);
    char chain[48];
    snprintf(chain, sizeof chain, "[damaged@%zu]!data", second);
    cr_assert_str_eq(s.m[1].chain, chain);
    cr_assert(s.m[1].data.len == body[1].len + body[0].len && !memcmp(s.m[1].data.p, body[1].p, body[1].len) &&
                  !memcmp(s.m[1].data.p + body[1].len, body[0].p, body[0].len),
              "%zu bytes", s.m[1].data.len);
    seen_free(&s);
    /* no frame after the damaged one: all of it as it is, as before */
    blob one = {.p = b.p, .len = second};
    cr_assert_eq(expand_both(&one, "k.zst", &DEFAULTS, &s, &res), 1);
    cr_assert(s.n == 0 && s.problems == 1 && strstr(s.last_problem, "damaged, scanned as it is: zstd: "), "%s",
              s.last_problem);
    seen_free(&s);
    /* a pipe: as it is (said) */
    cr_assert_eq(expand_piped(&b, "k.zst", &s, &res), 1);
    cr_assert(s.n == 0 && s.problems == 1 && strstr(s.last_problem, "damaged, scanned as it is: zstd: "), "%s",
              s.last_problem);
    seen_free(&s);
    /* (review) behind a skippable frame (pzstd begins so), the next frame was looked for from byte 4: the damaged
     * frame's own magic was taken for it, which failed again, and the frames after it were lost */
    blob sk = {0};
    put_bytes(&sk, "\x50\x2a\x4d\x18\x03\0\0\0abc", 11);
    put_bytes(&sk, b.p, b.len);
    cr_assert_eq(expand_both(&sk, "k.zst", &DEFAULTS, &s, &res), 0);
    snprintf(chain, sizeof chain, "[damaged@%zu]!data", second + 11);
    cr_assert(s.n == 2 && !strcmp(s.m[0].chain, "[damaged@0]") && s.m[0].data.len == second + 11 &&
                  !strcmp(s.m[1].chain, chain) && s.m[1].data.len == body[1].len + body[0].len,
              "%zu members: %s", s.n, s.n ? s.m[s.n - 1].chain : s.last_problem);
    seen_free(&s);
    free(sk.p);
    free(b.p);
    free(body[0].p);
    free(body[1].p);
}

/* `n` bytes at `p` appended to `b`. */
static void put_bytes(blob *b, const void *p, size_t n)
{
    b->p = realloc(b->p, b->len + n);
    cr_assert(b->p);
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* Raw deflate of `n` bytes at `p` appended to `b`, as zlib writes it: ending the stream (Z_FINISH) or on a byte
 * boundary with an empty stored block (Z_SYNC_FLUSH), each call a compressor of its own (nothing refers back before
 * it). */
static void deflate_onto(blob *b, const void *p, size_t n, int flush)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t room = deflateBound(&z, n) + 16;
    b->p = realloc(b->p, b->len + room);
    cr_assert(b->p);
    z.next_in = (unsigned char *)(uintptr_t)p;
    z.avail_in = (unsigned)n;
    z.next_out = b->p + b->len;
    z.avail_out = (unsigned)room;
    cr_assert(deflate(&z, flush) == (flush == Z_FINISH ? Z_STREAM_END : Z_OK) && !z.avail_in);
    b->len += room - z.avail_out;
    deflateEnd(&z);
}

/* A .gz under 4 KiB out, cut inside coded data, has its bytes scanned as they are too ([damaged@0]): text after a
 * gzip header can read as deflate that wants more. One whose deflate held a stored block before the cut had that
 * block's bytes, a key among them, reported twice: once decoded, once as they are. Text never reads as a stored block,
 * so a stream that holds one is deflate, and its bytes are now scanned once. */
Test(container, r_a_small_gz_cut_after_a_stored_block_is_scanned_once, .timeout = KS_HANG_S(300))
{
    static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    static const char coded[] = "alpha beta gamma alpha beta gamma alpha beta\nkey KSTEST_C0DEDK3Y9X4Q2W7Z\n";
    static const char stored[] = "line one\nkey KSTEST_ST0REDK3YM5N8B1V\nmore text here\n";
    static const char tail[] = "delta epsilon delta epsilon delta epsilon\nkey KSTEST_TH1RDK3YQ7P2L5R8\nzeta eta\n";
    blob gz = {0};
    gz.p = malloc(sizeof head);
    cr_assert(gz.p);
    memcpy(gz.p, head, sizeof head);
    gz.len = sizeof head;
    deflate_onto(&gz, coded, sizeof coded - 1, Z_SYNC_FLUSH);
    uint16_t len = sizeof stored - 1, nlen = (uint16_t)~len;
    unsigned char sh[5] = {0, (unsigned char)len, (unsigned char)(len >> 8), (unsigned char)nlen,
                           (unsigned char)(nlen >> 8)};
    gz.p = realloc(gz.p, gz.len + sizeof sh + len);
    cr_assert(gz.p);
    memcpy(gz.p + gz.len, sh, sizeof sh);
    memcpy(gz.p + gz.len + sizeof sh, stored, len);
    gz.len += sizeof sh + len;
    size_t tail_at = gz.len;
    deflate_onto(&gz, tail, sizeof tail - 1, Z_FINISH);
    size_t before = sizeof coded - 1 + len; /* what comes out of the blocks before the cut one */
    for (size_t cut = tail_at + 1; cut < gz.len; cut++) {
        blob c = {.p = gz.p, .len = cut};
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(&c, "k.gz", how, &s, &res), 0);
            cr_assert(s.n == 1 && s.problems == 1 && strstr(s.last_problem, "truncated gzip input"),
                      "cut at %zu/%d: %zu members (%s), %s", cut, how, s.n, s.n > 1 ? s.m[1].chain : "",
                      s.last_problem);
            cr_assert(s.m[0].data.len >= before && !memcmp(s.m[0].data.p, coded, sizeof coded - 1) &&
                          !memcmp(s.m[0].data.p + sizeof coded - 1, stored, len),
                      "cut at %zu/%d: %zu out", cut, how, s.m[0].data.len);
            seen_free(&s);
        }
    }
    /* (review) the member cut short is the one looked at: text after a second gzip header, after a member holding a
     * stored block, is still scanned as it is (it was lost); a second member of a stored block, then coded data, cut,
     * is scanned once */
    static const char text_key[] = "bxxno KSTEST_N2Q8ZIW4DIJ0HGHJ y\n";
    static const unsigned char trailer[8] = {0}; /* (the CRC is not checked) */
    unsigned char fin[5] = {1, sh[1], sh[2], sh[3], sh[4]};
    for (int c = 0; c < 2; c++) {
        blob two = {0};
        put_bytes(&two, head, sizeof head);
        if (c == 0) { /* a member of one final stored block */
            put_bytes(&two, fin, sizeof fin);
            put_bytes(&two, stored, len);
        } else {
            deflate_onto(&two, coded, sizeof coded - 1, Z_FINISH);
        }
        put_bytes(&two, trailer, sizeof trailer);
        put_bytes(&two, head, sizeof head);
        if (c == 0) /* then text after a gzip header */
            put_bytes(&two, text_key, sizeof text_key - 1);
        else /* then the deflate of the member above (a stored block, then coded data), cut */
            put_bytes(&two, gz.p + sizeof head, gz.len - sizeof head - 4);
        for (int how = 0; how < 3; how++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_how(&two, "k.gz", how, &s, &res), 0);
            if (c == 0) {
                cr_assert(s.n == 2 && strstr(s.m[1].chain, "[damaged@0]") && s.m[1].data.len == two.len &&
                              !memcmp(s.m[1].data.p, two.p, two.len),
                          "%d: %zu members", how, s.n);
            } else {
                cr_assert(s.n == 1 && s.problems == 1, "%d: %zu members (%s)", how, s.n, s.n > 1 ? s.m[1].chain : "");
            }
            seen_free(&s);
        }
        free(two.p);
    }
    free(gz.p);
}

/* A review of decoding lz4 ourselves (a helper, 217 generated files against 3b63c3c) found three losses: (1) a frame
 * error took with it what liblz4 had decoded in the same call (up to 256 KiB of good blocks before a bad checksum:
 * a key lost, and a stream that failed in its first call was scanned as its compressed bytes); (2) a frame cut at a
 * block's end lost all but the first 256 KiB of that block, which liblz4 still held at the source's end; (3) a legacy
 * block whose size reads 1f 8b 08 00 was taken for a gzip after the stream. And a tar whose first name is short
 * ("./") after a legacy stream was taken for a block, lost with what it held. Now liblz4 is given a block at a time,
 * drained at the source's end, and a legacy block's first bytes decide whether it begins a gzip or a tar. */
Test(container, r_review_of_decoding_lz4_ourselves, .timeout = KS_HANG_S(300))
{
    size_t L = 5u << 20;
    blob body = pseudo_random(L, 4242, 1);
    seen s;
    ks_container_result res;
    /* (1) a frame of 64 KiB blocks whose content checksum is wrong: every byte handed over, then the error */
    blob small = {.p = body.p, .len = 300000};
    blob f1 = lz4_frame(&small, LZ4F_max64KB);
    f1.p[f1.len - 1] ^= 1;
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&f1, "k.lz4", &s, &res) : expand_both(&f1, "k.lz4", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%s", s.last_problem);
        cr_assert(strstr(s.last_problem, "lz4: stream checksum error"), "%s", s.last_problem);
        cr_assert(s.m[0].data.len == small.len && !memcmp(s.m[0].data.p, small.p, small.len), "(1) piped %d: %zu bytes",
                  piped, s.m[0].data.len);
        seen_free(&s);
    }
    /* (2) a frame of 4 MiB blocks cut after its second block (its end mark and checksum gone) */
    blob f2 = lz4_frame(&body, LZ4F_max4MB);
    blob cut = {.p = f2.p, .len = f2.len - 8};
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&cut, "k.lz4", &s, &res) : expand_both(&cut, "k.lz4", &DEFAULTS, &s, &res),
                     0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%s", s.last_problem);
        cr_assert(strstr(s.last_problem, "truncated"), "%s", s.last_problem);
        cr_assert(s.m[0].data.len == L && !memcmp(s.m[0].data.p, body.p, L), "(2) piped %d: %zu bytes", piped,
                  s.m[0].data.len);
        seen_free(&s);
    }
    /* (3) a legacy stream whose one block's size reads 1f 8b 08 00 (559,903 bytes: hard-to-compress bytes of the
     * length that compresses to it), then a note */
    blob noise = pseudo_random(600000, 4243, 0);
    memcpy(noise.p, "AKIAQYLPMN5HHHFPZAM2\n", 21);
    blob leg = {0};
    for (noise.len = 557000; noise.len < 559903; noise.len++) {
        leg = legacy_lz4(&noise);
        if (!memcmp(leg.p + 4, "\x1f\x8b\x08\x00", 4))
            break;
        free(leg.p);
        leg.p = NULL;
    }
    cr_assert(leg.p, "no length compresses to 559,903 bytes");
    blob note = text("a note after it\n"), withnote = joined(&leg, &note);
    char want[48];
    snprintf(want, sizeof want, "[trailing@%zu]", leg.len);
    cr_assert_eq(expand_both(&withnote, "k.lz4", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert(s.m[0].data.len == noise.len && !memcmp(s.m[0].data.p, noise.p, noise.len), "(3): %zu bytes",
              s.m[0].data.len);
    assert_last_member(&s, "(3)", want, &note);
    seen_free(&s);
    /* (4) a legacy stream, then a tar whose first name is "./" (its first bytes read as a block size of 12,078) */
    const char *tn[] = {"./", "./k.txt"};
    blob tb[] = {text(""), text("TOKEN=AKIAQYLPMN5HHHFPZAM3\n")};
    blob dot = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tn, tb, 2);
    cr_assert(!memcmp(dot.p, "./\0\0", 4));
    blob leg2 = legacy_lz4(&small), withdot = joined(&leg2, &dot);
    snprintf(want, sizeof want, "[trailing@%zu]!./k.txt", leg2.len);
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&withdot, "k.lz4", &s, &res)
                           : expand_both(&withdot, "k.lz4", &DEFAULTS, &s, &res),
                     0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
        cr_assert(s.m[0].data.len == small.len && !memcmp(s.m[0].data.p, small.p, small.len), "(4) piped %d", piped);
        assert_last_member(&s, "(4)", want, &tb[1]);
        seen_free(&s);
    }
    free(withdot.p), free(leg2.p), free(dot.p), free(withnote.p), free(leg.p), free(noise.p), free(f2.p), free(f1.p);
    free(body.p);
}

/* A second review of decoding lz4 ourselves (a helper, some 150 crafted files against 3b63c3c) found: (1) a frame
 * with block checksums cut inside its first block's checksum gave nothing (the whole block was there, and the
 * salvage took only a cut one): scanned as its compressed bytes, nothing said; (2) a tar whose first name is one
 * byte after a legacy stream ("k\0\0\0" reads as a 107-byte block, shorter than the bytes looked at) was taken for a
 * block that did not decode, and lost, as in the old build; (3) a stream that ends with an empty skippable frame was
 * said to be cut. */
Test(container, r_second_review_of_decoding_lz4, .timeout = KS_HANG_S(120))
{
    seen s;
    ks_container_result res;
    /* (1) one 64 KiB block with its checksum, cut 2 bytes into the checksum */
    blob body = {.p = malloc(60000), .len = 0};
    cr_assert(body.p);
    while (body.len < 59900)
        body.len += (size_t)sprintf((char *)body.p + body.len, "line %zu of the body, compressible\n", body.len);
    LZ4F_preferences_t prefs = {.frameInfo = {.blockSizeID = LZ4F_max64KB, .blockChecksumFlag = LZ4F_blockChecksumEnabled}};
    size_t cap = LZ4F_compressFrameBound(body.len, &prefs);
    blob f = {.p = malloc(cap)};
    cr_assert(f.p);
    f.len = LZ4F_compressFrame(f.p, cap, body.p, body.len, &prefs);
    cr_assert(!LZ4F_isError(f.len));
    uint32_t word;
    memcpy(&word, f.p + 7, 4); /* after the magic, FLG, BD and the header checksum */
    cr_assert(!(word >> 31), "a compressed block");
    blob cut = {.p = f.p, .len = 7 + 4 + word + 2};
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&cut, "k.lz4", &s, &res) : expand_both(&cut, "k.lz4", &DEFAULTS, &s, &res),
                     0, "(1) opened");
        cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%s", s.last_problem);
        cr_assert(s.m[0].data.len == body.len && !memcmp(s.m[0].data.p, body.p, body.len), "(1) piped %d: %zu bytes",
                  piped, s.m[0].data.len);
        seen_free(&s);
    }
    /* (2) a legacy stream, then a tar whose first member is named "k" */
    const char *tn[] = {"k"};
    blob tb = text("TOKEN=AKIAQYLPMN5HHHFPZAM3\n");
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tn, &tb, 1);
    blob leg = legacy_lz4(&body), withtar = joined(&leg, &tar);
    char want[48];
    snprintf(want, sizeof want, "[trailing@%zu]!k", leg.len);
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&withtar, "k.lz4", &s, &res)
                           : expand_both(&withtar, "k.lz4", &DEFAULTS, &s, &res),
                     0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "(2): %s", s.last_problem);
        assert_last_member(&s, "(2)", want, &tb);
        seen_free(&s);
    }
    /* (3) a frame, then an empty skippable frame */
    blob skip = {.p = (unsigned char *)"\x5f\x2a\x4d\x18\0\0\0\0", .len = 8}, ended = joined(&f, &skip);
    cr_assert_eq(expand_both(&ended, "k.lz4", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_COMPLETE, "(3): %s", s.last_problem);
    cr_assert_eq(s.problems, 0, "(3): %s", s.last_problem);
    cr_assert_eq(s.n, 1);
    seen_free(&s);
    free(ended.p), free(withtar.p), free(leg.p), free(tar.p), free(f.p), free(body.p);
}

/* An lz4 stream read from a pipe ends four bytes before what its filter took, when more was read: a read that ended
 * exactly four bytes past the stream (64 KiB pipe reads hit it for one stream length in 65,536) left nothing more
 * read, the end was taken to be the filter's, and the trailing data lost its first four bytes (a key there lost, or
 * named four bytes late). A frame padded with a skippable frame to end anywhere near a read's end: file and pipe
 * agree. (Review, reproduced first.) */
Test(container, r_an_lz4_stream_that_ends_four_bytes_before_a_pipe_read, .timeout = KS_HANG_S(120))
{
    const char *n[] = {"k"};
    blob inner = text("key AKIAQYLPMN5HHHFPZAM2\n"), note = text("KEY AKIAQYLPMN5HHHFPZAM3 a note after it\n");
    blob frame = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, n, &inner, 1);
    /* expand_piped's reads: its head (KS_CONTAINER_MAGIC_LEN bytes), then 256 KiB at a time */
    size_t boundary = KS_CONTAINER_MAGIC_LEN + (256u << 10);
    for (int d = -6; d <= 6; d++) {
        size_t total = boundary - 4 + (size_t)(long)d, pad = total - frame.len - 8;
        blob b = {.p = calloc(1, total + note.len), .len = total + note.len};
        memcpy(b.p, frame.p, frame.len);
        memcpy(b.p + frame.len, "\x50\x2a\x4d\x18", 4); /* a skippable frame of `pad` bytes */
        uint32_t pad32 = (uint32_t)pad;
        memcpy(b.p + frame.len + 4, &pad32, 4);
        memcpy(b.p + total, note.p, note.len);
        char want[32];
        snprintf(want, sizeof want, "[trailing@%zu]", total);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&b, "k.lz4", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(s.n, 2, "d %d: %zu members", d, s.n);
        assert_last_member(&s, "lz4 file", want, &note);
        seen_free(&s);
        cr_assert_eq(expand_piped(&b, "k.lz4", &s, &res), 0);
        cr_assert_eq(s.n, 2, "d %d piped: %zu members", d, s.n);
        assert_last_member(&s, "lz4 piped", want, &note);
        seen_free(&s);
        free(b.p);
    }
    free(frame.p);
}

/* A 7z read from a pipe (standard input) lost every member: libarchive's 7z reader seeks to the index at the
 * archive's end, which a pipe cannot, and that was said as a corrupt member (a warning: exit 0, nothing found). It
 * is now held in memory whole, up to KS_CONTAINER_SPOOL_MAX, and opened there as a file's is (what follows it
 * too); a bigger one is handed back to be scanned as its bytes, said, and the expansion stops at a limit. */
Test(container, r_a_piped_7z_is_opened_in_memory_up_to_its_limit, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"a.txt", "b/c.txt"};
    blob datas[] = {text("key AKIAQYLPMN5HHHFPZAM2\n"), text("other AKIAQYLPMN5HHHFPZAM3\n")};
    blob arc = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, names, datas, 2);
    blob note = text("a note after it\n");
    blob with = joined(&arc, &note);
    seen f, p;
    ks_container_result fres, pres;
    cr_assert_eq(expand_both(&with, "x.7z", &DEFAULTS, &f, &fres), 0);
    cr_assert_eq(f.n, 3, "two members and the note");
    cr_assert_eq(expand_piped(&with, "x.7z", &p, &pres), 0);
    cr_assert_eq(pres.stop, KS_CONT_COMPLETE, "%s", p.last_problem);
    cr_assert_eq(pres.bytes_read, with.len);
    cr_assert_eq(p.n, f.n);
    for (size_t i = 0; i < f.n; i++) {
        cr_assert_str_eq(p.m[i].chain, f.m[i].chain);
        cr_assert(p.m[i].data.len == f.m[i].data.len && !memcmp(p.m[i].data.p, f.m[i].data.p, f.m[i].data.len));
    }
    seen_free(&f);
    seen_free(&p);
    /* one byte past the limit: the 7z's magic and zeros */
    size_t big = KS_CONTAINER_SPOOL_MAX + 1;
    unsigned char *z = calloc(1, big);
    memcpy(z, "7z\xbc\xaf\x27\x1c", 6);
    int fd = memfd_create("p", MFD_CLOEXEC);
    cr_assert(fd >= 0 && write(fd, z, big) == (ssize_t)big);
    size_t hl = KS_CONTAINER_MAGIC_LEN;
    cr_assert_eq(lseek(fd, (off_t)hl, SEEK_SET), (off_t)hl);
    unsigned char *replay = NULL;
    size_t replay_len = 0;
    memset(&p, 0, sizeof p);
    cr_assert_eq(ks__container_expand_pipe(z, hl, fd, 0, "big.7z", &DEFAULTS, &SINK, &p, &pres, &replay, &replay_len),
                 1, "scanned as bytes");
    cr_assert_eq(pres.stop, KS_CONT_LIMIT);
    cr_assert(p.problems == 1 && p.fatal == 1 && strstr(p.last_problem, "needs random access"), "%s", p.last_problem);
    /* what was read after the head is handed back, and the caller reads on from there: every byte once */
    cr_assert_eq((uint64_t)lseek(fd, 0, SEEK_CUR), hl + replay_len);
    cr_assert(replay_len > KS_CONTAINER_SPOOL_MAX - hl && !memcmp(replay, z + hl, replay_len));
    free(replay);
    close(fd);
    free(z);
    free(with.p);
    free(arc.p);
}

/* `cat a.tar note b.tar.gz` lost b's keys, compressed, read from a file or a pipe alike, and `cat a.zip note b.zip` did
 * through a pipe: trailing data was opened only when a container began it. Its first MiB is now looked through for
 * one that more than its magic confirms: the bytes before it are a member, the container another, named where
 * each begins, whatever way the object is read. A note whose text holds "PK\3\4" and "BZh9", and binary bytes
 * with a gzip magic and a flag RFC 1952 reserves, stay one member; at the depth limit nothing is looked for. */
Test(container, r_a_container_after_a_note_in_trailing_data, .timeout = KS_HANG_S(120))
{
    blob ka = text("key AKIAQYLPMN5HHHFPZAM2\n"), kb = text("other AKIAQYLPMN5HHHFPZAM3\n");
    blob note = text("a note PK\x03\x04 as text, then\nBZh91 at a line's start\n");
    const char *na[] = {"a.txt"}, *nb[] = {"b.txt"};
    static const struct {
        int first, second, filter;
    } shapes[] = {{ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP},
                  {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE},
                  {ARCHIVE_FORMAT_ZIP, ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE},
                  {ARCHIVE_FORMAT_ZIP, ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ},
                  {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        blob a = write_archive(shapes[k].first, ARCHIVE_FILTER_NONE, na, &ka, 1);
        blob b = write_archive(shapes[k].second, shapes[k].filter, nb, &kb, 1);
        blob an = joined(&a, &note), all = joined(&an, &b);
        /* a tar's padding is zeros: its trailing data is named from the note's first byte, a.len */
        char want_note[64], want_b[64];
        snprintf(want_note, sizeof want_note, "[trailing@%zu]", a.len);
        snprintf(want_b, sizeof want_b, "[trailing@%zu]!b.txt", a.len + note.len); /* a .tar.gz's tar is no level */
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&all, "ab", &s, &res) : expand_both(&all, "ab", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "shape %zu piped %d: %s", k, piped, s.last_problem);
            cr_assert_eq(s.n, 3, "shape %zu piped %d: %zu members (%s)", k, piped, s.n, s.n ? s.m[s.n - 1].chain : "");
            cr_assert_str_eq(s.m[0].chain, "a.txt");
            cr_assert_str_eq(s.m[1].chain, want_note, "shape %zu piped %d", k, piped);
            cr_assert(s.m[1].data.len == note.len && !memcmp(s.m[1].data.p, note.p, note.len), "shape %zu", k);
            cr_assert_str_eq(s.m[2].chain, want_b, "shape %zu piped %d: %s", k, piped, s.m[2].chain);
            cr_assert(s.m[2].data.len == kb.len && !memcmp(s.m[2].data.p, kb.p, kb.len), "shape %zu", k);
            seen_free(&s);
        }
        /* at the depth limit the trailing data is one member, as it is (a file's zip after a zip is cut at b's
         * start by the end records, whatever the depth: b is then a member of its own, not opened) */
        ks_container_limits one = DEFAULTS;
        one.max_depth = 1;
        seen s;
        ks_container_result res;
        int by_ends = shapes[k].first == ARCHIVE_FORMAT_ZIP && shapes[k].second == ARCHIVE_FORMAT_ZIP;
        cr_assert_eq(expand_both(&all, "ab", &one, &s, &res), 0);
        cr_assert_eq(s.n, by_ends ? 3 : 2, "shape %zu, depth 1: %zu members", k, s.n);
        cr_assert_str_eq(s.m[1].chain, want_note);
        cr_assert_eq(s.m[1].data.len, by_ends ? note.len : note.len + b.len);
        cr_assert(!by_ends || s.m[2].data.len == b.len, "shape %zu, depth 1: b's bytes as they are", k);
        seen_free(&s);
        free(all.p);
        free(an.p);
        free(a.p);
        free(b.p);
    }
    /* (fuzz) the bytes before the container ran past the bytes budget: their member was begun and never ended */
    {
        static char big[100000];
        memset(big, 'n', sizeof big - 1);
        blob a = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, na, &ka, 1);
        blob b = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, nb, &kb, 1);
        blob bn = text(big), an = joined(&a, &bn), all = joined(&an, &b);
        ks_container_limits small = DEFAULTS;
        small.max_output = 64u << 10;
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            int rc = piped ? expand_piped_with(&all, "ab", &small, &s, &res) : expand_both(&all, "ab", &small, &s, &res);
            cr_assert_eq(rc, 0);
            cr_assert_eq(res.stop, KS_CONT_LIMIT, "piped %d: %s", piped, s.last_problem);
            cr_assert_eq(s.total, s.n, "piped %d: %zu members begun, %zu ended", piped, s.total, s.n);
            seen_free(&s);
        }
        free(all.p);
        free(an.p);
        free(a.p);
        free(b.p);
    }
    /* (review) a container that begins in the first MiB with its header running past it was not found */
    {
        blob a = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, na, &ka, 1);
        blob b = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, nb, &kb, 1);
        size_t long_n = KS_CONTAINER_LEAD_MAX - 5;
        char *long_note = malloc(long_n + 1);
        cr_assert_not_null(long_note);
        memset(long_note, 'n', long_n);
        long_note[long_n] = '\0';
        blob ln = text(long_note), an = joined(&a, &ln), all = joined(&an, &b);
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&all, "ab", &s, &res) : expand_both(&all, "ab", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(s.n, 3, "piped %d: %zu members", piped, s.n);
            cr_assert(s.m[2].data.len == kb.len && !memcmp(s.m[2].data.p, kb.p, kb.len), "piped %d", piped);
            seen_free(&s);
        }
        free(all.p);
        free(an.p);
        free(a.p);
        free(b.p);
        free(long_note);
    }
    /* bytes with no container in them: a gzip magic whose flags byte has a reserved bit, and the note's look-alikes */
    blob a = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, na, &ka, 1);
    static unsigned char junk[70000];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)((i * 131 + 7) % 251);
    memcpy(junk + 1000, "\x1f\x8b\x08\xe0", 4);
    blob j = {.p = junk, .len = sizeof junk};
    blob an = joined(&a, &note), all = joined(&an, &j);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&all, "aj", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.m[1].data.len, note.len + j.len, "the note and the bytes after it: one member");
    seen_free(&s);
    free(all.p);
    free(an.p);
    free(a.p);
}

/* Trailing data whose first bytes hold what only looks like a container's header (a gzip header before bytes that
 * inflate to nothing, a 7z signature whose start header's CRC is wrong, an xz header whose CRC is wrong), then a real
 * container: only the first look-alike was tried, it failed to open, and the real one was scanned as bytes (its
 * compressed members never read). Each candidate is now opened on the bytes at hand first, and passed over when it
 * does not open; also when more than the first MiB follows (a failure that is no truncation). */
Test(container, r_a_false_container_header_before_a_real_one_in_trailing_data, .timeout = KS_HANG_S(120))
{
    blob ka = text("key AKIAQYLPMN5HHHFPZAM2\n"), kb = text("other AKIAQYLPMN5HHHFPZAM3\n");
    const char *na[] = {"a.txt"}, *nb[] = {"b.txt"};
    blob a = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, na, &ka, 1);
    blob b = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, nb, &kb, 1);
    for (int longer = 0; longer <= 1; longer++) {
        /* the junk before b: 600 KiB, then (longer) 600 KiB more after b, so that the look runs out of bytes */
        size_t jn = 600u << 10;
        unsigned char *junk = malloc(jn);
        cr_assert_not_null(junk);
        for (size_t i = 0; i < jn; i++)
            junk[i] = (unsigned char)((i * 131 + 7) % 251);
        memcpy(junk + 100, "\x1f\x8b\x08\x00\0\0\0\0\0\x03\xff\xff\xff\xff", 14); /* deflate block type 3 */
        memcpy(junk + 300, "7z\xbc\xaf\x27\x1c\0\x04", 8);                  /* a start header's CRC of zeros */
        memset(junk + 308, 0, 24);
        memcpy(junk + 500, "\xfd" "7zXZ\0\0\x01\0\0\0\0", 12);               /* its stream flags' CRC wrong */
        blob j = {.p = junk, .len = jn};
        blob aj = joined(&a, &j), all = joined(&aj, &b);
        if (longer) {
            blob more = {.p = junk, .len = jn}, with = joined(&all, &more);
            free(all.p);
            all = with;
        }
        char want_j[64], want_b[64];
        snprintf(want_j, sizeof want_j, "[trailing@%zu]", a.len);
        snprintf(want_b, sizeof want_b, "[trailing@%zu]!b.txt", a.len + jn);
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&all, "ajb", &s, &res) : expand_both(&all, "ajb", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "longer %d piped %d: %s", longer, piped, s.last_problem);
            cr_assert_geq(s.n, 3, "longer %d piped %d: %zu members", longer, piped, s.n);
            cr_assert_str_eq(s.m[1].chain, want_j, "longer %d piped %d", longer, piped);
            cr_assert(s.m[1].data.len == jn && !memcmp(s.m[1].data.p, junk, jn), "the junk, whole");
            cr_assert_str_eq(s.m[2].chain, want_b, "longer %d piped %d: %s", longer, piped, s.m[2].chain);
            cr_assert(s.m[2].data.len == kb.len && !memcmp(s.m[2].data.p, kb.p, kb.len));
            cr_assert_eq(s.n, 3u + longer, "and the junk after b, when there is some");
            seen_free(&s);
        }
        free(all.p);
        free(aj.p);
        free(junk);
    }
    /* (review) the try was stricter than the expansion: a zip whose first member fails its CRC (scanned as it is,
     * said) was taken for no zip, and its members were lost (e2e t_r_a_container_after_a_note_in_trailing_data has
     * an encrypted first member, which Python's zipfile writes with its sizes, as a stream reader needs them) */
    {
        const char *zn[] = {"k1.txt", "k2.txt"};
        blob zd[] = {text("one AKIAQYLPMN5HHHFPZAM4\n"), text("two AKIAQYLPMN5HHHFPZAM5\n")};
        blob note = text("a note\n");
        blob z = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, zn, zd, 2);
        /* k1.txt's CRC wrong wherever a reader takes it: its local header or data descriptor (read as it streams),
         * its directory record (read by the directory) */
        unsigned char *dd = memmem(z.p, z.len, "PK\x07\x08", 4), *cd = memmem(z.p, z.len, "PK\x01\x02", 4);
        cr_assert_not_null(cd);
        if (dd)
            dd[4] ^= 0xff;
        z.p[14] ^= 0xff;
        cd[16] ^= 0xff;
        blob an = joined(&a, &note), all = joined(&an, &z);
        char want[64];
        snprintf(want, sizeof want, "[trailing@%zu]!k2.txt", a.len + note.len);
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&all, "az", &s, &res) : expand_both(&all, "az", &DEFAULTS, &s, &res), 0);
            cr_assert_str_eq(s.m[s.n - 1].chain, want, "piped %d: %s (%zu members, first %s; %s)", piped,
                             s.m[s.n - 1].chain, s.n, s.m[0].chain, s.last_problem);
            cr_assert(s.m[s.n - 1].data.len == zd[1].len && !memcmp(s.m[s.n - 1].data.p, zd[1].p, zd[1].len));
            cr_assert(s.problems >= 1 && strstr(s.last_problem, "damaged"), "piped %d: %s", piped, s.last_problem);
            seen_free(&s);
        }
        free(all.p);
        free(an.p);
        free(z.p);
    }
    /* (review) each try decodes up to a block: at most TRIES_PER_LOOK (8) candidates are tried in one look, and the
     * next is taken untried, as before trying. 8 look-alikes, then b: b is taken and opens; 9: the 9th is taken, fails
     * to open, and the rest is scanned as the bytes it is */
    for (int fakes = 8; fakes <= 9; fakes++) {
        size_t jn = 4096;
        unsigned char *junk = calloc(1, jn);
        cr_assert_not_null(junk);
        memset(junk, 'n', jn);
        for (int f = 0; f < fakes; f++)
            memcpy(junk + 100 + 200 * f, "\x1f\x8b\x08\x00\0\0\0\0\0\x03\xff\xff\xff\xff", 14);
        blob jb = {.p = junk, .len = jn};
        blob aj = joined(&a, &jb), all = joined(&aj, &b);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&all, "ajb", &DEFAULTS, &s, &res), 0);
        if (fakes == 8) {
            cr_assert_eq(s.n, 3, "%zu members", s.n);
            cr_assert(s.m[2].data.len == kb.len && !memcmp(s.m[2].data.p, kb.p, kb.len));
        } else {
            cr_assert_eq(s.n, 3, "%zu members", s.n);
            cr_assert_eq(s.m[2].data.len, jn - (100 + 200 * 8) + b.len, "from the 9th look-alike on, as bytes");
        }
        seen_free(&s);
        free(all.p);
        free(aj.p);
        free(junk);
    }
    free(a.p);
    free(b.p);
}

/* A zip after a lead was looked for by a local header that begins in the first MiB and is whole there: one that began
 * just before 1 MiB with its name running past it was not taken, and the zip's members were scanned compressed
 * (a member's, a pipe's, the streaming API's lead). KS_CONTAINER_LEAD_READ bytes are now read, so that a header that
 * begins before KS_CONTAINER_LEAD_MAX is whole; one that begins at it is still not looked for. */
Test(container, r_a_zip_header_across_the_first_mib_after_a_lead, .timeout = KS_HANG_S(120))
{
    char long_name[201];
    memset(long_name, 'd', 200);
    long_name[200] = '\0';
    memcpy(long_name, "deep/", 5);
    const char *in_names[] = {long_name};
    blob props = text("app.key=AKIAQYLPMN5HHHFPZAM2\n");
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, in_names, &props, 1);
    for (int at_max = 0; at_max <= 1; at_max++) {
        size_t lead_len = KS_CONTAINER_LEAD_MAX - (at_max ? 0 : 100); /* the header runs 130 bytes past it */
        blob lead = {.p = malloc(lead_len), .len = lead_len};
        cr_assert_not_null(lead.p);
        for (size_t i = 0; i < lead_len; i++)
            lead.p[i] = i % 64 == 63 ? '\n' : '#';
        memcpy(lead.p, "#!/bin/sh\n", 10);
        blob jar = joined(&lead, &zip);
        const char *names[] = {"opt/app.run"};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &jar, 1);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&tar, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
        if (!at_max) {
            char chain[256];
            snprintf(chain, sizeof chain, "opt/app.run!%s", long_name);
            cr_assert_eq(s.n, 2, "the zip's member and the lead: %zu", s.n);
            cr_assert_str_eq(s.m[0].chain, chain);
            cr_assert(s.m[0].data.len == props.len && !memcmp(s.m[0].data.p, props.p, props.len));
            cr_assert_str_eq(s.m[1].chain, "opt/app.run");
            cr_assert(s.m[1].data.len == lead.len && !memcmp(s.m[1].data.p, lead.p, lead.len));
        } else {
            cr_assert_eq(s.n, 1, "a zip at 1 MiB is not looked for: the member as its bytes");
            cr_assert_eq(s.m[0].data.len, jar.len);
        }
        seen_free(&s);
        free(tar.p);
        free(jar.p);
        free(lead.p);
    }
    free(zip.p);
}

/* A zip appended to a zip in a file or in memory (`cat a.zip b.zip`): libarchive read it by the last end record,
 * b's, and a's members were never read, while a pipe read both. Now a is read first, by its own end record, and b
 * after it as trailing data, as the pipe names them (a corrupt member of a stops only itself). And what followed a
 * zip after a launch script was read from the wrong place: the zip's end record was looked for as if the zip
 * began the object, and the trailing data's first bytes (as many as the script's) were lost. */
Test(container, r_a_zip_appended_to_a_zip_and_after_a_leads_zip, .timeout = KS_HANG_S(120))
{
    static char body[4000]; /* deflated to more than 40 bytes: corrupt_zip_member's */
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    blob ka = text("key AKIAQYLPMN5HHHFPZAM2\n"), kb = text("other AKIAQYLPMN5HHHFPZAM3\n");
    blob note = text("a note after it\n"), script = text("#!/bin/sh\nexec java -jar \"$0\"\n");
    blob bad = {.p = (unsigned char *)body, .len = sizeof body - 1};
    const char *na[] = {"bad.txt", "a.txt"}, *nb[] = {"b.txt"};
    blob da[] = {bad, ka};
    blob zb = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, nb, &kb, 1);
    for (int shape = 0; shape < 4; shape++) {
        /* 0: a + b; 1: a + a note + b; 2: a with a corrupt first member + b; 3: a script + a + a note */
        blob za = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, shape == 2 ? na : na + 1,
                                shape == 2 ? da : da + 1, shape == 2 ? 2 : 1);
        if (shape == 2)
            corrupt_zip_member(&za, 0);
        blob with_note = joined(shape == 3 ? &script : &za, shape == 3 ? &za : &note);
        blob all = shape == 1 ? joined(&with_note, &zb) : shape == 3 ? joined(&with_note, &note) : joined(&za, &zb);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&all, "ab.zip", &DEFAULTS, &s, &res), 0, "shape %d", shape);
        cr_assert_eq(res.stop, shape == 2 ? KS_CONT_CORRUPT : KS_CONT_COMPLETE, "shape %d: %s", shape, s.last_problem);
        size_t k = 0;
        if (shape == 2) /* the corrupt member, said (it failed before its first byte) */
            cr_assert(s.problems == 1 && strstr(s.last_problem, "bad.txt: stopped: corrupt"), "%s", s.last_problem);
        cr_assert_eq(s.n, shape == 1 ? 3 : 2, "shape %d: %zu members (%s, %s; %s)", shape, s.n, s.m[0].chain,
                     s.m[1].chain, s.last_problem);
        cr_assert_str_eq(s.m[k].chain, "a.txt", "shape %d", shape);
        cr_assert(s.m[k].data.len == ka.len && !memcmp(s.m[k].data.p, ka.p, ka.len), "shape %d", shape);
        char want[64];
        if (shape == 1 || shape == 3) { /* the note, as bytes */
            size_t at = shape == 3 ? script.len + za.len : za.len;
            snprintf(want, sizeof want, "[trailing@%zu]", at);
            cr_assert_str_eq(s.m[k + 1].chain, want, "shape %d", shape);
            cr_assert(s.m[k + 1].data.len == note.len && !memcmp(s.m[k + 1].data.p, note.p, note.len),
                      "shape %d: %zu bytes", shape, s.m[k + 1].data.len);
        }
        if (shape != 3) { /* b, opened where it begins */
            snprintf(want, sizeof want, "[trailing@%zu]!b.txt", za.len + (shape == 1 ? note.len : 0));
            cr_assert_str_eq(s.m[s.n - 1].chain, want, "shape %d", shape);
            cr_assert(s.m[s.n - 1].data.len == kb.len && !memcmp(s.m[s.n - 1].data.p, kb.p, kb.len));
        }
        seen_free(&s);
        free(all.p);
        free(with_note.p);
        free(za.p);
    }
    /* (review) an empty zip, then b: b was lost from a file, exit 0; and a + b + c: a was lost (the object was cut
     * once, at c, and a + b read by b's end record) */
    blob empty = {.p = (unsigned char *)"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", .len = 22};
    blob za = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, na + 1, &ka, 1);
    const char *nc[] = {"c.txt"};
    blob kc = text("third AKIAQYLPMN5HHHFPZAM4\n");
    blob zc = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, nc, &kc, 1);
    blob eb = joined(&empty, &zb), ab = joined(&za, &zb), abc = joined(&ab, &zc);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&eb, "eb.zip", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.m[0].chain, "[trailing@22]!b.txt");
    seen_free(&s);
    cr_assert_eq(expand_both(&abc, "abc.zip", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 3, "%zu members", s.n);
    char want[96];
    cr_assert_str_eq(s.m[0].chain, "a.txt");
    snprintf(want, sizeof want, "[trailing@%zu]!b.txt", za.len);
    cr_assert_str_eq(s.m[1].chain, want);
    snprintf(want, sizeof want, "[trailing@%zu]![trailing@%zu]!c.txt", za.len, zb.len);
    cr_assert_str_eq(s.m[2].chain, want);
    seen_free(&s);
    cr_assert_eq(expand_piped(&abc, "abc.zip", &s, &res), 0);
    cr_assert_eq(s.n, 3, "piped: %zu members", s.n);
    cr_assert_str_eq(s.m[2].chain, want, "piped");
    seen_free(&s);
    free(abc.p);
    free(ab.p);
    free(eb.p);
    free(zc.p);
    free(za.p);
    free(zb.p);
}

/* What followed an archive's end was handed over as bytes even when it was a container: a .tar.gz after a tar, and
 * a zip after that, were compressed noise. Each is opened as a member of its own, one level deeper than the
 * container it follows; memory, descriptor and pipe agree. */
Test(container, r_a_container_after_an_archives_end_is_opened, .timeout = KS_HANG_S(120))
{
    const char *n1[] = {"a/.env"}, *n2[] = {"b/creds"}, *n3[] = {"c.txt"};
    blob d1 = text("first AKIAQYLPMN5HHHFPZAM2\n"), d2 = text("second AKIAQYLPMN5HHHFPZAM3\n"),
         d3 = text("third AKIAQYLPMN5HHHFPZAM4\n");
    blob t1 = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, n1, &d1, 1);
    blob tgz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, n2, &d2, 1);
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, n3, &d3, 1);
    blob two = joined(&t1, &tgz), all = joined(&two, &zip);
    char want[3][96];
    snprintf(want[0], sizeof want[0], "a/.env");
    snprintf(want[1], sizeof want[1], "[trailing@%zu]!b/creds", t1.len);
    snprintf(want[2], sizeof want[2], "[trailing@%zu]![trailing@%zu]!c.txt", t1.len, tgz.len);
    const blob *datas[] = {&d1, &d2, &d3};
    for (int piped = 0; piped <= 1; piped++) {
        seen s;
        ks_container_result res;
        cr_assert_eq(piped ? expand_piped(&all, "x.tar", &s, &res) : expand_both(&all, "x.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
        cr_assert_eq(res.containers, 4, "the tar, the gzip, the tar in it, the zip: %llu",
                     (unsigned long long)res.containers);
        cr_assert_eq(s.n, 3, "piped %d: %zu members (%s)", piped, s.n, s.n ? s.m[s.n - 1].chain : "");
        for (int i = 0; i < 3; i++) {
            cr_assert_str_eq(s.m[i].chain, want[i], "piped %d", piped);
            cr_assert(s.m[i].data.len == datas[i]->len && !memcmp(s.m[i].data.p, datas[i]->p, datas[i]->len));
        }
        seen_free(&s);
    }
    ks_container_limits shallow = DEFAULTS;
    shallow.max_depth = 1; /* the tar's members only: what follows it is its bytes */
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&all, "x.tar", &shallow, &s, &res), 0);
    cr_assert_eq(s.n, 2);
    snprintf(want[1], sizeof want[1], "[trailing@%zu]", t1.len);
    cr_assert_str_eq(s.m[1].chain, want[1]);
    cr_assert_eq(s.m[1].data.len, tgz.len + zip.len);
    seen_free(&s);
    free(all.p);
    free(two.p);
    free(t1.p);
    free(tgz.p);
    free(zip.p);
}

/* A pushed object (the library's container stream) pulled in pieces of `piece` bytes after its head. */
typedef struct pulled {
    const unsigned char *p;
    size_t len, at, piece;
} pulled;

static long pull_piece(void *ctx, const void **out)
{
    pulled *q = ctx;
    size_t n = q->len - q->at < q->piece ? q->len - q->at : q->piece;
    *out = q->p + q->at;
    q->at += n;
    return (long)n;
}

static int expand_pulled(const blob *b, size_t piece, seen *s, ks_container_result *res)
{
    memset(s, 0, sizeof *s);
    size_t hl = b->len < KS_CONTAINER_MAGIC_LEN ? b->len : KS_CONTAINER_MAGIC_LEN;
    pulled q = {b->p, b->len, hl, piece};
    unsigned char *replay = NULL;
    size_t replay_len = 0;
    int rc = ks__container_expand_pull(b->p, hl, pull_piece, &q, 0, "p.zip", &DEFAULTS, &SINK, s, res, &replay,
                                       &replay_len);
    free(replay);
    return rc;
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* A stored member's local header and data (flags as given, an extra field as given) appended at *at. */
static void stored_member(unsigned char *out, size_t *at, const char *name, const char *data, unsigned flags,
                          const unsigned char *extra, size_t extra_len)
{
    size_t nl = strlen(name), dl = strlen(data);
    uint32_t crc = crc32_of((const unsigned char *)data, dl);
    unsigned char h[30] = {'P', 'K', 3, 4, 20, 0, (unsigned char)flags, (unsigned char)(flags >> 8), 0, 0};
    for (int b = 0; b < 4; b++) {
        h[14 + b] = (unsigned char)(crc >> (8 * b));
        h[18 + b] = h[22 + b] = (unsigned char)(dl >> (8 * b));
    }
    h[26] = (unsigned char)nl, h[27] = (unsigned char)(nl >> 8);
    h[28] = (unsigned char)extra_len, h[29] = (unsigned char)(extra_len >> 8);
    memcpy(out + *at, h, 30);
    memcpy(out + *at + 30, name, nl);
    if (extra_len)
        memcpy(out + *at + 30 + nl, extra, extra_len);
    memcpy(out + *at + 30 + nl + extra_len, data, dl);
    *at += 30 + nl + extra_len + dl;
}

static int has_member(const seen *s, const char *chain)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->m[i].chain, chain))
            return 1;
    return 0;
}

/* A review of reading a piped zip on (c6b966d), each reproduced first. (1) With no local header after the corrupt
 * member (it was the last), everything after it was thrown away: the central directory and the bytes after the zip,
 * which the file's scan found. (2) A header found among the bytes kept before the last piece (libarchive had read
 * past it into a long extra field) made a head without that piece: the members after it were lost, depending on
 * how the writes fell. (3) A header libarchive refuses before consuming anything was found again and again: the
 * same problem said 64 times. (4) The ratio guard counted bytes consumed, not read: with big pieces, a 5:1 zip
 * with corrupt members was stopped as a bomb. */
Test(container, r_review_of_reading_a_piped_zip_on, .timeout = KS_HANG_S(300))
{
    static char body[4000];
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    blob key = text("key AKIAQYLPMN5HHHFPZAM2\n"), noise = {.p = (unsigned char *)body, .len = 3999};
    /* (1) */
    const char *names[] = {"a.txt", "b.txt", "c.txt"};
    blob datas[] = {key, key, noise};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 3);
    corrupt_zip_member(&zip, 2);
    blob tail = text("tail AKIAQYLPMN5HHHFPZAM2\n"), z1 = joined(&zip, &tail);
    char trailing[48];
    snprintf(trailing, sizeof trailing, "[trailing@%zu]", zip.len);
    for (int how = 0; how < 3; how++) {
        seen s;
        ks_container_result res;
        int rc = how == 0 ? expand_both(&z1, "z.zip", &DEFAULTS, &s, &res)
                 : how == 1 ? expand_piped(&z1, "z.zip", &s, &res) : expand_pulled(&z1, 25, &s, &res);
        cr_assert_eq(rc, 0);
        cr_assert_eq(s.n, 3, "how %d: %zu members (%s)", how, s.n, s.last_problem);
        cr_assert_str_eq(s.m[2].chain, trailing, "how %d", how);
        cr_assert(s.m[2].data.len == tail.len && !memcmp(s.m[2].data.p, tail.p, tail.len));
        seen_free(&s);
    }
    free(z1.p);
    free(zip.p);
    /* (2) b.txt's extra field claims more than it has and holds two copies of c.txt's member; d.txt and e.txt follow */
    unsigned char *z2 = calloc(1, 8192), extra[1500] = {0x99, 0x99, 0xff, 0xff};
    size_t n2 = 0, c_len = 0;
    stored_member(extra + 4, &c_len, "c.txt", "c AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    memcpy(extra + 4 + c_len, extra + 4, c_len);
    stored_member(z2, &n2, "a.txt", "a AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    stored_member(z2, &n2, "b.txt", "b AKIAQYLPMN5HHHFPZAM2\n", 0, extra, sizeof extra);
    stored_member(z2, &n2, "d.txt", "d AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    stored_member(z2, &n2, "e.txt", "e AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    memcpy(z2 + n2, "PK\5\6", 4), n2 += 22;
    blob b2 = {z2, n2, 8192};
    static const size_t pieces[] = {1, 25, 300, 65536};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_pulled(&b2, pieces[k], &s, &res), 0);
        cr_assert(has_member(&s, "a.txt") && has_member(&s, "d.txt") && has_member(&s, "e.txt"),
                  "pieces of %zu: %zu members, the last %s (%s)", pieces[k], s.n, s.n ? s.m[s.n - 1].chain : "",
                  s.last_problem);
        seen_free(&s);
    }
    free(z2);
    /* (3) f.txt's flags (strong encryption, the central directory encrypted) make libarchive fail at its header */
    unsigned char z3[4096];
    size_t n3 = 0;
    stored_member(z3, &n3, "a.txt", "a AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    stored_member(z3, &n3, "f.txt", "f AKIAQYLPMN5HHHFPZAM2\n", 0x2041, NULL, 0);
    stored_member(z3, &n3, "c.txt", "c AKIAQYLPMN5HHHFPZAM2\n", 0, NULL, 0);
    memset(z3 + n3, 0, 22), memcpy(z3 + n3, "PK\5\6", 4), n3 += 22;
    blob b3 = {z3, n3, sizeof z3};
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_pulled(&b3, 64, &s, &res), 0);
    cr_assert_eq(s.problems, 1, "said once: %zu (%s)", s.problems, s.last_problem);
    cr_assert(has_member(&s, "a.txt") && has_member(&s, "c.txt"), "%zu members", s.n);
    seen_free(&s);
    /* (4) 12 members of 2 MB of words (about 5 to 1), 5 corrupt ones after each: pulled 256 KiB at a time */
    enum { BIG = 2000000, GOOD = 12, BAD = 5 };
    static const char *const words[] = {"alpha", "beta", "gamma", "delta", "error", "warn", "info", "GET", "POST"};
    const char *n4[GOOD * (BAD + 1)];
    blob d4[GOOD * (BAD + 1)];
    char nb[GOOD * (BAD + 1)][16];
    uint32_t rs = 1;
    for (int g = 0; g < GOOD * (BAD + 1); g++) {
        int good = g % (BAD + 1) == 0;
        snprintf(nb[g], sizeof nb[g], "%s%02d.txt", good ? "log" : "bad", g);
        n4[g] = nb[g];
        d4[g] = good ? (blob){.p = malloc(BIG), .len = BIG} : noise;
        for (size_t i = 0; good && i < BIG;) {
            const char *w = words[(rs = rs * 1103515245u + 12345u) >> 16 & 7];
            for (size_t c = 0; w[c] && i < BIG; c++)
                d4[g].p[i++] = (unsigned char)w[c];
            if (i < BIG)
                d4[g].p[i++] = (rs >> 8 & 15) ? ' ' : '\n';
        }
    }
    blob z4 = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, n4, d4, GOOD * (BAD + 1));
    for (int g = 0; g < GOOD * (BAD + 1); g++)
        if (g % (BAD + 1))
            corrupt_zip_member(&z4, (size_t)g);
    cr_assert_eq(expand_pulled(&z4, 256 << 10, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT, "not a bomb: %s", s.last_problem);
    cr_assert_eq(s.n, GOOD, "%zu members", s.n);
    seen_free(&s);
    free(z4.p);
    for (int g = 0; g < GOOD * (BAD + 1); g += BAD + 1)
        free(d4[g].p);
}

/* A review of the above (each reproduced first). Reopening counted the zip's bytes again for the ratio guard (a
 * handle's count is a position in a zip read by its directory), so a bomb after corrupt members was never stopped.
 * A corrupt zip inside a bzip2 or lz4 stream left the stream unread to its end, so where it ended was taken from
 * where its filter had stopped, and the rest of the stream was handed over again as bogus trailing data. And a tar
 * header with a wrong checksum (libarchive's ARCHIVE_RETRY, no failure) was taken for an entry: its members after
 * it were lost; the next header is now looked for, as tar does, and the bytes passed over are said. */
Test(container, r_review_of_corrupt_members_read_on, .timeout = KS_HANG_S(300))
{
    static char body[4000];
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    blob text_body = {.p = (unsigned char *)body, .len = 3999};
    /* the bomb: 256 KiB of noise, 0 or 3 corrupt members, then 16 MiB of zeros; 20 to 1 past 1 MiB out stops it
     * near 6 MB */
    enum { ZEROS = 16 << 20, NOISE = 256 << 10 };
    blob zeros = {.p = calloc(1, ZEROS), .len = ZEROS}, noise = {.p = malloc(NOISE), .len = NOISE};
    uint32_t rs = 7;
    for (size_t i = 0; i < NOISE; i++)
        noise.p[i] = (unsigned char)((rs = rs * 1103515245u + 12345u) >> 24);
    ks_container_limits guard = DEFAULTS;
    guard.ratio_after = 1u << 20;
    guard.max_ratio = 20;
    for (size_t n_bad = 0; n_bad <= 3; n_bad += 3) {
        const char *names[] = {"noise", "bad0", "bad1", "bad2", "zeros.bin"};
        blob datas[] = {noise, text_body, text_body, text_body, zeros};
        names[n_bad + 1] = names[4], datas[n_bad + 1] = datas[4];
        blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, n_bad + 2);
        for (size_t k = 0; k < n_bad; k++)
            corrupt_zip_member(&zip, k + 1);
        /* from memory and a descriptor (with threads decompressing its members too: see
         * r_threads_decompressing_a_zip_guard_it_as_one_reader_does) */
        int fd = memfd_create("bomb", MFD_CLOEXEC);
        cr_assert(fd >= 0 && write(fd, zip.p, zip.len) == (ssize_t)zip.len);
        for (int from_fd = 0; from_fd < 2; from_fd++) {
            seen s = {0};
            ks_container_result res;
            cr_assert_eq(ks__container_expand(from_fd ? NULL : zip.p, from_fd ? 0 : zip.len, from_fd ? fd : -1,
                                              zip.len, "bomb.zip", &guard, &SINK, &s, &res),
                         0);
            cr_assert_eq(res.stop, KS_CONT_LIMIT, "%zu corrupt: %s", n_bad, s.last_problem);
            cr_assert_lt(res.bytes_out, (uint64_t)ZEROS, "%zu corrupt: stopped at %llu bytes", n_bad,
                         (unsigned long long)res.bytes_out);
            seen_free(&s);
        }
        close(fd);
        free(zip.p);
    }
    free(zeros.p);
    free(noise.p);
    /* a corrupt zip in a bzip2 or lz4 stream, alone and in a tar: its first member, and nothing after it */
    const char *zip_names[] = {"a.txt", "bad.txt", "c.txt"};
    blob key = text("key AKIAQYLPMN5HHHFPZAM2\n");
    blob zip_datas[] = {key, text_body, key};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, zip_names, zip_datas, 3);
    corrupt_zip_member(&zip, 1);
    static const int filters[] = {ARCHIVE_FILTER_BZIP2, ARCHIVE_FILTER_LZ4};
    for (size_t f = 0; f < 2; f++) {
        const char *raw[] = {"inner.zip"};
        blob stream = write_archive(ARCHIVE_FORMAT_RAW, filters[f], raw, &zip, 1);
        const char *tar_names[] = {"x.zip.z", "after.txt"};
        blob tar_datas[] = {stream, key};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tar_names, tar_datas, 2);
        for (int in_tar = 0; in_tar < 2; in_tar++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(expand_both(in_tar ? &tar : &stream, "inner.zip.z", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(res.stop, KS_CONT_CORRUPT);
            cr_assert_eq(s.n, in_tar ? 2 : 1, "filter %d, in a tar %d: %zu members (%s)", filters[f], in_tar, s.n,
                         s.n ? s.m[s.n - 1].chain : "");
            cr_assert_str_eq(s.m[0].chain, in_tar ? "x.zip.z!a.txt" : "a.txt");
            if (in_tar)
                cr_assert_str_eq(s.m[1].chain, "after.txt");
            seen_free(&s);
        }
        free(tar.p);
        free(stream.p);
    }
    free(zip.p);
    /* a tar whose second header's checksum is wrong */
    const char *tar_names[] = {"a.txt", "b.txt", "c.txt"};
    blob tar_datas[] = {key, key, key};
    for (int filter = 0; filter < 2; filter++) {
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tar_names, tar_datas, 3);
        tar.p[1024 + 148] ^= 1; /* b.txt's header: a.txt's header and its one data block before it */
        const char *raw[] = {"t.tar"};
        blob b = filter ? write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_BZIP2, raw, &tar, 1) : tar;
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&b, filter ? "t.tar.bz2" : "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(res.stop, KS_CONT_CORRUPT);
        cr_assert_eq(s.problems, 1);
        cr_assert(strstr(s.last_problem, "1024 bytes passed over") && strstr(s.last_problem, "scanned as bytes"), "%s",
                  s.last_problem);
        /* b.txt's damaged header and its data block, handed over as they are (see r_a_damaged_tar_header...) */
        cr_assert_eq(s.n, 3, "%zu members", s.n);
        cr_assert_str_eq(s.m[0].chain, "a.txt");
        cr_assert_str_eq(s.m[1].chain, "[damaged@1024]");
        cr_assert(s.m[1].data.len == 1024 && !memcmp(s.m[1].data.p, tar.p + 1024, 1024));
        cr_assert_str_eq(s.m[2].chain, "c.txt");
        seen_free(&s);
        if (filter)
            free(b.p);
        free(tar.p);
    }
}

/* Threads decompressing a zip's members (a zip on disk, with workers to spare) told the ratio guard what they had
 * read, all of them, ahead of the reader and whenever they got to it: a bomb in a zip stopped by one reader at 1 MiB
 * ran to the bytes limit, and a gzip bomb after such a zip's end was never stopped (CI's fuzz_container: the reader
 * with threads and the one without disagreed). The guard now sees, with every block, where the thread that
 * decompressed it was in the zip, which is what one reader sees; and once the zip has ended, where it ended and
 * what was read after it. Every way of reading it stops each bomb at the same byte. */
Test(container, r_threads_decompressing_a_zip_guard_it_as_one_reader_does, .timeout = KS_HANG_S(300))
{
    enum { ZEROS = 64 << 20, NOISE = 32 << 10 };
    blob zeros = {.p = calloc(1, ZEROS), .len = ZEROS}, noise = {.p = malloc(NOISE), .len = NOISE};
    uint32_t rs = 11;
    for (size_t i = 0; i < NOISE; i++)
        noise.p[i] = (unsigned char)((rs = rs * 1103515245u + 12345u) >> 24);
    static char body[4000]; /* deflated to more than 40 bytes: corrupt_zip_member's */
    for (size_t i = 0; i + 1 < sizeof body; i++)
        body[i] = "abcdefghij klmnop\n"[(i * 7 + i / 13) % 18];
    blob note = {.p = (unsigned char *)body, .len = sizeof body - 1};
    ks_container_limits guard = DEFAULTS;
    guard.ratio_after = 1u << 20;
    const char *raw[] = {"zeros"};
    blob gz_bomb = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw, &zeros, 1);
    for (int shape = 0; shape < 4; shape++) {
        /* 0: the bomb alone; 1: among other members, on a thread of its own; 2: after a corrupt member (read on
         * without threads); 3: a zip without one, a .gz bomb after its end */
        const char *names[] = {"noise", "note", "zeros.bin", "after"};
        blob datas[] = {noise, note, zeros, note};
        blob zip = shape == 0   ? write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names + 2, datas + 2, 1)
                   : shape == 3 ? write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 2)
                                : write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 4);
        if (shape == 2)
            corrupt_zip_member(&zip, 1);
        blob b = shape == 3 ? joined(&zip, &gz_bomb) : zip;
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&b, "bomb.zip", &guard, &s, &res), 0, "shape %d", shape);
        cr_assert_eq(res.stop, KS_CONT_LIMIT, "shape %d: %s", shape, s.last_problem);
        cr_assert(strstr(s.last_problem, "compression bomb"), "shape %d: %s", shape, s.last_problem);
        cr_assert_lt(res.bytes_out, (uint64_t)ZEROS / 2, "shape %d: stopped at %llu bytes", shape,
                     (unsigned long long)res.bytes_out);
        seen_free(&s);
        if (shape == 3)
            free(b.p);
        free(zip.p);
    }
    free(gz_bomb.p);
    free(zeros.p);
    free(noise.p);
}

/* A zip member whose bytes do not match its CRC was scanned whole and nothing said (libarchive's ARCHIVE_WARN on
 * its data): it is now named as damaged, its findings kept. */
Test(container, r_a_member_that_fails_its_checksum_is_said, .timeout = KS_HANG_S(120))
{
    const char *names[] = {"a.txt", "b.txt"};
    blob datas[] = {text("key AKIAQYLPMN5HHHFPZAM2\n"), text("key AKIAQYLPMN5HHHFPZAM2 again\n")};
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, datas, 2);
    const unsigned char *eocd = zip.p + zip.len - 22;
    unsigned char *c = zip.p + le32_at(eocd + 16); /* a.txt's directory entry; its local header at 0 */
    c[16] ^= 1;
    if (!(zip.p[6] & 8)) /* no data descriptor: the local header has the CRC too */
        zip.p[14] ^= 1;
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&zip, "crc.zip", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 2);
    cr_assert(s.m[0].data.len == datas[0].len && s.m[1].data.len == datas[1].len, "both whole");
    cr_assert_eq(s.problems, 1);
    cr_assert(strstr(s.last_problem, "damaged, scanned as it is") && strstr(s.last_problem, "CRC"), "%s",
              s.last_problem);
    seen_free(&s);
    free(zip.p);
}

/* A second review: passing over damaged tar headers read without limit (a 129 KB .tar.zst of damaged blocks made
 * 4 GiB to pass over, 4.5 s) and said every run of them (20,000 notes for 20,000 runs). The bytes passed over now
 * count against the budgets (a flood is stopped like a bomb), and runs past the 16th are said once together. */
Test(container, r_a_flood_of_damaged_headers_is_bounded, .timeout = KS_HANG_S(300))
{
    enum { FLOOD = 24 << 20 };
    blob key = text("key AKIAQYLPMN5HHHFPZAM2\n");
    const char *names[] = {"a.txt"};
    blob one = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, names, &key, 1);
    blob flood = {.p = malloc(1024 + FLOOD), .len = 1024 + FLOOD};
    memcpy(flood.p, one.p, 1024); /* a.txt's header and data block, then blocks of 'A' whose sums are wrong */
    memset(flood.p + 1024, 'A', FLOOD);
    const char *raw[] = {"flood.tar"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw, &flood, 1);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&gz, "flood.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_LIMIT, "%s", s.last_problem);
    cr_assert(strstr(s.last_problem, "compression bomb"), "%s", s.last_problem);
    cr_assert_eq(s.n, 2, "a.txt, and the damaged blocks up to the guard"); /* (r_a_damaged_tar_header...) */
    cr_assert_str_eq(s.m[1].chain, "[damaged@1024]");
    cr_assert_lt(s.m[1].data.len, (size_t)FLOOD);
    seen_free(&s);
    free(gz.p);
    free(flood.p);
    /* a member, then 20 more each after a damaged block: all 21 scanned, 16 runs said one by one, then once for
     * the rest */
    blob alt = {.p = calloc(1, 1024 + 20 * 1536 + 1024), .len = 1024 + 20 * 1536 + 1024};
    memcpy(alt.p, one.p, 1024);
    for (int i = 0; i < 20; i++) {
        memset(alt.p + 1024 + i * 1536, 'A', 512);
        memcpy(alt.p + 1024 + i * 1536 + 512, one.p, 1024);
    }
    cr_assert_eq(expand_both(&alt, "alt.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert_eq(s.n, 41, "%zu members: 21, and each damaged block", s.n);
    cr_assert_str_eq(s.m[1].chain, "[damaged@1024]");
    cr_assert_eq(s.problems, 17, "%zu notes", s.problems);
    cr_assert(strstr(s.last_problem, "not said one by one"), "%s", s.last_problem);
    seen_free(&s);
    free(alt.p);
    free(one.p);
}

/* A 7z inside another archive lost every member ("Current client reader does not support seeking"): its reader
 * seeks to the index at its end, which a member cannot. It is now held whole in memory (up to
 * KS_CONTAINER_SPOOL_MAX) and opened there. And what followed a 7z, an ISO 9660 image or an lz4 stream inside
 * another archive was read and never scanned, their ends unknown there: a 7z's is where its signature header
 * says, an image's where its volume space ends (its primary volume descriptor, now in a member's head), an lz4
 * stream's where its last frame ends (its own decoder's). */
Test(container, r_a_7z_iso_or_lz4_inside_an_archive_and_what_follows_it, .timeout = KS_HANG_S(300))
{
    const char *names[] = {"srv/.env"};
    blob inner = text("AKIAQYLPMN5HHHFPZAM2\n");
    blob note = text("appended TOKEN=AKIAQYLPMN5HHHFPZAM3\n");
    static const struct {
        int format, filter;
        const char *name, *first;
    } kinds[] = {
        {ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, "a.7z", "a.7z!srv/.env"},
        {ARCHIVE_FORMAT_ISO9660, ARCHIVE_FILTER_NONE, "a.iso", "a.iso!srv/.env"},
        {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_LZ4, "a.tar.lz4", "a.tar.lz4!srv/.env"},
        {ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, "n.txt.lz4", "n.txt.lz4!n.txt"},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        blob arc = write_archive(kinds[k].format, kinds[k].filter, names, &inner, 1);
        blob with = joined(&arc, &note);
        const char *mname[] = {kinds[k].name};
        blob tars[] = {write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, mname, &arc, 1),
                       write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, mname, &with, 1)};
        char chain[96];
        snprintf(chain, sizeof chain, "%s![trailing@%zu]", kinds[k].name, arc.len);
        for (int piped = 0; piped < 2; piped++) {
            for (int noted = 0; noted < 2; noted++) {
                seen s;
                ks_container_result res;
                cr_assert_eq(piped ? expand_piped(&tars[noted], "o.tar", &s, &res)
                                   : expand_both(&tars[noted], "o.tar", &DEFAULTS, &s, &res),
                             0);
                cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s %d %d: %s", kinds[k].name, piped, noted, s.last_problem);
                cr_assert_eq(s.n, 1u + noted, "%s %d %d: %zu members", kinds[k].name, piped, noted, s.n);
                cr_assert_str_eq(s.m[0].chain, kinds[k].first);
                cr_assert(s.m[0].data.len == inner.len && !memcmp(s.m[0].data.p, inner.p, inner.len), "%s",
                          kinds[k].name);
                if (noted)
                    assert_last_member(&s, kinds[k].name, chain, &note);
                seen_free(&s);
            }
        }
        free(tars[0].p);
        free(tars[1].p);
        free(with.p);
        free(arc.p);
    }

    /* (review) 1 to 3 bytes after an lz4 stream in a member: libarchive's filter took none of them, and the trailing
     * data was named 4 bytes early, the frame's last bytes handed over as trailing; with fewer than 8 bytes after the
     * frame nothing was handed over. Our own decoder ends where the frame does: every tail is trailing data. */
    for (size_t tail = 1; tail <= 9; tail += 4) {
        blob arc = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, names, &inner, 1);
        blob t = {.p = (unsigned char *)"abcdefghi", .len = tail}, with = joined(&arc, &t);
        const char *mname[] = {"c.lz4"};
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, mname, &with, 1);
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            cr_assert_eq(piped ? expand_piped(&tar, "o.tar", &s, &res) : expand_both(&tar, "o.tar", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
            char chain[64];
            snprintf(chain, sizeof chain, "c.lz4![trailing@%zu]", arc.len);
            cr_assert_eq(s.n, 2, "tail %zu: %zu members, the last %s", tail, s.n, s.m[s.n - 1].chain);
            assert_last_member(&s, "lz4 and its tail", chain, &t);
            seen_free(&s);
        }
        free(tar.p);
        free(with.p);
        free(arc.p);
    }

    /* the limit on a 7z held in memory: one of exactly KS_CONTAINER_SPOOL_MAX bytes (a note and zeros after the
     * archive) is opened, its members and the note found; one byte more, and it is scanned as the bytes it is */
    blob arc = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, names, &inner, 1);
    const char *mname[] = {"big.7z"};
    for (size_t extra = 0; extra < 2; extra++) {
        blob big = {.p = calloc(1, KS_CONTAINER_SPOOL_MAX + extra), .len = KS_CONTAINER_SPOOL_MAX + extra};
        cr_assert(big.p);
        memcpy(big.p, arc.p, arc.len);
        memcpy(big.p + arc.len, note.p, note.len);
        blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, mname, &big, 1);
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&tar, "o.tar", &DEFAULTS, &s, &res), 0);
        if (!extra) {
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
            cr_assert_eq(s.n, 2);
            cr_assert_str_eq(s.m[0].chain, "big.7z!srv/.env");
            char chain[64];
            snprintf(chain, sizeof chain, "big.7z![trailing@%zu]", arc.len);
            cr_assert_str_eq(s.m[1].chain, chain);
            cr_assert(s.m[1].data.len >= note.len && !memcmp(s.m[1].data.p, note.p, note.len));
        } else {
            cr_assert_eq(res.stop, KS_CONT_LIMIT);
            cr_assert(s.fatal == 1 && strstr(s.last_problem, "needs random access"), "%s", s.last_problem);
            cr_assert_eq(s.n, 1, "the member as its bytes");
            cr_assert_str_eq(s.m[0].chain, "big.7z");
            cr_assert(s.m[0].data.len == big.len && !memcmp(s.m[0].data.p, big.p, big.len), "every byte once");
        }
        seen_free(&s);
        free(tar.p);
        free(big.p);
    }
    free(arc.p);
}

/* The header of each member that a GNU long-name or pax extended header leads, its checksum made wrong: how many,
 * and where the first n_at are. */
static size_t damage_headers_after_special(blob *tar, size_t *at, size_t n_at)
{
    size_t n = 0;
    for (size_t b = 0; b + 512 <= tar->len; b += 512) {
        unsigned char *h = tar->p + b;
        if (memcmp(h + 257, "ustar", 5) != 0 || (h[156] != 'L' && h[156] != 'x'))
            continue;
        size_t size = (size_t)strtoul((const char *)h + 124, NULL, 8);
        size_t real = b + 512 + (size + 511) / 512 * 512;
        cr_assert_lt(real + 512, tar->len);
        tar->p[real + 148] ^= 1;
        if (n < n_at)
            at[n] = real;
        n++;
    }
    return n;
}

/* A damaged header right after a GNU long-name or pax extended header failed the whole tar in libarchive ("Damaged
 * tar archive", fatal, where a damaged header elsewhere is passed over): every member after it was lost, and the tar
 * was said to be stopped. The tar is now read on from the damaged header: the blocks up to the next header are the
 * member "[damaged@N]", a new handle reads the rest, and what follows the tar's end is trailing data as before. From
 * memory, a descriptor, a pipe, pulled in small pieces, inside a tar and inside a gzip stream. */
Test(container, r_a_damaged_header_after_a_long_name_or_pax_header, .timeout = KS_HANG_S(120))
{
    char long_name[160], next_name[160];
    memset(long_name, 'L', 150);
    long_name[150] = '\0';
    memset(next_name, 'N', 150);
    next_name[150] = '\0';
    /* the second long name's damage is met by the handle that read the tar on, in its first header */
    const char *names[] = {"a.txt", long_name, next_name, "c.txt"};
    blob datas[] = {text("key KSTEST_DAMAGEDFIRST0001\n"), text("one\nkey KSTEST_DAMAGEDLONGNAM01\n"),
                    text("key KSTEST_DAMAGEDNEXTNAM01\n"), text("key KSTEST_DAMAGEDTHIRD0001\n")};
    const int formats[] = {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED};
    for (size_t f = 0; f < 2; f++) {
        blob tar = write_archive(formats[f], ARCHIVE_FILTER_NONE, names, datas, 4);
        size_t at[2];
        cr_assert_eq(damage_headers_after_special(&tar, at, 2), 2);
        static const char note[] = "note KSTEST_DAMAGEDTRAILS01\n";
        blob noted = {.p = malloc(tar.len + sizeof note - 1), .len = tar.len + sizeof note - 1};
        memcpy(noted.p, tar.p, tar.len);
        memcpy(noted.p + tar.len, note, sizeof note - 1);
        char trailing[48];
        snprintf(trailing, sizeof trailing, "[trailing@%zu]", tar.len);
        const char *inner_names[] = {"inner.tar", "z.txt"};
        blob inner[] = {noted, text("key KSTEST_DAMAGEDAFTER0001\n")};
        blob outer = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, inner_names, inner, 2);
        const char *raw[] = {"t.tar"};
        blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw, &tar, 1);
        for (int how = 0; how < 6; how++) {
            seen s;
            ks_container_result res;
            const char *prefix = how == 4 ? "inner.tar!" : "";
            int rc = how == 0   ? expand_both(&noted, "t.tar", &DEFAULTS, &s, &res)
                     : how == 1 ? expand_piped(&noted, "t.tar", &s, &res)
                     : how == 2 ? expand_pulled(&noted, 700, &s, &res)
                     : how == 3 ? expand_pulled(&noted, 3 * 512, &s, &res)
                     : how == 4 ? expand_both(&outer, "o.tar", &DEFAULTS, &s, &res)
                                : expand_both(&gz, "t.tar.gz", &DEFAULTS, &s, &res);
            cr_assert_eq(rc, 0, "format %zu, how %d", f, how);
            cr_assert_eq(res.stop, KS_CONT_CORRUPT, "format %zu, how %d: %s", f, how, s.last_problem);
            cr_assert_eq(s.problems, 2, "format %zu, how %d: %s", f, how, s.last_problem);
            cr_assert(strstr(s.last_problem, "damaged: Damaged tar archive: 1024 bytes passed over to the next header, "
                                             "scanned as bytes"), "%s", s.last_problem);
            size_t want = how == 5 ? 4 : how == 4 ? 6 : 5;
            cr_assert_eq(s.n, want, "format %zu, how %d: %zu members", f, how, s.n);
            char chain[128];
            snprintf(chain, sizeof chain, "%sa.txt", prefix);
            cr_assert_str_eq(s.m[0].chain, chain);
            for (int k = 0; k < 2; k++) { /* each damaged header and its member's data block, whole */
                snprintf(chain, sizeof chain, "%s[damaged@%zu]", prefix, at[k]);
                cr_assert_str_eq(s.m[1 + k].chain, chain, "format %zu, how %d", f, how);
                cr_assert_eq(s.m[1 + k].data.len, 1024);
                cr_assert(!memcmp(s.m[1 + k].data.p, noted.p + at[k], 1024));
            }
            snprintf(chain, sizeof chain, "%sc.txt", prefix);
            cr_assert_str_eq(s.m[3].chain, chain, "format %zu, how %d", f, how);
            cr_assert_eq(s.m[3].data.len, datas[3].len);
            if (how < 5) {
                snprintf(chain, sizeof chain, "%s%s", prefix, trailing);
                cr_assert_str_eq(s.m[4].chain, chain, "format %zu, how %d", f, how);
                cr_assert_eq(s.m[4].data.len, sizeof note - 1);
            }
            if (how == 4)
                cr_assert_str_eq(s.m[5].chain, "z.txt");
            seen_free(&s);
        }
        free(tar.p);
        free(noted.p);
        free(outer.p);
        free(gz.p);
    }
}

/* Each damaged header after a long name costs a handle to read the tar on: past MAX_TAR_RESUMES (4,096) of them, the
 * rest of the tar is scanned as one run of bytes, said, and nothing in it is lost. */
Test(container, r_a_flood_of_damaged_long_names_is_bounded, .timeout = KS_HANG_S(300))
{
    enum { N = 4100 };
    const char **names = calloc(N + 1, sizeof *names);
    blob *datas = calloc(N + 1, sizeof *datas);
    char(*long_names)[120] = calloc(N, sizeof *long_names);
    cr_assert(names && datas && long_names);
    names[0] = "a.txt";
    datas[0] = text("key KSTEST_DAMAGEDFIRST0001\n");
    for (size_t i = 0; i < N; i++) {
        snprintf(long_names[i], sizeof long_names[i], "%0110zu", i);
        names[1 + i] = long_names[i];
        datas[1 + i] = text(i == N - 1 ? "key KSTEST_DAMAGEDLASTONE01\n" : "x\n");
    }
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names, datas, N + 1);
    size_t damaged = 0;
    for (size_t b = 0; b + 512 <= tar.len; b += 512)
        if (tar.p[b + 156] == 'L' && !memcmp(tar.p + b + 257, "ustar", 5)) {
            tar.p[b + 1024 + 148] ^= 1; /* its member's header: after it and its one block of name */
            damaged++;
        }
    cr_assert_eq(damaged, N);
    seen s;
    ks_container_result res;
    cr_assert_eq(expand_both(&tar, "flood.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT, "%s", s.last_problem);
    cr_assert_eq(s.total, 1 + 4096 + 1, "a.txt, a run for each reading on, and the rest: %zu", s.total);
    cr_assert_eq(s.problems, 16 + 1 + 1, "%zu: 16 runs said, then once for the rest, and the limit", s.problems);
    cr_assert(strstr(s.last_problem, "more than 4096 damaged headers after special ones: the rest of the tar is "
                                     "scanned as bytes"), "%s", s.last_problem);
    /* every byte of every member, and the headers of the damaged ones, handed over */
    cr_assert_gt(res.bytes_out, (uint64_t)N * 1024);
    seen_free(&s);
    free(tar.p);
    free(long_names);
    free(datas);
    free(names);
}

/* A 7z inside another archive is held whole in memory up to KS_CONTAINER_SPOOL_MAX (max_spool), and a 7z inside that
 * one was held up to the limit again: a nest of them held depth x the limit in one worker. The limit now holds for a
 * 7z and the 7z archives it is inside, together: one that does not fit in what they left is scanned as its bytes,
 * said, and the expansion is incomplete. */
Test(container, r_nested_7z_archives_share_the_memory_limit, .timeout = KS_HANG_S(120))
{
    enum { NOISE = 40 << 10 };
    unsigned char *noise = malloc(NOISE);
    uint32_t r = 12345;
    for (size_t i = 0; i < NOISE; i++) /* incompressible: each 7z is about 40 KiB */
        noise[i] = (unsigned char)((r = r * 1103515245u + 12345u) >> 24);
    const char *in_names[] = {"noise.bin", "key.txt"};
    blob in_datas[] = {{.p = noise, .len = NOISE}, text("key KSTEST_NESTEDSEVENZIP01\n")};
    blob inner = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, in_names, in_datas, 2);
    const char *mid_names[] = {"inner.7z"};
    blob outer = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, mid_names, &inner, 1);
    const char *tar_names[] = {"outer.7z"};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, tar_names, &outer, 1);
    cr_assert(inner.len > 32 << 10 && outer.len > 32 << 10 && outer.len < 64 << 10, "%zu %zu", inner.len, outer.len);
    for (int fits = 0; fits <= 1; fits++) {
        ks_container_limits lim = DEFAULTS;
        lim.max_spool = fits ? outer.len + inner.len : outer.len + inner.len - 1; /* together: exactly, one short */
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_both(&tar, "t.tar", &lim, &s, &res), 0);
        if (fits) {
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "%s", s.last_problem);
            cr_assert_eq(s.n, 2);
            cr_assert_str_eq(s.m[0].chain, "outer.7z!inner.7z!noise.bin");
            cr_assert_str_eq(s.m[1].chain, "outer.7z!inner.7z!key.txt");
            cr_assert_eq(s.m[1].data.len, in_datas[1].len);
        } else {
            cr_assert_eq(res.stop, KS_CONT_LIMIT, "%s", s.last_problem);
            cr_assert(s.fatal == 1 && strstr(s.last_problem, "with the 7z archives it is in"), "%s", s.last_problem);
            cr_assert_eq(s.n, 1);
            cr_assert_str_eq(s.m[0].chain, "outer.7z!inner.7z");
            cr_assert_eq(s.m[0].data.len, inner.len, "the inner 7z, scanned as its bytes");
        }
        seen_free(&s);
    }
    free(tar.p);
    free(outer.p);
    free(inner.p);
    free(noise);
}

/* An lz4 stream inside a gzip, bzip2, xz or zstd stream was decoded by the outer handle's own chain of libarchive
 * filters, as if it were the outer stream's bytes: what followed it inside the outer stream was never scanned. A
 * stream's handle now has its own filter alone, and a stream inside it is a container of its own, whose end is known:
 * what follows it is "[trailing@N]", from a file as from a pipe. */
Test(container, r_an_lz4_stream_inside_a_compressed_stream_and_what_follows_it, .timeout = KS_HANG_S(120))
{
    const char *raw[] = {"x"};
    blob body = text("one\nkey KSTEST_LZFOURINGZIP0001\n");
    blob lz4 = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZ4, raw, &body, 1);
    static const char note[] = "note KSTEST_LZFOURTRAILER001\n";
    blob noted = {.p = malloc(lz4.len + sizeof note - 1), .len = lz4.len + sizeof note - 1};
    memcpy(noted.p, lz4.p, lz4.len);
    memcpy(noted.p + lz4.len, note, sizeof note - 1);
    char trailing[64];
    snprintf(trailing, sizeof trailing, "x.lz4![trailing@%zu]", lz4.len);
    const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_BZIP2, ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD};
    const char *lz4_name[] = {"x.lz4"};
    for (size_t f = 0; f < 4; f++) {
        blob outer = write_archive(ARCHIVE_FORMAT_RAW, filters[f], lz4_name, &noted, 1);
        for (int piped = 0; piped <= 1; piped++) {
            seen s;
            ks_container_result res;
            int rc = piped ? expand_piped(&outer, "x.lz4.gz", &s, &res)
                           : expand_both(&outer, "x.lz4.gz", &DEFAULTS, &s, &res);
            cr_assert_eq(rc, 0, "filter %zu, piped %d", f, piped);
            cr_assert_eq(res.stop, KS_CONT_COMPLETE, "filter %zu, piped %d: %s", f, piped, s.last_problem);
            cr_assert_eq(res.containers, 2, "filter %zu, piped %d: the stream and the lz4 in it", f, piped);
            cr_assert_eq(s.n, 2, "filter %zu, piped %d: %zu members", f, piped, s.n);
            cr_assert_str_eq(s.m[0].chain, "x", "filter %zu, piped %d", f, piped);
            cr_assert(s.m[0].data.len == body.len && !memcmp(s.m[0].data.p, body.p, body.len));
            cr_assert_str_eq(s.m[1].chain, trailing, "filter %zu, piped %d", f, piped);
            cr_assert(s.m[1].data.len == sizeof note - 1 && !memcmp(s.m[1].data.p, note, sizeof note - 1));
            seen_free(&s);
        }
        free(outer.p);
    }
    free(noted.p);
    free(lz4.p);
}

static blob joined3(const blob *a, const void *b, size_t n)
{
    blob j = {.p = malloc(a->len + n), .len = a->len + n};
    memcpy(j.p, a->p, a->len);
    memcpy(j.p + a->len, b, n);
    return j;
}

/* A review of reading a damaged tar on found: (1) the tar's end marker and what followed it (a .gz appended) were
 * taken into the run of damaged blocks, and scanned as bytes; (2) a tar read on inside another archive halted the
 * whole expansion when a budget had stopped an earlier member without halting it (a 7z past max_spool): the members
 * after it were lost; (3) what followed such a tar inside a gzip stream was named "[trailing@N]", not inside the
 * stream's member; (4) a damaged header after a GNU long name as a nested tar's first member was not read on
 * (libarchive sets no format before it); (5) a tar cut short after a long name's body was said as damaged. */
Test(container, r_review_of_reading_a_damaged_tar_on, .timeout = KS_HANG_S(120))
{
    char long_name[160];
    memset(long_name, 'L', 150);
    long_name[150] = '\0';
    const char *names[] = {"a.txt", long_name, "c.txt"};
    blob datas[] = {text("key KSTEST_REVIEWFIRST00001\n"), text("key KSTEST_REVIEWLONGNAME01\n"),
                    text("key KSTEST_REVIEWTHIRD00001\n")};
    const char *raw[] = {"note"};
    blob note = text("note KSTEST_REVIEWAPPENDED01\n");
    blob note_gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, raw, &note, 1);
    seen s;
    ks_container_result res;
    size_t at;

    /* (1) a.txt and the long name, damaged, last; then a .gz: the run ends at the end marker */
    blob two = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names, datas, 2);
    cr_assert_eq(damage_headers_after_special(&two, &at, 1), 1);
    blob cat = joined3(&two, note_gz.p, note_gz.len);
    char chain[64];
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&cat, "t.tar", &s, &res) : expand_both(&cat, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(s.n, 3, "piped %d: %zu", piped, s.n);
        snprintf(chain, sizeof chain, "[damaged@%zu]", at);
        cr_assert_str_eq(s.m[1].chain, chain);
        cr_assert_eq(s.m[1].data.len, 1024, "the damaged header and its data block, not the end marker");
        snprintf(chain, sizeof chain, "[trailing@%zu]!data", two.len);
        cr_assert_str_eq(s.m[2].chain, chain, "piped %d", piped);
        cr_assert(s.m[2].data.len == note.len && !memcmp(s.m[2].data.p, note.p, note.len));
        seen_free(&s);
    }
    free(cat.p);

    /* (2) a 7z past max_spool (a stop that does not halt), then the damaged tar, then z.txt */
    blob three = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names, datas, 3);
    cr_assert_eq(damage_headers_after_special(&three, &at, 1), 1);
    const char *in7[] = {"x.txt"};
    blob seven = write_archive(ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, in7, &datas[0], 1);
    const char *outer_names[] = {"big.7z", "inner.tar", "z.txt"};
    blob outer_datas[] = {seven, three, text("key KSTEST_REVIEWAFTERIT001\n")};
    blob outer = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, outer_names, outer_datas, 3);
    ks_container_limits lim = DEFAULTS;
    lim.max_spool = 64;
    cr_assert_eq(expand_both(&outer, "o.tar", &lim, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_LIMIT);
    cr_assert_eq(s.n, 5, "%zu members", s.n);
    cr_assert_str_eq(s.m[0].chain, "big.7z");
    cr_assert_str_eq(s.m[3].chain, "inner.tar!c.txt");
    cr_assert_str_eq(s.m[4].chain, "z.txt");
    seen_free(&s);
    free(outer.p);
    free(seven.p);

    /* (3) and (4): in a gzip stream, a note after the tar inside it; and the damaged long name first */
    static const char inside[] = "note KSTEST_REVIEWINSIDEGZ01\n";
    blob noted = joined3(&three, inside, sizeof inside - 1);
    const char *tar_name[] = {"t.tar"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, tar_name, &noted, 1);
    cr_assert_eq(expand_both(&gz, "t.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 4, "%zu members", s.n);
    snprintf(chain, sizeof chain, "t.tar![trailing@%zu]", three.len);
    cr_assert_str_eq(s.m[3].chain, chain);
    seen_free(&s);
    free(gz.p);
    free(noted.p);
    blob first = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names + 1, datas + 1, 2);
    cr_assert_eq(damage_headers_after_special(&first, &at, 1), 1);
    gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, tar_name, &first, 1);
    cr_assert_eq(expand_both(&gz, "t.tar.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert_eq(s.n, 2, "%zu members: %s", s.n, s.last_problem);
    cr_assert_str_eq(s.m[0].chain, "[damaged@1024]");
    cr_assert_str_eq(s.m[1].chain, "c.txt");
    seen_free(&s);
    free(gz.p);
    free(first.p);

    /* (5) cut after the long name's body: truncated, said as before; and its end marker right after it */
    blob intact = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names, datas, 2);
    blob cut = {.p = intact.p, .len = 2048}; /* a.txt's header and data, the long name's header and body */
    cr_assert_eq(intact.p[1024 + 156], 'L');
    cr_assert_eq(expand_both(&cut, "t.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert(strstr(s.last_problem, "stopped: corrupt or truncated container: Damaged tar archive"), "%s",
              s.last_problem);
    seen_free(&s);
    blob ended = {.p = malloc(3072 + note.len), .len = 3072 + note.len};
    memcpy(ended.p, intact.p, 2048);
    memset(ended.p + 2048, 0, 1024);
    memcpy(ended.p + 3072, note.p, note.len);
    cr_assert_eq(expand_both(&ended, "t.tar", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(res.stop, KS_CONT_CORRUPT);
    cr_assert(strstr(s.last_problem, "a long-name or pax header with no member after it"), "%s", s.last_problem);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.m[1].chain, "[trailing@3072]");
    seen_free(&s);
    free(ended.p);
    free(intact.p);
    free(three.p);
    free(two.p);
    free(note_gz.p);
}

/* A second review found: a lone zero block in a damaged member's data was taken for the tar's end marker, and the
 * members after it were scanned as trailing bytes (a .gz among them, compressed); a bzip2 inside a bzip2 and an lz4
 * inside an lz4 were still decoded by the outer handle's filter (libarchive bid the same filter again), what followed
 * them lost; and lzma's "alone" format inside a stream was no longer decoded at all. */
Test(container, r_review_of_zero_blocks_and_streams_in_streams, .timeout = KS_HANG_S(120))
{
    char long_name[160];
    memset(long_name, 'L', 150);
    long_name[150] = '\0';
    unsigned char data[2048];
    memset(data, '.', sizeof data);
    memcpy(data, "key KSTEST_ZEROBLOCKLONG01\n", 27);
    memset(data + 512, 0, 512); /* a zero block inside the member's data, then more of it */
    memcpy(data + 1024, "key KSTEST_ZEROBLOCKAFTER1\n", 27);
    const char *names[] = {"a.txt", long_name, "s.txt"};
    blob datas[] = {text("key KSTEST_ZEROBLOCKFIRST1\n"), {.p = data, .len = sizeof data},
                    text("key KSTEST_ZEROBLOCKLAST01\n")};
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, names, datas, 3);
    size_t at;
    cr_assert_eq(damage_headers_after_special(&tar, &at, 1), 1);
    seen s;
    ks_container_result res;
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&tar, "t.tar", &s, &res) : expand_both(&tar, "t.tar", &DEFAULTS, &s, &res), 0);
        cr_assert_eq(s.n, 3, "piped %d: %zu members", piped, s.n);
        cr_assert_eq(s.m[1].data.len, 512 + sizeof data, "the damaged header and the whole member's data");
        cr_assert(!memcmp(s.m[1].data.p, tar.p + at, 512 + sizeof data));
        cr_assert_str_eq(s.m[2].chain, "s.txt");
        seen_free(&s);
    }
    free(tar.p);

    const char *raw[] = {"x"};
    blob body = text("one\nkey KSTEST_STREAMINSTREAM1\n");
    static const char note[] = "note KSTEST_STREAMINSTREAMN\n";
    const int same[] = {ARCHIVE_FILTER_BZIP2, ARCHIVE_FILTER_LZ4};
    for (size_t f = 0; f < 2; f++) {
        blob inner = write_archive(ARCHIVE_FORMAT_RAW, same[f], raw, &body, 1);
        blob noted = joined3(&inner, note, sizeof note - 1);
        const char *mid[] = {"x.in"};
        blob outer = write_archive(ARCHIVE_FORMAT_RAW, same[f], mid, &noted, 1);
        for (int piped = 0; piped <= 1; piped++) {
            cr_assert_eq(piped ? expand_piped(&outer, "x.in.z", &s, &res)
                               : expand_both(&outer, "x.in.z", &DEFAULTS, &s, &res), 0);
            cr_assert_eq(s.n, 2, "filter %zu, piped %d: %zu members", f, piped, s.n);
            cr_assert(s.m[0].data.len == body.len && !memcmp(s.m[0].data.p, body.p, body.len));
            char chain[64];
            snprintf(chain, sizeof chain, "x.in![trailing@%zu]", inner.len);
            cr_assert_str_eq(s.m[1].chain, chain, "filter %zu, piped %d", f, piped);
            seen_free(&s);
        }
        free(outer.p);
        free(noted.p);
        free(inner.p);
    }
    blob lzma = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_LZMA, raw, &body, 1);
    const char *lz_name[] = {"x.lzma"};
    blob gz = write_archive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, lz_name, &lzma, 1);
    cr_assert_eq(expand_both(&gz, "x.lzma.gz", &DEFAULTS, &s, &res), 0);
    cr_assert_eq(s.n, 1);
    cr_assert(s.m[0].data.len == body.len && !memcmp(s.m[0].data.p, body.p, body.len), "decoded: %zu", s.m[0].data.len);
    seen_free(&s);
    free(gz.p);
    free(lzma.p);
}

/* Counts how a feed's replay hands the members over: in pieces (data), or whole with their end (data_end), and how
 * many of those whole ones end 64-byte aligned. */
typedef struct whole_count {
    size_t begun, pieces, whole, aligned, bytes;
} whole_count;

static int wc_begin(void *ctx, const char *chain)
{
    (void)chain;
    ((whole_count *)ctx)->begun++;
    return 0;
}

static int wc_data(void *ctx, const void *p, size_t n)
{
    (void)p;
    whole_count *c = ctx;
    c->pieces++;
    c->bytes += n;
    return 0;
}

static int wc_end(void *ctx)
{
    (void)ctx;
    return 0;
}

static int wc_data_end(void *ctx, const void *p, size_t n)
{
    whole_count *c = ctx;
    c->whole++;
    c->aligned += ((uintptr_t)((const unsigned char *)p + n) & 63) == 0;
    c->bytes += n;
    return 0;
}

/* A .tar.gz of n members of 3,000 bytes and 401 more each, expanded through a feed from memory (from_fd 0) or a
 * descriptor with its gzip decoded ahead (1): how the replay handed them over. */
static whole_count through_feed(size_t n, int from_fd)
{
    const char **names = calloc(n, sizeof *names);
    blob *datas = calloc(n, sizeof *datas);
    char(*name)[16] = calloc(n, sizeof *name);
    cr_assert(names && datas && name);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(name[i], sizeof name[i], "m%03zu.txt", i);
        names[i] = name[i];
        size_t len = 3000 + i * 401; /* longer than the head looked at, and none a multiple of anything */
        datas[i] = (blob){malloc(len), len, len};
        cr_assert(datas[i].p);
        for (size_t k = 0; k < len; k++)
            datas[i].p[k] = (unsigned char)('a' + (k * 7 + i) % 26);
        total += len;
    }
    blob tar = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, datas, n);
    static const ks_container_sink WHOLE = {wc_begin, wc_data, wc_end, on_problem, wc_data_end, NULL, NULL};
    whole_count c = {0};
    ks_container_result res;
    int fd = -1;
    if (from_fd) {
        fd = memfd_create("t", MFD_CLOEXEC);
        cr_assert(fd >= 0);
        cr_assert_eq(write(fd, tar.p, tar.len), (ssize_t)tar.len);
    }
    ks_container_limits ahead = DEFAULTS;
    ahead.decode_ahead = from_fd ? 3 : 0;
    int rc = ks__container_expand_overlapped(from_fd ? NULL : tar.p, from_fd ? 0 : tar.len, fd, tar.len, "t.tar.gz",
                                             &ahead, &WHOLE, &c, &res);
    cr_assert_eq(rc, 0);
    cr_assert_eq(c.begun, n);
    cr_assert_eq(c.bytes, total);
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < n; i++)
        free(datas[i].p);
    free(tar.p);
    free(names);
    free(datas);
    free(name);
    return c;
}

/* Regression: each member came through the feed as two data records (the head sniffed for a nested container, then
 * the rest), so the replay never had a member whole, and every worker copied each member before scanning it. */
Test(container, r_a_member_handed_over_in_pieces_is_one_record_in_the_feed)
{
    for (int from_fd = 0; from_fd <= 1; from_fd++) {
        whole_count c = through_feed(24, from_fd); /* 180 KB: one block */
        cr_assert_eq(c.whole, 24, "from a descriptor %d: %zu of 24 members handed over whole", from_fd, c.whole);
        cr_assert_eq(c.pieces, 0, "from a descriptor %d: %zu pieces", from_fd, c.pieces);
    }
}

/* A member whose entry gives its size and that fits a feed block is kept whole in one (not cut where a block ends),
 * and its bytes end 64-byte aligned, so that the engine scans it where it lies, without a copy. */
Test(container, a_member_of_known_size_is_whole_in_a_feed_block_and_ends_aligned)
{
    for (int from_fd = 0; from_fd <= 1; from_fd++) {
        whole_count c = through_feed(90, from_fd); /* 1.9 MB: several blocks, members of 3 KB to 38 KB */
        cr_assert_eq(c.pieces, 0, "from a descriptor %d: %zu pieces", from_fd, c.pieces);
        cr_assert_eq(c.whole, 90);
        cr_assert_eq(c.aligned, 90, "from a descriptor %d: %zu of 90 end aligned", from_fd, c.aligned);
    }
}

/* Regression: trailing data that began with a container's magic went to expand_member whole; when that container did
 * not open (a tar header whose checksum is wrong, a gzip header and then no deflate data), its bytes were scanned as
 * they are and a container after them was never looked for: `cat a.tar damaged.tar b.tar.gz` lost b's members. */
Test(container, r_a_container_after_a_damaged_one_in_trailing_data, .timeout = KS_HANG_S(120))
{
    const char *an[] = {"a/.env"}, *dn[] = {"d/x"}, *bn[] = {"b/creds"};
    blob ad = text("x=1\nk=KSTEST_FIRSTARCHIVE0001\n"), dd = text("one\nkey KSTEST_INDAMAGEDTAR0001\n"),
         bd = text("one\ntwo\nkey KSTEST_SECONDARCHIVE001\n");
    blob first = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, an, &ad, 1);
    blob damaged = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, dn, &dd, 1);
    memcpy(damaged.p + 148, "0000000", 8); /* its checksum, wrong */
    blob second = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, bn, &bd, 1);
    static const char broken_gz[] = "\x1f\x8b\x08\x00garbage, no deflate data\n";
    const struct {
        const void *p;
        size_t n;
    } between[] = {{damaged.p, 1024}, {broken_gz, sizeof broken_gz - 1}};
    for (size_t k = 0; k < 2; k++) {
        blob mid = joined3(&first, between[k].p, between[k].n), whole = joined(&mid, &second);
        seen s;
        ks_container_result res;
        for (int piped = 0; piped <= 1; piped++) {
            int rc = piped ? expand_piped(&whole, "t.tar", &s, &res) : expand_both(&whole, "t.tar", &DEFAULTS, &s, &res);
            cr_assert_eq(rc, 0, "case %zu, piped %d", k, piped);
            cr_assert_eq(s.n, 3, "case %zu, piped %d: %zu members", k, piped, s.n);
            char chain[64];
            cr_assert_str_eq(s.m[0].chain, "a/.env");
            snprintf(chain, sizeof chain, "[trailing@%zu]", first.len);
            cr_assert_str_eq(s.m[1].chain, chain, "case %zu, piped %d", k, piped);
            cr_assert(s.m[1].data.len == between[k].n && !memcmp(s.m[1].data.p, between[k].p, between[k].n),
                      "case %zu, piped %d: the damaged bytes, as they are", k, piped);
            snprintf(chain, sizeof chain, "[trailing@%zu]!b/creds", mid.len);
            cr_assert_str_eq(s.m[2].chain, chain, "case %zu, piped %d", k, piped);
            cr_assert(s.m[2].data.len == bd.len && !memcmp(s.m[2].data.p, bd.p, bd.len));
            seen_free(&s);
        }
        free(whole.p);
        free(mid.p);
    }
    free(first.p);
    free(damaged.p);
    free(second.p);
}

/* Regression (review): an xz or zstd stream in trailing data with a container after it was tried with libarchive's
 * filter, which takes what follows a stream for more of it and fails: the stream was taken for no container, and
 * its members were scanned compressed, behind a note as at the trailing data's first byte. It is now tried with the
 * decoder the expansion reads it with. */
Test(container, r_a_stream_in_trailing_data_before_another_container, .timeout = KS_HANG_S(120))
{
    const char *an[] = {"a/.env"}, *cn[] = {"c/conf"}, *bn[] = {"b/creds"};
    blob ad = text("x=1\n"), cd = text("one\nkey KSTEST_INSIDECTARXZ0001\n"),
         bd = text("one\ntwo\nkey KSTEST_SECONDARCHIVE001\n");
    blob first = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, an, &ad, 1);
    blob second = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, bn, &bd, 1);
    static const char note[] = "a note KSTEST_NOTEBETWEENTHEM1\n";
    /* (not gzip: a .tar.gz after it would be its next member, one stream, as gzip -d reads them) */
    const int filters[] = {ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_BZIP2};
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        blob mid = write_archive(ARCHIVE_FORMAT_TAR_USTAR, filters[f], cn, &cd, 1);
        for (int noted = 0; noted <= 1; noted++) {
            size_t nl = noted ? sizeof note - 1 : 0;
            blob head = joined3(&first, note, nl), with = joined(&head, &mid), whole = joined(&with, &second);
            seen s;
            ks_container_result res;
            for (int piped = 0; piped <= 1; piped++) {
                int rc = piped ? expand_piped(&whole, "t.tar", &s, &res)
                               : expand_both(&whole, "t.tar", &DEFAULTS, &s, &res);
                cr_assert_eq(rc, 0, "filter %zu, noted %d, piped %d", f, noted, piped);
                cr_assert_eq(s.n, 3u + (unsigned)noted, "filter %zu, noted %d, piped %d: %zu members", f, noted, piped,
                             s.n);
                char chain[96];
                size_t k = 1;
                if (noted) {
                    snprintf(chain, sizeof chain, "[trailing@%zu]", first.len);
                    cr_assert_str_eq(s.m[k++].chain, chain);
                }
                snprintf(chain, sizeof chain, "[trailing@%zu]!c/conf", head.len);
                cr_assert_str_eq(s.m[k].chain, chain, "filter %zu, noted %d, piped %d", f, noted, piped);
                cr_assert(s.m[k].data.len == cd.len && !memcmp(s.m[k].data.p, cd.p, cd.len));
                k++;
                snprintf(chain, sizeof chain, "[trailing@%zu]![trailing@%zu]!b/creds", head.len, mid.len);
                cr_assert_str_eq(s.m[k].chain, chain, "filter %zu, noted %d, piped %d", f, noted, piped);
                seen_free(&s);
            }
            free(whole.p);
            free(with.p);
            free(head.p);
        }
        free(mid.p);
    }
    free(first.p);
    free(second.p);
}

/* Regression (second review of trying candidates in trailing data): (1) an lz4 candidate was tried with libarchive's
 * filter as a bidder, which knows no skippable frame, so the raw format took any bytes after such frames: a broken
 * lz4 there was taken for a stream and the container after it lost; (2) a stream cut where the look stops reading
 * (its first MiB) failed to open for want of its next bytes, and was passed over with what followed it. */
Test(container, r_review_of_trying_streams_in_trailing_data, .timeout = KS_HANG_S(120))
{
    const char *an[] = {"a/.env"}, *cn[] = {"c/conf"}, *bn[] = {"b/creds"};
    blob ad = text("x=1\n"), bd = text("one\ntwo\nkey KSTEST_SECONDARCHIVE001\n");
    size_t big = 200000;
    blob cd = {malloc(big), big, big};
    cr_assert(cd.p);
    for (size_t i = 0; i < big; i++) /* hard to compress: the stream's first block is not whole in what is looked at */
        cd.p[i] = (unsigned char)('a' + (i * 2654435761u >> 13) % 26);
    memcpy(cd.p, "key KSTEST_INSIDECTARXZ0001\n", 28);
    blob first = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, an, &ad, 1);
    blob second = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, bn, &bd, 1);
    seen s;
    ks_container_result res;

    /* (1) a note, skippable frames, half an lz4 stream, then the .tar.gz */
    blob lz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_LZ4, cn, &cd, 1);
    static const char note[] = "a note\n", skip[] = "\x50\x2a\x4d\x18\x04\0\0\0\0\0\0\0";
    blob b1 = joined3(&first, note, sizeof note - 1), b2 = joined3(&b1, skip, sizeof skip - 1),
         b3 = joined3(&b2, lz.p, lz.len / 2), whole = joined(&b3, &second);
    for (int piped = 0; piped <= 1; piped++) {
        cr_assert_eq(piped ? expand_piped(&whole, "t.tar", &s, &res) : expand_both(&whole, "t.tar", &DEFAULTS, &s, &res),
                     0);
        char chain[64];
        snprintf(chain, sizeof chain, "[trailing@%zu]!b/creds", b3.len);
        cr_assert_str_eq(s.m[s.n - 1].chain, chain, "piped %d: the container after the broken lz4", piped);
        seen_free(&s);
    }
    free(whole.p), free(b3.p), free(b2.p), free(b1.p), free(lz.p);

    /* (2) a note that ends 300 bytes short of the first MiB, then a zstd or a gzip stream, then the .tar.gz */
    const int filters[] = {ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_GZIP};
    for (size_t f = 0; f < 2; f++) {
        blob mid = write_archive(ARCHIVE_FORMAT_TAR_USTAR, filters[f], cn, &cd, 1);
        size_t nl = KS_CONTAINER_LEAD_MAX - 300; /* (it is looked for in the first MiB, read a little past it) */
        unsigned char *z = malloc(nl);
        cr_assert(z);
        memset(z, 'z', nl);
        blob h = joined3(&first, z, nl), w = joined(&h, &mid), all = joined(&w, &second);
        for (int piped = 0; piped <= 1; piped++) {
            cr_assert_eq(piped ? expand_piped(&all, "t.tar", &s, &res) : expand_both(&all, "t.tar", &DEFAULTS, &s, &res),
                         0);
            cr_assert_eq(s.n, 4, "filter %zu, piped %d: %zu members", f, piped, s.n);
            char chain[64];
            snprintf(chain, sizeof chain, "[trailing@%zu]!c/conf", h.len);
            cr_assert_str_eq(s.m[2].chain, chain, "filter %zu, piped %d", f, piped);
            cr_assert(s.m[2].data.len == cd.len && !memcmp(s.m[2].data.p, cd.p, cd.len));
            seen_free(&s);
        }
        free(all.p), free(w.p), free(h.p), free(z), free(mid.p);
    }
    free(cd.p), free(first.p), free(second.p);
}

/* Regression (review): a read of the object that failed (EIO from the disk) was said as a container's damage
 * ("corrupt or truncated member: read failed: Input/output error"), KS_CONT_CORRUPT, which a scan counts as a
 * warning: 0 errors, exit 0, the rest of the file never read. It is now KS_CONT_IO (an error, exit 2): from a
 * .tar.gz read here or decoded ahead, and from a zip whose members threads read by themselves. */
Test(container, r_a_read_error_of_the_object_is_not_its_damage, .timeout = KS_HANG_S(120))
{
    blob body[4] = {pseudo_random(3000000, 51, 1), pseudo_random(900000, 52, 1), pseudo_random(900000, 53, 1),
                    pseudo_random(900000, 54, 1)};
    const char *names[] = {"a.txt", "b.txt", "c.txt", "d.txt"};
    blob tgz = write_archive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, names, body, 1);
    blob zip = write_archive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, names, body, 4);
    const blob *arcs[2] = {&tgz, &zip};
    for (int k = 0; k < 2; k++) {
        int fd = memfd_create("e", MFD_CLOEXEC);
        cr_assert(fd >= 0 && write(fd, arcs[k]->p, arcs[k]->len) == (ssize_t)arcs[k]->len);
        for (int how = 0; how < 2; how++) {
            ks_container_limits lim = DEFAULTS;
            lim.decode_ahead = how ? 3 : 0;
            seen s;
            memset(&s, 0, sizeof s);
            ks_container_result res;
            ks__io_fault_set(0, 6, EIO, 0); /* the 6th read of the object fails */
            int rc = (how ? ks__container_expand_overlapped : ks__container_expand)(NULL, 0, fd, arcs[k]->len,
                                                                                    names[0], &lim, &SINK, &s, &res);
            ks__io_fault_set(0, 0, 0, 0);
            cr_assert(rc == 0 && res.stop == KS_CONT_IO && s.fatal >= 1 && /* (libarchive's zip: "Truncated") */
                          strstr(s.last_problem, k ? "" : "read failed"),
                      "%d/%d: rc %d, stop %d, %s", k, how, rc, (int)res.stop, s.last_problem);
            seen_free(&s);
            /* the same read, not failing: complete */
            memset(&s, 0, sizeof s);
            cr_assert_eq((how ? ks__container_expand_overlapped : ks__container_expand)(NULL, 0, fd, arcs[k]->len,
                                                                                      names[0], &lim, &SINK, &s, &res),
                         0);
            cr_assert(res.stop == KS_CONT_COMPLETE && s.n == (k ? 4u : 1u), "%d/%d: %zu members", k, how, s.n);
            seen_free(&s);
        }
        close(fd);
    }
    free(tgz.p);
    free(zip.p);
    for (int i = 0; i < 4; i++)
        free(body[i].p);
}

/* Regression (review): a block whose output did not all fit in the decoder's room (256 KiB) left the rest in
 * libzstd, which handed it out in the next call, with the next block's header; when that header was damaged the
 * call failed, and what it had handed out was dropped with it: up to a block of good bytes before the damage lost.
 * What libzstd holds now comes out first, in a call of its own. */
Test(container, r_a_zstd_block_s_output_held_back_is_kept_when_the_next_header_is_damaged, .timeout = KS_HANG_S(120))
{
    blob body[2] = {pseudo_random(200000, 61, 1), pseudo_random(300000, 62, 1)};
    blob b = {0};
    zstd_or_xz_onto(&b, &body[0], 0);
    size_t second = b.len;
    zstd_or_xz_onto(&b, &body[1], 0);
    /* the second frame's header (magic, descriptor, window, dictionary id, content size), then its first block */
    unsigned fhd = b.p[second + 4], single = (fhd >> 5) & 1;
    static const unsigned did[4] = {0, 1, 2, 4}, fcs[4] = {0, 2, 4, 8};
    size_t at = second + 5 + !single + did[fhd & 3] + ((fhd >> 6) ? fcs[fhd >> 6] : single);
    uint32_t h = b.p[at] | (uint32_t)b.p[at + 1] << 8 | (uint32_t)b.p[at + 2] << 16;
    cr_assert(!(h & 1) && ((h >> 1) & 3) == 2, "a compressed block, not the last: %x", h);
    at += 3 + (h >> 3); /* the second block's header */
    b.p[at] |= 6; /* a reserved block type: corrupt */
    for (int how = 0; how < 3; how++) {
        seen s;
        ks_container_result res;
        cr_assert_eq(expand_how(&b, "k.zst", how, &s, &res), 0, "%d", how);
        size_t want = body[0].len + 131072; /* the first frame, and the second's first block: all before the damage */
        cr_assert(s.n >= 1 && s.m[0].data.len >= want && !memcmp(s.m[0].data.p, body[0].p, body[0].len) &&
                      !memcmp(s.m[0].data.p + body[0].len, body[1].p, 131072),
                  "%d: %zu bytes out of %zu", how, s.n ? s.m[0].data.len : 0, want);
        seen_free(&s);
    }
    free(b.p);
    free(body[0].p);
    free(body[1].p);
}
