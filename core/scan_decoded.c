/* scan_decoded.c: the decoding pass of a region scan: encoded text found (decode_find.c), decoded (decoders.c), scanned
 * with the same rules, and again inside what it decoded to, to the engine's depth; findings kept with the encoded
 * bytes they came from. Memory is bounded: one span buffer per level, each at most a run window or an escape block. */
#include <string.h>

#include "alloc.h"
#include "compiler.h"
#include "scanner_int.h"

/* One buffer being searched for encoded text: the region itself (level 0), or decoded bytes. */
typedef struct level {
    ks_scanner *s;
    const ks_region *rg;
    unsigned depth;            /* decoders applied to get here */
    const unsigned char *buf;  /* the bytes searched */
    size_t n;
    const ks_dspan *maps;      /* buf's bytes to the region's (NULL at level 0) */
    size_t trig_from, trig_to; /* s->trig [from, to): the escapes in buf, as its scan found them */
    uint8_t chain[KS_MAX_DECODE_DEPTH];
    int err;
} level;

static int process_span(level *L, ks_decoder k, ks_dspan *d);

/* Kept by this region: a finding whose encoded start lies in its owned range (reported), or up to
 * the widest match past it (kept only to make a raw finding around it give way, as the raw
 * candidates past the owned range shadow owned ones). */
static size_t keep_end(const level *L) { return L->rg->own_end + L->s->engine->max_width; }
static int kept(const level *L, size_t start) { return start >= L->rg->own_begin && start < keep_end(L); }

static int push_found(ks_scanner *s, const ks_dfound *f, const unsigned char *match)
{
    const ks_allocator *a = ks__engine_alloc(s->engine);
    if (ks__agrow(a, (void **)&s->dfound, &s->cap_dfound, s->n_dfound, sizeof *s->dfound, 16))
        return KS_ENOMEM;
    while (s->cap_dbytes < s->n_dbytes + f->mlen)
        if (ks__agrow(a, (void **)&s->dbytes, &s->cap_dbytes, s->cap_dbytes, 1, 256))
            return KS_ENOMEM;
    ks_dfound *t = &s->dfound[s->n_dfound++];
    *t = *f;
    t->moff = s->n_dbytes;
    memcpy(s->dbytes + s->n_dbytes, match, f->mlen);
    s->n_dbytes += f->mlen;
    return 0;
}

typedef struct accept_ctx {
    level *L;      /* the level the span was found in */
    ks_dspan *d;   /* the decoded span, mapped to the region */
    ks_decoder k;
} accept_ctx;

static int accept_decoded(ks_scanner *s, const unsigned char *buf, const ks_cand *c, int ok, void *ctx)
{
    accept_ctx *x = ctx;
    const ks_dspan *d = x->d;
    size_t start = d->lo[c->start], end = d->hi[c->end - 1];
    /* Escapes leave most bytes as they are: a match made only of those is found in the raw bytes. */
    if (end - start == c->end - c->start || !kept(x->L, start))
        return 0;
    const ks_erule *r = &s->engine->rules[c->rule];
    if (KS_UNLIKELY(r->rule.cond != NULL)) {
        ks_region drg = {.buf = buf, .len = d->n, .mem = buf, .mem_len = d->n};
        if (ks__cond_drops(r->rule.cond, s, &drg, c))
            return 0;
    }
    ks_dfound f = {
        .start = start,
        .end = end,
        .sstart = c->send > c->sstart ? d->lo[c->sstart] : start,
        .mlen = c->end - c->start,
        .soff = c->sstart - c->start,
        .slen = c->send - c->sstart,
        .rule = c->rule,
        .ok = (uint8_t)ok,
        .owned = start < x->L->rg->own_end,
        .n_chain = (uint8_t)(x->L->depth + 1),
    };
    memcpy(f.chain, x->L->chain, x->L->depth);
    f.chain[x->L->depth] = (uint8_t)x->k;
    return push_found(s, &f, buf + c->start);
}

/* The span's maps lead into the level's buffer; make them lead into the region. */
static void compose(const level *L, ks_dspan *d)
{
    if (!L->maps)
        return;
    for (size_t i = 0; i < d->n; i++) {
        d->lo[i] = L->maps->lo[d->lo[i]];
        d->hi[i] = L->maps->hi[d->hi[i] - 1];
    }
}

static int on_run(void *ctx, size_t from, size_t to, size_t *resume);
static const ks_dfind_ops FIND_OPS = {on_run};

static int decode_cluster(level *L, const ks_esc_cluster *c);

