/* thread_start.h: starting a helper thread that may run wherever the process may, not only where its creator was
 * pinned. */
#ifndef KS_UTIL_THREAD_START_H
#define KS_UTIL_THREAD_START_H

#include <pthread.h>

/* Starts fn(arg) on a new thread (*t) whose CPU mask is the process's (the main thread's, whose id is the process's)
 * rather than its creator's: a thread inherits its creator's mask, so a helper that a worker pinned to one CPU starts
 * (a decoder running ahead, a zip's striping lanes) would share that CPU with it, and nothing would overlap. 0, or
 * pthread_create's error. */
int ks__thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
