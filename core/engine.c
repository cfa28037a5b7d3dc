/* engine.c: ks_engine: compiles every rule into one Vectorscan block database (or loads it from the cache) and owns the per-rule confirm regexes. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "compiler.h"
#include "db_cache.h"
#include "diag_emit.h"
#include "decode.h"
#include "engine_int.h"
#include "rules_int.h"
#include "scanner_int.h"
#include "validators.h"

/* Checks one expression of a rule (its `what`: pattern or prefilter) so that errors name the rule; 0 and its
 * widest match in *width, or the error. */
static int check_expression(const ks_rule *r, const char *what, const char *expr, unsigned *width,
                            ks_diag_fn on_error, void *ctx)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *err = NULL;
    int code = 0;
    const char *whose = strcmp(what, "pattern") ? "prefilter " : ""; /* the pattern's messages predate prefilters */
    if (hs_expression_info(expr, 0, &info, &err) != HS_SUCCESS) {
        ks__diag_emit(on_error, ctx, KS_ECOMPILE, r->source, r->line, r->id, "Vectorscan rejects the %s: %s", what,
                      err ? err->message : "unknown error");
        hs_free_compile_error(err);
        code = KS_ECOMPILE;
    } else if (info->max_width == UINT_MAX) {
        ks__diag_emit(on_error, ctx, KS_EUNBOUNDED, r->source, r->line, r->id,
                      "%smatch width is unbounded: use a bounded repeat such as {1,256} instead of * or +", whose);
        code = KS_EUNBOUNDED;
    } else if (info->max_width > KS_MAX_RULE_WIDTH) {
        ks__diag_emit(on_error, ctx, KS_EUNBOUNDED, r->source, r->line, r->id,
                      "%smatch width can reach %u bytes; the limit is %u", whose, info->max_width, KS_MAX_RULE_WIDTH);
        code = KS_EUNBOUNDED;
    } else if (info->min_width == 0) {
        ks__diag_emit(on_error, ctx, KS_ECOMPILE, r->source, r->line, r->id, "%s can match the empty string", what);
        code = KS_ECOMPILE;
    } else {
        *width = info->max_width;
    }
    free(info); /* Vectorscan allocates with the default allocator, which we never replace */
    return code;
}

/* Checks each rule's expressions and records its width: the wider of pattern and prefilter, so that a region
 * holds both the prefilter's match (whose end Vectorscan reports) and the pattern's (which confirms it). */
static int check_patterns(ks_erule *rules, size_t n, ks_diag_fn on_error, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const ks_rule *r = &rules[i].rule;
        unsigned wp = 0, wf = 0;
        int code = check_expression(r, "pattern", r->pattern, &wp, on_error, ctx);
        if (!code && r->prefilter)
            code = check_expression(r, "prefilter", r->prefilter, &wf, on_error, ctx);
        if (!code)
            rules[i].max_width = wp > wf ? wp : wf;
        if (code && !rc)
            rc = code;
    }
    return rc;
}

/* The escape patterns go into the rules' database when decoding is on (ids from n_rules on): the
 * one Vectorscan pass then also says where escapes are (scan.c). */
static size_t n_triggers(const ks_engine *e)
{
    size_t n = 0;
    if (e->decode_depth)
        (void)ks__escape_patterns(&n);
    return n;
}

/* What Vectorscan searches for rule i: its prefilter, whose every match end the pattern confirms (scan.c), or
 * its pattern. */
static void add_rule_expression(const ks_engine *e, size_t i, const char **pats, unsigned *ids, size_t *np)
{
    pats[*np] = e->rules[i].rule.prefilter ? e->rules[i].rule.prefilter : e->rules[i].rule.pattern;
    ids[(*np)++] = (unsigned)i;
}

/* Marks the rules with a path condition for the path database, when something is left for the main one. */
static int select_path_rules(ks_engine *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_rules; i++)
        n += e->rules[i].rule.path != NULL;
    if (!n || (n == e->n_rules && !n_triggers(e)))
        return 0;
    if (!(e->path_rules = ks__acalloc(e->a, n, sizeof *e->path_rules)))
        return KS_ENOMEM;
    for (size_t i = 0; i < e->n_rules; i++)
        if (e->rules[i].rule.path) {
            e->rules[i].in_path_db = 1;
            e->path_rules[e->n_path_rules++] = i;
        }
    return 0;
}

