/* test_decode.c: secrets under encodings (base64, hex, percent, \u and \x escapes, HTML entities) are found at the
 * encoded bytes with their decoder chain, once, the same whatever the cut, within the depth asked, in bounded memory. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hang.h"
#include "helpers.h"
#include "scanner_int.h"

#define TOKEN "KSTEST_ABCDEFGH12345678"

static const char *const RULES = "rules:\n"
                                 "  - id: t.token\n"
                                 "    name: test token\n"
                                 "    pattern: '\\b(?P<secret>KSTEST_[A-Z0-9]{16})\\b'\n"
                                 "  - id: t.assign\n"
                                 "    name: password assignment\n"
                                 "    pattern: 'password=(?P<secret>[!-~]{6,40})'\n"
                                 "    confidence: low\n";

typedef struct hit {
    size_t rule;
    uint64_t start, end, line, column;
    char secret[64];
    char decoder[64];
} hit;

typedef struct hits {
    hit items[64];
    size_t n;
} hits;

static int keep(const ks_match *m, void *ctx)
{
    hits *h = ctx;
    cr_assert_lt(h->n, 64);
    hit *x = &h->items[h->n++];
    memset(x, 0, sizeof *x);
    x->rule = m->rule_index;
    x->start = m->start;
    x->end = m->end;
    x->line = m->line;
    x->column = m->column;
    memcpy(x->secret, m->secret, m->secret_len < 63 ? m->secret_len : 63);
    if (m->decoder)
        snprintf(x->decoder, sizeof x->decoder, "%s", m->decoder);
    return 0;
}

static ks_engine *engine_of(const char *yaml, unsigned flags, unsigned depth)
{
    ks_rules *rules = NULL;
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_yaml(rules, yaml, strlen(yaml), "t.yml", NULL, NULL), 0);
    ks_engine *e = NULL;
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE | flags, .max_decode_depth = depth};
    cr_assert_eq(ks_engine_create(rules, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(rules);
    return e;
}

static ks_engine *engine_with(unsigned flags, unsigned depth) { return engine_of(RULES, flags, depth); }

static hits scan_with(ks_engine *e, const char *text)
{
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    hits h = {0};
    cr_assert_eq(ks_scan(s, text, strlen(text), 0, NULL, keep, &h), 0);
    ks_scanner_destroy(s);
    return h;
}

static hits scan_text(const char *text)
{
    ks_engine *e = engine_with(0, 0);
    hits h = scan_with(e, text);
    ks_engine_destroy(e);
    return h;
}

static void b64(const char *in, char *out, int url)
{
    static const char *A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char *U = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *al = url ? U : A;
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)in[i + 2] : 0);
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        out[o++] = i + 1 < n ? al[v >> 6 & 63] : (url ? 0 : '=');
        out[o++] = i + 2 < n ? al[v & 63] : (url ? 0 : '=');
        if (url && !out[o - 1])
            o -= i + 1 < n ? 1 : 2;
    }
    out[o] = 0;
}

/* The one finding of `text`, which must be the token, decoded by `chain`, its encoded bytes at
 * [start, end) on `line` at `column`. */
static void expect_one(const char *text, const char *chain, uint64_t start, uint64_t end, uint64_t line,
                       uint64_t column)
{
    hits h = scan_text(text);
    cr_assert_eq(h.n, 1, "%zu findings in %s", h.n, text);
    cr_expect_str_eq(h.items[0].secret, TOKEN);
    cr_expect_str_eq(h.items[0].decoder, chain);
    cr_expect_eq(h.items[0].start, start, "start %llu, want %llu", (unsigned long long)h.items[0].start,
                 (unsigned long long)start);
    cr_expect_eq(h.items[0].end, end, "end %llu, want %llu", (unsigned long long)h.items[0].end,
                 (unsigned long long)end);
    cr_expect_eq(h.items[0].line, line);
    cr_expect_eq(h.items[0].column, column);
}

Test(decode, base64_standard_padded_at_the_encoded_bytes)
{
    char enc[256], text[512];
    b64("x=" TOKEN "\n", enc, 0); /* the token is decoded bytes [2, 25): encoded [2*4/3, ceil(25*4/3)) */
    snprintf(text, sizeof text, "kind: Secret\ndata:\n  env: %s\n", enc);
    size_t at = strlen("kind: Secret\ndata:\n  env: ");
    expect_one(text, "base64", at + 2, at + 34, 3, 8 + 2);
}

