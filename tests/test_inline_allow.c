/* test_inline_allow.c: the allow markers (keysweep's, Gitleaks', TruffleHog's) are decided by the engine from the bytes it holds: the same for whole
 * objects, streams cut anywhere and chunked pipelines; its window edges are exact. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

typedef struct seen_allow {
    uint64_t start[4096];
    int allowed[4096];
    size_t n;
} seen_allow;

static int keep(const ks_match *m, void *ctx)
{
    seen_allow *s = ctx;
    cr_assert(s->n < 4096);
    s->start[s->n] = m->start;
    s->allowed[s->n++] = m->allowed;
    return 0;
}

static ks_engine *engine_with(unsigned flags)
{
    ks_rules *rules = NULL;
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_yaml(rules, TEST_RULES_YAML, strlen(TEST_RULES_YAML), "t.yml", NULL, NULL), 0);
    ks_engine *e = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE | flags};
    cr_assert_eq(ks_engine_create(rules, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(rules);
    return e;
}

static seen_allow *scan_with(unsigned flags, const char *text, size_t len)
{
    ks_engine *e = engine_with(flags);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    seen_allow *s = calloc(1, sizeof *s);
    cr_assert_eq(ks_scan(sc, text, len, 0, 0, keep, s), 0);
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
    return s;
}

#define KEY "AKIAABCDEFGHIJKLMNOP"

Test(inline_allow, marker_on_a_line_of_the_match_hides_it)
{
    const char *text = "a = " KEY " # keysweep:allow\n"
                       "# keysweep:allow (the line above is not this line)\n"
                       "b = " KEY "\n"
                       "/* keysweep:allow */ c = " KEY "\n"
                       "-----BEGIN TEST KEY-----\nQUJDREVGR0g=\n-----END TEST KEY----- keysweep:allow\n";
    seen_allow *s = scan_with(0, text, strlen(text));
    cr_assert_eq(s->n, 1, "only b is reported, got %zu", s->n);
    cr_assert_eq(s->start[0], (uint64_t)(strstr(text, "b = ") - text) + 4);
    cr_assert_eq(s->allowed[0], 0);
    free(s);
    s = scan_with(KS_ENGINE_REPORT_ALLOWED, text, strlen(text));
    cr_assert_eq(s->n, 4, "every finding, marked, got %zu", s->n);
    cr_assert_eq(s->allowed[0] + s->allowed[1] + s->allowed[2] + s->allowed[3], 3);
    cr_assert_eq(s->allowed[1], 0);
    free(s);
}

/* Gitleaks' and TruffleHog's markers hide a finding as keysweep's does, on any line of a multi-line match and at
 * either end of the bytes; near spellings (the other tool's verb, capitals, a space) do not. */
Test(inline_allow, peers_markers_hide_it_too)
{
    const char *text = "gitleaks:allow a = " KEY "\n"
                       "b = " KEY " // trufflehog:ignore\n"
                       "trufflehog:ignore -----BEGIN TEST KEY-----\nQUJDREVGR0g=\n-----END TEST KEY-----\n"
                       "c = " KEY " # gitleaks:ignore\n"
                       "d = " KEY " # trufflehog:allow\n"
                       "e = " KEY " # GITLEAKS:ALLOW\n"
                       "f = " KEY " # gitleaks: allow :allow\n"
                       "g = " KEY " gitleaks:allow";
    seen_allow *s = scan_with(0, text, strlen(text));
    const char *reported[] = {"c = ", "d = ", "e = ", "f = "};
    cr_assert_eq(s->n, 4, "only c, d, e and f are reported, got %zu", s->n);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(s->start[i], (uint64_t)(strstr(text, reported[i]) - text) + 4, "finding %zu", i);
    free(s);
    s = scan_with(KS_ENGINE_REPORT_ALLOWED, text, strlen(text));
    int allowed = 0;
    for (size_t i = 0; i < s->n; i++)
        allowed += s->allowed[i];
    cr_assert_eq(s->n, 8, "every finding, marked, got %zu", s->n);
    cr_assert_eq(allowed, 4);
    free(s);
}

/* The one search for every marker agrees with looking for each marker on its own, on lines made of markers' pieces,
 * overlaps and near misses (a skip past a marker's start, a marker at a line's very end). */
Test(inline_allow, one_search_finds_what_each_marker_alone_finds)
{
    static const char *const piece[] = {KS_ALLOW_MARKER, KS_ALLOW_MARKER_GITLEAKS, KS_ALLOW_MARKER_TRUFFLEHOG,
                                        "keysweep:allo", "gitleaks:", "trufflehog:ignor", "ruffle", ":", "w", "n",
                                        "allow", "ignore", "gitleaks", "x", " ", "ww", "hog:ign"};
    const size_t n_piece = sizeof piece / sizeof *piece;
    uint64_t rng = 7;
    size_t cap = 1 << 20, len = 0, n_lines = 3000;
    char *t = malloc(cap);
    int *want = calloc(n_lines, sizeof *want);
    for (size_t l = 0; l < n_lines; l++) {
        size_t start = len, key_at = rnd_next(&rng) % 6;
        for (size_t i = 0; i < 6; i++) {
            if (i == key_at) {
                memcpy(t + len, " " KEY " ", sizeof KEY + 1);
                len += sizeof KEY + 1;
            }
            const char *p = piece[rnd_next(&rng) % n_piece];
            memcpy(t + len, p, strlen(p));
            len += strlen(p);
        }
        t[len] = '\0';
        /* the rarer the markers, the more this line tests: most lines hold none */
        want[l] = strstr(t + start, KS_ALLOW_MARKER) || strstr(t + start, KS_ALLOW_MARKER_GITLEAKS) ||
                  strstr(t + start, KS_ALLOW_MARKER_TRUFFLEHOG);
        t[len++] = '\n';
    }
    seen_allow *s = scan_with(KS_ENGINE_REPORT_ALLOWED, t, len);
    cr_assert_eq(s->n, n_lines);
    int n_allowed = 0;
    for (size_t l = 0; l < n_lines; l++) {
        cr_assert_eq(s->allowed[l], want[l], "line %zu", l + 1);
        n_allowed += want[l];
    }
    cr_assert(n_allowed > 100 && n_allowed < (int)n_lines - 100, "%d lines with a marker", n_allowed);
    free(s);
    free(want);
    free(t);
}