/* The path database: the rules build_db put aside (select_path_rules), with their prefilters as in the main one. */
static int compile_path_db(ks_engine *e, ks_diag_fn on_error, void *ctx)
{
    if (!e->n_path_rules)
        return 0;
    const char **pats = ks__acalloc(e->a, e->n_path_rules, sizeof *pats);
    unsigned *ids = ks__acalloc(e->a, e->n_path_rules, sizeof *ids);
    int rc = 0;
    if (!pats || !ids) {
        rc = KS_ENOMEM;
    } else {
        size_t np = 0;
        for (size_t k = 0; k < e->n_path_rules; k++)
            add_rule_expression(e, e->path_rules[k], pats, ids, &np);
        hs_compile_error_t *err = NULL;
        if (hs_compile_multi(pats, NULL, ids, (unsigned)np, HS_MODE_BLOCK, NULL, &e->path_db, &err) != HS_SUCCESS) {
            ks__diag_emit(on_error, ctx, KS_ECOMPILE, NULL, 0, NULL, "Vectorscan cannot compile the path rules: %s",
                          err ? err->message : "unknown error");
            hs_free_compile_error(err);
            e->path_db = NULL;
            rc = KS_ECOMPILE;
        }
    }
    ks__afree(e->a, pats);
    ks__afree(e->a, ids);
    return rc;
}

int ks__engine_path_pass(const ks_engine *e, const char *path, pcre2_match_data *md)
{
    if (!e->path_db)
        return 0;
    if (!path)
        return 1; /* unknown: the rules report as any rule does (detectors/README.md) */
    for (size_t k = 0; k < e->n_path_rules; k++)
        if (ks__cond_path_holds(e->rules[e->path_rules[k]].rule.cond, path, md))
            return 1;
    return 0;
}

static int compile_db(ks_engine *e, ks_diag_fn on_error, void *ctx)
{
    int rc = check_patterns(e->rules, e->n_rules, on_error, ctx);
    if (rc)
        return rc;
    size_t nt = n_triggers(e), total = e->n_rules + nt;
    const char **pats = ks__acalloc(e->a, total, sizeof *pats);
    unsigned *flags = ks__acalloc(e->a, total, sizeof *flags);
    unsigned *ids = ks__acalloc(e->a, total, sizeof *ids);
    if (!pats || !flags || !ids) {
        rc = KS_ENOMEM;
        goto out;
    }
    size_t np = 0;
    for (size_t i = 0; i < e->n_rules; i++)
        if (!e->rules[i].in_path_db)
            add_rule_expression(e, i, pats, ids, &np);
    if (nt) {
        size_t n;
        const char *const *esc = ks__escape_patterns(&n);
        for (size_t i = 0; i < nt; i++) {
            pats[np] = esc[i];
            ids[np++] = (unsigned)(e->n_rules + i);
        }
    }
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi(pats, flags, ids, (unsigned)np, HS_MODE_BLOCK, NULL, &e->db, &err) != HS_SUCCESS) {
        if (err && err->expression >= 0 && (size_t)err->expression < np && ids[err->expression] < e->n_rules) {
            const ks_rule *r = &e->rules[ids[err->expression]].rule;
            ks__diag_emit(on_error, ctx, KS_ECOMPILE, r->source, r->line, r->id,
                          "Vectorscan rejects the %s: %s", r->prefilter ? "prefilter" : "pattern", err->message);
        } else {
            ks__diag_emit(on_error, ctx, KS_ECOMPILE, NULL, 0, NULL, "Vectorscan cannot compile the rule set: %s",
                          err ? err->message : "unknown error");
        }
        hs_free_compile_error(err);
        e->db = NULL;
        rc = KS_ECOMPILE;
    }
out:
    ks__afree(e->a, pats);
    ks__afree(e->a, flags);
    ks__afree(e->a, ids);
    return rc;
}

