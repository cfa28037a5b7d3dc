/* gitleaks.c: imports Gitleaks/Betterleaks TOML configurations rule by rule: regexes rewritten for Vectorscan, secretGroup, entropy, allowlists. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "strbuf.h"
#include "diag_emit.h"
#include "engine_int.h"
#include "filter.h"
#include "rules_int.h"
#include "strvec.h"
#include "toml.h"

/*
 * Gitleaks regexes are Go RE2. keysweep needs every rule to compile in Vectorscan and PCRE2 and
 * to have a bounded width (chunks overlap by the widest rule). The rewrite is syntactic and
 * conservative (detectors/README.md, "Gitleaks configurations"):
 *   - an unbounded repeat gets an upper bound N: `*` -> {0,N}, `+` -> {1,N}, `{m,}` -> {m,m+N}.
 *     N is 4096 for a regex's only unbounded repeat (longer than any real token, PEM private keys
 *     included); k of them share 4096 (see repeat_bound), each keeping at least 256;
 *   - capture group `secretGroup` becomes the named group `secret`, which the engine reports as
 *     the secret; any other group named `secret` is renamed, so only Gitleaks' choice counts;
 *   - a `{` or `}` that is not part of a repeat is escaped (RE2 and PCRE2 read it as a literal,
 *     Vectorscan may not).
 * Everything else is passed through: the two dialects agree on the syntax Gitleaks rules use
 * ((?i), \b, \z, classes, (?s:.), lazy repeats, which Vectorscan treats as greedy).
 */

typedef struct gl_ctx {
    const char *source;
    ks_diag_fn on_error;
    void *ctx;
} gl_ctx;

/* Why a rule or allowlist could not be imported. */
typedef struct gl_err {
    int code;
    char msg[400];
} gl_err;

