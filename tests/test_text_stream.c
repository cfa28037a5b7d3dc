/* test_text_stream.c: a text stream ended with its last bytes at once (ks__text_stream_close_with, what a feed's replay
 * calls for a member handed over whole) reports exactly what a write and a close report, in every mode, for objects
 * of every shape and whatever was written before; only a whole object of bytes is scanned where it lies. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hang.h"
#include "helpers.h"
#include "text_stream.h"

TestSuite(text_stream, .init = fx_setup, .fini = fx_teardown);

typedef struct got {
    char line[64][128];
    size_t n;
} got;

static int keep(const ks_match *m, void *ctx)
{
    got *g = ctx;
    cr_assert_lt(g->n, 64);
    snprintf(g->line[g->n++], sizeof g->line[0], "%zu %llu %llu %llu %llu %.*s %s", m->rule_index,
             (unsigned long long)m->start, (unsigned long long)m->end, (unsigned long long)m->line,
             (unsigned long long)m->column, (int)m->secret_len, (const char *)m->secret, m->decoder ? m->decoder : "-");
    return 0;
}

/* The findings of p[0, n) through a stream of `mode`: p[0, cut) written first, then the rest either written and the
 * stream closed, or handed to close_with. */
static got run(ks_text_mode mode, const unsigned char *p, size_t n, size_t cut, int with)
{
    got g = {0};
    ks_text_stream *s = NULL;
    ks_scan_opts so = {.size = sizeof so, .path = "m.txt"};
    cr_assert_eq(ks__text_stream_open(NULL, fx_engine, &so, mode, keep, &g, &s), 0);
    if (cut)
        cr_assert_eq(ks__text_stream_write(s, fx_scanner, p, cut), 0);
    if (with) {
        cr_assert_eq(ks__text_stream_close_with(s, fx_scanner, p + cut, n - cut), 0);
    } else {
        cr_assert_eq(ks__text_stream_write(s, fx_scanner, p + cut, n - cut), 0);
        cr_assert_eq(ks__text_stream_close(s, fx_scanner), 0);
    }
    return g;
}

/* `text` as UTF-16LE after a byte order mark, into out (2 + 2 * strlen bytes). */
static size_t utf16le(const char *text, unsigned char *out)
{
    size_t n = 0;
    out[n++] = 0xff;
    out[n++] = 0xfe;
    for (const char *c = text; *c; c++) {
        out[n++] = (unsigned char)*c;
        out[n++] = 0;
    }
    return n;
}

Test(text_stream, close_with_reports_what_a_write_and_a_close_report)
{
    static unsigned char big[300000], wide[4096], unsure[2048];
    /* plain text, keys near its start, across 512 bytes (the sniff) and past the gathering's 256 KiB */
    memset(big, 'x', sizeof big);
    for (size_t i = 0; i < sizeof big; i += 64)
        big[i] = '\n';
    static const size_t at[] = {3, 500, 70000, 262140, 299000};
    for (size_t k = 0; k < sizeof at / sizeof *at; k++)
        memcpy(big + at[k], " AKIAQYLPMN5HHHFPZAM2 ", 22);
    /* UTF-16 text with a mark; and a mark before bytes that are no text (scanned both ways) */
    size_t wn = utf16le("line one\nkey AKIAQYLPMN5HHHFPZAM3 here\napikey = \"abcdefghijkl1234\"\n", wide);
    memcpy(unsure, "\xff\xfe", 2);
    for (size_t i = 2; i < sizeof unsure; i++)
        unsure[i] = (unsigned char)(i * 37 + 11);
    memcpy(unsure + 900, "AKIAQYLPMN5HHHFPZAM4", 20);
    struct {
        const unsigned char *p;
        size_t n;
        const char *what;
    } objs[] = {{big, sizeof big, "big"},       {big, 100, "shorter than the sniff"}, {big, 600, "past the sniff"},
                {big, 0, "empty"},               {wide, wn, "utf-16"},                   {unsure, sizeof unsure, "unsure"},
                {big + 3, 19, "only a key"}};
    static const ks_text_mode modes[] = {KS_TEXT_RAW | KS_TEXT_GATHER, KS_TEXT_UTF16 | KS_TEXT_GATHER,
                                         KS_TEXT_UTF16_ONLY | KS_TEXT_GATHER, KS_TEXT_UTF16, KS_TEXT_RAW};
    for (size_t o = 0; o < sizeof objs / sizeof *objs; o++) {
        for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
            got want = run(modes[m], objs[o].p, objs[o].n, 0, 0);
            size_t cuts[] = {0, 1, 511, 512, 513, objs[o].n / 2, objs[o].n};
            for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
                if (cuts[c] > objs[o].n)
                    continue;
                got g = run(modes[m], objs[o].p, objs[o].n, cuts[c], 1);
                cr_assert_eq(g.n, want.n, "%s, mode %d, cut %zu: %zu findings, want %zu", objs[o].what, modes[m],
                             cuts[c], g.n, want.n);
                for (size_t i = 0; i < g.n; i++)
                    cr_assert_str_eq(g.line[i], want.line[i], "%s, mode %d, cut %zu", objs[o].what, modes[m], cuts[c]);
            }
            if (objs[o].p == big && objs[o].n == sizeof big && !(modes[m] & KS_TEXT_UTF16_ONLY))
                cr_assert_eq(want.n, 5, "%s, mode %d: every key once", objs[o].what, modes[m]);
            if (objs[o].p == wide && (modes[m] & ~KS_TEXT_GATHER) != KS_TEXT_RAW)
                cr_assert_eq(want.n, 2, "utf-16, mode %d: its characters scanned", modes[m]);
        }
    }
}

