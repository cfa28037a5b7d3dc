/* bqueue.c: a bounded queue of pointers under one mutex, whose consumers wake once per batch. */
#include <string.h>

#include "bqueue.h"
#include "keysweep.h"

#include "alloc.h"

int ks__bq_init(ks_bqueue *q, const ks_allocator *a, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->a = a;
    q->items = ks__acalloc(a, cap, sizeof *q->items);
    if (!q->items)
        return KS_ENOMEM;
    q->cap = cap;
    q->want = 1;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return 0;
}

void ks__bq_free(ks_bqueue *q)
{
    if (!q->items)
        return;
    ks__afree(q->a, q->items);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

/* Under q->mu, with room: appends and wakes a consumer once the batch it waits for is there. */
static void append(ks_bqueue *q, void *item)
{
    q->items[(q->head + q->n) % q->cap] = item;
    q->n++;
    if (q->sleepers && q->n >= q->want)
        pthread_cond_signal(&q->not_empty);
}

void ks__bq_push(ks_bqueue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap)
        pthread_cond_wait(&q->not_full, &q->mu);
    append(q, item);
    pthread_mutex_unlock(&q->mu);
}

int ks__bq_try_push(ks_bqueue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    int full = q->n == q->cap;
    if (!full)
        append(q, item);
    pthread_mutex_unlock(&q->mu);
    return full ? -1 : 0;
}

void *ks__bq_pop_batch(ks_bqueue *q, int wait, size_t batch)
{
    pthread_mutex_lock(&q->mu);
    if (wait && q->n == 0 && !(q->closed && !q->holds)) {
        q->want = batch ? batch : 1;
        q->sleepers++;
        while (q->n < q->want && !(q->closed && !q->holds))
            pthread_cond_wait(&q->not_empty, &q->mu);
        q->sleepers--;
        q->want = 1;
    }
    void *item = NULL;
    if (q->n) {
        item = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        pthread_cond_signal(&q->not_full);
        if (q->sleepers && q->n >= q->want)
            pthread_cond_signal(&q->not_empty); /* pass the batch on to the next consumer */
    }
    pthread_mutex_unlock(&q->mu);
    return item;
}

void ks__bq_close(ks_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

void ks__bq_hold(ks_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->holds++;
    pthread_mutex_unlock(&q->mu);
}

void ks__bq_release(ks_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    if (--q->holds == 0 && q->closed)
        pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->mu);
}

int ks__bq_drained(ks_bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    int drained = q->closed && q->n == 0 && !q->holds;
    pthread_mutex_unlock(&q->mu);
    return drained;
}

int ks__bq_has_sleepers(ks_bqueue *q)
{
    return atomic_load_explicit(&q->sleepers, memory_order_relaxed) != 0;
}
