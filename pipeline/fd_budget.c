/* fd_budget.c: counts descriptors held by the pipeline; the submitting thread waits for room instead of failing. */
#include "fd_budget.h"

void ks__fdb_init(ks_fd_budget *b, unsigned max)
{
    b->max = max;
    atomic_init(&b->held, 0);
    atomic_init(&b->waiting, 0);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->freed, NULL);
}

void ks__fdb_destroy(ks_fd_budget *b)
{
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->freed);
}

void ks__fdb_take(ks_fd_budget *b) { atomic_fetch_add(&b->held, 1); }

void ks__fdb_give(ks_fd_budget *b)
{
    atomic_fetch_sub(&b->held, 1);
    if (atomic_load(&b->waiting)) {
        pthread_mutex_lock(&b->mu);
        pthread_cond_signal(&b->freed);
        pthread_mutex_unlock(&b->mu);
    }
}

int ks__fdb_full(ks_fd_budget *b) { return atomic_load(&b->held) >= b->max; }

void ks__fdb_wait(ks_fd_budget *b)
{
    pthread_mutex_lock(&b->mu);
    atomic_store(&b->waiting, 1);
    while (atomic_load(&b->held) >= b->max)
        pthread_cond_wait(&b->freed, &b->mu);
    atomic_store(&b->waiting, 0);
    pthread_mutex_unlock(&b->mu);
}
