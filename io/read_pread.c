/* read_pread.c: the pread(2) reader: each read is done inside submit and handed back by reap, the fallback when io_uring is unavailable. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fault_io.h"
#include "reader.h"

/* The reads done and not yet reaped, in order: a ring of `cap` requests. */
typedef struct pread_state {
    ks_read_req **done;
    unsigned cap, head, n;
} pread_state;

static int p_init(void **state, unsigned depth)
{
    pread_state *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->cap = depth ? depth : 1;
    s->done = calloc(s->cap, sizeof *s->done);
    if (!s->done) {
        free(s);
        return -ENOMEM;
    }
    *state = s;
    return 0;
}

static void read_now(ks_read_req *req)
{
    req->done = 0;
    req->res = 0;
    if (req->offset == KS_READ_AT_POS) { /* one read at the position: a pipe or a pseudo-file */
        for (;;) {
            ssize_t r = read(req->fd, req->buf, req->len);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r < 0)
                req->res = -errno;
            else
                req->done = (size_t)r;
            return;
        }
    }
    while (req->done < req->len) {
        ssize_t r = KS_IO_PREAD(req->fd, req->buf + req->done, req->len - req->done, (off_t)(req->offset + req->done));
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            req->res = -errno;
            break;
        }
        if (r == 0)
            break; /* EOF: the file shrank, or a pseudo-file ended */
        req->done += (size_t)r; /* a short read is not EOF: ask for the rest */
    }
}

static int p_submit(void *state, ks_read_req *req)
{
    pread_state *s = state;
    if (s->n == s->cap)
        return -EBUSY;
    read_now(req);
    s->done[(s->head + s->n++) % s->cap] = req;
    return 0;
}

static int p_reap(void *state, ks_read_req **out, unsigned max, int wait)
{
    (void)wait; /* every read held is finished already */
    pread_state *s = state;
    unsigned n = 0;
    while (n < max && s->n) {
        out[n++] = s->done[s->head];
        s->head = (s->head + 1) % s->cap;
        s->n--;
    }
    return (int)n;
}

static void p_fini(void *state)
{
    pread_state *s = state;
    free(s->done);
    free(s);
}

const ks_reader_ops ks_reader_pread = {"pread", 1, p_init, p_submit, p_reap, p_fini};