/* Tries the cache, then compiles; a cache that is missing, stale or corrupt is never an error. The path rules'
 * database is cached beside the main one under a key of its own: compiling it takes longer than a cached start-up
 * may (a .pgpass line's bounded repeats). */
static int build_db(ks_engine *e, const ks_engine_options *opts, ks_diag_fn on_error, void *ctx)
{
    const char *dir = NULL;
    /* opt-in: a library that is not given a directory never writes to disk */
    if (!(e->flags & KS_ENGINE_NO_CACHE) && opts && opts->cache_dir)
        dir = opts->cache_dir;
    ks_cache_key key, path_key;
    unsigned *widths = NULL;
    int have_main = 0, have_path = !e->n_path_rules;
    if (dir) {
        ks__cache_key(e->rules, e->n_rules, &key);
        if (n_triggers(e)) /* a database with the escape patterns is another database */
            key.h[1] ^= 0x6465636f64653031ull;
        path_key = key;
        path_key.h[0] ^= 0x7061746864623031ull;
        widths = ks__acalloc(e->a, e->n_rules, sizeof *widths);
        if (widths && ks__cache_load(dir, &key, e->n_rules, widths, &e->db) == 0) {
            for (size_t i = 0; i < e->n_rules; i++)
                e->rules[i].max_width = widths[i];
            e->from_cache = have_main = 1;
            /* stored with the same widths: loading them again changes nothing */
            have_path = have_path || ks__cache_load(dir, &path_key, e->n_rules, widths, &e->path_db) == 0;
        }
    }
    int rc = have_main ? 0 : compile_db(e, on_error, ctx);
    if (!rc && !have_path)
        rc = compile_path_db(e, on_error, ctx);
    if (!rc && dir && widths) {
        for (size_t i = 0; i < e->n_rules; i++)
            widths[i] = e->rules[i].max_width;
        if (!have_main)
            (void)ks__cache_store(dir, &key, e->n_rules, widths, e->db);
        if (!have_path)
            (void)ks__cache_store(dir, &path_key, e->n_rules, widths, e->path_db);
    }
    ks__afree(e->a, widths);
    return rc;
}

/* Moves the database Vectorscan allocated into memory from the engine's allocator: Vectorscan
 * places a deserialized database wherever it is told (hs_deserialize_database_at), which is the
 * one way to do it without hs_set_allocator, a process-wide setting a library must not touch. */
static int place_db(ks_engine *e, hs_database_t **db, int *placed)
{
    if (!*db)
        return 0;
    char *ser = NULL;
    size_t ser_len = 0, bytes = 0;
    if (hs_serialize_database(*db, &ser, &ser_len) != HS_SUCCESS)
        return KS_ENOMEM;
    int rc = KS_ENOMEM;
    void *mem = NULL;
    if (hs_serialized_database_size(ser, ser_len, &bytes) == HS_SUCCESS && (mem = ks__amalloc(e->a, bytes)) &&
        hs_deserialize_database_at(ser, ser_len, mem) == HS_SUCCESS) {
        hs_free_database(*db);
        *db = mem;
        *placed = 1;
        mem = NULL;
        rc = 0;
    }
    ks__afree(e->a, mem);
    free(ser); /* Vectorscan's default allocator, as in check_patterns */
    return rc;
}

static void *pcre2_malloc_hook(PCRE2_SIZE n, void *ctx)
{
    return ks__amalloc(((ks_engine *)ctx)->a, n);
}

static void pcre2_free_hook(void *p, void *ctx) { ks__afree(((ks_engine *)ctx)->a, p); }

/* The caller's allocator in *a (NULL: none; a caller built before the field existed passes a
 * smaller size, and the field is not read). Returns KS_EINVAL for a hook that lacks a function. */
static int options_allocator(const ks_engine_options *opts, const ks_allocator **a)
{
    *a = NULL;
    if (!opts || (opts->size && opts->size < offsetof(ks_engine_options, allocator) + sizeof opts->allocator) ||
        !opts->allocator)
        return 0;
    *a = opts->allocator;
    return (*a)->malloc && (*a)->realloc && (*a)->free ? 0 : KS_EINVAL;
}

