/* fuzz_decode.c: libFuzzer target for the decoders: the finder and every decoder keep their maps inside the input and in
 * order on any bytes; and an object encoded by a fuzzed mix of encodings is scanned the same whole, in stream pieces
 * and in tiny regions, with every decoded finding's encoded range inside the object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "engine_int.h"
#include "fuzz_findings.h"
#include "scanner_int.h"

static const char RULES[] =
    "rules:\n"
    "  - {id: f.tok, name: tok, pattern: '\\b(?P<secret>KS_[A-Z0-9]{8})\\b'}\n"
    "  - {id: f.assign, name: assign, pattern: 'pw=([!-~]{4,20})', confidence: low}\n"
    "  - {id: f.var, name: var, pattern: '\\btok_[a-z0-9]{4,12}\\b'}\n";

static ks_engine *engine;
static ks_scanner *whole, *small;
static ks_dspan span;

static int collect(const ks_match *m, void *ctx)
{
    flist *l = ctx;
    if (m->start >= m->end || m->end > l->len || m->secret_start < m->start || m->secret_start > m->end) {
        fprintf(stderr, "finding [%llu,%llu) secret at %llu outside the object of %llu bytes\n",
                (unsigned long long)m->start, (unsigned long long)m->end, (unsigned long long)m->secret_start,
                (unsigned long long)l->len);
        abort();
    }
    if (l->n == sizeof l->v / sizeof l->v[0])
        return 1;
    ks_match c = *m;
    c.match = c.secret = NULL;
    c.decoder = NULL;
    l->v[l->n++] = c;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ks_rules *r = NULL;
    ks_engine_options o = {.size = sizeof o, .flags = KS_ENGINE_NO_CACHE | KS_ENGINE_SHOW_NEAR_MISS,
                           .max_decode_depth = 3};
    if (ks_rules_create(&r) || ks_rules_load_yaml(r, RULES, sizeof RULES - 1, "fuzz", NULL, NULL) ||
        ks_engine_create(r, &o, &engine, NULL, NULL) || ks_scanner_create(engine, &whole) ||
        ks_scanner_create(engine, &small))
        abort();
    ks_rules_destroy(r);
    return 0;
}

/* A decoded span's maps point into [from, to) of the input, in order. */
static void check_span(const ks_dspan *d, size_t from, size_t to)
{
    for (size_t i = 0; i < d->n; i++) {
        if (d->lo[i] < from || d->hi[i] > to || d->lo[i] >= d->hi[i] || (i && d->lo[i] < d->lo[i - 1])) {
            fprintf(stderr, "decoded byte %zu maps to [%u,%u), outside [%zu,%zu) or out of order\n", i, d->lo[i],
                    d->hi[i], from, to);
            abort();
        }
    }
}

typedef struct walk {
    const unsigned char *buf;
    size_t n, last_run;
    size_t runs[512][2]; /* the first runs, to hold every instruction set to the same ones */
    size_t n_runs;
} walk;

static int on_run(void *ctx, size_t from, size_t to, size_t *resume)
{
    walk *w = ctx;
    if (from >= to || to > w->n || from < w->last_run) {
        fprintf(stderr, "run [%zu,%zu) after %zu in %zu bytes\n", from, to, w->last_run, w->n);
        abort();
    }
    w->last_run = to;
    if (w->n_runs < 512) {
        w->runs[w->n_runs][0] = from;
        w->runs[w->n_runs][1] = to;
    }
    w->n_runs++;
    if (ks__dspan_reserve(&span, NULL, to - from))
        abort();
    ks__decode_base64(w->buf, from, to, &span);
    check_span(&span, from, to);
    ks__decode_hex(w->buf, from, to, &span);
    check_span(&span, from, to);
    *resume = to + (to < w->n && w->buf[to] == '=');
    return 0;
}

/* Every escape a pattern finds is one the decoders take, or at least starts where one could. */
static void check_escapes(const unsigned char *buf, size_t n)
{
    for (size_t at = 0; at < n; at++) {
        size_t len;
        ks_decoder k = ks__escape_at(buf, at, n, &len);
        if (k == KS_DEC_N)
            continue;
        if (at + len > n || len > KS_DEC_ESC_MAX || ks__escape_start(buf, at + len) != at)
            abort();
        size_t to = n - at > 64 ? at + 64 : n;
        if (ks__dspan_reserve(&span, NULL, to - at))
            abort();
        if (!ks__decode_escapes(k, buf, at, to, &span))
            abort();
        check_span(&span, at, to);
    }
}

