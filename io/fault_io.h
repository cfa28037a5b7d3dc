/* fault_io.h: I/O calls the readers make, routed through a fault hook in test builds only. */
#ifndef KS_FAULT_IO_H
#define KS_FAULT_IO_H
#include <sys/types.h>
#ifdef KS_FAULT_INJECTION
ssize_t ks__io_pread(int fd, void *buf, size_t n, off_t off);
int ks__io_uring_denied(void);
/* Test builds: every pread is cut short, and the nth one fails with err (0: none). */
void ks__io_fault_set(int short_reads, long nth, int err, int deny_uring);
#define KS_IO_PREAD ks__io_pread
#define KS_IO_URING_DENIED() ks__io_uring_denied()
#else
#define KS_IO_PREAD pread
#define KS_IO_URING_DENIED() 0
#endif
#endif
