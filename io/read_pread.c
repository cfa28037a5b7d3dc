/* read_pread.c: the pread(2) reader: synchronous reads behind the reader ops table, the fallback when io_uring is unavailable. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "reader.h"
#include "fault_io.h"

typedef struct pread_state {
    ks_read_req *head, *tail; /* finished, not yet reaped */
} pread_state;

static int p_init(void **state, unsigned depth)
{
    (void)depth;
    pread_state *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    *state = s;
    return 0;
}

static void p_read_sync(ks_read_req *req)
{
    req->done = 0;
    req->res = 0;
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
    p_read_sync(req);
    req->next = NULL;
    if (s->tail)
        s->tail->next = req;
    else
        s->head = req;
    s->tail = req;
    return 0;
}

static int p_reap(void *state, ks_read_req **out, unsigned max, int wait)
{
    (void)wait;
    pread_state *s = state;
    unsigned n = 0;
    while (s->head && n < max) {
        out[n++] = s->head;
        s->head = s->head->next;
    }
    if (!s->head)
        s->tail = NULL;
    return (int)n;
}

static void p_fini(void *state) { free(state); }

const ks_reader_ops ks_reader_pread = {"pread", p_init, p_submit, p_reap, p_fini, p_read_sync};