int ks__esc_add(ks_scanner *s, size_t at, unsigned pattern)
{
    ks_decoder k = ks__escape_pattern_kind(pattern);
    if (s->n_trig) {
        ks_esc_cluster *c = &s->trig[s->n_trig - 1];
        if (at >= c->first && at <= c->last + 2 * KS_DEC_ESC_CONTEXT &&
            (s->trig_base + at) / KS_DEC_ESC_BLOCK == (s->trig_base + c->first) / KS_DEC_ESC_BLOCK) {
            if (at > c->last)
                c->last = at;
            c->kinds |= 1u << k;
            return 0;
        }
    }
    if (ks__agrow(ks__engine_alloc(s->engine), (void **)&s->trig, &s->cap_trig, s->n_trig, sizeof *s->trig, 16))
        return KS_ENOMEM;
    s->trig[s->n_trig++] = (ks_esc_cluster){at, at, 1u << k};
    return 0;
}

static int cmp_cluster(const void *pa, const void *pb)
{
    const ks_esc_cluster *a = pa, *b = pb;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Searches a level's buffer: its base64 and hex runs, then its clusters of escapes in order (the
 * scan reports matches by their end, and its tail pass some twice: clusters that the same rule
 * would have joined are joined here). */
static int search(level *L)
{
    int rc = ks__decode_find(L->buf, L->n, &FIND_OPS, L);
    ks_scanner *s = L->s;
    size_t from = L->trig_from, to = L->trig_to;
    if (!rc && to - from > 1) {
        qsort(s->trig + from, to - from, sizeof *s->trig, cmp_cluster);
        uint64_t base = L->maps ? 0 : L->rg->base;
        size_t w = from;
        for (size_t i = from + 1; i < to; i++) {
            ks_esc_cluster *p = &s->trig[w], *c = &s->trig[i];
            if (c->first <= p->last + 2 * KS_DEC_ESC_CONTEXT &&
                (base + c->first) / KS_DEC_ESC_BLOCK == (base + p->first) / KS_DEC_ESC_BLOCK) {
                p->last = c->last > p->last ? c->last : p->last;
                p->kinds |= c->kinds;
            } else {
                s->trig[++w] = *c;
            }
        }
        to = w + 1;
    }
    for (size_t i = from; !rc && i < to; i++) {
        ks_esc_cluster c = s->trig[i]; /* decoding it scans spans, which add clusters above `to` */
        rc = decode_cluster(L, &c);
    }
    return L->err ? L->err : rc ? KS_ENOMEM : 0;
}

/* Scans a decoded span, keeps its findings, then searches it in turn. */
static int process_span(level *L, ks_decoder k, ks_dspan *d)
{
    ks_scanner *s = L->s;
    compose(L, d);
    size_t floor = s->n_cands, tfloor = s->n_trig;
    s->cand_floor = floor;
    int rc = ks__scan_whole(s, d->bytes, d->n);
    if (!rc) {
        ks__sort_cands(s, floor, s->n_cands);
        accept_ctx x = {L, d, k};
        rc = ks__resolve(s, d->bytes, floor, s->n_cands, accept_decoded, &x);
    }
    s->n_cands = floor;
    if (!rc && L->depth + 1 < s->engine->decode_depth) {
        level child = {.s = s, .rg = L->rg, .depth = L->depth + 1, .buf = d->bytes, .n = d->n, .maps = d,
                       .trig_from = tfloor, .trig_to = s->n_trig};
        memcpy(child.chain, L->chain, L->depth);
        child.chain[L->depth] = (uint8_t)k;
        rc = search(&child);
    }
    s->n_trig = tfloor;
    return rc;
}

