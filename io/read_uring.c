/* read_uring.c: the io_uring reader: batched reads with many in flight, short reads resubmitted, capped kernel workers. */
#include <errno.h>
#include <stdlib.h>

#include "reader.h"
#include "fault_io.h"

#ifdef KS_HAVE_URING
#include <liburing.h>

#define KS_URING_MAX_KERNEL_WORKERS 16

typedef struct uring_state {
    struct io_uring ring;
    unsigned depth;
    unsigned in_flight;
    unsigned unsubmitted;
} uring_state;

static int u_init(void **state, unsigned depth)
{
    if (KS_IO_URING_DENIED())
        return -EPERM;
    uring_state *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    if (depth < 4)
        depth = 4;
    int rc = io_uring_queue_init(depth, &s->ring, 0);
    if (rc < 0) {
        free(s);
        return rc;
    }
    /* Buffered reads that miss the page cache may go to io-wq kernel threads: cap them so a deep
     * queue does not become hundreds of threads. */
    unsigned cap = depth < KS_URING_MAX_KERNEL_WORKERS ? depth : KS_URING_MAX_KERNEL_WORKERS;
    unsigned workers[2] = {cap, cap};
    (void)io_uring_register_iowq_max_workers(&s->ring, workers);
    s->depth = depth;
    *state = s;
    return 0;
}

static int queue_read(uring_state *s, ks_read_req *req)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (!sqe) {
        int rc = io_uring_submit(&s->ring);
        if (rc < 0)
            return rc;
        s->unsubmitted = 0;
        sqe = io_uring_get_sqe(&s->ring);
        if (!sqe)
            return -EBUSY;
    }
    /* offset -1: at the file's position (IORING_FEAT_RW_CUR_POS), for pipes and pseudo-files */
    if (req->offset == KS_READ_AT_POS)
        io_uring_prep_read(sqe, req->fd, req->buf, (unsigned)req->len, (uint64_t)-1);
    else
        io_uring_prep_read(sqe, req->fd, req->buf + req->done, (unsigned)(req->len - req->done),
                           req->offset + req->done);
    io_uring_sqe_set_data(sqe, req);
    s->unsubmitted++;
    return 0;
}

static int u_submit(void *state, ks_read_req *req)
{
    uring_state *s = state;
    req->done = 0;
    req->res = 0;
    if (s->in_flight >= s->depth)
        return -EBUSY;
    int rc = queue_read(s, req);
    if (!rc)
        s->in_flight++;
    return rc;
}

static int u_reap(void *state, ks_read_req **out, unsigned max, int wait)
{
    uring_state *s = state;
    unsigned n = 0;
    while (n < max) {
        if (s->unsubmitted) {
            int rc = io_uring_submit(&s->ring);
            if (rc < 0 && rc != -EAGAIN && rc != -EINTR)
                return rc;
            if (rc >= 0)
                s->unsubmitted = 0;
        }
        struct io_uring_cqe *cqe = NULL;
        int rc;
        if (n == 0 && wait && s->in_flight)
            rc = io_uring_wait_cqe(&s->ring, &cqe);
        else
            rc = io_uring_peek_cqe(&s->ring, &cqe);
        if (rc == -EINTR)
            continue;
        if (rc == -EAGAIN || !cqe)
            break;
        if (rc < 0)
            return rc;
        ks_read_req *req = io_uring_cqe_get_data(cqe);
        int res = cqe->res;
        io_uring_cqe_seen(&s->ring, cqe);
        if (res == -EAGAIN || res == -EINTR) {
            if (queue_read(s, req) == 0)
                continue; /* retried, still in flight */
            res = -EIO;
        }
        if (res > 0) {
            req->done += (size_t)res;
            if (req->offset != KS_READ_AT_POS && req->done < req->len && queue_read(s, req) == 0)
                continue; /* short read: ask for the rest (a read at the position returns what came) */
        } else if (res < 0) {
            req->res = res;
        }
        /* res == 0 is EOF: the file ended before the expected size */
        s->in_flight--;
        out[n++] = req;
    }
    return (int)n;
}

static void u_fini(void *state)
{
    uring_state *s = state;
    io_uring_queue_exit(&s->ring);
    free(s);
}

const ks_reader_ops ks_reader_uring = {"io_uring", 0, u_init, u_submit, u_reap, u_fini};

#else

static int u_init_missing(void **state, unsigned depth)
{
    (void)state;
    (void)depth;
    return -ENOSYS;
}

const ks_reader_ops ks_reader_uring = {"io_uring", 0, u_init_missing, NULL, NULL, NULL};

#endif
