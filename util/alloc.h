/* alloc.h: the library's one allocation choke point (every module allocates through it, so tests can fail the Nth call). */
#ifndef KS_UTIL_ALLOC_H
#define KS_UTIL_ALLOC_H

#include <stddef.h>

#include "keysweep.h"

/* Every allocation takes an allocator: NULL is the C library's. An engine passes its own (the
 * ks_engine_options hook) for everything it, its scanners, streams and pipelines allocate. */
void *ks__amalloc(const ks_allocator *a, size_t n);
void *ks__acalloc(const ks_allocator *a, size_t n, size_t size);
void *ks__arealloc(const ks_allocator *a, void *p, size_t n);
void ks__afree(const ks_allocator *a, void *p);
char *ks__astrdup(const ks_allocator *a, const char *s);
/* `name` under directory `dir` ("dir/name"), or `name` itself when it is absolute; from a, or NULL. */
char *ks__apath_join(const ks_allocator *a, const char *dir, const char *name);
char *ks__astrndup(const ks_allocator *a, const char *s, size_t n);
/* ks__grow with an allocator. */
int ks__agrow(const ks_allocator *a, void **items, size_t *cap, size_t n, size_t size, size_t first);

/* The same with the C library's allocator. */
void *ks__malloc(size_t n);
void *ks__calloc(size_t n, size_t size);
void *ks__realloc(void *p, size_t n);
void ks__free(void *p);
char *ks__strdup(const char *s);
char *ks__strndup(const char *s, size_t n);

/* Makes room for one more item in a growable array of `*cap` items of `size` bytes holding `n`:
 * doubles the capacity (from `first`) when full. Returns 0, or -1 with *items untouched. */
int ks__grow(void **items, size_t *cap, size_t n, size_t size, size_t first);

#endif
