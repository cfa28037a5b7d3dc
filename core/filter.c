/* allowlist.c: Gitleaks rule conditions at scan time: allowlists (regexes, stopwords, paths) and a rule's path filter. */
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "engine_int.h"
#include "filter.h"
#include "rules_int.h"
#include "scanner_int.h"
#include "strvec.h"

ks_allow *ks__allow_ref(ks_allow *a)
{
    if (a)
        atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return a;
}

void ks__allow_unref(ks_allow *a)
{
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < a->n_regexes; i++)
        pcre2_code_free(a->regexes[i]);
    for (size_t i = 0; i < a->n_paths; i++)
        pcre2_code_free(a->paths[i]);
    ks__free(a->regexes);
    ks__free(a->paths);
    ks__strvec_free(&a->stopwords);
    ks__free(a);
}

ks_cond *ks__cond_ref(ks_cond *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void ks__cond_unref(ks_cond *c)
{
    if (!c || atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    pcre2_code_free(c->path);
    for (size_t i = 0; i < c->n_allows; i++)
        ks__allow_unref(c->allows[i]);
    ks__free(c->allows);
    ks__free(c);
}

ks_cond *ks__cond_new_path(const char *re, int *errcode, size_t *erroff)
{
    PCRE2_SIZE eo = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, errcode, &eo, NULL);
    *erroff = (size_t)eo;
    if (!code)
        return NULL;
    /* Path rules' conditions are tried on every object's path (ks__engine_path_pass), not only on findings: the
     * JIT makes that a fraction of a microsecond. Without it (no JIT on this CPU), the interpreter is correct. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    ks_cond *c = ks__calloc(1, sizeof *c);
    if (!c) {
        pcre2_code_free(code);
        *errcode = PCRE2_ERROR_NOMEMORY;
        return NULL;
    }
    atomic_init(&c->refs, 1);
    c->path = code;
    return c;
}

/* Unanchored search, as Go's MatchString: any match anywhere in the subject. A regex that hits
 * the match limit counts as not matching: the finding is then reported, never silently lost. */
static int search(const pcre2_code *re, const unsigned char *subj, size_t len, pcre2_match_data *md,
                  pcre2_match_context *mctx)
{
    return pcre2_match(re, subj, len, 0, 0, md, mctx) >= 0;
}

static int any_regex(pcre2_code *const *res, size_t n, const unsigned char *subj, size_t len, pcre2_match_data *md,
                     pcre2_match_context *mctx)
{
    for (size_t i = 0; i < n; i++)
        if (search(res[i], subj, len, md, mctx))
            return 1;
    return 0;
}

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

/* Gitleaks: strings.Contains(strings.ToLower(secret), stopword); stopwords are stored lowercase. */
static int has_stopword(const ks_strvec *words, const unsigned char *s, size_t len)
{
    for (size_t w = 0; w < words->n; w++) {
        const char *word = words->items[w];
        size_t wl = strlen(word);
        if (!wl || wl > len)
            continue;
        for (size_t i = 0; i + wl <= len; i++) {
            if (lower(s[i]) != (unsigned char)word[0])
                continue;
            size_t k = 1;
            while (k < wl && lower(s[i + k]) == (unsigned char)word[k])
                k++;
            if (k == wl)
                return 1;
        }
    }
    return 0;
}

/* What a finding offers the allowlists. `path` NULL means unknown (the engine's pass). */
typedef struct subject {
    const unsigned char *secret, *match, *line;
    size_t secret_len, match_len, line_len;
    const char *path;
} subject;

/* Evaluates one list: 1 exempt, 0 not. `with_path` selects the pass: without it, only lists
 * that need no path are decided (the others wait for ks_engine_path_allows); with it, only the
 * lists that involve a path are, so no list is applied twice. */
static int allow_hits(const ks_allow *a, const subject *sj, int with_path, pcre2_match_data *md,
                      pcre2_match_context *mctx)
{
    int needs_path = a->n_paths > 0;
    const unsigned char *t = sj->secret;
    size_t tl = sj->secret_len;
    if (a->target == KS_ALLOW_MATCH || (a->target == KS_ALLOW_LINE && !sj->line)) {
        t = sj->match; /* the path pass has no line: the match stands in for it (README) */
        tl = sj->match_len;
    } else if (a->target == KS_ALLOW_LINE) {
        t = sj->line;
        tl = sj->line_len;
    }
    if (a->all) {
        /* AND: a list is decided in the pass that can see all of its criteria. */
        if (a->has_commits || needs_path != with_path)
            return 0;
        if (needs_path && !(sj->path && any_regex(a->paths, a->n_paths, (const unsigned char *)sj->path,
                                                  strlen(sj->path), md, mctx)))
            return 0;
        if (a->n_regexes && !any_regex(a->regexes, a->n_regexes, t, tl, md, mctx))
            return 0;
        if (a->stopwords.n && !has_stopword(&a->stopwords, sj->secret, sj->secret_len))
            return 0;
        return a->n_regexes || a->stopwords.n || needs_path;
    }
    /* OR: content criteria in the engine's pass, path criteria in the path pass. */
    if (with_path)
        return needs_path && sj->path &&
               any_regex(a->paths, a->n_paths, (const unsigned char *)sj->path, strlen(sj->path), md, mctx);
    return any_regex(a->regexes, a->n_regexes, t, tl, md, mctx) ||
           (a->stopwords.n && has_stopword(&a->stopwords, sj->secret, sj->secret_len));
}

int ks__cond_path_holds(const ks_cond *c, const char *path, pcre2_match_data *md)
{
    return !c || !c->path || !path || search(c->path, (const unsigned char *)path, strlen(path), md, NULL);
}

int ks__cond_drops(const ks_cond *cond, ks_scanner *s, const ks_region *rg, const ks_cand *c)
{
    if (!cond->n_allows)
        return 0;
    /* Gitleaks' `line` is the finding's whole line. keysweep sees it only as far as the engine's
     * widest rule reaches on either side of the match's start: every region holds that much
     * context around what it owns (the overlap), so the verdict never depends on how the data was
     * cut into regions, chunks or stream pieces. */
    size_t width = s->engine->max_width;
    size_t lo = c->start > width ? c->start - width : 0;
    size_t hi = c->start + width < rg->len ? c->start + width : rg->len;
    if (hi < c->end)
        hi = c->end;
    size_t ls = c->start, le = c->end;
    while (ls > lo && rg->buf[ls - 1] != '\n')
        ls--;
    while (le < hi && rg->buf[le] != '\n')
        le++;
    subject sj = {
        .secret = rg->buf + c->sstart,
        .secret_len = c->send - c->sstart,
        .match = rg->buf + c->start,
        .match_len = c->end - c->start,
        .line = rg->buf + ls,
        .line_len = le - ls,
        .path = NULL,
    };
    for (size_t i = 0; i < cond->n_allows; i++)
        if (allow_hits(cond->allows[i], &sj, 0, s->md, s->mctx))
            return 1;
    return 0;
}

int ks_engine_path_allows(const ks_engine *e, const ks_match *m, const char *path)
{
    if (!e || !m || m->rule_index >= e->n_rules)
        return 1;
    const ks_cond *cond = e->rules[m->rule_index].rule.cond;
    if (!cond)
        return 1;
    int keep = 1;
    pcre2_match_data *md = NULL;
    if (cond->path || cond->n_allows) {
        md = pcre2_match_data_create(1, e->gctx);
        if (!md)
            return 1; /* out of memory: report rather than lose a finding */
    }
    /* Gitleaks: a rule with a path applies only to files whose path matches (none for stdin). */
    if (cond->path && !(path && search(cond->path, (const unsigned char *)path, strlen(path), md, NULL)))
        keep = 0;
    subject sj = {
        .secret = m->secret,
        .secret_len = m->secret_len,
        .match = m->match,
        .match_len = m->match_len,
        .line = NULL,
        .path = path,
    };
    for (size_t i = 0; keep && i < cond->n_allows; i++)
        if (allow_hits(cond->allows[i], &sj, 1, md, NULL))
            keep = 0;
    pcre2_match_data_free(md);
    return keep;
}
