/* scan.c: block scanning: Vectorscan match ends -> anchored PCRE2 confirm -> (rule, start) dedupe -> validators -> callback. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "compiler.h"
#include "engine_int.h"
#include "scanner_int.h"
#include "validators.h"

/* Owned bytes per Vectorscan call: hs_scan takes a 32-bit length, and a bounded region also
 * bounds the candidate buffer. Tests lower it through the scanner to exercise region edges. */
#define KS_REGION_OWN_MAX ((size_t)1 << 30)
/* With decoding on, a region's escapes are kept in clusters (at most one per 512 bytes) until it is
 * decoded: smaller regions bound that list, at the price of scanning their margins twice (0.1%). */
#define KS_REGION_OWN_MAX_DECODING ((size_t)16 << 20)

/* Bytes of context beyond the widest match on each side of an owned region: one byte is enough
 * for \b, ^ and $ (Vectorscan has no other look-around); two keep an off-by-one margin. */
#define KS_CONTEXT 2

static int push_cand(ks_scanner *s, const ks_cand *c)
{
    if (s->n_cands > s->cand_floor) {
        /* Vectorscan reports successive ends of one token in a row: keep only the longest. */
        ks_cand *last = &s->cands[s->n_cands - 1];
        if (last->rule == c->rule && last->start == c->start) {
            if (c->end > last->end)
                *last = *c;
            return 0;
        }
    }
    if (ks__agrow(ks__engine_alloc(s->engine), (void **)&s->cands, &s->cap_cands, s->n_cands, sizeof *s->cands, 256))
        return -1;
    s->cands[s->n_cands++] = *c;
    return 0;
}

static int on_hs_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ctx)
{
    (void)from;
    (void)flags;
    ks_scanner *s = ctx;
    const ks_engine *e = s->engine;
    size_t end = (size_t)to;
    if (KS_UNLIKELY(id >= e->n_rules)) { /* an escape, for the decoders (scan_decoded.c) */
        if (ks__esc_add(s, ks__escape_start(s->region, end) + s->cand_shift, id - (unsigned)e->n_rules)) {
            s->cand_error = KS_ENOMEM;
            return 1;
        }
        return 0;
    }
    const ks_erule *r = &e->rules[id];
    /* A match ending at or before own_begin starts before it: the previous region owns it. Past
     * the owned range, matches are still wanted up to one width further, as shadows. */
    if (end <= s->own_begin || end > s->own_end + e->max_width + r->max_width)
        return 0;
    pcre2_code *code = ks__engine_confirm(e, id);
    if (KS_UNLIKELY(!code)) {
        s->cand_error = KS_ENOMEM;
        return 1;
    }
    /* Leftmost start whose match ends exactly here, searched over the rule's back-window; the
     * subject keeps the bytes before the window so look-behind (\b) sees real context. */
    size_t win = end > r->max_width ? end - r->max_width : 0;
    int rc = pcre2_match(code, s->region, end, win, 0, s->md, s->mctx); /* compiled end-anchored */
    if (rc < 0)
        return 0; /* PCRE2 disagrees with Vectorscan: not a finding */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    size_t start = (size_t)ov[0];
    /* Matches starting just past the owned range are kept to shadow owned ones (see shadowed()), and
     * provider matches starting up to a width before it, for the generic rules that yield to them. */
    if (start >= s->own_end + e->max_width)
        return 0;
    if (start < s->own_begin && !(s->left_shadows && !r->yields && start + e->max_width >= s->own_begin))
        return 0;
    size_t sh = s->cand_shift;
    ks_cand c = {.start = start + sh, .end = end + sh, .sstart = start + sh, .send = end + sh, .rule = id,
                 .owned = start >= s->own_begin && start < s->own_end};
    int g = atomic_load_explicit(&r->secret_group, memory_order_relaxed);
    if (g > 0 && g < rc && ov[2 * g] != PCRE2_UNSET) {
        c.sstart = ov[2 * g] + sh;
        c.send = ov[2 * g + 1] + sh;
    }
    if (push_cand(s, &c)) {
        s->cand_error = KS_ENOMEM;
        return 1;
    }
    return 0;
}

size_t ks__overlap(const ks_engine *e) { return e->reach + KS_CONTEXT + KS_ALLOW_WINDOW; }