/* A marker that starts exactly KS_ALLOW_WINDOW bytes before the match counts; one byte further does not;
 * after the match, the marker must end within KS_ALLOW_WINDOW bytes of its end. */
Test(inline_allow, window_edges_are_exact)
{
    const size_t mark = sizeof KS_ALLOW_MARKER - 1, key = sizeof KEY - 1;
    for (int before = 0; before < 2; before++) {
        for (int extra = 0; extra < 2; extra++) {
            size_t len = KS_ALLOW_WINDOW * 3;
            char *t = malloc(len + 1);
            memset(t, 'x', len);
            t[len] = '\0';
            size_t at = KS_ALLOW_WINDOW + 100; /* the key, with a space on each side */
            t[at - 1] = ' ';
            memcpy(t + at, KEY, key);
            t[at + key] = ' ';
            size_t m = before ? at - KS_ALLOW_WINDOW - (size_t)extra : at + key + KS_ALLOW_WINDOW - mark + (size_t)extra;
            memcpy(t + m, KS_ALLOW_MARKER, mark);
            seen_allow *s = scan_with(KS_ENGINE_REPORT_ALLOWED, t, len);
            cr_assert_eq(s->n, 1);
            cr_assert_eq(s->allowed[0], !extra, "marker %s the key, %d byte(s) past the window edge: allowed=%d",
                         before ? "before" : "after", extra, s->allowed[0]);
            free(s);
            free(t);
        }
    }
}

/* Streams keep the allow window around each owned range: any cut gives ks_scan's decisions. */
Test(inline_allow, streams_cut_anywhere_agree_with_the_whole_object)
{
    uint64_t rng = 42;
    size_t len = 1 << 20;
    char *t = malloc(len);
    fill_text((unsigned char *)t, len, &rng);
    for (int i = 0; i < 300; i++) { /* keys and markers at random places, on short and long lines */
        size_t at = rnd_next(&rng) % (len - 64);
        t[at] = ' ';
        memcpy(t + at + 1, KEY, sizeof KEY - 1);
        t[at + sizeof KEY] = ' ';
        if (i % 2) {
            size_t m = rnd_next(&rng) % (len - 32);
            memcpy(t + m, KS_ALLOW_MARKER, sizeof KS_ALLOW_MARKER - 1);
        }
    }
    for (size_t i = 0; i < len; i += 1 + rnd_next(&rng) % 20000) /* some lines far longer than the window */
        if (rnd_next(&rng) % 3 == 0)
            for (size_t k = i; k < len && k < i + 9000; k++)
                if (t[k] == '\n')
                    t[k] = ' ';
    seen_allow *whole = scan_with(KS_ENGINE_REPORT_ALLOWED, t, len);
    int allowed = 0;
    for (size_t i = 0; i < whole->n; i++)
        allowed += whole->allowed[i];
    cr_assert(whole->n > 200 && allowed > 5 && allowed < (int)whole->n, "%zu findings, %d allowed", whole->n, allowed);
    ks_engine *e = engine_with(KS_ENGINE_REPORT_ALLOWED);
    ks_scanner *sc = NULL;
    cr_assert_eq(ks_scanner_create(e, &sc), 0);
    for (int round = 0; round < 8; round++) {
        seen_allow *s = calloc(1, sizeof *s);
        ks_stream *st = NULL;
        cr_assert_eq(ks_stream_open(ks_scanner_engine(sc), NULL, keep, s, &st), 0);
        size_t pos = 0;
        while (pos < len) {
            size_t n = 1 + rnd_next(&rng) % (round < 4 ? 5000 : 300000);
            if (n > len - pos)
                n = len - pos;
            cr_assert_eq(ks_stream_write(st, sc, t + pos, n), 0);
            pos += n;
        }
        cr_assert_eq(ks_stream_close(st, sc), 0);
        cr_assert_eq(s->n, whole->n, "round %d: %zu findings, whole scan %zu", round, s->n, whole->n);
        for (size_t i = 0; i < s->n; i++) {
            cr_assert_eq(s->start[i], whole->start[i]);
            cr_assert_eq(s->allowed[i], whole->allowed[i], "round %d: finding at %llu", round,
                         (unsigned long long)s->start[i]);
        }
        free(s);
    }
    ks_scanner_destroy(sc);
    ks_engine_destroy(e);
    free(whole);
    free(t);
}
