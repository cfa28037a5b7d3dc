/* allow.c: re-reads a finding's lines from its file with pread to look for the keysweep:allow marker. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allow.h"

void allow_init(allow_ctx *a)
{
    memset(a, 0, sizeof *a);
    a->fd = -1;
}

static void allow_close(allow_ctx *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    free(a->path);
    a->path = NULL;
}

static int reopen(allow_ctx *a, const char *path)
{
    if (a->path && strcmp(a->path, path) == 0)
        return a->fd;
    allow_close(a);
    /* O_NONBLOCK: if the path became a FIFO since it was scanned, open must not hang */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    a->path = strdup(path); /* a failed open is remembered too: the file's next findings skip it */
    if (!a->path && fd >= 0) {
        close(fd);
        fd = -1;
    }
    a->fd = fd;
    return fd;
}

int allow_check(allow_ctx *a, const char *path, const ks_match *m)
{
    if (memmem(m->match, m->match_len, ALLOW_MARK, sizeof ALLOW_MARK - 1))
        return 1;
    if (strcmp(path, "-") == 0)
        return 0;
    int fd = reopen(a, path);
    if (fd < 0)
        return 0;
    uint64_t lo = m->start > ALLOW_WINDOW ? m->start - ALLOW_WINDOW : 0, hi = m->end + ALLOW_WINDOW;
    size_t want = (size_t)(hi - lo);
    if (want > a->cap) {
        unsigned char *b = realloc(a->buf, want);
        if (!b)
            return 0;
        a->buf = b;
        a->cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, a->buf + got, want - got, (off_t)(lo + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    size_t s = (size_t)(m->start - lo), e = (size_t)(m->end - lo);
    if (got < e)
        return 0; /* the file shrank since it was scanned: its lines are not the finding's any more */
    /* the first line starts after the last newline before the match; the last line ends at the
     * first newline from the match's last byte on */
    size_t ls = s;
    while (ls > 0 && a->buf[ls - 1] != '\n')
        ls--;
    size_t le = e > s ? e - 1 : s;
    while (le < got && a->buf[le] != '\n')
        le++;
    return memmem(a->buf + ls, le - ls, ALLOW_MARK, sizeof ALLOW_MARK - 1) != NULL;
}

void allow_free(allow_ctx *a)
{
    allow_close(a);
    free(a->buf);
    a->buf = NULL;
    a->cap = 0;
}