Test(decode, base64_url_safe_without_padding)
{
    char enc[256], text[512];
    b64("~~?" TOKEN "??", enc, 1); /* ~ and ? make - and _ appear in the URL-safe form */
    cr_assert(strpbrk(enc, "-_") != NULL, "%s", enc);
    snprintf(text, sizeof text, "v=%s;\n", enc);
    expect_one(text, "base64", 2 + 4, 2 + 4 + 31, 1, 7);
}

Test(decode, base64_wrapped_in_lines_after_whole_quanta)
{
    char enc[256], text[512];
    b64("# a config file, long enough to wrap\nTOKEN=" TOKEN "\n", enc, 0);
    size_t n = strlen(enc), o = 0;
    for (size_t i = 0; i < n; i++) { /* PEM-style lines of 64 characters */
        if (i && i % 64 == 0)
            text[o++] = '\n';
        text[o++] = enc[i];
    }
    text[o] = 0;
    /* the token is decoded bytes [43, 66): characters [57, 88), across the line break after 64 */
    hits h = scan_text(text);
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].secret, TOKEN);
    cr_expect_str_eq(h.items[0].decoder, "base64");
    cr_expect_eq(h.items[0].start, 57);
    cr_expect_eq(h.items[0].end, 89);
    cr_expect_eq(h.items[0].line, 1);
    cr_expect_eq(h.items[0].column, 58);
}

Test(decode, hex_percent_escape_and_html)
{
    char text[512], hex[128];
    for (size_t i = 0; i < strlen(TOKEN); i++)
        sprintf(hex + 2 * i, "%02x", TOKEN[i]);
    snprintf(text, sizeof text, "h=%s\n", hex);
    expect_one(text, "hex", 2, 2 + 46, 1, 3);

    char pct[256] = "u=https://h/?t=";
    for (size_t i = 0; i < strlen(TOKEN); i++)
        sprintf(pct + strlen(pct), "%%%02X", TOKEN[i]);
    expect_one(pct, "percent", 15, 15 + 69, 1, 16);

    char esc[512] = "{\"a\": 1,\n \"t\": \"";
    for (size_t i = 0; i < strlen(TOKEN); i++)
        sprintf(esc + strlen(esc), i % 2 ? "\\u%04x" : "\\x%02x", TOKEN[i]);
    strcat(esc, "\"}\n");
    expect_one(esc, "escape", 16, 16 + 12 * 4 + 11 * 6, 2, 8);

    char html[512] = "<v>";
    for (size_t i = 0; i < strlen(TOKEN); i++)
        sprintf(html + strlen(html), i % 2 ? "&#x%x;" : "&#%d;", TOKEN[i]);
    strcat(html, "</v>\n");
    hits h = scan_text(html);
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].decoder, "html");
    cr_expect_eq(h.items[0].start, 3);
}

Test(decode, a_few_escaped_characters_among_plain_ones)
{
    /* only the @ and the & are escaped; the key name before it gives the rule its context */
    hits h = scan_text("db:\n  password=p%40ssw0rd%26x\n");
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].secret, "p@ssw0rd&x");
    cr_expect_str_eq(h.items[0].decoder, "percent");
    cr_expect_eq(h.items[0].start, 6);
    cr_expect_eq(h.items[0].line, 2);
    cr_expect_eq(h.items[0].column, 3);
    /* the rule matches the entities' letters as they are too: the decoded finding stands for both */
    h = scan_text("<add value=\"password=a&amp;b&lt;cdef\"/>\n");
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].decoder, "html");
    cr_expect_str_eq(h.items[0].secret, "a&b<cdef\"/>");
    cr_expect_eq(h.items[0].start, 12);
}

/* Regression (fuzz_confirm): a decoded finding of a lower rule that starts where a raw one does went out
 * after it, breaking the (start, rule) order that every finding leaves the scan in. */
