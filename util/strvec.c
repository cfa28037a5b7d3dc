/* strvec.c: owned string lists: free and deep copy. */
#include "keysweep.h"

#include "alloc.h"
#include "strvec.h"

void ks__strvec_free_a(const ks_allocator *a, ks_strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        ks__afree(a, v->items[i]);
    ks__afree(a, v->items);
    v->items = NULL;
    v->n = 0;
}

int ks__strvec_copy_a(const ks_allocator *a, ks_strvec *dst, const ks_strvec *src)
{
    dst->items = NULL;
    dst->n = 0;
    if (!src->n)
        return 0;
    dst->items = ks__acalloc(a, src->n, sizeof *dst->items);
    if (!dst->items)
        return KS_ENOMEM;
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i] = ks__astrdup(a, src->items[i]);
        if (!dst->items[i]) {
            dst->n = i;
            ks__strvec_free_a(a, dst);
            return KS_ENOMEM;
        }
    }
    dst->n = src->n;
    return 0;
}

void ks__strvec_free(ks_strvec *v) { ks__strvec_free_a(NULL, v); }
int ks__strvec_copy(ks_strvec *dst, const ks_strvec *src) { return ks__strvec_copy_a(NULL, dst, src); }
