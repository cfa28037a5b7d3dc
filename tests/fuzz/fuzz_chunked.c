/* fuzz_chunked.c: libFuzzer target, the differential one: ks_scan over the whole blob, a stream cut at fuzzed
 * points and ks_scan in tiny regions must report identical findings; so must the pipeline's text stream (which
 * reads UTF-16 as its characters) whole and cut, and as ks_scan where its first bytes are no UTF-16. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "fuzz_findings.h"
#include "scanner_int.h"
#include "text_stream.h"
#include "utf16.h"

/* Fixed width, variable width, \b, (?m)^$, plain ^ and $, a multi-line body and an entropy check. */
static const char RULES[] =
    "rules:\n"
    "  - {id: f.aws, name: aws, pattern: '\\b(?P<secret>AKIA[0-9A-Z]{16})\\b'}\n"
    "  - {id: f.var, name: var, pattern: '\\btok_[a-z0-9]{8,24}\\b', min_entropy: 2.5}\n"
    "  - {id: f.assign, name: assign, pattern: 'apikey\\s{0,3}=\\s{0,3}\"([A-Za-z0-9]{12,40})\"'}\n"
    "  - {id: f.pem, name: pem, pattern: '-----BEGIN K-----\\n[A-Za-z0-9+/=\\n]{4,64}-----END K-----'}\n"
    "  - {id: f.line, name: line, pattern: '(?m)^S:[0-9]{2,6}$'}\n"
    "  - {id: f.first, name: first, pattern: '^BOF[a-z]{1,3}'}\n"
    "  - {id: f.last, name: last, pattern: 'EOF[a-z]{1,3}$'}\n"
    "  - {id: f.short, name: short, pattern: 'x[yz]{1,9}'}\n";

static ks_engine *engine;
static ks_scanner *whole, *small;

static int collect(const ks_match *m, void *ctx)
{
    flist *l = ctx;
    if (l->n == sizeof l->v / sizeof l->v[0])
        return 1; /* enough: KS_ETERMINATED tells the caller */
    ks_match c = *m;
    c.match = NULL; /* pointers differ between runs; offsets carry the same facts */
    c.secret = NULL;
    l->v[l->n++] = c;
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ks_rules *r = NULL;
    ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE | KS_ENGINE_SHOW_NEAR_MISS};
    if (ks_rules_create(&r) || ks_rules_load_yaml(r, RULES, sizeof RULES - 1, "fuzz", NULL, NULL) ||
        ks_engine_create(r, &o, &engine, NULL, NULL) || ks_scanner_create(engine, &whole) ||
        ks_scanner_create(engine, &small))
        abort();
    ks_rules_destroy(r);
    return 0;
}

/* Input: byte 0 = number of cuts (low 4 bits); two bytes per cut = piece length; one byte = region size; the rest
 * is the object. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static flist a, b, c;
    if (size < 1)
        return 0;
    size_t ncuts = data[0] & 15, hdr = 1 + 2 * ncuts + 1;
    if (size < hdr)
        return 0;
    const unsigned char *blob = data + hdr;
    size_t len = size - hdr;

    a.n = 0;
    int rc = ks_scan(whole, blob, len, 0, 0, collect, &a);
    if (rc == KS_ETERMINATED)
        return 0; /* more findings than we keep */
    if (rc)
        abort();

    b.n = 0;
    ks_stream *st = NULL;
    if (ks_stream_open(ks_scanner_engine(whole), NULL, collect, &b, &st))
        abort();
    size_t off = 0, biggest = 0;
    for (size_t i = 0; i < ncuts && off < len; i++) {
        size_t piece = (size_t)(data[1 + 2 * i] | data[2 + 2 * i] << 8) % (len - off + 1);
        if (ks_stream_write(st, whole, blob + off, piece))
            abort();
        off += piece;
        biggest = piece > biggest ? piece : biggest;
        /* Memory stays bounded by the largest piece plus the kept margins (doubling growth). */
        size_t bound = 2 * (biggest + 2 * (engine->reach + 2)) + 4096;
        if (ks__stream_capacity(st) > bound) {
            fprintf(stderr, "stream holds %zu bytes, bound %zu\n", ks__stream_capacity(st), bound);
            abort();
        }
    }
    if (ks_stream_write(st, whole, blob + off, len - off) || ks_stream_close(st, whole))
        abort();
    flist_same(&a, &b, "stream");

    c.n = 0;
    small->region_own_max = 1 + data[hdr - 1];
    if (ks_scan(small, blob, len, 0, 0, collect, &c))
        abort();
    flist_same(&a, &c, "small regions");

    static flist d, e;
    for (int cut = 0; cut < 2; cut++) {
        flist *l = cut ? &e : &d;
        l->n = 0;
        ks_text_stream *ts = NULL;
        /* cut, it gathers the bytes as the pipeline's do: in one scan or in rooms, the same findings */
        ks_text_mode mode = cut ? KS_TEXT_UTF16 | KS_TEXT_GATHER : KS_TEXT_UTF16;
        if (ks__text_stream_open(ks__engine_alloc(engine), engine, NULL, mode, collect, l, &ts))
            abort();
        off = 0;
        for (size_t i = 0; cut && i < ncuts && off < len; i++) {
            size_t piece = (size_t)(data[1 + 2 * i] | data[2 + 2 * i] << 8) % (len - off + 1);
            if (ks__text_stream_write(ts, whole, blob + off, piece)) {
                ks__text_stream_abort(ts);
                return 0; /* more findings than we keep */
            }
            off += piece;
        }
        rc = ks__text_stream_write(ts, whole, blob + off, len - off);
        rc = rc ? (ks__text_stream_abort(ts), rc) : ks__text_stream_close(ts, whole);
        if (rc == KS_ETERMINATED)
            return 0;
        if (rc)
            abort();
    }
    flist_same(&d, &e, "text stream cut");
    size_t bom;
    int unsure;
    if (ks__utf16_sniff(blob, len < 512 ? len : 512, &bom, &unsure) == KS_UTF16_NONE)
        flist_same(&a, &d, "text stream of no UTF-16");
    return 0;
}
