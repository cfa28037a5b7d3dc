/* test_stream.c: the streaming API equals the whole-object scan for any cut points, with bounded memory. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "helpers.h"
#include "internal.h"


TestSuite(stream, .init = fx_setup, .fini = fx_teardown);

static found_list scan_whole(const unsigned char *buf, size_t len)
{
    found_list f = {0};
    cr_assert_eq(ks_scan(fx_scanner, buf, len, 0, 0, collect, &f), 0);
    return f;
}

static found_list scan_pieces(const unsigned char *buf, size_t len, const size_t *cuts, size_t n_cuts)
{
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_scanner, collect, &f, &st), 0);
    size_t prev = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t cut = i < n_cuts ? cuts[i] : len;
        cr_assert_eq(ks_stream_write(st, buf + prev, cut - prev), 0);
        prev = cut;
    }
    cr_assert_eq(ks_stream_close(st), 0);
    return f;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

Test(stream, random_cuts_equal_whole)
{
    uint64_t rs = 42;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        size_t len = 3000 + (size_t)(rnd_next(&rs) % 30000);
        unsigned char *buf = make_object(len, 30, seed);
        found_list whole = scan_whole(buf, len);
        size_t n_cuts = (size_t)(rnd_next(&rs) % 40);
        size_t cuts[40];
        for (size_t i = 0; i < n_cuts; i++)
            cuts[i] = (size_t)(rnd_next(&rs) % (len + 1));
        qsort(cuts, n_cuts, sizeof *cuts, cmp_size);
        found_list parts = scan_pieces(buf, len, cuts, n_cuts);
        cr_assert(found_list_equal(&whole, &parts), "seed %llu with %zu cuts", (unsigned long long)seed, n_cuts);
        found_list_free(&whole);
        found_list_free(&parts);
        free(buf);
    }
}

Test(stream, one_byte_pieces_equal_whole)
{
    size_t len = 6000;
    unsigned char *buf = make_object(len, 12, 7);
    found_list whole = scan_whole(buf, len);
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_scanner, collect, &f, &st), 0);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(ks_stream_write(st, buf + i, 1), 0);
    cr_assert_eq(ks_stream_close(st), 0);
    cr_assert(found_list_equal(&whole, &f));
    found_list_free(&whole);
    found_list_free(&f);
    free(buf);
}

/* Every plant at every offset around one piece boundary: found once, exact start, end and line. */
Test(stream, token_around_a_piece_boundary)
{
    const size_t cut = 1000, len = 2100;
    unsigned char *buf = malloc(len);
    for (size_t p = 0; p < N_PLANTS; p++) {
        size_t pl = strlen(PLANTS[p]);
        for (size_t at = cut - pl - 2; at <= cut + 2; at++) {
            memset(buf, ' ', len);
            buf[10] = '\n';
            buf[20] = '\n';
            buf[at - 1] = '\n';
            memcpy(buf + at, PLANTS[p], pl);
            buf[at + pl] = '\n';
            found_list f = scan_pieces(buf, len, &cut, 1);
            cr_assert_eq(f.n, 1, "plant %zu at %zu", p, at);
            cr_assert_eq(f.items[0].start, at);
            cr_assert_eq(f.items[0].end, at + pl);
            cr_assert_eq(f.items[0].line, 4);
            cr_assert_eq(f.items[0].column, 1);
            found_list_free(&f);
        }
    }
    free(buf);
}

Test(stream, memory_stays_bounded)
{
    const size_t piece = 64 * 1024;
    unsigned char *buf = make_object(piece, 3, 9);
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_scanner, collect, &f, &st), 0);
    ks_engine_stats es;
    ks_engine_stats_get(fx_engine, &es);
    size_t peak = 0;
    for (int i = 0; i < 1024; i++) { /* 64 MiB */
        cr_assert_eq(ks_stream_write(st, buf, piece), 0);
        size_t cap = ks__stream_capacity(st);
        if (cap > peak)
            peak = cap;
    }
    cr_assert(peak <= 2 * (piece + 2 * (es.max_width + 2 + KS_ALLOW_WINDOW)), "stream buffer grew to %zu", peak);
    cr_assert_eq(ks_stream_close(st), 0);
    cr_assert(f.n >= 1024, "%zu findings", f.n);
    cr_assert(f.items[f.n - 1].line > 1000, "lines keep counting across pieces");
    found_list_free(&f);
    free(buf);
}

Test(stream, empty_object)
{
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_scanner, collect, &f, &st), 0);
    cr_assert_eq(ks_stream_write(st, NULL, 0), 0);
    cr_assert_eq(ks_stream_close(st), 0);
    cr_assert_eq(f.n, 0);
}
