/* fuzz_rules.c: libFuzzer target: arbitrary YAML through ks_rules_load_yaml and ks_engine_create; every error names itself in a diagnostic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keysweep.h"

typedef struct diags {
    int n, first_code;
} diags;

static void on_diag(const ks_diag *d, void *ctx)
{
    diags *s = ctx;
    /* A diagnostic is for a person: it must say something and carry an error code. */
    if (d->code >= 0 || !d->text[0] || !d->message[0]) {
        fprintf(stderr, "empty or codeless diagnostic: code %d text '%s'\n", d->code, d->text);
        abort();
    }
    if (!s->n++)
        s->first_code = d->code;
}

static void check_error(int rc, const diags *d, const char *what)
{
    if (!rc || rc == KS_ENOMEM)
        return;
    if (!d->n || d->first_code != rc) {
        fprintf(stderr, "%s returned %s with %d diagnostics (first code %d)\n", what, ks_errname(rc), d->n,
                d->first_code);
        abort();
    }
}

static int count(const ks_match *m, void *ctx)
{
    if (m->start >= m->end)
        abort();
    ++*(size_t *)ctx;
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    ks_rules *rules = NULL;
    if (ks_rules_create(&rules))
        abort();
    diags d = {0};
    int rc = ks_rules_load_yaml(rules, (const char *)data, size, "fuzz.yml", on_diag, &d);
    check_error(rc, &d, "ks_rules_load_yaml");
    if (rc && ks_rules_count(rules)) {
        fprintf(stderr, "a failed load added %zu rules\n", ks_rules_count(rules));
        abort();
    }
    if (!rc && ks_rules_count(rules) <= 64) { /* bigger sets only slow the fuzzer down */
        ks_engine *e = NULL;
        ks_engine_options o = {.flags = KS_ENGINE_NO_CACHE | KS_ENGINE_SHOW_NEAR_MISS};
        memset(&d, 0, sizeof d);
        rc = ks_engine_create(rules, &o, &e, on_diag, &d);
        check_error(rc, &d, "ks_engine_create");
        if (!rc) {
            /* The rule text itself as the subject: the confirm step meets every fuzzed pattern. */
            ks_scanner *s = NULL;
            size_t n = 0;
            if (ks_scanner_create(e, &s) == 0) {
                int src = ks_scan(s, data, size, 0, 0, count, &n);
                if (src && src != KS_ENOMEM)
                    abort();
            }
            ks_scanner_destroy(s);
        }
        ks_engine_destroy(e);
    }
    ks_rules_destroy(rules);
    return 0;
}
