/* test_stream.c: the streaming API equals the whole-object scan for any cut points, with bounded memory. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "hang.h"
#include "helpers.h"
#include "scanner_int.h"


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
    cr_assert_eq(ks_stream_open(fx_engine, NULL, collect, &f, &st), 0);
    size_t prev = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t cut = i < n_cuts ? cuts[i] : len;
        cr_assert_eq(ks_stream_write(st, fx_scanner, buf + prev, cut - prev), 0);
        prev = cut;
    }
    cr_assert_eq(ks_stream_close(st, fx_scanner), 0);
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
    cr_assert_eq(ks_stream_open(fx_engine, NULL, collect, &f, &st), 0);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(ks_stream_write(st, fx_scanner, buf + i, 1), 0);
    cr_assert_eq(ks_stream_close(st, fx_scanner), 0);
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
            cr_assert_eq(f.items[0].end, at + plant_match_len(PLANTS[p]));
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
    cr_assert_eq(ks_stream_open(fx_engine, NULL, collect, &f, &st), 0);
    ks_engine_stats es = {.size = sizeof es};
    ks_engine_stats_get(fx_engine, &es);
    size_t peak = 0;
    for (int i = 0; i < 1024; i++) { /* 64 MiB */
        cr_assert_eq(ks_stream_write(st, fx_scanner, buf, piece), 0);
        size_t cap = ks__stream_capacity(st);
        if (cap > peak)
            peak = cap;
    }
    cr_assert(peak <= 2 * (piece + 2 * (es.reach + 2 + KS_ALLOW_WINDOW)), "stream buffer grew to %zu", peak);
    cr_assert_eq(ks_stream_close(st, fx_scanner), 0);
    cr_assert(f.n >= 1024, "%zu findings", f.n);
    cr_assert(f.items[f.n - 1].line > 1000, "lines keep counting across pieces");
    found_list_free(&f);
    free(buf);
}

Test(stream, empty_object)
{
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_engine, NULL, collect, &f, &st), 0);
    cr_assert_eq(ks_stream_write(st, fx_scanner, NULL, 0), 0);
    cr_assert_eq(ks_stream_close(st, fx_scanner), 0);
    cr_assert_eq(f.n, 0);
}

/* An appliance with many objects being written at once: 100,000 open streams share two scanners,
 * each object arriving in three pieces interleaved with all the others; each finds its one key at
 * its offset, and an open stream costs a bounded, measured number of bytes. */
typedef struct one_key {
    uint64_t start;
    int n;
} one_key;

static int note_key(const ks_match *m, void *ctx)
{
    one_key *k = ctx;
    k->start = m->start;
    k->n++;
    return 0;
}

Test(stream, hundred_thousand_open_streams_share_two_scanners, .timeout = KS_HANG_S(600))
{
    enum { N = 100000 };
    ks_scanner *two[2] = {fx_scanner, NULL};
    cr_assert_eq(ks_scanner_create(fx_engine, &two[1]), 0);
    ks_stream **st = calloc(N, sizeof *st);
    one_key *keys = calloc(N, sizeof *keys);
    cr_assert(st && keys);
    for (int i = 0; i < N; i++)
        cr_assert_eq(ks_stream_open(fx_engine, NULL, note_key, &keys[i], &st[i]), 0);
    char obj[160];
    size_t total = 0, peak = 0;
    for (int piece = 0; piece < 3; piece++) {
        for (int i = 0; i < N; i++) {
            /* object i: (i % 40) spaces, a key that encodes i, a newline and a tail */
            int pad = i % 40;
            int len = snprintf(obj, sizeof obj, "%*sAKIA%016d \nsome tail text after the key\n", pad, "", i);
            for (int c = pad + 4; c < pad + 20; c++)
                obj[c] = (char)('A' + (obj[c] - '0'));
            int cut1 = len / 3, cut2 = 2 * len / 3;
            int from = piece == 0 ? 0 : piece == 1 ? cut1 : cut2, to = piece == 0 ? cut1 : piece == 1 ? cut2 : len;
            cr_assert_eq(ks_stream_write(st[i], two[(i + piece) & 1], obj + from, (size_t)(to - from)), 0);
        }
        total = 0;
        for (int i = 0; i < N; i++)
            total += ks_stream_bytes(st[i]);
        if (total > peak)
            peak = total;
    }
    ks_engine_stats es = {.size = sizeof es};
    ks_engine_stats_get(fx_engine, &es);
    size_t per = peak / N;
    cr_log_info("%d open streams: %zu bytes in all, %zu bytes per open stream (test rules, max width %zu)", N, peak,
                per, es.max_width);
    cr_assert(per <= 1024, "an open stream of a small object holds %zu bytes", per);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(ks_stream_close(st[i], two[i & 1]), 0);
        cr_assert_eq(keys[i].n, 1, "object %d: %d findings", i, keys[i].n);
        cr_assert_eq(keys[i].start, (uint64_t)(i % 40));
    }
    ks_scanner_destroy(two[1]);
    free(st);
    free(keys);
}

/* With the built-in pack, whose widest rule is about 10 KiB, a stream that has seen a lot keeps its
 * overlap: twice (max width + context + the allow window) at most, whatever was written. */
