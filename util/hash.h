/* hash.h: FNV-1a, for cache keys and fingerprints, and a wide checksum for big payloads (never for anything
 * adversarial). */
#ifndef KS_UTIL_HASH_H
#define KS_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define KS_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t ks__fnv1a(uint64_t h, const void *data, size_t len);

/* A 64-bit checksum of len bytes, 32 at a time: every byte and the length count, several times FNV-1a's speed. */
uint64_t ks__hash64(const void *data, size_t len);

#endif
