/* ring.h: a bounded single-producer single-consumer ring of pointers (one per worker, read by the writer). */
#ifndef KS_PIPELINE_RING_H
#define KS_PIPELINE_RING_H

#include <stdatomic.h>
#include <stddef.h>

#include "keysweep.h"

typedef struct ks_ring {
    const ks_allocator *a;
    void **slots;
    size_t mask;
    _Atomic size_t head; /* written by the consumer */
    _Atomic size_t tail; /* written by the producer */
    char pad[64];        /* rings sit in an array: keep neighbours' counters off this cache line */
} ks_ring;

/* Sets up a ring of `slots` entries (a power of two) from allocator `a`; returns 0 or KS_ENOMEM. */
int ks__ring_init(ks_ring *r, const ks_allocator *a, size_t slots);
void ks__ring_free(ks_ring *r);

/* Producer: appends p; returns 0, or -1 when the ring is full (nothing is written). */
int ks__ring_try_push(ks_ring *r, void *p);

/* Consumer: the oldest entry, or NULL when the ring is empty. */
void *ks__ring_pop(ks_ring *r);

#endif
