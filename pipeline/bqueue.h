/* bqueue.h: a bounded queue of pointers under one mutex, whose consumers wake once per batch. */
#ifndef KS_BQUEUE_H
#define KS_BQUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "keysweep.h"

typedef struct ks_bqueue {
    const ks_allocator *a;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void **items;
    size_t cap, head, n;
    size_t want;          /* a waiting consumer wakes when n reaches this: batches wake-ups */
    _Atomic int sleepers; /* consumers waiting (read without the lock by producers deciding when to push) */
    int closed;
    unsigned holds;       /* reasons to wait for more items even once closed (ks__bq_hold) */
} ks_bqueue;

/* Sets up an empty queue of `cap` slots from allocator `a` (NULL: libc); returns 0 or KS_ENOMEM. */
int ks__bq_init(ks_bqueue *q, const ks_allocator *a, size_t cap);

/* Frees a queue set up by ks__bq_init (a zeroed one too). */
void ks__bq_free(ks_bqueue *q);

/* Appends one item; waits while the queue is full. */
void ks__bq_push(ks_bqueue *q, void *item);

/* Appends one item unless the queue is full; returns 0, or -1 when it is full. */
int ks__bq_try_push(ks_bqueue *q, void *item);

/* Pops one item; waits when `wait`, and then until `batch` items are there (or the queue is
 * closed), so a consumer that ran dry is woken once per batch rather than once per item.
 * Returns NULL when empty (and closed, if waiting). */
void *ks__bq_pop_batch(ks_bqueue *q, int wait, size_t batch);

/* No more pushes from outside: waiting consumers wake and drain what is left (and, while the queue
 * is held, wait for what the holders may still push). */
void ks__bq_close(ks_bqueue *q);

/* A consumer may yet push items (a worker expanding a container calls others to help): until the
 * matching ks__bq_release, closing the queue does not let its consumers stop. */
void ks__bq_hold(ks_bqueue *q);
void ks__bq_release(ks_bqueue *q);

/* Whether the queue is closed, empty and not held: a consumer can stop. */
int ks__bq_drained(ks_bqueue *q);

/* Whether a consumer is waiting right now (no lock: a hint). */
int ks__bq_has_sleepers(ks_bqueue *q);

#endif
