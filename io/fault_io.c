/* fault_io.c: the readers' I/O fault hook (short reads, an error at the Nth read, io_uring denied); test builds only. */
#ifdef KS_FAULT_INJECTION
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "fault_io.h"

static _Atomic int short_reads, deny_uring, fail_err;
static _Atomic long fail_nth;

void ks__io_fault_set(int shorts, long nth, int err, int deny)
{
    atomic_store(&short_reads, shorts);
    atomic_store(&fail_nth, nth);
    atomic_store(&fail_err, err);
    atomic_store(&deny_uring, deny);
}

ssize_t ks__io_pread(int fd, void *buf, size_t n, off_t off)
{
    long nth = atomic_load(&fail_nth);
    if (nth > 0 && atomic_fetch_sub(&fail_nth, 1) == 1) {
        errno = atomic_load(&fail_err);
        return -1;
    }
    if (atomic_load(&short_reads) && n > 1)
        n = 1 + (size_t)(off % 7) % n; /* a few bytes at a time: the caller must loop */
    return pread(fd, buf, n, off);
}

int ks__io_uring_denied(void) { return atomic_load(&deny_uring); }
#else
typedef int ks_fault_io_unused;
#endif