/* How deep encoded text is decoded (known before the database is built: it holds the escape
 * patterns), and how much context that asks every region to hold: a base64 run is decoded over its
 * first decode_window bytes, and the region that owns a finding in it must see the run's start. */
static void decode_depth(ks_engine *e, const ks_engine_options *opts)
{
    unsigned depth = KS_DEFAULT_DECODE_DEPTH;
    if (opts && (!opts->size || opts->size >= offsetof(ks_engine_options, max_decode_depth) + sizeof(unsigned)) &&
        opts->max_decode_depth)
        depth = opts->max_decode_depth < KS_MAX_DECODE_DEPTH ? opts->max_decode_depth : KS_MAX_DECODE_DEPTH;
    e->decode_depth = e->flags & KS_ENGINE_NO_DECODE ? 0 : depth;
}

static void decode_reach(ks_engine *e)
{
    e->decode_window = e->max_width > KS_DEC_MIN_WINDOW ? e->max_width : KS_DEC_MIN_WINDOW;
    e->reach = e->decode_depth && e->decode_window > e->max_width ? e->decode_window : e->max_width;
}

int ks_engine_create(const ks_rules *rules, const ks_engine_options *opts, ks_engine **out,
                     ks_diag_fn on_error, void *ctx)
{
    if (!out)
        return KS_EINVAL;
    *out = NULL;
    if (!rules)
        return KS_EINVAL;
    if (ks_check_cpu()) {
        ks__diag_emit(on_error, ctx, KS_ECPU, NULL, 0, NULL,
                      "this CPU lacks the instructions Vectorscan needs (SSSE3 on x86-64)");
        return KS_ECPU;
    }
    if (!rules->n) {
        ks__diag_emit(on_error, ctx, KS_ENORULES, NULL, 0, NULL, "no rules to compile");
        return KS_ENORULES;
    }
    if (rules->n > KS_MAX_RULES) {
        ks__diag_emit(on_error, ctx, KS_EINVAL, NULL, 0, NULL, "rule set too large: %zu rules, the limit is %u",
                      rules->n, KS_MAX_RULES);
        return KS_EINVAL;
    }
    const ks_allocator *hook;
    if (options_allocator(opts, &hook))
        return KS_EINVAL;
    ks_engine *e = ks__acalloc(hook, 1, sizeof *e);
    if (!e)
        return KS_ENOMEM;
    if (hook) {
        e->alloc = *hook;
        e->a = &e->alloc;
    }
    e->flags = opts ? opts->flags : 0;
    ks__allow_shift_init(e->allow_shift);
    decode_depth(e, opts);
    if (e->a && (!(e->gctx = pcre2_general_context_create(pcre2_malloc_hook, pcre2_free_hook, e)) ||
                 !(e->cctx = pcre2_compile_context_create(e->gctx)))) {
        ks_engine_destroy(e);
        return KS_ENOMEM;
    }
    e->rules = ks__acalloc(e->a, rules->n, sizeof *e->rules);
    if (!e->rules) {
        ks_engine_destroy(e);
        return KS_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < rules->n && !rc; i++) {
        rc = ks__rule_copy(e->a, &e->rules[i].rule, &rules->items[i]);
        if (rc)
            break;
        e->n_rules = i + 1;
        atomic_init(&e->rules[i].secret_group, -1);
        const char *conf = rules->items[i].confidence;
        e->rules[i].priority = !conf ? 2 : !strcmp(conf, "high") ? 3 : !strcmp(conf, "low") ? 1 : 2;
        e->rules[i].yields = ks__rule_yields(&rules->items[i]);
        e->rules[i].severity = ks__rule_severity(&rules->items[i]);
        atomic_init(&e->rules[i].confirm, NULL);
        if (ks__validator_lookup(rules->items[i].validate, &e->rules[i].validator)) {
            ks__diag_emit(on_error, ctx, KS_ERULE, rules->items[i].source, rules->items[i].line,
                          rules->items[i].id, "unknown validator '%s'", rules->items[i].validate);
            rc = KS_ERULE;
        }
    }
    if (!rc && rules->known.n) {
        e->known.sha = ks__amalloc(e->a, rules->known.n * sizeof *e->known.sha);
        if (e->known.sha) {
            memcpy(e->known.sha, rules->known.sha, rules->known.n * sizeof *e->known.sha);
            e->known.n = rules->known.n;
        } else {
            rc = KS_ENOMEM;
        }
    }
    if (!rc)
        rc = select_path_rules(e);
    if (!rc)
        rc = build_db(e, opts, on_error, ctx);
    if (!rc && e->a)
        rc = place_db(e, &e->db, &e->db_placed);
    if (!rc && e->a)
        rc = place_db(e, &e->path_db, &e->path_db_placed);
    size_t path_bytes = 0;
    if (!rc && (hs_database_size(e->db, &e->db_bytes) != HS_SUCCESS ||
                (e->path_db && hs_database_size(e->path_db, &path_bytes) != HS_SUCCESS)))
        e->db_bytes = 0;
    e->db_bytes += path_bytes;
    if (rc) {
        ks_engine_destroy(e);
        return rc;
    }
    for (size_t i = 0; i < e->n_rules; i++)
        if (e->rules[i].max_width > e->max_width)
            e->max_width = e->rules[i].max_width;
    decode_reach(e);
    *out = e;
    return 0;
}