static int set_err(gl_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_err(gl_err *e, int code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- regex rewriting ---- */

/* Index just past the character class that starts at src[i] == '['. */
static size_t class_end(const char *src, size_t i, size_t len)
{
    size_t j = i + 1;
    if (j < len && src[j] == '^')
        j++;
    if (j < len && src[j] == ']')
        j++; /* a ']' first in the class is a literal */
    while (j < len) {
        if (src[j] == '\\') {
            j += 2;
            if (j - 1 < len && strchr("xpP", src[j - 1]) && j < len && src[j] == '{') {
                const char *e = strchr(src + j, '}');
                j = e ? (size_t)(e - src) + 1 : len;
            }
        } else if (src[j] == '[' && j + 1 < len && src[j + 1] == ':') {
            const char *e = strstr(src + j + 2, ":]");
            j = e ? (size_t)(e - src) + 2 : j + 1;
        } else if (src[j] == ']') {
            return j + 1;
        } else {
            j++;
        }
    }
    return len;
}

/* Parses a repeat "{m}", "{m,}" or "{m,n}" at src[i]; returns its length (0: a literal brace). */
static size_t parse_repeat(const char *src, size_t i, size_t len, unsigned long *m, int *open)
{
    size_t j = i + 1;
    if (j >= len || src[j] < '0' || src[j] > '9')
        return 0;
    *m = 0;
    while (j < len && src[j] >= '0' && src[j] <= '9' && *m < 100000)
        *m = *m * 10 + (unsigned long)(src[j++] - '0');
    *open = 0;
    if (j < len && src[j] == '}')
        return j + 1 - i;
    if (j >= len || src[j] != ',')
        return 0;
    j++;
    if (j < len && src[j] == '}') {
        *open = 1;
        return j + 1 - i;
    }
    if (j >= len || src[j] < '0' || src[j] > '9')
        return 0;
    while (j < len && src[j] >= '0' && src[j] <= '9')
        j++;
    return j < len && src[j] == '}' ? j + 1 - i : 0;
}

/* Rewrites a Go regex (see the comment at the top), giving unbounded repeats the upper bound `bound`.
 * Sets *unbounded to the number of such repeats and *groups to the number of capture groups.
 * Returns 0 or KS_ENOMEM. */
static int translate(const char *src, long secret_group, unsigned bound, ks_strbuf *out, long *unbounded, long *groups)
{
    size_t i = 0, len = strlen(src);
    char q[64];
    *unbounded = 0;
    *groups = 0;
    out->len = 0;
    ks__sb_puts(out, "");
    while (i < len) {
        char c = src[i];
        if (c == '\\' && i + 1 < len) {
            if (src[i + 1] == 'Q') { /* \Q...\E: literal text, copied whole */
                const char *e = strstr(src + i + 2, "\\E");
                size_t stop = e ? (size_t)(e - src) + 2 : len;
                ks__sb_putn(out, src + i, stop - i);
                i = stop;
                continue;
            }
            size_t j = i + 2;
            if (strchr("xpP", src[i + 1]) && j < len && src[j] == '{') {
                const char *e = strchr(src + j, '}');
                j = e ? (size_t)(e - src) + 1 : len;
            }
            ks__sb_putn(out, src + i, j - i);
            i = j;
        } else if (c == '[') {
            size_t j = class_end(src, i, len);
            ks__sb_putn(out, src + i, j - i);
            i = j;
        } else if (c == '(' && i + 1 < len && src[i + 1] == '?') {
            size_t name = 0;
            if (i + 3 < len && src[i + 2] == 'P' && src[i + 3] == '<')
                name = i + 4;
            else if (i + 3 < len && src[i + 2] == '<' && src[i + 3] != '=' && src[i + 3] != '!')
                name = i + 3;
            const char *gt = name ? strchr(src + name, '>') : NULL;
            if (!gt) { /* (?flags), (?:, (?flags: and anything Vectorscan will judge */
                ks__sb_putn(out, src + i, 2);
                i += 2;
                continue;
            }
            size_t nl = (size_t)(gt - (src + name));
            ++*groups;
            if (*groups == secret_group) {
                ks__sb_puts(out, "(?P<secret>");
            } else if (nl == 6 && memcmp(src + name, "secret", 6) == 0) {
                ks__sb_puts(out, "(?P<gitleaks_secret>");
            } else {
                ks__sb_puts(out, "(?P<");
                ks__sb_putn(out, src + name, nl);
                ks__sb_puts(out, ">");
            }
            i = (size_t)(gt - src) + 1;
        } else if (c == '(') {
            ++*groups;
            ks__sb_puts(out, *groups == secret_group ? "(?P<secret>" : "(");
            i++;
        } else if (c == '*' || c == '+') {
            snprintf(q, sizeof q, "{%d,%u}", c == '+', bound);
            ks__sb_puts(out, q);
            ++*unbounded;
            i++;
        } else if (c == '{') {
            unsigned long m = 0;
            int open = 0;
            size_t n = parse_repeat(src, i, len, &m, &open);
            if (!n) {
                ks__sb_puts(out, "\\{");
                i++;
            } else if (open) {
                snprintf(q, sizeof q, "{%lu,%lu}", m, m + bound);
                ks__sb_puts(out, q);
                ++*unbounded;
                i += n;
            } else {
                ks__sb_putn(out, src + i, n);
                i += n;
            }
        } else if (c == '}') {
            ks__sb_puts(out, "\\}");
            i++;
        } else {
            ks__sb_putn(out, &c, 1);
            i++;
        }
    }
    return out->oom ? KS_ENOMEM : 0;
}

/* The upper bound N for each of a regex's `k` unbounded repeats: 4096 shared out (the largest power of
 * two <= 4096/k), but at least 256. A lone repeat gets 4096 (PEM keys), many get less, because each
 * large bounded repeat costs Vectorscan compile time and state, and widens every chunk's overlap. */
static unsigned repeat_bound(long k)
{
    unsigned n = 4096;
    while (k > 1 && n > 256 && (long)n * k > 4096)
        n /= 2;
    return n;
}

/* Rewrites and checks a rule's regex the way the engine will use it; *pattern gets the result. */
static int convert_regex(const char *regex, long secret_group, char **pattern, gl_err *err)
{
    ks_strbuf b = {0};
    long groups, k;
    int rc = translate(regex, secret_group, 1, &b, &k, &groups); /* a first pass counts the repeats */
    if (!rc && k)
        rc = translate(regex, secret_group, repeat_bound(k), &b, &k, &groups);
    if (rc) {
        set_err(err, rc, "out of memory");
        goto fail;
    }
    if (secret_group > groups) {
        rc = set_err(err, KS_ERULE, "secretGroup is %ld, but the regex has %ld capture group%s", secret_group, groups,
                     groups == 1 ? "" : "s");
        goto fail;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)b.s, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        rc = set_err(err, KS_ECOMPILE, "PCRE2 rejects the regex: %s at offset %zu%s", (const char *)msg, (size_t)eo,
                     k ? " (of the rewritten regex)" : "");
        goto fail;
    }
    pcre2_code_free(code);
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *herr = NULL;
    if (hs_expression_info(b.s, 0, &info, &herr) != HS_SUCCESS) {
        rc = set_err(err, KS_ECOMPILE, "Vectorscan rejects the regex: %s", herr ? herr->message : "unknown error");
        hs_free_compile_error(herr);
        goto fail;
    }
    unsigned maxw = info->max_width, minw = info->min_width;
    free(info); /* Vectorscan allocates with the default allocator */
    if (minw == 0) {
        rc = set_err(err, KS_ECOMPILE, "the regex can match the empty string");
    } else if (maxw == UINT_MAX) { /* a repeat this rewrite does not see */
        rc = set_err(err, KS_EUNBOUNDED, "match width is unbounded");
    } else if (maxw > KS_MAX_RULE_WIDTH) {
        rc = set_err(err, KS_EUNBOUNDED, "match width can reach %u bytes%s; the limit is %u", maxw,
                     k ? " with its unbounded repeats bounded" : "", KS_MAX_RULE_WIDTH);
    } else {
        *pattern = b.s;
        return 0;
    }
fail:
    ks__free(b.s);
    return rc;
}

/* ---- TOML field access ---- */

static int want_type(const ks_toml_value *v, ks_toml_type t, const char *key, gl_err *err)
{
    if (v->type == t)
        return 0;
    return set_err(err, KS_ERULE, "'%s' (line %lu) must be a %s, not a %s", key, v->line, ks__toml_type_name(t),
                   ks__toml_type_name(v->type));
}

/* Optional string; NUL bytes are refused (keys and regexes are C strings). */
static int get_str(const ks_toml_table *t, const char *key, const char **out, gl_err *err)
{
    const ks_toml_value *v = ks__toml_get(t, key);
    *out = NULL;
    if (!v)
        return 0;
    if (want_type(v, KS_TOML_STRING, key, err))
        return err->code;
    if (strlen(v->u.str.s) != v->u.str.len)
        return set_err(err, KS_ERULE, "'%s' (line %lu) contains a NUL character", key, v->line);
    *out = v->u.str.s;
    return 0;
}

/* Optional array of strings, copied into *out (lowercased when asked). */
static int get_strs(const ks_toml_table *t, const char *key, int lowercase, ks_strvec *out, gl_err *err)
{
    const ks_toml_value *v = ks__toml_get(t, key);
    out->items = NULL;
    out->n = 0;
    if (!v)
        return 0;
    if (want_type(v, KS_TOML_ARRAY, key, err))
        return err->code;
    const ks_toml_array *a = v->u.arr;
    if (!a->n)
        return 0;
    out->items = ks__calloc(a->n, sizeof *out->items);
    if (!out->items)
        return set_err(err, KS_ENOMEM, "out of memory");
    for (size_t i = 0; i < a->n; i++) {
        const ks_toml_value *it = &a->items[i];
        if (it->type != KS_TOML_STRING || strlen(it->u.str.s) != it->u.str.len) {
            ks__strvec_free(out);
            return set_err(err, KS_ERULE, "'%s' (line %lu) must be an array of strings", key, v->line);
        }
        if (!(out->items[i] = ks__strdup(it->u.str.s))) {
            ks__strvec_free(out);
            return set_err(err, KS_ENOMEM, "out of memory");
        }
        out->n = i + 1;
        if (lowercase)
            for (char *p = out->items[i]; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
    }
    return 0;
}

/* Optional number (integer or float). */
static int get_num(const ks_toml_table *t, const char *key, double *out, int *present, gl_err *err)
{
    const ks_toml_value *v = ks__toml_get(t, key);
    *present = v != NULL;
    if (!v)
        return 0;
    if (v->type == KS_TOML_INT)
        *out = (double)v->u.i;
    else if (v->type == KS_TOML_FLOAT)
        *out = v->u.f;
    else
        return set_err(err, KS_ERULE, "'%s' (line %lu) must be a number, not a %s", key, v->line,
                       ks__toml_type_name(v->type));
    return 0;
}

/* Compiles an allowlist or path regex for PCRE2 alone (no width limit applies). Go's `$` without
 * (?m) matches only at the very end, hence DOLLAR_ENDONLY. */
static int compile_plain(const char *re, const char *what, pcre2_code **out, gl_err *err)
{
    int ec;
    PCRE2_SIZE eo;
    *out = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
    if (*out)
        return 0;
    if (ec == PCRE2_ERROR_NOMEMORY)
        return set_err(err, KS_ENOMEM, "out of memory");
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    return set_err(err, KS_ECOMPILE, "%s '%s' does not compile (PCRE2): %s at offset %zu", what, re,
                   (const char *)msg, (size_t)eo);
}

static int compile_list(const ks_strvec *src, const char *what, pcre2_code ***out, size_t *n, gl_err *err)
{
    *out = NULL;
    *n = 0;
    if (!src->n)
        return 0;
    *out = ks__calloc(src->n, sizeof **out);
    if (!*out)
        return set_err(err, KS_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->n; i++) {
        if (compile_plain(src->items[i], what, &(*out)[i], err))
            return err->code;
        *n = i + 1;
    }
    return 0;
}

/* ---- allowlists ---- */

/* Builds one allowlist from its table; `targets` (global lists only) receives targetRules. */
static int parse_allowlist(const ks_toml_value *v, ks_allow **out, ks_strvec *targets, gl_err *err)
{
    *out = NULL;
    if (v->type != KS_TOML_TABLE)
        return set_err(err, KS_ERULE, "an allowlist (line %lu) must be a table", v->line);
    const ks_toml_table *t = v->u.tab;
    ks_allow *a = ks__calloc(1, sizeof *a);
    if (!a)
        return set_err(err, KS_ENOMEM, "out of memory");
    atomic_init(&a->refs, 1);
    ks_strvec regexes = {0}, paths = {0}, commits = {0};
    const char *cond = NULL, *target = NULL;
    int rc = 0;
    if ((rc = get_str(t, "condition", &cond, err)) || (rc = get_str(t, "regexTarget", &target, err)) ||
        (rc = get_strs(t, "regexes", 0, &regexes, err)) || (rc = get_strs(t, "paths", 0, &paths, err)) ||
        (rc = get_strs(t, "stopwords", 1, &a->stopwords, err)) || (rc = get_strs(t, "commits", 0, &commits, err)) ||
        (targets && (rc = get_strs(t, "targetRules", 0, targets, err))))
        goto out;
    if (cond && strcasecmp(cond, "AND") == 0) {
        a->all = 1;
    } else if (cond && *cond && strcasecmp(cond, "OR") != 0) {
        rc = set_err(err, KS_ERULE, "allowlist (line %lu): condition must be OR or AND, not '%s'", v->line, cond);
        goto out;
    }
    if (!target || !*target || strcmp(target, "secret") == 0) {
        a->target = KS_ALLOW_SECRET;
    } else if (strcmp(target, "match") == 0) {
        a->target = KS_ALLOW_MATCH;
    } else if (strcmp(target, "line") == 0) {
        a->target = KS_ALLOW_LINE;
    } else {
        rc = set_err(err, KS_ERULE, "allowlist (line %lu): regexTarget must be secret, match or line, not '%s'",
                     v->line, target);
        goto out;
    }
    a->has_commits = commits.n > 0;
    if ((rc = compile_list(&regexes, "allowlist regex", &a->regexes, &a->n_regexes, err)) ||
        (rc = compile_list(&paths, "allowlist path", &a->paths, &a->n_paths, err)))
        goto out;
out:
    ks__strvec_free(&regexes);
    ks__strvec_free(&paths);
    ks__strvec_free(&commits);
    if (rc) {
        ks__allow_unref(a);
        if (targets)
            ks__strvec_free(targets);
        return rc;
    }
    *out = a;
    return 0;
}

/* The file's own allowlists ([allowlist] and [[allowlists]]), each with its targetRules. */
typedef struct gl_global {
    ks_allow *allow;
    ks_strvec targets; /* empty: every rule */
} gl_global;

typedef struct gl_globals {
    gl_global *items;
    size_t n;
} gl_globals;

static void globals_free(gl_globals *g)
{
    for (size_t i = 0; i < g->n; i++) {
        ks__allow_unref(g->items[i].allow);
        ks__strvec_free(&g->items[i].targets);
    }
    ks__free(g->items);
    g->items = NULL;
    g->n = 0;
}

/* Collects the allowlists of table t: the singular table `allowlist` (older Gitleaks) and the
 * array `allowlists`. `want_targets` for the file's global lists. */
static int collect_allowlists(const ks_toml_table *t, int want_targets, gl_globals *out, gl_err *err)
{
    const ks_toml_value *one = ks__toml_get(t, "allowlist");
    const ks_toml_value *many = ks__toml_get(t, "allowlists");
    out->items = NULL;
    out->n = 0;
    if (many && many->type != KS_TOML_ARRAY)
        return set_err(err, KS_ERULE, "'allowlists' (line %lu) must be an array of tables", many->line);
    size_t total = (one ? 1 : 0) + (many ? many->u.arr->n : 0);
    if (!total)
        return 0;
    out->items = ks__calloc(total, sizeof *out->items);
    if (!out->items)
        return set_err(err, KS_ENOMEM, "out of memory");
    for (size_t i = 0; i < total; i++) {
        const ks_toml_value *v = one ? (i == 0 ? one : &many->u.arr->items[i - 1]) : &many->u.arr->items[i];
        int rc = parse_allowlist(v, &out->items[i].allow, want_targets ? &out->items[i].targets : NULL, err);
        if (rc) {
            globals_free(out);
            return rc;
        }
        out->n = i + 1;
    }
    return 0;
}

static int targets_rule(const gl_global *g, const char *id)
{
    if (!g->targets.n)
        return 1;
    for (size_t i = 0; i < g->targets.n; i++)
        if (strcmp(g->targets.items[i], id) == 0)
            return 1;
    return 0;
}

/* ---- rules ---- */

/* Builds the rule's shared conditions: its path filter, its own allowlists, the file's global ones. */
static int build_cond(const ks_toml_table *t, const char *id, const char *path, const gl_globals *globals,
                      ks_cond **out, gl_err *err)
{
    *out = NULL;
    gl_globals own = {0};
    int rc = collect_allowlists(t, 0, &own, err);
    if (rc)
        return rc;
    size_t n_glob = 0;
    for (size_t i = 0; i < globals->n; i++)
        n_glob += targets_rule(&globals->items[i], id);
    if (!path && !own.n && !n_glob)
        return 0;
    ks_cond *c = ks__calloc(1, sizeof *c);
    if (!c) {
        globals_free(&own);
        return set_err(err, KS_ENOMEM, "out of memory");
    }
    atomic_init(&c->refs, 1);
    if (own.n + n_glob) {
        c->allows = ks__calloc(own.n + n_glob, sizeof *c->allows);
        if (!c->allows) {
            rc = set_err(err, KS_ENOMEM, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < own.n; i++)
        c->allows[c->n_allows++] = ks__allow_ref(own.items[i].allow);
    for (size_t i = 0; i < globals->n; i++)
        if (targets_rule(&globals->items[i], id))
            c->allows[c->n_allows++] = ks__allow_ref(globals->items[i].allow);
    if (path)
        rc = compile_plain(path, "path", &c->path, err);
out:
    globals_free(&own);
    if (rc) {
        ks__cond_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int dup_into(char **dst, const char *src, gl_err *err)
{
    *dst = ks__strdup(src);
    return *dst ? 0 : set_err(err, KS_ENOMEM, "out of memory");
}

/* Imports one [[rules]] entry into *r (zeroed on entry); on failure *err says why. */
static int load_rule(const gl_ctx *g, const ks_toml_value *rv, const gl_globals *globals, ks_rule *r, gl_err *err)
{
    memset(r, 0, sizeof *r);
    r->line = rv->line;
    if (rv->type != KS_TOML_TABLE)
        return set_err(err, KS_ERULE, "each entry of 'rules' must be a table");
    const ks_toml_table *t = rv->u.tab;
    const char *id, *desc, *regex, *path;
    if (get_str(t, "id", &id, err))
        return err->code;
    if (!id)
        return set_err(err, KS_ERULE, "rule has no 'id'");
    if (dup_into(&r->id, id, err) || dup_into(&r->source, g->source, err))
        return err->code;
    if (!ks__rule_id_valid(id))
        return set_err(err, KS_ERULE, "id must be 1-120 characters of [A-Za-z0-9._-]");
    if (get_str(t, "description", &desc, err) || get_str(t, "regex", &regex, err) || get_str(t, "path", &path, err))
        return err->code;
    const ks_toml_value *skip = ks__toml_get(t, "skipReport");
    if (skip && skip->type == KS_TOML_BOOL && skip->u.b)
        return set_err(err, KS_ERULE, "skipReport: the rule only serves composite rules");
    if (ks__toml_get(t, "required"))
        return set_err(err, KS_ERULE, "composite rules ('required') are not supported");
    if (!regex || !*regex) {
        if (path)
            return set_err(err, KS_ERULE, "path-only rule (it reports files by name; keysweep matches contents)");
        return set_err(err, KS_ERULE, "rule has no 'regex'");
    }
    double sg = 0, entropy = 0;
    int has_sg, has_entropy;
    if (get_num(t, "secretGroup", &sg, &has_sg, err) || get_num(t, "entropy", &entropy, &has_entropy, err))
        return err->code;
    if (has_sg && (sg < 0 || sg > 1000 || sg != floor(sg)))
        return set_err(err, KS_ERULE, "secretGroup must be a whole number from 0 to 1000");
    if (has_entropy && !(entropy >= 0.0 && entropy <= 8.0))
        return set_err(err, KS_ERULE, "entropy must be between 0 and 8");
    r->min_entropy = entropy;
    if (dup_into(&r->name, desc && *desc ? desc : id, err) || (desc && *desc && dup_into(&r->description, desc, err)))
        return err->code;
    if (get_strs(t, "keywords", 1, &r->keywords, err) || get_strs(t, "tags", 0, &r->categories, err))
        return err->code;
    if (convert_regex(regex, (long)sg, &r->pattern, err))
        return err->code;
    if (build_cond(t, id, path, globals, &r->cond, err))
        return err->code;
    if (path && dup_into(&r->path, path, err)) /* shown by `rules list` as a YAML rule's is */
        return err->code;
    return 0;
}

/* Notes (code 0) for [extend]: keysweep loads exactly the files it is given. */
static void note_extend(const gl_ctx *g, const ks_toml_value *ext)
{
    if (ext->type != KS_TOML_TABLE)
        return;
    const ks_toml_value *v;
    if ((v = ks__toml_get(ext->u.tab, "useDefault")) && v->type == KS_TOML_BOOL && v->u.b)
        ks__diag_emit(g->on_error, g->ctx, 0, g->source, v->line, NULL,
                      "note: [extend] useDefault is ignored: keysweep has no copy of Gitleaks' default rules "
                      "(load its gitleaks.toml with another --rules)");
    if ((v = ks__toml_get(ext->u.tab, "path")) && v->type == KS_TOML_STRING)
        ks__diag_emit(g->on_error, g->ctx, 0, g->source, v->line, NULL,
                      "note: [extend] path '%s' is not followed: load it with its own --rules", v->u.str.s);
    if ((v = ks__toml_get(ext->u.tab, "disabledRules")))
        ks__diag_emit(g->on_error, g->ctx, 0, g->source, v->line, NULL,
                      "note: [extend] disabledRules is ignored (it applies to the extended configuration)");
}

static int id_taken(const ks_rules *rules, const ks_rule *loaded, size_t n, const char *id, const ks_rule **prev)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strcmp(rules->items[i].id, id) == 0)
            return (*prev = &rules->items[i]), 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(loaded[i].id, id) == 0)
            return (*prev = &loaded[i]), 1;
    return 0;
}

int ks_rules_load_gitleaks(ks_rules *rules, const char *text, size_t len, const char *source, ks_diag_fn on_error,
                           void *ctx)
{
    if (!rules || (!text && len))
        return KS_EINVAL;
    gl_ctx g = {source ? source : "<toml>", on_error, ctx};
    ks_toml_table *doc = NULL;
    ks_toml_error terr;
    int rc = ks__toml_parse(text, len, &doc, &terr);
    if (rc) {
        ks__diag_emit(on_error, ctx, rc, g.source, terr.line, NULL, "TOML error: %s", terr.msg);
        return rc;
    }
    gl_globals globals = {0};
    ks_rule *items = NULL;
    size_t n = 0, skipped = 0;
    int first_rc = 0;
    gl_err err = {0};
    const ks_toml_value *list = ks__toml_get(doc, "rules");
    if (!list || list->type != KS_TOML_ARRAY || !list->u.arr->n) {
        rc = KS_EPARSE;
        ks__diag_emit(on_error, ctx, rc, g.source, list ? list->line : 1, NULL,
                      "expected [[rules]] tables (a Gitleaks configuration)");
        goto out;
    }
    const ks_toml_value *ext = ks__toml_get(doc, "extend");
    if (ext)
        note_extend(&g, ext);
    if ((rc = collect_allowlists(doc, 1, &globals, &err))) {
        /* A global allowlist applies to every rule: without it they would all over-report. */
        ks__diag_emit(on_error, ctx, rc, g.source, 0, NULL, "global allowlist: %s", err.msg);
        goto out;
    }
    size_t total = list->u.arr->n;
    items = ks__calloc(total, sizeof *items);
    if (!items) {
        rc = KS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < total; i++) {
        const ks_toml_value *rv = &list->u.arr->items[i];
        ks_rule *r = &items[n];
        const ks_rule *prev = NULL;
        int lrc = load_rule(&g, rv, &globals, r, &err);
        if (lrc == KS_ENOMEM) {
            ks__rule_free(r);
            rc = KS_ENOMEM;
            goto out;
        }
        if (!lrc && id_taken(rules, items, n, r->id, &prev))
            lrc = set_err(&err, KS_EDUPLICATE, "duplicate rule id (first defined at %s:%lu)",
                          prev->source ? prev->source : "?", prev->line);
        if (lrc) {
            ks__diag_emit(on_error, ctx, lrc, g.source, rv->line, r->id, "not loaded: %s", err.msg);
            ks__rule_free(r);
            skipped++;
            if (!first_rc)
                first_rc = lrc;
            continue;
        }
        n++;
    }
    if (!n) {
        rc = first_rc ? first_rc : KS_ERULE;
        goto out;
    }
    if ((rc = ks__rules_append(rules, items, n, on_error, ctx)))
        goto out;
    if (skipped)
        ks__diag_emit(on_error, ctx, 0, g.source, 0, NULL, "loaded %zu of %zu Gitleaks rules; %zu not loaded (above)",
                      n, total, skipped);
out:
    if (rc == KS_ENOMEM)
        ks__diag_emit(on_error, ctx, rc, g.source, 0, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        ks__rule_free(&items[i]);
    ks__free(items);
    globals_free(&globals);
    ks__toml_free(doc);
    return rc;
}