/* The markers that hide a finding (keysweep.h). */
static const struct allow_marker {
    const char *text;
    size_t len;
} ALLOW_MARKERS[] = {
    {KS_ALLOW_MARKER, sizeof KS_ALLOW_MARKER - 1},
    {KS_ALLOW_MARKER_GITLEAKS, sizeof KS_ALLOW_MARKER_GITLEAKS - 1},
    {KS_ALLOW_MARKER_TRUFFLEHOG, sizeof KS_ALLOW_MARKER_TRUFFLEHOG - 1},
};
#define N_ALLOW_MARKERS (sizeof ALLOW_MARKERS / sizeof *ALLOW_MARKERS)
_Static_assert(sizeof KS_ALLOW_MARKER_GITLEAKS - 1 >= KS_ALLOW_SKIP_WINDOW &&
                   sizeof KS_ALLOW_MARKER_TRUFFLEHOG - 1 >= KS_ALLOW_SKIP_WINDOW,
               "the search window is the shortest marker");

/* The lines are searched once for all the markers (Horspool's skip over a set of patterns): a window of
 * KS_ALLOW_SKIP_WINDOW bytes (the shortest marker) moves by shift[its last byte], 0 meaning that byte ends
 * some marker's first KS_ALLOW_SKIP_WINDOW bytes, and only then are the markers compared. Most bytes of text
 * are in no marker and move it by the whole window, so lines dense with ':' cost no more than others. */
void ks__allow_shift_init(unsigned char shift[256])
{
    memset(shift, KS_ALLOW_SKIP_WINDOW, 256);
    for (size_t k = 0; k < N_ALLOW_MARKERS; k++)
        for (size_t j = 0; j + 1 < KS_ALLOW_SKIP_WINDOW; j++) {
            unsigned char c = (unsigned char)ALLOW_MARKERS[k].text[j];
            if (shift[c] > KS_ALLOW_SKIP_WINDOW - 1 - j)
                shift[c] = (unsigned char)(KS_ALLOW_SKIP_WINDOW - 1 - j);
        }
    for (size_t k = 0; k < N_ALLOW_MARKERS; k++)
        shift[(unsigned char)ALLOW_MARKERS[k].text[KS_ALLOW_SKIP_WINDOW - 1]] = 0;
}

/* 1 when [p, end) holds one of ALLOW_MARKERS. */
static int has_allow_marker(const unsigned char shift[256], const unsigned char *p, const unsigned char *end)
{
    for (const unsigned char *w = p; (size_t)(end - w) >= KS_ALLOW_SKIP_WINDOW;) {
        unsigned char last = w[KS_ALLOW_SKIP_WINDOW - 1];
        if (shift[last]) {
            w += shift[last];
            continue;
        }
        for (size_t k = 0; k < N_ALLOW_MARKERS; k++) {
            const struct allow_marker *m = &ALLOW_MARKERS[k];
            if ((size_t)(end - w) >= m->len && memcmp(w, m->text, m->len) == 0)
                return 1;
        }
        w++;
    }
    return 0;
}

/* Whether a line the match [start, end) touches holds an allow marker: the first line begins
 * after the last newline before the match, the last ends at the first newline from its last byte
 * on, each looked for at most KS_ALLOW_WINDOW bytes away, within what the caller holds (callers
 * that cut objects keep ks__overlap bytes around each range, so they all see the same). */
static int inline_allowed(const ks_engine *en, const ks_region *rg, uint64_t start, uint64_t end)
{
    const unsigned char *mem = rg->mem;
    size_t s = (size_t)(start - rg->mem_base), e = (size_t)(end - rg->mem_base);
    size_t lo = s > KS_ALLOW_WINDOW ? s - KS_ALLOW_WINDOW : 0;
    size_t hi = rg->mem_len - e > KS_ALLOW_WINDOW ? e + KS_ALLOW_WINDOW : rg->mem_len;
    const unsigned char *nl = s > lo ? memrchr(mem + lo, '\n', s - lo) : NULL;
    size_t ls = nl ? (size_t)(nl - mem) + 1 : lo;
    size_t last = e > s ? e - 1 : s;
    const unsigned char *enl = last < hi ? memchr(mem + last, '\n', hi - last) : NULL;
    size_t le = enl ? (size_t)(enl - mem) : hi;
    return has_allow_marker(en->allow_shift, mem + ls, mem + le);
}