Test(decode, r_a_decoded_finding_out_of_order)
{
    static const char *const two = "rules:\n"
                                   "  - id: t.token\n"
                                   "    name: test token\n"
                                   "    pattern: '\\b(?P<secret>KSTEST_[A-Z0-9]{16})\\b'\n"
                                   "  - id: t.escaped\n"
                                   "    name: the token's first letters as they are written\n"
                                   "    pattern: '(?P<secret>KSTEST%5F[A-Z]{8})'\n";
    ks_engine *e = engine_of(two, 0, 0);
    hits h = scan_with(e, "t=KSTEST%5FABCDEFGH12345678\n");
    ks_engine_destroy(e);
    cr_assert_eq(h.n, 2, "%zu findings", h.n);
    cr_expect_eq(h.items[0].rule, 0);
    cr_expect_str_eq(h.items[0].decoder, "percent");
    cr_expect_eq(h.items[0].start, 2);
    cr_expect_eq(h.items[1].rule, 1);
    cr_expect_str_eq(h.items[1].decoder, "");
    cr_expect_eq(h.items[1].start, 2);
}

Test(decode, a_secret_visible_as_it_is_is_reported_once_as_it_is)
{
    /* escapes nearby make a decoded span that holds the plain token too */
    hits h = scan_text("q=%41%42%43 t=" TOKEN " r=%44\n");
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].decoder, "");
    cr_expect_eq(h.items[0].start, 14);
}

Test(decode, depth_two_finds_base64_of_base64_and_depth_one_does_not)
{
    char inner[256], outer[512], text[600];
    b64("tok=" TOKEN "\n", inner, 0);
    b64(inner, outer, 0);
    snprintf(text, sizeof text, "x: %s\n", outer);
    hits h = scan_text(text);
    cr_assert_eq(h.n, 1);
    cr_expect_str_eq(h.items[0].decoder, "base64,base64");
    cr_expect_eq(h.items[0].line, 1);
    ks_engine *e = engine_with(0, 1);
    cr_expect_eq(scan_with(e, text).n, 0);
    ks_engine_destroy(e);
    e = engine_with(KS_ENGINE_NO_DECODE, 0);
    cr_expect_eq(scan_with(e, text).n, 0);
    ks_engine_destroy(e);
}

Test(decode, binary_and_identifiers_are_not_text)
{
    /* a hash in hex, random base64, long identifiers: nothing decodes to text, nothing is found */
    hits h = scan_text("sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
                       "blob=q83vEjRWeJqrze8SNFZ4mqvN7xI0VniaBw==\n"
                       "CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS spin_lock_irqsave_nested_thing\n");
    cr_expect_eq(h.n, 0);
}

/* Many encoded secrets, one object: scanning it whole, in stream pieces of every size, and with
 * regions far smaller than the object gives the same findings. */
Test(decode, findings_do_not_depend_on_how_the_object_is_cut, .timeout = KS_HANG_S(120))
{
    ks_engine *e = engine_with(0, 0);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    uint64_t st = 42;
    char enc[256], two[512];
    while (n + 2048 < cap) {
        unsigned kind = (unsigned)(rnd_next(&st) % 6);
        size_t gap = 200 + rnd_next(&st) % 3000;
        fill_text((unsigned char *)buf + n, gap, &st);
        n += gap;
        if (kind == 0) {
            b64("k=" TOKEN "\n", enc, 0);
            n += (size_t)sprintf(buf + n, " %s ", enc);
        } else if (kind == 1) {
            b64("k=" TOKEN "\n", enc, 0);
            b64(enc, two, 1);
            n += (size_t)sprintf(buf + n, " %s ", two);
        } else if (kind == 2) {
            for (size_t i = 0; i < strlen(TOKEN); i++)
                n += (size_t)sprintf(buf + n, "%%%02X", TOKEN[i]);
        } else if (kind == 3) {
            n += (size_t)sprintf(buf + n, " password=a\\u0040b\\x23cdef ");
        } else if (kind == 4) {
            n += (size_t)sprintf(buf + n, " " TOKEN " ");
        } else {
            for (size_t i = 0; i < strlen(TOKEN); i++)
                n += (size_t)sprintf(buf + n, "%02x", TOKEN[i]);
        }
    }
    found_list a = {0};
    cr_assert_eq(ks_scan(s, buf, n, 0, NULL, collect, &a), 0);
    cr_assert_gt(a.n, 100);
    for (size_t piece = 1; piece <= 65536; piece *= 4) {
        found_list b = {0};
        ks_stream *str = NULL;
        cr_assert_eq(ks_stream_open(e, NULL, collect, &b, &str), 0);
        for (size_t o = 0; o < n;) {
            size_t k = piece == 1 ? 1 + rnd_next(&st) % 997 : piece;
            k = k < n - o ? k : n - o;
            cr_assert_eq(ks_stream_write(str, s, buf + o, k), 0);
            o += k;
        }
        cr_assert_eq(ks_stream_close(str, s), 0);
        cr_assert(found_list_equal(&a, &b), "stream pieces of %zu", piece);
        found_list_free(&b);
    }
    s->region_own_max = 4096; /* regions far smaller than the object */
    found_list c = {0};
    cr_assert_eq(ks_scan(s, buf, n, 0, NULL, collect, &c), 0);
    cr_assert(found_list_equal(&a, &c), "small regions");
    found_list_free(&c);
    found_list_free(&a);
    free(buf);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
}

