/* alloc.c: the library's one allocation choke point, with a failure hook compiled only into test builds. */
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "alloc.h"

#ifdef KS_FAULT_INJECTION
#include "fault.h"
/* Test builds only: fail the Nth allocation (transiently or from then on). */
static _Atomic long fault_countdown = 0;
static _Atomic int fault_persistent = 0;
static _Atomic long fault_failures = 0;

void ks__fault_alloc_set(long nth, int persistent)
{
    atomic_store(&fault_countdown, nth);
    atomic_store(&fault_persistent, persistent);
    atomic_store(&fault_failures, 0);
}

long ks__fault_alloc_failures(void) { return atomic_load(&fault_failures); }

static int fault_now(void)
{
    long c = atomic_load(&fault_countdown);
    if (c <= 0)
        return 0;
    if (c == 1) {
        if (!atomic_load(&fault_persistent))
            atomic_store(&fault_countdown, 0);
        atomic_fetch_add(&fault_failures, 1);
        return 1;
    }
    atomic_fetch_sub(&fault_countdown, 1);
    return 0;
}
#define FAULT() fault_now()
#else
#define FAULT() 0
#endif

void *ks__amalloc(const ks_allocator *a, size_t n)
{
    if (FAULT())
        return NULL;
    if (!n)
        n = 1;
    return a ? a->malloc(n, a->ctx) : malloc(n);
}

void *ks__acalloc(const ks_allocator *a, size_t n, size_t size)
{
    if (!a) {
        if (FAULT())
            return NULL;
        return calloc(n ? n : 1, size ? size : 1);
    }
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = ks__amalloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *ks__arealloc(const ks_allocator *a, void *p, size_t n)
{
    if (FAULT())
        return NULL;
    if (!n)
        n = 1;
    return a ? a->realloc(p, n, a->ctx) : realloc(p, n);
}

void ks__afree(const ks_allocator *a, void *p)
{
    if (!p)
        return;
    if (a)
        a->free(p, a->ctx);
    else
        free(p);
}

char *ks__astrndup(const ks_allocator *a, const char *s, size_t n)
{
    char *d = ks__amalloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *ks__astrdup(const ks_allocator *a, const char *s) { return ks__astrndup(a, s, strlen(s)); }

char *ks__apath_join(const ks_allocator *a, const char *dir, const char *name)
{
    if (name[0] == '/')
        return ks__astrdup(a, name);
    size_t dl = strlen(dir), nl = strlen(name);
    char *s = ks__amalloc(a, dl + nl + 2);
    if (s) {
        memcpy(s, dir, dl);
        s[dl] = '/';
        memcpy(s + dl + 1, name, nl + 1);
    }
    return s;
}

int ks__agrow(const ks_allocator *a, void **items, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : first;
    if (ncap <= n || ncap > (size_t)-1 / size)
        return -1;
    void *p = ks__arealloc(a, *items, ncap * size);
    if (!p)
        return -1;
    *items = p;
    *cap = ncap;
    return 0;
}

void *ks__malloc(size_t n) { return ks__amalloc(NULL, n); }
void *ks__calloc(size_t n, size_t size) { return ks__acalloc(NULL, n, size); }
void *ks__realloc(void *p, size_t n) { return ks__arealloc(NULL, p, n); }
void ks__free(void *p) { free(p); }
char *ks__strndup(const char *s, size_t n) { return ks__astrndup(NULL, s, n); }
char *ks__strdup(const char *s) { return ks__astrdup(NULL, s); }

int ks__grow(void **items, size_t *cap, size_t n, size_t size, size_t first)
{
    return ks__agrow(NULL, items, cap, n, size, first);
}
