/* sha256.h: SHA-256 (FIPS 180-4), for matching secrets against the list of published test material. */
#ifndef KS_UTIL_SHA256_H
#define KS_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ks_sha256 {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed so far */
    unsigned char buf[64];
    size_t fill;
} ks_sha256;

void ks__sha256_init(ks_sha256 *c);
void ks__sha256_update(ks_sha256 *c, const void *data, size_t n);
void ks__sha256_final(ks_sha256 *c, unsigned char out[32]);

#endif
