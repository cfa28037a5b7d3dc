/* fuzz_container.c: libFuzzer target for the container reader: any bytes, from memory and from a descriptor, must
 * expand within the budgets, hand the sink well-formed chains and give back every resource; both sources agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sys/types.h>

#include "container.h"

typedef struct tally {
    uint64_t members, bytes, problems;
    int open; /* a member has begun and not ended */
} tally;

static int on_begin(void *ctx, const char *chain)
{
    tally *t = ctx;
    if (t->open || strlen(chain) >= 4096)
        abort(); /* begin inside a member, or a chain past its bound */
    t->open = 1;
    t->members++;
    return 0;
}

static int on_data(void *ctx, const void *p, size_t n)
{
    tally *t = ctx;
    if (!t->open || !n)
        abort();
    volatile const unsigned char *b = p; /* the bytes must be readable */
    (void)b[0];
    (void)b[n - 1];
    t->bytes += n;
    return 0;
}

static int on_end(void *ctx)
{
    tally *t = ctx;
    if (!t->open)
        abort();
    t->open = 0;
    return 0;
}

static void on_problem(void *ctx, const char *chain, int fatal, const char *what)
{
    ((tally *)ctx)->problems++;
    if (!what[0] || strlen(chain) >= 4096)
        abort();
}

static const ks_container_sink SINK = {on_begin, on_data, on_end, on_problem, NULL, NULL, NULL};

static void expand(const uint8_t *data, size_t size, int fd, tally *t, ks_container_result *res, int *rc)
{
    ks_container_limits lim = {.max_depth = 4, .max_output = 4u << 20, .max_members = 2000,
                               .ratio_after = 64u << 10, .max_ratio = 200}; /* the same below */
    memset(t, 0, sizeof *t);
    *rc = ks__container_expand(fd < 0 ? data : NULL, fd < 0 ? size : 0, fd, size, "fuzz.bin", &lim, &SINK, t, res);
    if (t->open)
        abort(); /* a member never ended */
    /* the budget may be passed by at most one block: the one that crossed it */
    if (res->bytes_out > lim.max_output + (256u << 10) || res->members > lim.max_members)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tally a, b;
    ks_container_result ra, rb;
    int rca, rcb;
    expand(data, size, -1, &a, &ra, &rca);
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    expand(data, size, fd, &b, &rb, &rcb);
    tally c;
    ks_container_result rc3;
    /* on a thread of its own, with gzip and zstd decoded ahead of it on another */
    ks_container_limits lim = {.max_depth = 4, .max_output = 4u << 20, .max_members = 2000,
                               .ratio_after = 64u << 10, .max_ratio = 200, .decode_ahead = 3};
    memset(&c, 0, sizeof c);
    int rcc = ks__container_expand_overlapped(NULL, 0, fd, size, "fuzz.bin", &lim, &SINK, &c, &rc3);
    /* as a pipe: read() from after the head; a zip read as it streams may differ from the seekable
     * reading, but nothing may be lost: bytes that open as nothing come back to be scanned */
    size_t hl = size < KS_CONTAINER_MAGIC_LEN ? size : KS_CONTAINER_MAGIC_LEN;
    if (lseek(fd, (off_t)hl, SEEK_SET) == (off_t)hl) {
        tally d;
        ks_container_result rd;
        unsigned char *replay = NULL;
        size_t replay_len = 0;
        memset(&d, 0, sizeof d);
        int rcd = ks__container_expand_pipe(data, hl, fd, 0, "fuzz.bin", &lim, &SINK, &d, &rd, &replay, &replay_len);
        if (d.open || (rcd != 1 && replay) || hl + replay_len > size ||
            (replay_len && memcmp(replay, data + hl, replay_len)))
            abort();
        if (rcd == 1 && rd.bytes_read != hl + replay_len)
            abort(); /* what was read is all handed back */
        free(replay);
    }
    close(fd);
    if (c.open || rcc != rcb || c.members != b.members || c.bytes != b.bytes) {
        fprintf(stderr, "overlapped: rc %d, %llu members, %llu bytes; direct: rc %d, %llu members, %llu bytes\n", rcc,
                (unsigned long long)c.members, (unsigned long long)c.bytes, rcb, (unsigned long long)b.members,
                (unsigned long long)b.bytes);
        abort();
    }
    /* memory and descriptor are the same bytes: the same members, the same bytes out */
    if (rca != rcb || a.members != b.members || a.bytes != b.bytes) {
        fprintf(stderr, "memory: rc %d, %llu members, %llu bytes; fd: rc %d, %llu members, %llu bytes\n", rca,
                (unsigned long long)a.members, (unsigned long long)a.bytes, rcb, (unsigned long long)b.members,
                (unsigned long long)b.bytes);
        abort();
    }
    return 0;
}