/* The findings of a, then `hole` zeros, then b, through a stream of `mode`: the zeros written, or passed over
 * (ks__text_stream_zeros) after `first` of them are written. */
static got run_hole(ks_text_mode mode, const unsigned char *a, size_t an, uint64_t hole, uint64_t first,
                    const unsigned char *b, size_t bn, int pass)
{
    static const unsigned char zeros[65536];
    got g = {0};
    ks_text_stream *s = NULL;
    ks_scan_opts so = {.size = sizeof so, .path = "m.txt"};
    cr_assert_eq(ks__text_stream_open(NULL, fx_engine, &so, mode, keep, &g, &s), 0);
    cr_assert_eq(ks__text_stream_write(s, fx_scanner, a, an), 0);
    for (uint64_t left = pass ? first : hole; left;) {
        size_t k = left < sizeof zeros ? (size_t)left : sizeof zeros;
        cr_assert_eq(ks__text_stream_write(s, fx_scanner, zeros, k), 0);
        left -= k;
    }
    if (pass)
        cr_assert_eq(ks__text_stream_zeros(s, fx_scanner, hole - first), 0);
    cr_assert_eq(ks__text_stream_write(s, fx_scanner, b, bn), 0);
    cr_assert_eq(ks__text_stream_close(s, fx_scanner), 0);
    return g;
}

/* A sparse member's hole passed over gives what its zeros written give, in every mode: plain text (gathered or
 * not), UTF-16 text whose mark or first 512 bytes are not all in yet, and a hole of an odd length that splits a code
 * unit. */
Test(text_stream, r_a_sparse_hole_passed_over_finds_what_its_zeros_written_would, .timeout = KS_HANG_S(300))
{
    static unsigned char plain[3000], wa[2048], wb[2048];
    memset(plain, 'x', sizeof plain);
    for (size_t i = 0; i < sizeof plain; i += 50)
        plain[i] = '\n';
    memcpy(plain + 1000, " AKIAQYLPMN5HHHFPZAM2 ", 22);
    size_t an = utf16le("line one\nkey AKIAQYLPMN5HHHFPZAM3 here\n", wa);
    size_t bn = utf16le("\nnext AKIAQYLPMN5HHHFPZAM4 x\n", wb) - 2;
    memmove(wb, wb + 2, bn); /* no second mark */
    static const ks_text_mode modes[] = {KS_TEXT_RAW, KS_TEXT_UTF16, KS_TEXT_UTF16 | KS_TEXT_GATHER,
                                         KS_TEXT_RAW | KS_TEXT_GATHER};
    static const uint64_t holes[] = {1, 2, 301, 100000, 1000001, 3000000};
    size_t total = 0, wide_after = 0;
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (size_t h = 0; h < sizeof holes / sizeof *holes; h++)
            for (int utf = 0; utf < 2; utf++)
                for (uint64_t first = 0; first < 3; first++) {
                    const unsigned char *a = utf ? wa : plain, *b = utf ? wb : plain;
                    size_t n_a = utf ? (first == 2 ? 1 : an) : sizeof plain, n_b = utf ? bn : sizeof plain;
                    got w = run_hole(modes[m], a, n_a, holes[h], 0, b, n_b, 0);
                    got p = run_hole(modes[m], a, n_a, holes[h], first < holes[h] ? first : 0, b, n_b, 1);
                    cr_assert(w.n == p.n, "mode %d, hole %llu, utf %d: %zu, %zu", (int)modes[m],
                              (unsigned long long)holes[h], utf, w.n, p.n);
                    total += w.n;
                    wide_after += utf && holes[h] % 2 == 0 && w.n == 2; /* b's key past an even hole, as UTF-16 */
                    for (size_t i = 0; i < w.n; i++)
                        cr_assert_str_eq(p.line[i], w.line[i], "mode %d, hole %llu, utf %d, first %llu",
                                         (int)modes[m], (unsigned long long)holes[h], utf, (unsigned long long)first);
                }
    cr_assert(total >= 100 && wide_after >= 8, "%zu findings, %zu past a hole in UTF-16", total, wide_after);
}
