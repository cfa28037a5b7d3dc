/* fuzz_findings.h: the findings of one scan, as the differential fuzzers keep them, and the check that two scans of one
 * input found the same (any difference aborts, with both findings printed). */
#ifndef KS_FUZZ_FINDINGS_H
#define KS_FUZZ_FINDINGS_H

#include <stdio.h>
#include <stdlib.h>

#include "keysweep.h"

typedef struct flist {
    ks_match v[4096];
    size_t n;
    uint64_t len; /* the object's length, for the fuzzers that check ranges against it */
} flist;

/* Aborts unless b found exactly what a found, in the same order (`what` names b's way of scanning). */
static inline void flist_same(const flist *a, const flist *b, const char *what)
{
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        const ks_match *x = &a->v[i], *y = &b->v[i];
        if (x->rule_index != y->rule_index || x->start != y->start || x->end != y->end || x->line != y->line ||
            x->column != y->column || x->secret_start != y->secret_start || x->secret_len != y->secret_len ||
            x->near_miss != y->near_miss) {
            fprintf(stderr, "%s: finding %zu differs: rule %zu [%llu,%llu) line %llu col %llu vs rule %zu [%llu,%llu) "
                    "line %llu col %llu\n", what, i, x->rule_index, (unsigned long long)x->start,
                    (unsigned long long)x->end, (unsigned long long)x->line, (unsigned long long)x->column,
                    y->rule_index, (unsigned long long)y->start, (unsigned long long)y->end,
                    (unsigned long long)y->line, (unsigned long long)y->column);
            abort();
        }
    }
    if (a->n != b->n) {
        fprintf(stderr, "%s: %zu findings, whole scan has %zu\n", what, b->n, a->n);
        abort();
    }
}

#endif