/* Writes `in` encoded as `how` into out (room for 8x); returns the length. */
static size_t encode(unsigned how, const unsigned char *in, size_t n, unsigned char *out)
{
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char HEX[] = "0123456789abcdef";
    size_t o = 0;
    switch (how % 6) {
    case 0:
        memcpy(out, in, n);
        return n;
    case 1:
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
            out[o++] = (unsigned char)B64[v >> 18 & 63];
            out[o++] = (unsigned char)B64[v >> 12 & 63];
            out[o++] = i + 1 < n ? (unsigned char)B64[v >> 6 & 63] : '=';
            out[o++] = i + 2 < n ? (unsigned char)B64[v & 63] : '=';
        }
        return o;
    case 2:
        for (size_t i = 0; i < n; i++) {
            out[o++] = (unsigned char)HEX[in[i] >> 4];
            out[o++] = (unsigned char)HEX[in[i] & 15];
        }
        return o;
    case 3:
        for (size_t i = 0; i < n; i++)
            o += (size_t)sprintf((char *)out + o, "%%%02X", in[i]);
        return o;
    case 4:
        for (size_t i = 0; i < n; i++)
            o += (size_t)sprintf((char *)out + o, i & 1 ? "\\u%04x" : "\\x%02x", in[i]);
        return o;
    default:
        for (size_t i = 0; i < n; i++)
            o += (size_t)sprintf((char *)out + o, i & 1 ? "&#%u;" : "&#x%x;", in[i]);
        return o;
    }
}

/* Input: byte 0 = encodings (two 3-bit choices: the inner one applied to the middle third, the
 * outer to all), byte 1 = stream piece size, byte 2 = region size; the rest is the object. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static walk w, v;
    memset(&w, 0, sizeof w);
    w.buf = data;
    w.n = size;
    if (ks__decode_find_isa(data, size, &(ks_dfind_ops){on_run}, &w, 0))
        abort();
    for (int isa = 1; isa <= 3; isa++) {
        memset(&v, 0, sizeof v);
        v.buf = data;
        v.n = size;
        if (ks__decode_find_isa(data, size, &(ks_dfind_ops){on_run}, &v, isa))
            abort();
        if (v.n_runs != w.n_runs || memcmp(v.runs, w.runs, sizeof w.runs)) {
            fprintf(stderr, "instruction set %d finds %zu runs, plain C %zu\n", isa, v.n_runs, w.n_runs);
            abort();
        }
    }
    check_escapes(data, size);
    if (size < 3 || size > 4096)
        return 0;
    static unsigned char mid[4096 * 8], obj[4096 * 64];
    const unsigned char *body = data + 3;
    size_t n = size - 3, third = n / 3;
    size_t ml = encode(data[0] & 7, body + third, third, mid);
    unsigned char plain[4096 * 8 + 4096];
    memcpy(plain, body, third);
    memcpy(plain + third, mid, ml);
    memcpy(plain + third + ml, body + 2 * third, n - 2 * third);
    size_t pl = third + ml + n - 2 * third;
    size_t len = encode(data[0] >> 3 & 7, plain, pl, obj);

    static flist a, b, c;
    a.n = b.n = c.n = 0;
    a.len = b.len = c.len = len;
    int rc = ks_scan(whole, obj, len, 0, NULL, collect, &a);
    if (rc == KS_ETERMINATED)
        return 0;
    if (rc)
        abort();
    ks_stream *st = NULL;
    if (ks_stream_open(engine, NULL, collect, &b, &st))
        abort();
    size_t piece = 1 + data[1] * 37;
    for (size_t off = 0; off < len; off += piece)
        if (ks_stream_write(st, whole, obj + off, len - off < piece ? len - off : piece))
            abort();
    if (ks_stream_close(st, whole))
        abort();
    flist_same(&a, &b, "stream");
    small->region_own_max = 64 + data[2] * 16u;
    if (ks_scan(small, obj, len, 0, NULL, collect, &c))
        abort();
    flist_same(&a, &c, "small regions");
    return 0;
}
