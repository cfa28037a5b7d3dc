/* strvec.c: owned string lists: free and deep copy. */
#include "keysweep.h"

#include "alloc.h"
#include "strvec.h"

void ks__strvec_free(ks_strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        ks__free(v->items[i]);
    ks__free(v->items);
    v->items = NULL;
    v->n = 0;
}

int ks__strvec_copy(ks_strvec *dst, const ks_strvec *src)
{
    dst->items = NULL;
    dst->n = 0;
    if (!src->n)
        return 0;
    dst->items = ks__calloc(src->n, sizeof *dst->items);
    if (!dst->items)
        return KS_ENOMEM;
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i] = ks__strdup(src->items[i]);
        if (!dst->items[i]) {
            dst->n = i;
            ks__strvec_free(dst);
            return KS_ENOMEM;
        }
    }
    dst->n = src->n;
    return 0;
}
