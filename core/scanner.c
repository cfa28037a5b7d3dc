/* scanner.c: ks_scanner, the per-thread scan state: Vectorscan scratch, PCRE2 match data, candidate buffer. */
#include <string.h>

#include "alloc.h"
#include "engine_int.h"
#include "scanner_int.h"

/* Enough capture pairs for any sane rule; a rule with more groups still confirms (PCRE2 returns 0). */
#define KS_OVECTOR_PAIRS 64

int ks_scanner_create(const ks_engine *engine, ks_scanner **out)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!engine)
        return KS_EINVAL;
    ks_scanner *s = ks__acalloc(ks__engine_alloc(engine), 1, sizeof *s);
    if (!s)
        return KS_ENOMEM;
    s->engine = engine;
    atomic_flag_clear(&s->busy);
    /* one scratch serves both databases: hs_alloc_scratch grows it to fit the second */
    if (hs_alloc_scratch(engine->db, &s->scratch) != HS_SUCCESS ||
        (engine->path_db && hs_alloc_scratch(engine->path_db, &s->scratch) != HS_SUCCESS)) {
        s->scratch = NULL;
        ks_scanner_destroy(s);
        return KS_ENOMEM;
    }
    s->md = pcre2_match_data_create(KS_OVECTOR_PAIRS, engine->gctx);
    s->mctx = pcre2_match_context_create(engine->gctx);
    s->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, engine->gctx);
    if (!s->md || !s->mctx || !s->jit_stack) {
        ks_scanner_destroy(s);
        return KS_ENOMEM;
    }
    pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
    /* Confirms run over windows of at most 16 KiB; bound the work a pathological rule can do. */
    pcre2_set_match_limit(s->mctx, 1000000);
    *out = s;
    return 0;
}

void ks_scanner_destroy(ks_scanner *s)
{
    if (!s)
        return;
    hs_free_scratch(s->scratch);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit_stack);
    const ks_allocator *a = ks__engine_alloc(s->engine);
    ks__afree(a, s->cands);
    ks__afree(a, s->tail_buf);
    ks__decode_free(s);
    ks__afree(a, s);
}

const ks_engine *ks_scanner_engine(const ks_scanner *s) { return s ? s->engine : NULL; }

int ks__scanner_acquire(ks_scanner *s)
{
    return atomic_flag_test_and_set_explicit(&s->busy, memory_order_acquire) ? KS_ESCRATCH_BUSY : 0;
}

void ks__scanner_release(ks_scanner *s) { atomic_flag_clear_explicit(&s->busy, memory_order_release); }