static int cmp_cand(const void *pa, const void *pb)
{
    const ks_cand *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1; /* longest first */
    return 0;
}

/* Runs the rule's offline checks on the secret; returns NULL when it passes, else the check that
 * failed: "entropy", or the validator as the rule names it (engine-owned). */
static const char *failed_check(const ks_erule *r, const unsigned char *secret, size_t len)
{
    if (r->rule.min_entropy > 0.0 && ks__shannon_entropy(secret, len) < r->rule.min_entropy)
        return "entropy";
    if (r->validator.fn && !r->validator.fn(secret, len, r->validator.arg))
        return r->rule.validate;
    return NULL;
}

static int validate(const ks_erule *r, const unsigned char *secret, size_t len)
{
    return failed_check(r, secret, len) == NULL;
}

/* Vectorscan 5.4.9 (Debian 12) misses matches that end within a few bytes of the buffer's end
 * when that end lies at certain offsets modulo 64 (measured: ends at 22..42 mod 64 lose
 * matches ending up to 10 bytes before; see tests/test_r_vectorscan_tail.c). A buffer whose end
 * is 64-byte aligned is not affected, so a region that ends elsewhere gets its tail scanned
 * again from an end-aligned copy; the (rule, start) dedupe merges what both passes find. */
#define KS_TAIL_ZONE 128

static hs_error_t scan_pass(ks_scanner *s, const unsigned char *buf, size_t len, size_t shift, size_t own_begin,
                            size_t own_end)
{
    s->region = buf;
    s->cand_shift = shift;
    s->own_begin = own_begin;
    s->own_end = own_end;
    hs_error_t hr = hs_scan(s->engine->db, (const char *)buf, (unsigned)len, 0, s->scratch, on_hs_match, s);
    if (hr == HS_SUCCESS && s->path_pass)
        hr = hs_scan(s->engine->path_db, (const char *)buf, (unsigned)len, 0, s->scratch, on_hs_match, s);
    return hr;
}

/* Bytes the tail re-scan covers: any match ending in the last KS_TAIL_ZONE bytes starts at least
 * KS_CONTEXT bytes into them. */
static size_t tail_len(const ks_scanner *s)
{
    return s->engine->max_width + 2 * KS_CONTEXT + KS_TAIL_ZONE;
}

/* A region at most this many tail lengths long is copied whole to an end-aligned buffer and scanned
 * once: copying runs several times faster than Vectorscan, so below this a copy costs less than
 * scanning the tail twice (the widest built-in rule makes the tail about 10 KiB). */
#define KS_WHOLE_COPY_TAILS 4

/* Copies n bytes so that the copy ends 64-byte aligned, in the scanner's own buffer. */
static const unsigned char *end_aligned_copy(ks_scanner *s, const unsigned char *src, size_t n)
{
    if (s->tail_cap < n + 64) {
        unsigned char *b = ks__arealloc(ks__engine_alloc(s->engine), s->tail_buf, n + 64);
        if (!b)
            return NULL;
        s->tail_buf = b;
        s->tail_cap = n + 64;
    }
    unsigned char *copy = s->tail_buf + ((64 - (((uintptr_t)s->tail_buf + n) & 63)) & 63);
    memcpy(copy, src, n);
    return copy;
}

static int scan_tail_aligned(ks_scanner *s, const ks_region *rg)
{
    size_t t = tail_len(s);
    if (t > rg->len)
        t = rg->len;
    size_t t0 = rg->len - t;
    if (rg->own_end <= t0)
        return 0;
    const unsigned char *copy = end_aligned_copy(s, rg->buf + t0, t);
    if (!copy)
        return KS_ENOMEM;
    size_t ob = rg->own_begin > t0 ? rg->own_begin - t0 : 0;
    if (t0 && ob < KS_CONTEXT)
        ob = KS_CONTEXT; /* the copy's first bytes lack their left context */
    s->left_shadows = 0; /* the main pass found them, with their real left context */
    hs_error_t hr = scan_pass(s, copy, t, t0, ob, rg->own_end - t0);
    s->left_shadows = 1;
    if (s->cand_error)
        return s->cand_error;
    return hr == HS_SUCCESS ? 0 : KS_ESCAN;
}

