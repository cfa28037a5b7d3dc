/* git_idx.c: pack index v2 parsing and lookups (layout: git's Documentation/gitformat-pack.txt). */
#include <stdio.h>
#include <string.h>

#include "git_idx.h"
#include "keysweep.h"

#define HEAD_LEN 8u              /* magic and version */
#define FANOUT_LEN (256u * 4u)
#define TRAILER_LEN (2u * KS_GIT_ID_LEN) /* the pack's checksum, then the index's own */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int bad(char *why, size_t why_len, const char *what)
{
    snprintf(why, why_len, "pack index: %s", what);
    return KS_ECORRUPT;
}

int ks__git_idx_parse(ks_git_idx *x, const uint8_t *data, size_t len, char *why, size_t why_len)
{
    static const uint8_t magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
    memset(x, 0, sizeof *x);
    if (len < HEAD_LEN + FANOUT_LEN + TRAILER_LEN)
        return bad(why, why_len, "shorter than its fixed parts");
    if (memcmp(data, magic, 4) != 0)
        return bad(why, why_len, "not a version 2 index (no \\377tOc magic)");
    if (memcmp(data + 4, magic + 4, 4) != 0)
        return bad(why, why_len, "index version is not 2");
    const uint8_t *fan = data + HEAD_LEN;
    uint32_t prev = 0;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t v = be32(fan + 4 * b);
        if (v < prev)
            return bad(why, why_len, "fanout table decreases");
        prev = v;
    }
    uint64_t n = prev;
    /* 64-bit arithmetic: n < 2^32, so n * 28 cannot overflow */
    uint64_t fixed = (uint64_t)HEAD_LEN + FANOUT_LEN + n * (KS_GIT_ID_LEN + 4 + 4) + TRAILER_LEN;
    if (fixed > len)
        return bad(why, why_len, "shorter than the object count its fanout gives");
    if ((len - fixed) % 8 != 0)
        return bad(why, why_len, "large-offset table is not a whole number of entries");
    if ((len - fixed) / 8 > n)
        return bad(why, why_len, "more large offsets than objects");
    x->n = (uint32_t)n;
    x->ids = fan + FANOUT_LEN;
    x->crcs = x->ids + n * KS_GIT_ID_LEN;
    x->off32 = x->crcs + n * 4;
    x->off64 = x->off32 + n * 4;
    x->n64 = (uint32_t)((len - fixed) / 8);
    x->pack_sum = data + len - TRAILER_LEN;

    /* ids ascending, each in the fanout bucket of its first byte: lookups rely on both */
    unsigned bucket = 0;
    for (uint32_t i = 0; i < x->n; i++) {
        const uint8_t *id = ks__git_idx_id(x, i);
        if (i > 0 && memcmp(id - KS_GIT_ID_LEN, id, KS_GIT_ID_LEN) >= 0)
            return bad(why, why_len, "object ids are not strictly ascending");
        while (bucket < id[0])
            if (be32(fan + 4 * bucket++) != i)
                return bad(why, why_len, "fanout table does not match the ids");
        uint32_t o = be32(x->off32 + 4 * (size_t)i);
        if ((o & 0x80000000u) && (o & 0x7fffffffu) >= x->n64)
            return bad(why, why_len, "large-offset reference past the table");
    }
    for (; bucket < 255; bucket++)
        if (be32(fan + 4 * bucket) != x->n)
            return bad(why, why_len, "fanout table does not match the ids");
    return 0;
}

uint64_t ks__git_idx_offset(const ks_git_idx *x, uint32_t i)
{
    uint32_t o = be32(x->off32 + 4 * (size_t)i);
    if (!(o & 0x80000000u))
        return o;
    return be64(x->off64 + 8 * (size_t)(o & 0x7fffffffu));
}

uint32_t ks__git_idx_crc(const ks_git_idx *x, uint32_t i)
{
    return be32(x->crcs + 4 * (size_t)i);
}

int ks__git_idx_find(const ks_git_idx *x, const uint8_t id[KS_GIT_ID_LEN], uint32_t *pos)
{
    const uint8_t *fan = x->ids - FANOUT_LEN;
    uint32_t lo = id[0] ? be32(fan + 4 * (id[0] - 1u)) : 0, hi = be32(fan + 4 * id[0]);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = memcmp(ks__git_idx_id(x, mid), id, KS_GIT_ID_LEN);
        if (c == 0) {
            *pos = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
