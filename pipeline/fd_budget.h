/* fd_budget.h: the descriptor budget: files handed to the pipeline and not yet closed, counted, and a wait for room. */
#ifndef KS_PIPELINE_FD_BUDGET_H
#define KS_PIPELINE_FD_BUDGET_H

#include <pthread.h>
#include <stdatomic.h>

typedef struct ks_fd_budget {
    unsigned max;
    _Atomic unsigned held;
    _Atomic int waiting; /* the submitting thread sleeps in ks__fdb_wait */
    pthread_mutex_t mu;
    pthread_cond_t freed;
} ks_fd_budget;

void ks__fdb_init(ks_fd_budget *b, unsigned max);
void ks__fdb_destroy(ks_fd_budget *b);
/* One more descriptor is held (counted even past max: the wait is the caller's choice). */
void ks__fdb_take(ks_fd_budget *b);
/* One descriptor is closed; wakes a waiter. Any thread. */
void ks__fdb_give(ks_fd_budget *b);
/* Whether max descriptors are held. */
int ks__fdb_full(ks_fd_budget *b);
/* Waits while max descriptors are held. One thread at a time. */
void ks__fdb_wait(ks_fd_budget *b);

#endif
