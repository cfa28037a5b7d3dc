/* thread_start.c: helper threads started with the process's CPU mask, not their creator's. */
#include <sched.h>
#include <unistd.h>

#include "thread_start.h"

int ks__thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    cpu_set_t cpus;
    int attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok && sched_getaffinity(getpid(), sizeof cpus, &cpus) == 0)
        pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
    int rc = pthread_create(t, attr_ok ? &attr : NULL, fn, arg);
    if (attr_ok)
        pthread_attr_destroy(&attr);
    return rc;
}