/* One secret, one finding: an owned candidate is dropped when a rule of higher confidence found a
 * valid secret inside its secret, with its whole match inside its match (a generic assignment
 * rule and the provider's own rule on `token = "ghp_..."`). Containment keeps this independent
 * of how the object was cut: the inner match starts within the outer one, so the region that
 * owns the outer candidate always sees the inner one. Candidates are sorted by start. */
/* 1 when candidate k is a shorter end of the (rule, start) just before it: never reported, so it neither shadows
 * nor silences another rule's candidate. Candidates from `first` on are sorted by start, rule, longest end first. */
static int shorter_end(const ks_scanner *s, size_t k, size_t first)
{
    return k > first && s->cands[k].start == s->cands[k - 1].start && s->cands[k].rule == s->cands[k - 1].rule;
}

static int shadowed(const ks_scanner *s, const unsigned char *buf, size_t i, size_t to)
{
    const ks_engine *e = s->engine;
    const ks_cand *c = &s->cands[i];
    int prio = e->rules[c->rule].priority;
    for (size_t k = i + 1; k < to && s->cands[k].start < c->end; k++) {
        const ks_cand *d = &s->cands[k];
        const ks_erule *dr = &e->rules[d->rule];
        if (dr->priority <= prio || d->end > c->end || d->sstart < c->sstart || d->send > c->send)
            continue;
        if (shorter_end(s, k, 0))
            continue;
        if (validate(dr, buf + d->sstart, (size_t)(d->send - d->sstart)))
            return 1;
    }
    return 0;
}

/* One secret, one finding, for generic rules: a candidate of a rule that yields is dropped when a
 * provider rule (one that does not) matched bytes of its secret, whether that match passes its own
 * checks or not (a GitHub token with a bad checksum under `token = "..."` is no generic secret).
 * Provider candidates are looked for a width either side: the region that owns c keeps them all
 * (left_shadows and the right margin), so the verdict does not depend on where objects are cut. A
 * provider rule whose path condition does not hold here reports nothing, and shadows nothing. Candidates are sorted
 * by start, rule, then longest end first. */
static int yields_to_provider(ks_scanner *s, size_t i, size_t from, size_t to)
{
    const ks_engine *e = s->engine;
    const ks_cand *c = &s->cands[i];
    size_t k = i;
    while (k > from && s->cands[k - 1].start + e->max_width >= c->start)
        k--;
    for (; k < to && s->cands[k].start < c->send; k++) {
        const ks_cand *d = &s->cands[k];
        const ks_erule *dr = &e->rules[d->rule];
        if (k == i || dr->yields || d->sstart >= c->send || d->send <= c->sstart)
            continue;
        if (shorter_end(s, k, from)) /* its secret is not the provider's finding (two Password= keys on a line) */
            continue;
        if (KS_UNLIKELY(dr->rule.cond != NULL) && !ks__cond_path_holds(dr->rule.cond, s->path, s->md))
            continue;
        return 1;
    }
    return 0;
}

void ks__sort_cands(ks_scanner *s, size_t from, size_t to)
{
    if (to - from > 1)
        qsort(s->cands + from, to - from, sizeof *s->cands, cmp_cand);
}

