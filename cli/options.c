/* options.c: option helpers shared by the CLI's commands: sizes, rule loading with diagnostics, the engine. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("keysweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    unsigned shift = 0;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return -1;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B' || *end == 'b')
            end++;
        if (*end)
            return -1;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int rule_opts_add_path(rule_opts *o, const char *path)
{
    const char **p = realloc(o->paths, (o->n_paths + 1) * sizeof *p);
    if (!p)
        return -1;
    o->paths = p;
    o->paths[o->n_paths++] = path;
    return 0;
}

void rule_opts_free(rule_opts *o)
{
    free(o->paths);
    o->paths = NULL;
    o->n_paths = 0;
}

/* The codes of the diagnostics printed, so that a failure they already explained is not restated. */
typedef struct diag_seen {
    int codes[8];
    int n;
} diag_seen;

static void print_diag(const ks_diag *d, void *ctx)
{
    diag_seen *seen = ctx;
    fprintf(stderr, "keysweep: %s\n", d->text);
    if (seen->n < 8)
        seen->codes[seen->n++] = d->code;
}

static int diag_was_seen(const diag_seen *seen, int code)
{
    for (int i = 0; i < seen->n; i++)
        if (seen->codes[i] == code)
            return 1;
    return 0;
}

int build_engine(const rule_opts *o, ks_engine **engine)
{
    *engine = NULL;
    if (ks_check_cpu()) {
        say("this CPU cannot run Vectorscan (it needs SSSE3 on x86-64)");
        return KS_ECPU;
    }
    diag_seen seen = {.n = 0};
    ks_rules *rules = NULL;
    int rc = ks_rules_create(&rules);
    if (!rc && !o->no_builtin)
        rc = ks_rules_load_builtin(rules, print_diag, &seen);
    for (size_t i = 0; !rc && i < o->n_paths; i++)
        rc = ks_rules_load_path(rules, o->paths[i], print_diag, &seen);
    if (!rc && ks_rules_count(rules) == 0) {
        say("no rules: --no-builtin-rules needs at least one --rules PATH");
        rc = KS_ENORULES;
    }
    if (!rc) {
        /* the library caches only where it is told to: the CLI asks for the usual place */
        char dflt[1024];
        const char *cache = o->cache_dir;
        if (!cache && !o->no_cache && ks_default_cache_dir(dflt, sizeof dflt) == 0)
            cache = dflt;
        ks_engine_options eo = {.size = sizeof eo,
                                .cache_dir = cache,
                                .flags = (o->no_cache ? KS_ENGINE_NO_CACHE : 0u) |
                                         (o->near_misses ? KS_ENGINE_SHOW_NEAR_MISS : 0u) |
                                         (o->report_allowed ? KS_ENGINE_REPORT_ALLOWED : 0u) |
                                         (o->report_test_keys ? KS_ENGINE_REPORT_TEST_KEYS : 0u) |
                                         (o->no_decode ? KS_ENGINE_NO_DECODE : 0u),
                                .max_decode_depth = o->decode_depth};
        rc = ks_engine_create(rules, &eo, engine, print_diag, &seen);
    }
    /* e.g. "missing.toml: cannot read rules: No such file or directory" already said it all */
    if (rc && rc != KS_ENORULES && !diag_was_seen(&seen, rc))
        say("cannot load rules: %s", ks_strerror(rc));
    ks_rules_destroy(rules);
    return rc;
}
