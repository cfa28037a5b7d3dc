/* git_idset.c: open addressing over the 20-byte ids themselves; the slot hash is keyed with random bits per set,
 * because the ids in a hostile repository's index are chosen by its author (unverified, they need not be hashes). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "alloc.h"
#include "git_idset.h"

#define FIRST_CAP 1024u /* slots; a power of two */

struct ks_git_idset {
    const ks_allocator *a;
    uint8_t *ids;   /* cap slots of KS_GIT_ID_LEN bytes */
    uint8_t *used;  /* cap bits */
    size_t cap, n;
    uint64_t key[3];
    int shared;         /* used by several threads: every call under mu */
    pthread_mutex_t mu;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t slot_hash(const ks_git_idset *s, const uint8_t *id)
{
    uint64_t w[3] = {0, 0, 0};
    memcpy(&w[0], id, 8);
    memcpy(&w[1], id + 8, 8);
    memcpy(&w[2], id + 16, 4);
    return mix(mix(w[0] ^ s->key[0]) ^ w[1] ^ s->key[1]) + mix(w[2] ^ s->key[2]);
}

static int is_used(const uint8_t *used, size_t i)
{
    return used[i >> 3] >> (i & 7) & 1;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t probe(const ks_git_idset *s, const uint8_t *ids, const uint8_t *used, size_t cap, const uint8_t *id)
{
    size_t i = (size_t)slot_hash(s, id) & (cap - 1);
    while (is_used(used, i) && memcmp(ids + i * KS_GIT_ID_LEN, id, KS_GIT_ID_LEN) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int resize(ks_git_idset *s, size_t cap)
{
    uint8_t *ids = ks__amalloc(s->a, cap * KS_GIT_ID_LEN);
    uint8_t *used = ks__acalloc(s->a, cap / 8, 1);
    if (!ids || !used) {
        ks__afree(s->a, ids);
        ks__afree(s->a, used);
        return KS_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!is_used(s->used, i))
            continue;
        const uint8_t *id = s->ids + i * KS_GIT_ID_LEN;
        size_t j = probe(s, ids, used, cap, id);
        memcpy(ids + j * KS_GIT_ID_LEN, id, KS_GIT_ID_LEN);
        used[j >> 3] |= (uint8_t)(1u << (j & 7));
    }
    ks__afree(s->a, s->ids);
    ks__afree(s->a, s->used);
    s->ids = ids;
    s->used = used;
    s->cap = cap;
    return 0;
}

ks_git_idset *ks__git_idset_new(const ks_allocator *a)
{
    ks_git_idset *s = ks__acalloc(a, 1, sizeof *s);
    if (!s)
        return NULL;
    s->a = a;
    if (getrandom(s->key, sizeof s->key, GRND_NONBLOCK) != (ssize_t)sizeof s->key) {
        /* no entropy yet (early boot): the clock and the set's address still differ between runs */
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        s->key[0] = mix((uint64_t)t.tv_nsec ^ (uint64_t)(uintptr_t)s);
        s->key[1] = mix(s->key[0] ^ (uint64_t)t.tv_sec);
        s->key[2] = mix(s->key[1] + 1);
    }
    if (resize(s, FIRST_CAP) != 0) {
        ks__afree(a, s);
        return NULL;
    }
    return s;
}

ks_git_idset *ks__git_idset_new_shared(const ks_allocator *a)
{
    ks_git_idset *s = ks__git_idset_new(a);
    if (s) {
        s->shared = 1;
        pthread_mutex_init(&s->mu, NULL);
    }
    return s;
}

void ks__git_idset_free(ks_git_idset *s)
{
    if (!s)
        return;
    if (s->shared)
        pthread_mutex_destroy(&s->mu);
    ks__afree(s->a, s->ids);
    ks__afree(s->a, s->used);
    ks__afree(s->a, s);
}

static int add(ks_git_idset *s, const uint8_t id[KS_GIT_ID_LEN])
{
    /* at most 3/4 full: linear probes stay short */
    if ((s->n + 1) * 4 > s->cap * 3 && resize(s, s->cap * 2) != 0)
        return KS_ENOMEM;
    size_t i = probe(s, s->ids, s->used, s->cap, id);
    if (is_used(s->used, i))
        return 0;
    memcpy(s->ids + i * KS_GIT_ID_LEN, id, KS_GIT_ID_LEN);
    s->used[i >> 3] |= (uint8_t)(1u << (i & 7));
    s->n++;
    return 1;
}

int ks__git_idset_add(ks_git_idset *s, const uint8_t id[KS_GIT_ID_LEN])
{
    if (!s->shared)
        return add(s, id);
    pthread_mutex_lock(&s->mu);
    int rc = add(s, id);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int ks__git_idset_has(const ks_git_idset *s, const uint8_t id[KS_GIT_ID_LEN])
{
    if (!s->shared)
        return is_used(s->used, probe(s, s->ids, s->used, s->cap, id));
    ks_git_idset *m = (ks_git_idset *)(uintptr_t)s; /* the lock, not the set, changes */
    pthread_mutex_lock(&m->mu);
    int has = is_used(s->used, probe(s, s->ids, s->used, s->cap, id));
    pthread_mutex_unlock(&m->mu);
    return has;
}

size_t ks__git_idset_count(const ks_git_idset *s)
{
    return s->n;
}

static int by_id(const void *x, const void *y)
{
    return memcmp(x, y, KS_GIT_ID_LEN);
}

int ks__git_idset_each(const ks_git_idset *s, int (*fn)(const uint8_t id[KS_GIT_ID_LEN], void *ctx), void *ctx)
{
    /* in id order, not slot order: the slots follow the set's random key, and what is read in this order
     * (a narrowed scan's few blobs) is reported in it, which must not change from one run to the next */
    uint8_t *ids = s->n ? ks__amalloc(s->a, s->n * KS_GIT_ID_LEN) : NULL;
    if (s->n && !ids)
        return KS_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < s->cap && n < s->n; i++)
        if (is_used(s->used, i))
            memcpy(ids + n++ * KS_GIT_ID_LEN, s->ids + i * KS_GIT_ID_LEN, KS_GIT_ID_LEN);
    if (n > 1) /* an empty set has no array: qsort's is declared never NULL */
        qsort(ids, n, KS_GIT_ID_LEN, by_id);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ids + i * KS_GIT_ID_LEN, ctx);
    ks__afree(s->a, ids);
    return rc;
}