int ks__resolve(ks_scanner *s, const unsigned char *buf, size_t from, size_t to, ks_accept_fn fn, void *ctx)
{
    const ks_engine *e = s->engine;
    for (size_t i = from; i < to; i++) {
        const ks_cand *c = &s->cands[i];
        if (!c->owned)
            continue;
        if (i > from && c->start == s->cands[i - 1].start && c->rule == s->cands[i - 1].rule)
            continue; /* a shorter end of a (rule, start) already reported */
        const ks_erule *r = &e->rules[c->rule];
        if (r->yields && yields_to_provider(s, i, from, to))
            continue;
        if (r->priority < 3 && shadowed(s, buf, i, to))
            continue;
        int ok = validate(r, buf + c->sstart, (size_t)(c->send - c->sstart));
        if (!ok && !(e->flags & KS_ENGINE_SHOW_NEAR_MISS))
            continue;
        int rc = fn(s, buf, c, ok, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int ks__scan_whole(ks_scanner *s, const unsigned char *buf, size_t len)
{
    int left = s->left_shadows;
    s->left_shadows = 0; /* every start is owned: nothing lies to the left */
    s->trig_base = 0; /* decoded bytes are blocked from their own start (ks__esc_add) */
    const unsigned char *copy = end_aligned_copy(s, buf, len); /* see KS_TAIL_ZONE */
    if (!copy)
        return KS_ENOMEM;
    hs_error_t hr = scan_pass(s, copy, len, 0, 0, len);
    s->left_shadows = left;
    s->region = buf; /* candidates index buf just as well */
    if (s->cand_error)
        return s->cand_error;
    return hr == HS_SUCCESS ? 0 : KS_ESCAN;
}

static const char *validator_name(const ks_erule *r, int ok)
{
    return ok ? (r->validator.fn ? r->validator.name : (r->rule.min_entropy > 0 ? "entropy" : "")) : "";
}

/* What reporting one region needs: its findings in encoded text are merged in by start. */
typedef struct report_ctx {
    const ks_region *rg;
    ks_lines *lines;
    ks_match_fn cb;
    void *ctx;
    size_t next_dec; /* s->dfound before this are reported (or dropped) */
} report_ctx;

/* Closing quotes, line ends and separators are where a value ends, not part of it. */
static int value_end_byte(unsigned char ch)
{
    return ch == '"' || ch == '\'' || ch == '\n' || ch == '\r' || ch == '\\';
}

static int delimiter_byte(unsigned char ch) { return value_end_byte(ch) || ch == '=' || ch == ',' || ch == ';'; }

/* The exact span: the secret loses trailing quotes, line ends and backslashes (never `=`, which ends
 * base64), the match every delimiter after the secret. Done here so that every format, and the
 * known-key digest, see the same bytes. `raw`: match and offsets are the object's bytes (not decoded). */
static void trim_span(ks_match *m, int raw)
{
    while (m->secret_len > 1 && value_end_byte(m->secret[m->secret_len - 1]))
        m->secret_len--;
    size_t keep = (size_t)(m->secret - m->match) + m->secret_len; /* the match up to the secret's end */
    while (m->match_len > keep && delimiter_byte(m->match[m->match_len - 1]))
        m->match_len--;
    if (raw) {
        m->end = m->start + m->match_len;
        m->secret_end = m->secret_start + m->secret_len;
    } else {
        m->secret_end = m->end; /* encoded bytes: only the whole match maps back */
    }
}

/* Reports one finding at absolute offsets, after the checks every finding gets. Returns 1 to stop. */
static int emit(ks_scanner *s, report_ctx *x, ks_match *m, const ks_erule *r)
{
    const ks_region *rg = x->rg;
    m->severity = r->severity;
    if (KS_UNLIKELY(s->engine->known.n != 0) && ks__known_secret(&s->engine->known, m->secret, m->secret_len)) {
        if (!(s->engine->flags & KS_ENGINE_REPORT_TEST_KEYS))
            return 0;
        m->known_test_key = 1;
    }
    int allowed = inline_allowed(s->engine, rg, m->start, m->end);
    if (allowed && !(s->engine->flags & KS_ENGINE_REPORT_ALLOWED))
        return 0;
    m->allowed = allowed;
    ks__lines_advance(x->lines, rg->buf, rg->base, m->start);
    m->line = x->lines->newlines + 1;
    m->column = m->start - x->lines->last_nl_end + 1;
    /* Imported rules may apply to some paths only, or exempt some (filter.c). */
    if (KS_UNLIKELY(r->rule.cond != NULL) && rg->path && !ks_engine_path_allows(s->engine, m, rg->path))
        return 0;
    return x->cb && x->cb(m, x->ctx);
}

/* 1 when a decoded finding stands for the raw candidate c: of the same rule at the same start (the
 * raw match holds the escapes the decoded one went through), or of a more confident rule and inside
 * it (a generic assignment around an encoded provider token). One secret, one finding; both tests
 * look only at findings that start within c, which the region owning c always sees. */
static int decoded_instead(const ks_scanner *s, const ks_cand *c)
{
    size_t lo = 0, hi = s->n_dfound;
    while (lo < hi) { /* the first decoded finding at or after c's start */
        size_t mid = lo + (hi - lo) / 2;
        if (s->dfound[mid].start < c->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    int prio = s->engine->rules[c->rule].priority, yields = s->engine->rules[c->rule].yields;
    for (size_t i = lo; i < s->n_dfound && s->dfound[i].start < c->end; i++) {
        const ks_dfound *d = &s->dfound[i];
        const ks_erule *dr = &s->engine->rules[d->rule];
        if ((d->rule == c->rule && d->start == c->start) || (dr->priority > prio && d->end <= c->end) ||
            (yields && !dr->yields && d->start < c->send && d->end > c->sstart))
            return 1;
    }
    return 0;
}

/* Reports the decoded findings that come before (start, rule) in the order findings go out in: by
 * start, then by rule, so a decoded finding of a lower rule at a raw one's start goes first. */
static int flush_decoded(ks_scanner *s, report_ctx *x, size_t start, size_t rule)
{
    const ks_engine *e = s->engine;
    for (; x->next_dec < s->n_dfound &&
           (s->dfound[x->next_dec].start < start ||
            (s->dfound[x->next_dec].start == start && s->dfound[x->next_dec].rule < rule));
         x->next_dec++) {
        const ks_dfound *d = &s->dfound[x->next_dec];
        if (!d->owned)
            continue;
        char chain[KS_MAX_DECODE_DEPTH * 8 + 1];
        size_t cl = 0;
        for (unsigned k = 0; k < d->n_chain; k++) {
            const char *name = ks__decoder_name((ks_decoder)d->chain[k]);
            size_t nl = strlen(name);
            if (k)
                chain[cl++] = ',';
            memcpy(chain + cl, name, nl);
            cl += nl;
        }
        chain[cl] = 0;
        const ks_erule *r = &e->rules[d->rule];
        const unsigned char *mb = s->dbytes + d->moff;
        ks_match m = {
            .rule_index = d->rule,
            .rule_id = r->rule.id,
            .rule_name = r->rule.name,
            .start = x->rg->base + d->start,
            .end = x->rg->base + d->end,
            .match = mb,
            .match_len = d->mlen,
            .secret = mb + d->soff,
            .secret_len = d->slen,
            .secret_start = x->rg->base + d->sstart,
            .validator = validator_name(r, d->ok),
            .near_miss = !d->ok,
            .decoder = chain,
            .near_miss_reason = d->ok ? NULL : failed_check(r, mb + d->soff, d->slen),
        };
        trim_span(&m, 0);
        if (emit(s, x, &m, r))
            return KS_ETERMINATED;
    }
    return 0;
}

static int report_raw(ks_scanner *s, const unsigned char *buf, const ks_cand *c, int ok, void *ctx)
{
    report_ctx *x = ctx;
    const ks_region *rg = x->rg;
    const ks_erule *r = &s->engine->rules[c->rule];
    /* Imported (Gitleaks) allowlists say the value was reviewed: dropped, never a near miss. */
    if (KS_UNLIKELY(r->rule.cond != NULL) && ks__cond_drops(r->rule.cond, s, rg, c))
        return 0;
    uint64_t abs_start = rg->base + c->start;
    if (s->n_dfound) {
        if (flush_decoded(s, x, c->start, c->rule))
            return KS_ETERMINATED;
        if (decoded_instead(s, c))
            return 0;
    }
    ks_match m = {
        .rule_index = c->rule,
        .rule_id = r->rule.id,
        .rule_name = r->rule.name,
        .start = abs_start,
        .end = rg->base + c->end,
        .match = buf + c->start,
        .match_len = (size_t)(c->end - c->start),
        .secret = buf + c->sstart,
        .secret_len = (size_t)(c->send - c->sstart),
        .secret_start = rg->base + c->sstart,
        .validator = validator_name(r, ok),
        .near_miss = !ok,
        .near_miss_reason = ok ? NULL : failed_check(r, buf + c->sstart, (size_t)(c->send - c->sstart)),
    };
    trim_span(&m, 1);
    return emit(s, x, &m, r) ? KS_ETERMINATED : 0;
}

int ks__scan_region(ks_scanner *s, const ks_region *rg, ks_lines *lines, ks_match_fn cb, void *ctx)
{
    s->left_shadows = 1;
    s->path = rg->path;
    s->path_pass = ks__engine_path_pass(s->engine, rg->path, s->md);
    s->n_cands = 0;
    s->cand_floor = 0;
    s->cand_error = 0;
    s->n_dfound = 0;
    s->n_trig = 0;
    s->trig_base = rg->base;
    const unsigned char *scan_buf = rg->buf;
    int unaligned = ((uintptr_t)(rg->buf + rg->len) & 63) != 0;
    if (unaligned && rg->len <= KS_WHOLE_COPY_TAILS * tail_len(s)) {
        /* the same bytes at the same offsets: candidates index rg->buf just as well */
        if (!(scan_buf = end_aligned_copy(s, rg->buf, rg->len)))
            return KS_ENOMEM;
        unaligned = 0;
    }
    hs_error_t hr = scan_pass(s, scan_buf, rg->len, 0, rg->own_begin, rg->own_end);
    if (s->cand_error)
        return s->cand_error;
    if (hr != HS_SUCCESS)
        return KS_ESCAN;
    if (unaligned) {
        int trc = scan_tail_aligned(s, rg);
        if (trc)
            return trc;
    }
    ks__sort_cands(s, 0, s->n_cands);
    report_ctx x = {.rg = rg, .lines = lines, .cb = cb, .ctx = ctx};
    size_t n_raw = s->n_cands;
    if (s->engine->decode_depth) {
        int drc = ks__decode_region(s, rg);
        s->n_cands = n_raw;
        s->cand_floor = 0;
        if (drc)
            return drc;
    }
    int rc = ks__resolve(s, rg->buf, 0, n_raw, report_raw, &x);
    if (!rc && s->n_dfound)
        rc = flush_decoded(s, &x, SIZE_MAX, SIZE_MAX);
    /* Later regions of the object need the newlines of this one; a last region does not. */
    if (!rc && !rg->last)
        ks__lines_advance(lines, rg->buf, rg->base, rg->base + rg->own_end);
    return rc;
}

/* Scans buf (bytes [base, base+len) of an object whose end is buf+len when `at_end`) for the
 * owned absolute range [own_from, own_to), in regions small enough for hs_scan. */
int ks__scan_owned(ks_scanner *s, const unsigned char *buf, size_t len, uint64_t base, uint64_t own_from,
                   uint64_t own_to, int last, const char *path, ks_lines *lines, ks_match_fn cb, void *ctx)
{
    size_t margin = s->engine->reach + KS_CONTEXT; /* regions need no allow window: mem holds it */
    size_t own_max = s->region_own_max ? s->region_own_max
                     : s->engine->decode_depth ? KS_REGION_OWN_MAX_DECODING
                                               : KS_REGION_OWN_MAX;
    size_t o = (size_t)(own_from - base), stop = (size_t)(own_to - base);
    while (o < stop) {
        size_t oe = stop - o > own_max ? o + own_max : stop;
        size_t b = o > margin ? o - margin : 0;
        size_t en = len - oe > margin ? oe + margin : len;
        ks_region rg = {.buf = buf + b, .len = en - b, .base = base + b, .own_begin = o - b, .own_end = oe - b,
                        .last = last && oe == stop, .mem = buf, .mem_len = len, .mem_base = base, .path = path};
        int rc = ks__scan_region(s, &rg, lines, cb, ctx);
        if (rc)
            return rc;
        o = oe;
    }
    return 0;
}

const char *ks__scan_opts_path(const ks_scan_opts *opts)
{
    if (!opts)
        return NULL;
    size_t have = opts->size ? opts->size : sizeof *opts;
    return have >= offsetof(ks_scan_opts, path) + sizeof opts->path ? opts->path : NULL;
}

int ks_scan(ks_scanner *s, const void *buf, size_t len, uint64_t base_offset, const ks_scan_opts *opts,
            ks_match_fn cb, void *ctx)
{
    if (!s || (!buf && len))
        return KS_EINVAL;
    if (ks__scanner_acquire(s))
        return KS_ESCRATCH_BUSY;
    ks_lines lines = {.counted_to = base_offset, .newlines = 0, .last_nl_end = base_offset};
    int rc = ks__scan_owned(s, buf, len, base_offset, base_offset, base_offset + len, 1, ks__scan_opts_path(opts),
                            &lines, cb, ctx);
    ks__scanner_release(s);
    return rc;
}
