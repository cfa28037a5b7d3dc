/* fp_set.c: a sorted array of 64-bit fingerprints, filled once and then only searched. */
#include <stdlib.h>
#include <string.h>

#include "fp_set.h"

int fp_set_add(fp_set *s, uint64_t v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint64_t *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void fp_set_seal(fp_set *s)
{
    if (s->n < 2) /* an empty set has no array: qsort(NULL, 0) is undefined behaviour */
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[k - 1])
            s->v[k++] = s->v[i];
    s->n = k;
}

int fp_set_has(const fp_set *s, uint64_t v)
{
    return s->n && bsearch(&v, s->v, s->n, sizeof *s->v, cmp_u64) != NULL;
}

void fp_set_free(fp_set *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}