/* Counts what an engine holds allocated at most. */
typedef struct meter {
    size_t now, peak;
} meter;

static void *m_malloc(size_t n, void *ctx)
{
    meter *m = ctx;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    m->now += n;
    if (m->now > m->peak)
        m->peak = m->now;
    return (char *)p + 16;
}

static void m_free(void *q, void *ctx)
{
    if (!q)
        return;
    meter *m = ctx;
    size_t *p = (size_t *)((char *)q - 16);
    m->now -= *p;
    free(p);
}

static void *m_realloc(void *q, size_t n, void *ctx)
{
    void *r = m_malloc(n, ctx);
    if (r && q) {
        size_t old = *(size_t *)((char *)q - 16);
        memcpy(r, q, old < n ? old : n);
        m_free(q, ctx);
    }
    return r;
}

/* Gitleaks' decoders once took 24 GB: here 64 MiB of base64 and of dense escapes leave the
 * engine's memory a few MiB above what it holds for plain text. */
Test(decode, memory_stays_bounded_on_hostile_encoded_input, .timeout = KS_HANG_S(300))
{
    meter m = {0, 0};
    ks_allocator al = {m_malloc, m_realloc, m_free, &m};
    ks_rules *rules = NULL;
    cr_assert_eq(ks_rules_create(&rules), 0);
    cr_assert_eq(ks_rules_load_yaml(rules, RULES, strlen(RULES), "t.yml", NULL, NULL), 0);
    ks_engine *e = NULL;
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE, .allocator = &al};
    cr_assert_eq(ks_engine_create(rules, &o, &e, NULL, NULL), 0);
    ks_rules_destroy(rules);
    ks_scanner *s = NULL;
    cr_assert_eq(ks_scanner_create(e, &s), 0);
    size_t n = 64u << 20;
    char *buf = malloc(n);
    /* base64 of text, on one line: one run of 64 MiB */
    char enc[64];
    b64("password=abcdefghijkl\n", enc, 0);
    size_t el = strlen(enc);
    for (size_t i = 0; i < n; i++)
        buf[i] = enc[i % (el - 4)]; /* drop the padded quantum: one continuous run */
    size_t base = m.now;
    found_list f = {0};
    ks_stream *st = NULL;
    cr_assert_eq(ks_stream_open(e, NULL, collect, &f, &st), 0);
    for (size_t i = 0; i < n; i += 1 << 20)
        cr_assert_eq(ks_stream_write(st, s, buf + i, 1 << 20), 0);
    cr_assert_eq(ks_stream_close(st, s), 0);
    cr_expect_lt(m.peak - base, (size_t)8 << 20, "peak %zu bytes over the base", m.peak - base);
    found_list_free(&f);
    /* every byte an escape: \u0041 over and over */
    for (size_t i = 0; i + 6 <= n; i += 6)
        memcpy(buf + i, "\\u0041", 6);
    m.peak = m.now;
    base = m.now;
    cr_assert_eq(ks_scan(s, buf, n - n % 6, 0, NULL, collect, &f), 0);
    cr_expect_lt(m.peak - base, (size_t)8 << 20, "peak %zu bytes over the base", m.peak - base);
    found_list_free(&f);
    free(buf);
    ks_scanner_destroy(s);
    ks_engine_destroy(e);
    cr_expect_eq(m.now, 0, "%zu bytes not given back", m.now);
}