Test(stream, open_stream_bytes_with_the_builtin_pack, .timeout = KS_HANG_S(600))
{
    ks_rules *rules = NULL;
    ks_engine *e = NULL;
    ks_scanner *sc = NULL;
    ks_engine_options eo = {.size = sizeof eo, .flags = KS_ENGINE_NO_CACHE};
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_builtin(rules, NULL, NULL), 0);
    cr_assert_eq(ks_engine_create(rules, &eo, &e, NULL, NULL), 0);
    ks_rules_destroy(rules);
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    ks_engine_stats es = {.size = sizeof es};
    ks_engine_stats_get(e, &es);
    enum { N = 1000, PIECE = 64 * 1024 };
    unsigned char *buf = malloc(PIECE);
    uint64_t seed = 7;
    fill_text(buf, PIECE, &seed);
    ks_stream **st = calloc(N, sizeof *st);
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(ks_stream_open(e, NULL, NULL, NULL, &st[i]), 0);
        for (int k = 0; k < 4; k++)
            cr_assert_eq(ks_stream_write(st[i], sc, buf, PIECE), 0);
        total += ks_stream_bytes(st[i]);
    }
    size_t per = total / N, bound = 2 * (es.reach + 2 + KS_ALLOW_WINDOW) + 512;
    cr_log_info("built-in pack (max width %zu): %zu bytes per open stream after 256 KiB each (bound %zu)",
                es.max_width, per, bound);
    cr_assert(per <= bound, "%zu bytes per open stream, bound %zu", per, bound);
    for (int i = 0; i < N; i++)
        cr_assert_eq(ks_stream_close(st[i], sc), 0);
    free(st);
    free(buf);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
}

/* `a`, then `hole` zeros, then `b`, through a stream: the zeros written as data (ks__stream_zeros when `pass`). */
static found_list scan_with_hole(const unsigned char *a, size_t an, uint64_t hole, const unsigned char *b, size_t bn,
                                 int pass)
{
    static const unsigned char zeros[65536];
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(fx_engine, NULL, collect, &f, &st), 0);
    cr_assert_eq(ks_stream_write(st, fx_scanner, a, an), 0);
    if (pass) {
        cr_assert_eq(ks__stream_zeros(st, fx_scanner, hole), 0);
    } else {
        for (uint64_t left = hole; left;) {
            size_t k = left < sizeof zeros ? (size_t)left : sizeof zeros;
            cr_assert_eq(ks_stream_write(st, fx_scanner, zeros, k), 0);
            left -= k;
        }
    }
    cr_assert_eq(ks_stream_write(st, fx_scanner, b, bn), 0);
    cr_assert(ks__stream_capacity(st) <= 8 * ks__overlap(fx_engine) + an + bn, "%zu bytes held",
              ks__stream_capacity(st));
    cr_assert_eq(ks_stream_close(st, fx_scanner), 0);
    return f;
}

/* Regression: a sparse tar member's holes were scanned as zeros, and counted as bytes made from the archive: a 60 GB
 * hole in a 5 KiB tar (Go's archive/tar test data, in Debian's golang-1.19-src) was stopped as a compression bomb,
 * the scan incomplete. Holes are now passed over (ks__stream_zeros): the findings around one, their lines and columns,
 * are those of the zeros written, for every size of hole (the passing over begins past four overlaps), and one of
 * 64 GiB costs what four overlaps do. */
Test(stream, r_a_sparse_hole_passed_over_finds_what_its_zeros_written_would, .timeout = KS_HANG_S(300))
{
    size_t m = ks__overlap(fx_engine), an = 20000, bn = 20000;
    unsigned char *a = make_object(an, 12, 7), *b = make_object(bn, 12, 8);
    b[0] = '\n'; /* b's columns do not count the hole */
    const uint64_t holes[] = {0, 1, 1000, 2 * m - 1, 2 * m, 4 * m, 4 * m + 1, 4 * m + 4097, 5u << 20};
    found_list ref = {0};
    for (size_t i = 0; i < sizeof holes / sizeof holes[0]; i++) {
        found_list w = scan_with_hole(a, an, holes[i], b, bn, 0), p = scan_with_hole(a, an, holes[i], b, bn, 1);
        cr_assert(w.n > 2 && found_list_equal(&w, &p), "a hole of %llu", (unsigned long long)holes[i]);
        found_list_free(&p);
        if (holes[i] == 5u << 20)
            ref = w;
        else
            found_list_free(&w);
    }
    const uint64_t big = (uint64_t)64 << 30, shift = big - (5u << 20);
    found_list p = scan_with_hole(a, an, big, b, bn, 1);
    cr_assert_eq(p.n, ref.n);
    for (size_t i = 0; i < p.n; i++) {
        const found *x = &ref.items[i], *y = &p.items[i];
        uint64_t d = x->start >= an ? shift : 0; /* b's findings lie past the hole */
        cr_assert(y->rule == x->rule && y->start == x->start + d && y->end == x->end + d &&
                      y->secret_start == x->secret_start + d && y->line == x->line && y->column == x->column,
                  "finding %zu: at %llu, line %llu, column %llu", i, (unsigned long long)y->start,
                  (unsigned long long)y->line, (unsigned long long)y->column);
    }
    found_list_free(&p);
    found_list_free(&ref);
    free(a);
    free(b);
}