static int is_hex(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

/* A hex run: decoded whole (up to the window), when its first pairs look like text. */
static int hex_run(level *L, size_t from, size_t to)
{
    const unsigned char *b = L->buf;
    if (to - from < KS_DEC_MIN_HEX || (to - from) % 2)
        return -1;
    for (size_t i = from; i < to; i++)
        if (!is_hex(b[i]))
            return -1;
    ks_scanner *s = L->s;
    size_t win = s->engine->decode_window;
    size_t lim = to - from > win ? from + (win & ~(size_t)1) : to;
    ks_dspan *d = &s->dec[L->depth];
    if (ks__dspan_reserve(d, ks__engine_alloc(s->engine), (lim - from) / 2))
        return L->err = KS_ENOMEM;
    if (!ks__decode_hex(b, from, lim, d))
        return 0;
    return L->err = process_span(L, KS_DEC_HEX, d);
}

static int on_run(void *ctx, size_t from, size_t to, size_t *resume)
{
    level *L = ctx;
    ks_scanner *s = L->s;
    const unsigned char *b = L->buf;
    size_t win = s->engine->decode_window;
    /* At level 0 the run must start where the region can tell it starts, and close enough to the
     * owned range to put a finding in it. */
    if (!L->maps && ((from == 0 && L->rg->base != 0) || from + win <= L->rg->own_begin || from >= keep_end(L)))
        return 0;
    int rc = hex_run(L, from, to);
    if (rc >= 0)
        return rc != 0;
    /* Padding, and a base64 body broken into lines after whole quanta (PEM, MIME). */
    size_t end = to, quanta = to - from;
    for (;;) {
        size_t e = end;
        while (e < L->n && e - end < 2 && b[e] == '=')
            e++;
        if (e > end) {
            end = e;
            break;
        }
        if (quanta % 4 || end >= L->n || end - from >= win)
            break;
        size_t nl = end + (b[end] == '\r');
        if (nl >= L->n || b[nl] != '\n' || nl + 1 >= L->n || !ks__is_b64(b[nl + 1]))
            break;
        size_t r = nl + 1;
        while (r < L->n && ks__is_b64(b[r]))
            r++;
        quanta += r - (nl + 1);
        end = r;
    }
    *resume = end;
    size_t lim = end - from > win ? from + win : end;
    ks_dspan *d = &s->dec[L->depth];
    if (ks__dspan_reserve(d, ks__engine_alloc(s->engine), lim - from)) {
        L->err = KS_ENOMEM;
        return 1;
    }
    if (!ks__decode_base64(b, from, lim, d))
        return 0;
    return (L->err = process_span(L, KS_DEC_BASE64, d)) != 0;
}

/* Decodes a cluster's escapes, kind by kind, with plain text around them for context. */
static int decode_cluster(level *L, const ks_esc_cluster *c)
{
    size_t from = c->first > KS_DEC_ESC_CONTEXT ? c->first - KS_DEC_ESC_CONTEXT : 0;
    size_t last_end = c->last + KS_DEC_ESC_MAX < L->n ? c->last + KS_DEC_ESC_MAX : L->n;
    size_t to = L->n - last_end > KS_DEC_ESC_CONTEXT ? last_end + KS_DEC_ESC_CONTEXT : L->n;
    if (!L->maps && (to <= L->rg->own_begin || from >= keep_end(L)))
        return 0; /* nothing in it can start where this region keeps findings */
    ks_scanner *s = L->s;
    for (unsigned k = 0; k < KS_DEC_N; k++) {
        if (!(c->kinds & 1u << k))
            continue;
        ks_dspan *d = &s->dec[L->depth];
        if (ks__dspan_reserve(d, ks__engine_alloc(s->engine), to - from))
            return L->err = KS_ENOMEM;
        if (!ks__decode_escapes((ks_decoder)k, L->buf, from, to, d))
            continue;
        int rc = process_span(L, (ks_decoder)k, d);
        if (rc)
            return L->err = rc;
    }
    return 0;
}

static int cmp_found(const void *pa, const void *pb)
{
    const ks_dfound *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1;
    return a->n_chain < b->n_chain ? -1 : a->n_chain > b->n_chain;
}

int ks__decode_region(ks_scanner *s, const ks_region *rg)
{
    s->n_dfound = 0;
    s->n_dbytes = 0;
    level top = {.s = s, .rg = rg, .buf = rg->buf, .n = rg->len, .trig_from = 0, .trig_to = s->n_trig};
    int rc = search(&top);
    if (rc)
        return rc;
    if (s->n_dfound > 1) {
        qsort(s->dfound, s->n_dfound, sizeof *s->dfound, cmp_found);
        /* One finding per (rule, encoded start), whichever decoders reached it: the longest, then the
         * shortest chain. */
        size_t w = 1;
        for (size_t i = 1; i < s->n_dfound; i++) {
            const ks_dfound *p = &s->dfound[w - 1], *c = &s->dfound[i];
            if (c->rule == p->rule && c->start == p->start)
                continue;
            s->dfound[w++] = *c;
        }
        s->n_dfound = w;
    }
    return 0;
}

void ks__decode_free(ks_scanner *s)
{
    const ks_allocator *a = ks__engine_alloc(s->engine);
    for (unsigned i = 0; i < KS_MAX_DECODE_DEPTH; i++)
        ks__dspan_free(&s->dec[i], a);
    ks__afree(a, s->dfound);
    ks__afree(a, s->dbytes);
    ks__afree(a, s->trig);
}
