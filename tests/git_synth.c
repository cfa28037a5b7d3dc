/* git_synth.c: writes packs and .idx v2 files as git's Documentation/gitformat-pack.txt lays them out (for tests only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha1.h>
#include <zlib.h>

#include "git_synth.h"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_be32(buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

static void sha1(const uint8_t *d, size_t n, uint8_t out[20])
{
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, n, d);
    sha1_digest(&c, 20, out);
}

void synth_hash_whole(synth_obj *o)
{
    static const char *const names[5] = {"", "commit", "tree", "blob", "tag"};
    char head[64];
    int hl = snprintf(head, sizeof head, "%s %zu", o->type >= 1 && o->type <= 4 ? names[o->type] : "?", o->len);
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, (size_t)hl + 1, (const uint8_t *)head);
    sha1_update(&c, o->len, o->data);
    sha1_digest(&c, 20, o->id);
}

static const synth_obj *sorted_base;
static int by_id(const void *x, const void *y)
{
    return memcmp(sorted_base[*(const size_t *)x].id, sorted_base[*(const size_t *)y].id, 20);
}

int synth_build(const synth_obj *objs, size_t n, int level, synth_pack *out)
{
    memset(out, 0, sizeof *out);
    buf pk = {0}, ix = {0};
    uint64_t *off = calloc(n + 1, sizeof *off);
    uint32_t *crc = calloc(n + 1, sizeof *crc);
    size_t *order = calloc(n + 1, sizeof *order);
    if (!off || !crc || !order)
        goto fail;
    put(&pk, "PACK", 4);
    put_be32(&pk, 2);
    put_be32(&pk, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        const synth_obj *o = &objs[i];
        off[i] = pk.n;
        uint64_t size = o->size_override ? o->size_override : o->len;
        uint8_t h[32];
        size_t hl = 0;
        uint8_t c = (uint8_t)((o->type & 7) << 4 | (size & 15));
        size >>= 4;
        while (size) {
            h[hl++] = c | 0x80;
            c = size & 0x7f;
            size >>= 7;
        }
        h[hl++] = c;
        if (o->type == 6) {
            if (o->base < 0 || (size_t)o->base >= i)
                goto fail;
            uint64_t rel = off[i] - off[o->base];
            uint8_t t[16];
            size_t p = sizeof t;
            t[--p] = rel & 0x7f;
            while (rel >>= 7)
                t[--p] = 0x80 | (--rel & 0x7f);
            memcpy(h + hl, t + p, sizeof t - p);
            hl += sizeof t - p;
        } else if (o->type == 7) {
            if (o->base >= (int)n)
                goto fail;
            memcpy(h + hl, o->base < 0 ? o->ref_id : objs[o->base].id, 20);
            hl += 20;
        }
        put(&pk, h, hl);
        uLongf zl = compressBound(o->len);
        uint8_t *z = malloc(zl);
        if (!z || compress2(z, &zl, o->data ? o->data : (const uint8_t *)"", o->len, level) != Z_OK) {
            free(z);
            goto fail;
        }
        put(&pk, z, zl);
        free(z);
        if (pk.oom)
            goto fail;
        crc[i] = (uint32_t)crc32(0, pk.p + off[i], (uInt)(pk.n - off[i]));
    }
    uint8_t sum[20];
    if (pk.oom)
        goto fail;
    sha1(pk.p, pk.n, sum);
    put(&pk, sum, 20);

    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sorted_base = objs;
    qsort(order, n, sizeof *order, by_id);
    static const uint8_t magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
    put(&ix, magic, 8);
    for (unsigned b = 0; b < 256; b++) {
        uint32_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            cnt += objs[order[i]].id[0] <= b;
        put_be32(&ix, cnt);
    }
    for (size_t i = 0; i < n; i++)
        put(&ix, objs[order[i]].id, 20);
    for (size_t i = 0; i < n; i++)
        put_be32(&ix, crc[order[i]]);
    uint32_t nlarge = 0;
    for (size_t i = 0; i < n; i++) {
        const synth_obj *o = &objs[order[i]];
        put_be32(&ix, o->large_offset ? 0x80000000u | nlarge++ : (uint32_t)off[order[i]]);
    }
    for (size_t i = 0; i < n; i++) {
        if (!objs[order[i]].large_offset)
            continue;
        uint64_t v = off[order[i]];
        put_be32(&ix, (uint32_t)(v >> 32));
        put_be32(&ix, (uint32_t)v);
    }
    put(&ix, sum, 20);
    if (ix.oom)
        goto fail;
    sha1(ix.p, ix.n, sum);
    put(&ix, sum, 20);
    if (ix.oom)
        goto fail;
    out->pack = pk.p;
    out->pack_len = pk.n;
    out->idx = ix.p;
    out->idx_len = ix.n;
    out->offsets = off;
    free(crc);
    free(order);
    return 0;
fail:
    free(pk.p);
    free(ix.p);
    free(off);
    free(crc);
    free(order);
    return -1;
}

void synth_free(synth_pack *p)
{
    free(p->pack);
    free(p->idx);
    free(p->offsets);
    memset(p, 0, sizeof *p);
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t x[10];
    size_t n = 0;
    do {
        x[n] = v & 0x7f;
        v >>= 7;
        if (v)
            x[n] |= 0x80;
        n++;
    } while (v);
    put(b, x, n);
}

/* copy ops of at most 0xffffff bytes each (0x10000 is what a size of 0 means, so it is written as is) */
static void put_copy(buf *b, uint64_t off, uint64_t len)
{
    while (len) {
        uint64_t n = len > 0xffffff ? 0xffffff : len;
        uint8_t op = 0x80, x[8];
        size_t k = 0;
        for (unsigned i = 0; i < 4; i++)
            if ((off >> (8 * i)) & 0xff) {
                op |= (uint8_t)(1u << i);
                x[k++] = (uint8_t)(off >> (8 * i));
            }
        for (unsigned i = 0; i < 3; i++)
            if ((n >> (8 * i)) & 0xff) {
                op |= (uint8_t)(1u << (4 + i));
                x[k++] = (uint8_t)(n >> (8 * i));
            }
        put(b, &op, 1);
        put(b, x, k);
        off += n;
        len -= n;
    }
}

static void put_insert(buf *b, const uint8_t *d, size_t len)
{
    while (len) {
        uint8_t n = len > 127 ? 127 : (uint8_t)len;
        put(b, &n, 1);
        put(b, d, n);
        d += n;
        len -= n;
    }
}

uint8_t *synth_delta(const uint8_t *base, size_t base_len, const uint8_t *target, size_t target_len, int copy,
                     size_t *len)
{
    buf b = {0};
    put_varint(&b, base_len);
    put_varint(&b, target_len);
    size_t pre = 0, suf = 0;
    if (copy) {
        while (pre < base_len && pre < target_len && base[pre] == target[pre])
            pre++;
        while (suf < base_len - pre && suf < target_len - pre &&
               base[base_len - 1 - suf] == target[target_len - 1 - suf])
            suf++;
    }
    put_copy(&b, 0, pre);
    put_insert(&b, target + pre, target_len - pre - suf);
    put_copy(&b, base_len - suf, suf);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.n;
    return b.p ? b.p : calloc(1, 1);
}
