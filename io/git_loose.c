/* git_loose.c: loose objects, inflated with zlib's streaming API (the size is known only once the header is out). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "alloc.h"
#include "git_loose.h"

#define HEAD_MAX 32 /* "commit " and 20 digits and a NUL fit */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    return size && items > SIZE_MAX / size ? NULL : ks__amalloc(opaque, (size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    ks__afree(opaque, p);
}

/* The whole compressed file, bounded: a stream of stored blocks is barely longer than its content. */
static int slurp(const ks_allocator *a, int dirfd, const char *name, size_t max_object, uint8_t **buf, size_t *len,
                 char *why, size_t why_len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s", fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return KS_EIO;
    }
    size_t limit = max_object + (max_object >> 10) + 4096;
    if ((uint64_t)st.st_size > limit) {
        snprintf(why, why_len, "compressed size %lld is over the object limit", (long long)st.st_size);
        close(fd);
        return KS_ELIMIT;
    }
    size_t want = (size_t)st.st_size, got = 0;
    uint8_t *b = ks__amalloc(a, want + 1);
    if (!b) {
        close(fd);
        snprintf(why, why_len, "out of memory");
        return KS_ENOMEM;
    }
    while (got < want) {
        ssize_t r = read(fd, b + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, why_len, "%s", strerror(errno));
            ks__afree(a, b);
            close(fd);
            return KS_EIO;
        }
        if (r == 0)
            break; /* shrank meanwhile: what is there is read, and judged by zlib */
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = got;
    return 0;
}

static int bad(char *why, size_t why_len, const char *what)
{
    snprintf(why, why_len, "%s", what);
    return KS_ECORRUPT;
}

/* "<type> <decimal size>" (the NUL excluded) */
static int parse_head(const char *h, size_t n, ks_git_type *type, uint64_t *size)
{
    const char *sp = memchr(h, ' ', n);
    if (!sp || sp + 1 == h + n)
        return -1;
    *type = ks__git_type_from_name(h, (size_t)(sp - h));
    if (*type == KS_GIT_NONE)
        return -1;
    uint64_t v = 0;
    for (const char *p = sp + 1; p < h + n; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *size = v;
    return 0;
}

int ks__git_loose_read(const ks_allocator *a, int dirfd, const char *name, unsigned types, size_t max_object,
                       ks_git_type *type, uint8_t **data, size_t *size, char *why, size_t why_len)
{
    *data = NULL;
    *size = 0;
    *type = KS_GIT_NONE;
    uint8_t *in;
    size_t in_len;
    int rc = slurp(a, dirfd, name, max_object, &in, &in_len, why, why_len);
    if (rc != 0)
        return rc;
    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    z.opaque = (voidpf)a;
    if (inflateInit(&z) != Z_OK) {
        ks__afree(a, in);
        snprintf(why, why_len, "out of memory");
        return KS_ENOMEM;
    }
    z.next_in = in;
    z.avail_in = in_len > UINT_MAX ? UINT_MAX : (uInt)in_len;
    /* the header: inflate a little at a time until its NUL is out */
    char head[HEAD_MAX];
    size_t have = 0;
    const char *nul = NULL;
    int zr = Z_OK;
    while (!nul && have < sizeof head && zr == Z_OK) {
        z.next_out = (Bytef *)head + have;
        z.avail_out = 1;
        zr = inflate(&z, Z_SYNC_FLUSH);
        have += 1 - z.avail_out;
        nul = memchr(head, '\0', have);
    }
    uint64_t want;
    uint8_t *out = NULL;
    if (!nul) {
        rc = bad(why, why_len, zr == Z_OK || zr == Z_STREAM_END ? "header has no NUL within 32 bytes"
                                                                : "corrupt or cut-short zlib stream in the header");
        goto out;
    }
    if (parse_head(head, (size_t)(nul - head), type, &want) != 0) {
        rc = bad(why, why_len, "header is not \"<type> <size>\"");
        goto out;
    }
    if (!(types & KS_GIT_TYPE_BIT(*type))) {
        rc = 1;
        goto out;
    }
    if (want > max_object) {
        snprintf(why, why_len, "%s of %llu bytes is over the %zu-byte object limit", ks__git_type_name(*type),
                 (unsigned long long)want, max_object);
        rc = KS_ELIMIT;
        goto out;
    }
    out = ks__amalloc(a, (size_t)want + 1); /* one spare byte catches content longer than the header says */
    if (!out) {
        snprintf(why, why_len, "out of memory");
        rc = KS_ENOMEM;
        goto out;
    }
    size_t got = have - (size_t)(nul + 1 - head);
    memcpy(out, nul + 1, got); /* at most 31 bytes, and out has want + 1 >= got when got <= want */
    if (got > want) {
        rc = bad(why, why_len, "content longer than its header says");
        goto out;
    }
    while (zr == Z_OK) {
        size_t room = (size_t)want + 1 - got;
        z.next_out = out + got;
        z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        if (z.avail_in == 0 && (size_t)(z.next_in - in) < in_len) {
            size_t left = in_len - (size_t)(z.next_in - in);
            z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
        }
        uInt before = z.avail_out;
        zr = inflate(&z, Z_NO_FLUSH);
        got += before - z.avail_out;
        if (zr == Z_BUF_ERROR && before == z.avail_out && z.avail_in == 0)
            break;
        if (zr == Z_BUF_ERROR)
            zr = Z_OK;
        if (got > want)
            break;
    }
    if (got > want)
        rc = bad(why, why_len, "content longer than its header says");
    else if (zr != Z_STREAM_END)
        rc = bad(why, why_len, zr == Z_DATA_ERROR || zr == Z_NEED_DICT ? "corrupt zlib stream" : "zlib stream cut short");
    else if (got != want)
        rc = bad(why, why_len, "content shorter than its header says");
    else {
        *data = out;
        *size = (size_t)want;
        out = NULL;
    }
out:
    inflateEnd(&z);
    ks__afree(a, out);
    ks__afree(a, in);
    return rc;
}