void ks_engine_destroy(ks_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_rules; i++) {
        pcre2_code_free(atomic_load(&e->rules[i].confirm));
        ks__rule_free_a(e->a, &e->rules[i].rule);
    }
    ks__afree(e->a, e->rules);
    ks__afree(e->a, e->known.sha);
    if (e->db_placed)
        ks__afree(e->a, e->db);
    else
        hs_free_database(e->db);
    if (e->path_db_placed)
        ks__afree(e->a, e->path_db);
    else
        hs_free_database(e->path_db);
    ks__afree(e->a, e->path_rules);
    pcre2_compile_context_free(e->cctx);
    pcre2_general_context_free(e->gctx);
    ks__afree(e->a, e);
}

int ks_engine_stats_get(const ks_engine *e, ks_engine_stats *st)
{
    if (!e || !st)
        return KS_EINVAL;
    size_t room = st->size && st->size < sizeof *st ? st->size : sizeof *st;
    ks_engine_stats full = {.size = room, .n_rules = e->n_rules, .max_width = e->max_width,
                            .database_bytes = e->db_bytes, .from_cache = e->from_cache, .reach = e->reach};
    memcpy(st, &full, room);
    return 0;
}

int ks_engine_rule(const ks_engine *e, size_t index, ks_rule_info *info)
{
    if (!e || !info || index >= e->n_rules)
        return KS_EINVAL;
    ks__rule_info(&e->rules[index].rule, info);
    return 0;
}

pcre2_code *ks__engine_confirm(const ks_engine *ce, size_t i)
{
    ks_erule *r = &((ks_engine *)ce)->rules[i];
    pcre2_code *code = atomic_load_explicit(&r->confirm, memory_order_acquire);
    if (KS_LIKELY(code != NULL))
        return code;
    /* First use: compile and JIT, then publish; a thread that loses the race frees its copy. */
    int errcode;
    PCRE2_SIZE erroff;
    /* End-anchored at compile time: JIT supports that, while the same option passed to
     * pcre2_match() falls back to the interpreter (15x slower on a generic assignment rule). */
    code = pcre2_compile((PCRE2_SPTR)r->rule.pattern, PCRE2_ZERO_TERMINATED, PCRE2_ENDANCHORED, &errcode, &erroff,
                         ce->cctx);
    if (!code)
        return NULL;
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    int group = pcre2_substring_number_from_name(code, (PCRE2_SPTR) "secret");
    if (group <= 0) {
        uint32_t captures = 0;
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
        group = captures >= 1 ? 1 : 0;
    }
    atomic_store_explicit(&r->secret_group, group, memory_order_relaxed); /* same value from any thread */
    pcre2_code *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&r->confirm, &expected, code, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        pcre2_code_free(code);
        return expected;
    }
    return code;
}
