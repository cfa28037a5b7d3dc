/* read_pread.c: the pread(2) reader: synchronous reads behind the reader ops table, the fallback when io_uring is unavailable. */
#include <errno.h>
#include <unistd.h>

#include "reader.h"
#include "fault_io.h"

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

/* Synchronous: each worker reads its own chunks, so there is no queue to set up, submit to or reap. */
const ks_reader_ops ks_reader_pread = {"pread", NULL, NULL, NULL, NULL, p_read_sync};
