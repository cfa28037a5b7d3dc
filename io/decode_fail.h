/* decode_fail.h: a stream decoder's failure, said only once the bytes it decoded before the failure are handed out
 * (they are the stream's, and may hold a key), as the xz, zstd and lz4 decoders do. */
#ifndef KS_IO_DECODE_FAIL_H
#define KS_IO_DECODE_FAIL_H

#include <errno.h>
#include <stdio.h>

#include <archive.h>

typedef struct ks_decode_fail {
    int pending;   /* a failure waits behind the bytes being returned */
    char err[160];
} ks_decode_fail;

/* At a read's start: -1 with a's error set when a failure waits, else 0. */
static inline int ks__decode_fail_due(const ks_decode_fail *f, struct archive *a)
{
    if (!f->pending)
        return 0;
    archive_set_error(a, EIO, "%s", f->err);
    return -1;
}

/* At a read's end, `n` bytes decoded and `failed` the failure (NULL: none; said as "<codec>: <failed>"): what the
 * read returns, n (the failure then waits for the next read), or -1 with a's error set when n is 0. */
static inline la_ssize_t ks__decode_fail_after(ks_decode_fail *f, struct archive *a, const char *codec,
                                               const char *failed, size_t n)
{
    if (failed) {
        snprintf(f->err, sizeof f->err, "%s: %s", codec, failed);
        if (!n) {
            archive_set_error(a, EIO, "%s", f->err);
            return -1;
        }
        f->pending = 1;
    }
    return (la_ssize_t)n;
}

#endif
