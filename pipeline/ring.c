/* ring.c: the SPSC ring: acquire/release on head and tail, nothing else shared. */
#include "keysweep.h"

#include "alloc.h"
#include "ring.h"

int ks__ring_init(ks_ring *r, const ks_allocator *a, size_t slots)
{
    r->a = a;
    r->slots = ks__acalloc(a, slots, sizeof *r->slots);
    if (!r->slots)
        return KS_ENOMEM;
    r->mask = slots - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void ks__ring_free(ks_ring *r)
{
    ks__afree(r->a, r->slots);
    r->slots = NULL;
}

int ks__ring_try_push(ks_ring *r, void *p)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t - atomic_load_explicit(&r->head, memory_order_acquire) > r->mask)
        return -1;
    r->slots[t & r->mask] = p;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return 0;
}

void *ks__ring_pop(ks_ring *r)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
        return NULL;
    void *p = r->slots[h & r->mask];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return p;
}
