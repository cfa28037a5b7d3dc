/* fp_set.h: a set of 64-bit fingerprints (sorted, searched by halves): the baseline's and .gitleaksignore's.
 */
#ifndef KS_CLI_FP_SET_H
#define KS_CLI_FP_SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fp_set {
    uint64_t *v; /* sorted and without repeats after fp_set_seal */
    size_t n, cap;
} fp_set;

/* Adds v (the set must be sealed again before it is searched); returns 0 or -1 out of memory. */
int fp_set_add(fp_set *s, uint64_t v);
/* Sorts what was added and drops repeats. */
void fp_set_seal(fp_set *s);
/* 1 when v is in the sealed set. */
int fp_set_has(const fp_set *s, uint64_t v);
void fp_set_free(fp_set *s);

#endif
