/* strvec.h: an owned list of strings (rule examples, references, keywords, stop words). */
#ifndef KS_UTIL_STRVEC_H
#define KS_UTIL_STRVEC_H

#include <stddef.h>

#include "keysweep.h"

typedef struct ks_strvec {
    char **items;
    size_t n;
} ks_strvec;

void ks__strvec_free(ks_strvec *v);
/* Deep copy; returns 0 or KS_ENOMEM (dst then empty). */
int ks__strvec_copy(ks_strvec *dst, const ks_strvec *src);
/* The same with an allocator (alloc.h; NULL: the C library's). */
void ks__strvec_free_a(const ks_allocator *a, ks_strvec *v);
int ks__strvec_copy_a(const ks_allocator *a, ks_strvec *dst, const ks_strvec *src);

#endif
