/* test_large.c: objects over 4 GiB (sparse files): tokens around the 2^32 mark keep exact 64-bit offsets and lines. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hang.h"
#include "helpers.h"

#define FOUR_GIB (1ULL << 32)
static const char TOKEN[] = "AKIAABCDEFGHIJKLMNOP";
static const uint64_t AT[] = {FOUR_GIB - 200, FOUR_GIB - 3, FOUR_GIB + 29, FOUR_GIB + 40000};
#define N_AT (sizeof AT / sizeof AT[0])
static const uint64_t SIZE = FOUR_GIB + 65536;
static char path[64];
static int fd = -1;

static void make_sparse(void)
{
    /* Sanitizer builds may opt out: scanning 4 GiB under ASan is slow on a 2-core CI machine. */
    const char *skip = getenv("KS_SKIP_LARGE");
    if (skip && *skip && strcmp(skip, "0") != 0)
        cr_skip_test("KS_SKIP_LARGE is set");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/ks-large-XXXXXX", tmp);
    fd = mkstemp(path);
    cr_assert(fd >= 0);
    unlink(path);
    if (ftruncate(fd, (off_t)SIZE))
        cr_skip_test("cannot create a sparse %llu-byte file here", (unsigned long long)SIZE);
    for (size_t i = 0; i < N_AT; i++) {
        cr_assert_eq(pwrite(fd, "\n", 1, (off_t)AT[i] - 1), 1);
        cr_assert_eq(pwrite(fd, TOKEN, 20, (off_t)AT[i]), 20);
        cr_assert_eq(pwrite(fd, "\n", 1, (off_t)AT[i] + 20), 1);
    }
}

static void close_sparse(void)
{
    if (fd >= 0)
        close(fd);
}

static void check(const found_list *f)
{
    cr_assert_eq(f->n, N_AT, "%zu findings", f->n);
    for (size_t i = 0; i < N_AT; i++) {
        cr_assert_eq(f->items[i].start, AT[i], "finding %zu at %llu, expected %llu", i,
                     (unsigned long long)f->items[i].start, (unsigned long long)AT[i]);
        cr_assert_eq(f->items[i].end, AT[i] + 20);
        cr_assert_eq(f->items[i].line, 2 * i + 2);
        cr_assert_eq(f->items[i].column, 1);
    }
}

static ks_engine *aws_engine(void)
{
    return engine_from_yaml("rules:\n  - {id: aws, name: AWS, pattern: '\\bAKIA[0-9A-Z]{16}\\b'}\n");
}

Test(large, whole_buffer_over_4gib, .init = make_sparse, .fini = close_sparse, .timeout = KS_HANG_S(300))
{
    void *map = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
    cr_assert_neq(map, MAP_FAILED);
    ks_engine *e = aws_engine();
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    cr_assert_eq(ks_scan(s, map, SIZE, 0, 0, collect, &f), 0);
    check(&f);
    found_list_free(&f);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    munmap(map, SIZE);
}

Test(large, stream_over_4gib, .init = make_sparse, .fini = close_sparse, .timeout = KS_HANG_S(300))
{
    ks_engine *e = aws_engine();
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(ks_scanner_engine(s), NULL, collect, &f, &st), 0);
    size_t piece = 8u << 20;
    unsigned char *buf = malloc(piece);
    uint64_t off = 0;
    while (off < SIZE) {
        ssize_t r = pread(fd, buf, piece, (off_t)off);
        cr_assert(r > 0);
        cr_assert_eq(ks_stream_write(st, s, buf, (size_t)r), 0);
        off += (uint64_t)r;
    }
    cr_assert_eq(ks_stream_close(st, s), 0);
    check(&f);
    free(buf);
    found_list_free(&f);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}
