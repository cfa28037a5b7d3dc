/* hash.c: FNV-1a, used for cache keys and finding fingerprints, and a wide checksum for big payloads (not for
 * anything adversarial). */
#include <string.h>

#include "hash.h"

uint64_t ks__fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static inline uint64_t rotl64(uint64_t x, int r) { return x << r | x >> (64 - r); }

#define W1 0x9E3779B185EBCA87ULL
#define W2 0xC2B2AE3D27D4EB4FULL

uint64_t ks__hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    /* four lanes of eight bytes: each multiply waits only on its own lane's, where FNV-1a's one chain waits on every
     * byte's (a 2.5 MB database took it about 3 ms at each start) */
    uint64_t v[4] = {W1 + W2, W2, 0, 0 - W1};
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            v[k] = rotl64(v[k] + w * W2, 31) * W1;
        }
    uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18) + (uint64_t)len;
    h = ks__fnv1a(h, p + i, len - i); /* the last bytes, fewer than 32 */
    h ^= h >> 33;
    h *= W2;
    h ^= h >> 29;
    h *= W1;
    return h ^ h >> 32;
}
