/* reader.h: the reader ops table: how the pipeline gets bytes off disk (io_uring or pread), chosen in one place. */
#ifndef KS_READER_H
#define KS_READER_H

#include <stddef.h>
#include <stdint.h>

/* One read of `len` bytes at `offset`. The backend fills `done` (bytes read) and `res`
 * (0, or a negative errno); a read stops early only at EOF or on error. */
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
    /* Sets up a backend able to keep `depth` reads in flight; returns 0 or a negative errno. */
    int (*init)(void **state, unsigned depth);
    /* Queues one read; returns 0 or a negative errno (the request is then not queued). */
    int (*submit)(void *state, ks_read_req *req);
    /* Stores up to `max` finished requests in `out`; waits for one when `wait` and some are in
     * flight. Returns the count or a negative errno. */
    int (*reap)(void *state, ks_read_req **out, unsigned max, int wait);
    void (*fini)(void *state);
    /* Reads synchronously on the calling thread (thread-safe, no state). A backend that has it
     * is used only through it, and leaves init, submit, reap and fini NULL. */
    void (*read_sync)(ks_read_req *req);
} ks_reader_ops;

extern const ks_reader_ops ks_reader_pread;
extern const ks_reader_ops ks_reader_uring; /* init fails with -ENOSYS when built without liburing */

#endif
