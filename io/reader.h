/* reader.h: the reader interface: how the pipeline gets bytes off disk; every backend (io_uring, pread) implements all of
 * it, and one function chooses the backend. */
#ifndef KS_READER_H
#define KS_READER_H

#include <stddef.h>
#include <stdint.h>

/* The offset of a read at the descriptor's own position (pipes, pseudo-files read to EOF): one read
 * that returns what it gets, so `done` < `len` is not EOF, and done == 0 is. */
#define KS_READ_AT_POS UINT64_MAX

/* One read of `len` bytes at `offset` (or KS_READ_AT_POS). The backend fills `done` (bytes read)
 * and `res` (0, or a negative errno); a positional read stops early only at EOF or on error. */
typedef struct ks_read_req {
    int fd;
    uint64_t offset;
    unsigned char *buf;
    size_t len;
    size_t done;
    int res;
    void *user;
} ks_read_req;

typedef struct ks_reader_ops {
    const char *name;
    /* 1 when submit performs the read itself (pread): a worker then keeps one job in flight. */
    int synchronous;
    /* Sets up one worker's backend, able to hold `depth` reads submitted and not yet reaped;
     * returns 0 or a negative errno. */
    int (*init)(void **state, unsigned depth);
    /* Queues one read; returns 0, -EBUSY when `depth` reads are already held (reap first), or
     * another negative errno (the request is then not queued). */
    int (*submit)(void *state, ks_read_req *req);
    /* Stores up to `max` finished requests in `out`; waits for one when `wait` and some are held.
     * Returns the count or a negative errno. */
    int (*reap)(void *state, ks_read_req **out, unsigned max, int wait);
    void (*fini)(void *state);
} ks_reader_ops;

extern const ks_reader_ops ks_reader_pread;
extern const ks_reader_ops ks_reader_uring; /* init fails with -ENOSYS when built without liburing */

/* Chooses the backend, in one place: "pread", "uring", or "auto" (io_uring when it can be set up
 * here, else pread). io_uring is tried by setting one up and tearing it down. Returns the backend,
 * or NULL when "uring" was asked and cannot be had (or the name is unknown); *why gets the errno
 * that refused io_uring, 0 when it was not refused. */
const ks_reader_ops *ks_reader_choose(const char *name, int *why);

#endif
